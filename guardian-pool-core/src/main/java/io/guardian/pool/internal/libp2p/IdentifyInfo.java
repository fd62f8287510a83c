package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.codec.Protobuf;
import io.guardian.pool.peer.Multiaddr;
import java.util.ArrayList;
import java.util.List;

/**
 * What a peer says about itself in {@code /ipfs/id/1.0.0} (libp2p/specs identify/README.md). Not
 * API.
 *
 * <p>Decoding keeps what a pool needs and bounds the rest: at most {@value #MAX_PROTOCOLS}
 * protocols and {@value #MAX_ADDRESSES} listen addresses are kept, each field is length-checked,
 * and listen addresses in protocols this library does not know (QUIC, WebTransport…) are skipped
 * rather than failing the whole message. Unknown fields (js-libp2p sends a signed peer record in
 * field 8) are ignored.
 *
 * @param publicKey the remote's libp2p {@code PublicKey} protobuf, or an empty array
 * @param listenAddrs addresses the remote listens on (those we can parse)
 * @param protocols protocol ids the remote answers
 * @param observedAddr the address the remote sees us at, or {@code null}
 * @param protocolVersion e.g. {@code ipfs/0.1.0}, or {@code ""}
 * @param agentVersion e.g. {@code go-libp2p/0.41.1}, or {@code ""}
 */
public record IdentifyInfo(byte[] publicKey, List<Multiaddr> listenAddrs, List<String> protocols,
        Multiaddr observedAddr, String protocolVersion, String agentVersion) {

    /** The protocol id of identify. */
    public static final String PROTOCOL = "/ipfs/id/1.0.0";
    /** Largest identify exchange read, all messages together (go-libp2p splits a large one in two). */
    public static final int MAX_BYTES = 64 * 1024;
    /** Protocol ids kept from one identify. */
    public static final int MAX_PROTOCOLS = 512;
    /** Listen addresses kept from one identify. */
    public static final int MAX_ADDRESSES = 128;
    private static final int MAX_FIELD = 4096;

    /** Copies the lists so the record stays immutable. */
    public IdentifyInfo {
        publicKey = publicKey == null ? new byte[0] : publicKey.clone();
        listenAddrs = List.copyOf(listenAddrs);
        protocols = List.copyOf(protocols);
        protocolVersion = protocolVersion == null ? "" : protocolVersion;
        agentVersion = agentVersion == null ? "" : agentVersion;
    }

    /** @return the public key protobuf (a copy) */
    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** @return the message as identify's protobuf */
    public byte[] encode() {
        Protobuf.Writer out = new Protobuf.Writer();
        if (publicKey.length > 0) {
            out.bytes(1, publicKey);
        }
        for (Multiaddr address : listenAddrs) {
            out.bytes(2, address.toBytes());
        }
        for (String protocol : protocols) {
            out.string(3, protocol);
        }
        if (observedAddr != null) {
            out.bytes(4, observedAddr.toBytes());
        }
        out.string(5, protocolVersion).string(6, agentVersion);
        return out.toByteArray();
    }

    /**
     * Decodes one identify message, merged into {@code base} as protobuf merges messages (lists
     * appended, scalars replaced), since go-libp2p may send its answer as two messages.
     *
     * @param message the protobuf bytes
     * @param base what earlier messages said, or {@code null}
     * @return the merged result
     * @throws IllegalArgumentException for a malformed message
     */
    public static IdentifyInfo decode(byte[] message, IdentifyInfo base) {
        byte[] publicKey = base == null ? null : base.publicKey;
        List<Multiaddr> addrs = new ArrayList<>(base == null ? List.of() : base.listenAddrs);
        List<String> protocols = new ArrayList<>(base == null ? List.of() : base.protocols);
        Multiaddr observed = base == null ? null : base.observedAddr;
        String protocolVersion = base == null ? null : base.protocolVersion;
        String agent = base == null ? null : base.agentVersion;
        Protobuf.Reader in = new Protobuf.Reader(message, "identify message");
        while (in.next()) {
            switch (in.field()) {
                case 1 -> publicKey = in.bytes(MAX_FIELD);
                case 2 -> {
                    byte[] raw = in.bytes(MAX_FIELD);
                    if (addrs.size() < MAX_ADDRESSES) {
                        parse(raw, addrs);
                    }
                }
                case 3 -> {
                    String protocol = in.string(Multistream.MAX_MESSAGE);
                    if (protocols.size() < MAX_PROTOCOLS) {
                        protocols.add(protocol);
                    }
                }
                case 4 -> {
                    List<Multiaddr> one = new ArrayList<>(1);
                    parse(in.bytes(MAX_FIELD), one);
                    observed = one.isEmpty() ? observed : one.get(0);
                }
                case 5 -> protocolVersion = in.string(MAX_FIELD);
                case 6 -> agent = in.string(MAX_FIELD);
                default -> {
                    // Unknown or unused (signedPeerRecord = 8): skipped by next().
                }
            }
        }
        return new IdentifyInfo(publicKey, addrs, protocols, observed, protocolVersion, agent);
    }

    private static void parse(byte[] raw, List<Multiaddr> into) {
        try {
            into.add(Multiaddr.fromBytes(raw));
        } catch (IllegalArgumentException e) {
            // A transport we do not speak (quic-v1, webtransport, certhash…): not ours to dial, not an error.
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdentifyInfo other && java.util.Arrays.equals(publicKey, other.publicKey)
                && listenAddrs.equals(other.listenAddrs) && protocols.equals(other.protocols)
                && java.util.Objects.equals(observedAddr, other.observedAddr)
                && protocolVersion.equals(other.protocolVersion) && agentVersion.equals(other.agentVersion);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(java.util.Arrays.hashCode(publicKey), listenAddrs, protocols, observedAddr,
                protocolVersion, agentVersion);
    }

    @Override
    public String toString() {
        return "IdentifyInfo[agent=" + agentVersion + ", protocolVersion=" + protocolVersion + ", protocols="
                + protocols + ", listenAddrs=" + listenAddrs + ", observedAddr=" + observedAddr + "]";
    }
}
