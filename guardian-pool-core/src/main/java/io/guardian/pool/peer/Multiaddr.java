package io.guardian.pool.peer;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A multiaddr: a self-describing network address such as {@code /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…}.
 * Immutable, with value equality on the binary form (so {@code /ipfs/…} equals {@code /p2p/…}).
 *
 * <p>Users paste these from go, rust and js tools, so the text form is read and written the way
 * go-multiaddr does: {@link #toString()} is go-multiaddr's canonical text (IPv6 compressed per
 * RFC 5952 with {@code ::ffff:a.b.c.d} for IPv4-mapped addresses, {@code /ipfs/} printed as
 * {@code /p2p/}, PeerIds in base58btc, certificate hashes in base64url, trailing slashes dropped).
 * All protocols of the multiformats {@code protocols.csv} are supported; anything else, and any
 * malformed value, is an {@link IllegalArgumentException} naming the part that is wrong.
 *
 * <p>For every address {@code a}: {@code Multiaddr.parse(a.toString()).equals(a)} and
 * {@code Multiaddr.fromBytes(a.toBytes()).equals(a)}, with the same text. The few binary values
 * that would break this are refused (see below), so an address can be logged, configured and
 * compared as text.
 *
 * <h2>Where implementations disagree</h2>
 *
 * <p>These are the rows of the conformance file {@code multiaddr-impl-specific.tsv}; the tests
 * check each one against the choice written here. The rule is: do what go-multiaddr does.
 * <ul>
 *   <li><b>A {@code /p2p/} (or {@code /ipfs/}) value written as a CIDv1</b>
 *       ({@code /p2p/k2k4r8…}, {@code /p2p/bafzbei…}, {@code /p2p/k51qzi…}, {@code /p2p/bafzaaj…},
 *       {@code /ipfs/k2k4r8…}, also after {@code /ip4/…} and before {@code /tcp/…} or
 *       {@code /unix/…}): accepted when the CID codec is {@code libp2p-key}, and printed back in
 *       base58btc ({@code /p2p/Qm…}, {@code /p2p/12D3KooW…}), as go does. (js keeps the CID
 *       text; rust rejects.)</li>
 *   <li><b>A CID with another codec</b> ({@code /p2p/k2jmtxwoe…}, dag-pb {@code 0x70};
 *       {@code /p2p/bahkqcera…}, {@code 0xd5}): rejected, as go and rust do. (js accepts.)</li>
 *   <li><b>A trailing slash</b> ({@code /ip4/127.0.0.1/tcp/1234/}): accepted; trailing slashes
 *       are dropped and the text is {@code /ip4/127.0.0.1/tcp/1234}, as go. (rust rejects.)</li>
 *   <li><b>{@code /unix/} with slashes in the path</b> ({@code /unix/a/b/c/d/e},
 *       {@code /ip4/1.2.3.4/tcp/80/unix/a/b/c/d/e/f}, {@code /ip4/0.0.0.0/unix/a/b/c/d},
 *       {@code /unix/a/b/c/d}, {@code /p2p/Qm…/unix/a/b/c}): {@code unix} is a path protocol
 *       and takes the whole rest of the address, so the binary value is {@code "/a/b/c/d/e"}, as
 *       go. (rust and js take one segment and reject these.)</li>
 *   <li><b>{@code /unix/} with one segment</b> ({@code /unix/stdio}, {@code …/unix/stdio},
 *       {@code /unix/a%2Fb%2Fc%2Fd%2Fe}, {@code …/unix/a%2Fb%2Fc%2Fd%2Fe%2Ff},
 *       {@code …/unix/tmp%2Fp2p.sock}): the binary value gets the leading slash
 *       ({@code "/stdio"}) and percent escapes stay literal ({@code "/tmp%2Fp2p.sock"}), as go.
 *       (rust keeps {@code "stdio"}; js percent-decodes.)</li>
 *   <li><b>{@code ""}, {@code "/"} and {@code "////////"}</b>: rejected as an empty multiaddr,
 *       as go. (js accepts them as {@code "/"}; rust accepts {@code ""}.) An address here
 *       always has at least one component.</li>
 * </ul>
 *
 * <h2>Where this implementation is stricter than go-multiaddr</h2>
 * <ul>
 *   <li>{@code /p2p/} values must be PeerIds (identity multihash of 1..42 bytes or sha2-256 with
 *       32 bytes), not any multihash; see {@link PeerId}.</li>
 *   <li>{@code /ip4/} takes only a dotted quad, and {@code /ip6/} neither a bare dotted quad nor a
 *       {@code %zone} (write {@code /ip6zone/<zone>/ip6/<address>}).</li>
 *   <li>{@code dns*}, {@code sni}, {@code ip6zone} and {@code unix} values read from bytes must
 *       be non-empty, valid UTF-8; {@code onion}/{@code onion3} ports must be 1..65535 and
 *       {@code garlic64} destinations 386..462 bytes in both directions, so that every accepted
 *       binary address prints as text that parses back.</li>
 *   <li>A binary {@code /unix/} value must start with '/', must not end with '/', and must be
 *       the last component (go prints {@code "stdio"} as {@code /unix/stdio}, which reads back
 *       as {@code "/stdio"}).</li>
 *   <li>{@code /memory/} is a fixed 8-byte unsigned number, like go and rust (the CSV says
 *       "V").</li>
 * </ul>
 */
public final class Multiaddr {

    /**
     * One protocol of an address with its value in canonical text.
     *
     * @param protocol the protocol name as printed ({@code "p2p"} for {@code /ipfs/} too)
     * @param code the protocol's multicodec code
     * @param value the canonical text of the value, or {@code ""} for protocols without one
     *     ({@code tls}, {@code ws}, {@code quic-v1}, …)
     */
    public record Component(String protocol, int code, String value) {

        /** Rejects nulls; components are built by {@link Multiaddr} itself. */
        public Component {
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(value, "value");
        }
    }

    private final byte[] bytes;
    private final MultiaddrProtocol[] protocols;
    /** Binary values, parallel to {@link #protocols}; null for protocols without a value. */
    private final byte[][] values;
    private final List<Component> components;
    private final String text;
    private final PeerId peerId;
    private final int hash;

    private Multiaddr(MultiaddrCodec.Decoded decoded) {
        this.bytes = decoded.bytes();
        this.protocols = decoded.protocols();
        this.values = decoded.values();
        this.components = decoded.components();
        this.text = decoded.text();
        int last = protocols.length - 1;
        this.peerId = protocols[last] == MultiaddrProtocol.P2P ? PeerId.ofMultihash(values[last]) : null;
        this.hash = Arrays.hashCode(bytes);
    }

    /** The only way in: every address is decoded from bytes, so its text is always canonical. */
    private static Multiaddr decode(byte[] bytes) {
        return new Multiaddr(MultiaddrCodec.decode(bytes));
    }

    /**
     * Parses the text form.
     *
     * @param text e.g. {@code /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…}
     * @return the address
     * @throws IllegalArgumentException naming the unknown protocol, the missing value, or the
     *     value that is malformed and why
     */
    public static Multiaddr parse(String text) {
        Objects.requireNonNull(text, "multiaddr text must not be null");
        try {
            return decode(MultiaddrCodec.encodeText(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid multiaddr \"" + abbreviate(text) + "\": " + e.getMessage(), e);
        }
    }

    /**
     * Reads the binary form, as carried in libp2p messages.
     *
     * @param bytes the binary address; copied
     * @return the address
     * @throws IllegalArgumentException naming the byte offset and what is wrong there
     */
    public static Multiaddr fromBytes(byte[] bytes) {
        Objects.requireNonNull(bytes, "multiaddr bytes must not be null");
        try {
            return decode(bytes.clone());
        } catch (IllegalArgumentException e) {
            String hex = HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 64));
            throw new IllegalArgumentException("Invalid multiaddr bytes " + hex + (bytes.length > 64 ? "..." : "")
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * The address of a TCP socket: {@code /ip4/<a>/tcp/<port>} or {@code /ip6/<a>/tcp/<port>},
     * or {@code /dns/<host>/tcp/<port>} for an unresolved address. An IPv6 scope id is dropped
     * (multiaddrs would need {@code /ip6zone/}, which {@link #toSocketAddress()} does not take).
     *
     * @param address a socket address, e.g. a listener's bound address
     * @return the multiaddr
     */
    public static Multiaddr tcp(InetSocketAddress address) {
        Objects.requireNonNull(address, "socket address must not be null");
        byte[] port = {(byte) (address.getPort() >>> 8), (byte) address.getPort()};
        List<MultiaddrProtocol> ps = new ArrayList<>(2);
        List<byte[]> vs = new ArrayList<>(2);
        InetAddress ip = address.getAddress();
        if (address.isUnresolved() || ip == null) {
            ps.add(MultiaddrProtocol.DNS);
            try {
                vs.add(MultiaddrProtocol.DNS.codec.toBytes(address.getHostString()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Cannot write host \"" + abbreviate(address.getHostString())
                        + "\" as /dns/: " + e.getMessage(), e);
            }
        } else {
            ps.add(ip instanceof Inet4Address ? MultiaddrProtocol.IP4 : MultiaddrProtocol.IP6);
            vs.add(ip.getAddress());
        }
        ps.add(MultiaddrProtocol.TCP);
        vs.add(port);
        return decode(MultiaddrCodec.encode(ps, vs));
    }

    /**
     * @return a copy of the binary form
     */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /**
     * @return the components in order; unmodifiable
     */
    public List<Component> components() {
        return components;
    }

    /**
     * The PeerId of a trailing {@code /p2p/} component: the peer this address reaches. A
     * {@code /p2p/} elsewhere (a relay in {@code …/p2p/<relay>/p2p-circuit/…}) is not it.
     *
     * @return the PeerId, or empty if the address does not end in {@code /p2p/<id>}
     */
    public Optional<PeerId> peerId() {
        return Optional.ofNullable(peerId);
    }

    /**
     * @param peer the peer this address reaches
     * @return this address ending in {@code /p2p/<peer>}, replacing a trailing {@code /p2p/} if
     *     there is one
     */
    public Multiaddr withPeerId(PeerId peer) {
        Objects.requireNonNull(peer, "peer must not be null");
        List<MultiaddrProtocol> ps = new ArrayList<>(Arrays.asList(protocols));
        List<byte[]> vs = new ArrayList<>(Arrays.asList(values));
        if (peerId != null) {
            ps.remove(ps.size() - 1);
            vs.remove(vs.size() - 1);
        }
        ps.add(MultiaddrProtocol.P2P);
        vs.add(peer.toBytes());
        return decode(MultiaddrCodec.encode(ps, vs));
    }

    /**
     * @return this address without a trailing {@code /p2p/} component
     * @throws IllegalArgumentException if the address is only {@code /p2p/<id>}, which would leave
     *     nothing
     */
    public Multiaddr withoutPeerId() {
        if (peerId == null) {
            return this;
        }
        if (protocols.length == 1) {
            throw new IllegalArgumentException("Multiaddr " + text + " has nothing but its /p2p/ component");
        }
        int n = protocols.length - 1;
        return decode(MultiaddrCodec.encode(Arrays.asList(protocols).subList(0, n), Arrays.asList(values).subList(0, n)));
    }

    /**
     * Whether a plain TCP connection can be opened to this address: exactly
     * {@code /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>}, optionally followed by {@code /p2p/<id>},
     * with a port other than 0. Addresses with transports on top ({@code /ws}, {@code /tls}, …)
     * are not, since the pool speaks its protocol directly over TCP.
     *
     * @return whether {@link #toSocketAddress()} gives an address worth dialing
     */
    public boolean isTcpDialable() {
        return hasTcpShape() && port() != 0;
    }

    /**
     * The socket address to connect to (or bind, where port 0 means any port). Literal IPs give a
     * resolved address, without a name lookup; {@code dns}, {@code dns4} and {@code dns6} names
     * give an unresolved one ({@link InetSocketAddress#createUnresolved}) so the transport
     * resolves them off the event loop, and may honour the IPv4/IPv6 restriction of
     * {@code dns4}/{@code dns6} (see {@link #components()}). An IPv4-mapped {@code /ip6/}
     * ({@code ::ffff:a.b.c.d}) gives an {@link java.net.Inet4Address}, as the JDK maps them.
     *
     * @return the socket address
     * @throws IllegalArgumentException if the address is not
     *     {@code /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>[/p2p/<id>]}
     */
    public InetSocketAddress toSocketAddress() {
        requireTcpShape();
        int port = port();
        if (protocols[0] == MultiaddrProtocol.IP4 || protocols[0] == MultiaddrProtocol.IP6) {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(values[0]), port);
            } catch (UnknownHostException e) {
                throw new IllegalStateException("a 4- or 16-byte address is always accepted", e);
            }
        }
        return InetSocketAddress.createUnresolved(components.get(0).value(), port);
    }

    /**
     * @return the host of a TCP address: the IP literal in canonical text or the DNS name
     * @throws IllegalArgumentException if the address is not a TCP address (see
     *     {@link #toSocketAddress()})
     */
    public String host() {
        requireTcpShape();
        return components.get(0).value();
    }

    /**
     * @return the TCP port of a TCP address
     * @throws IllegalArgumentException if the address is not a TCP address (see
     *     {@link #toSocketAddress()})
     */
    public int port() {
        requireTcpShape();
        return ((values[1][0] & 0xFF) << 8) | (values[1][1] & 0xFF);
    }

    private boolean hasTcpShape() {
        int n = protocols.length;
        if (n < 2 || n > 3 || protocols[1] != MultiaddrProtocol.TCP) {
            return false;
        }
        if (n == 3 && protocols[2] != MultiaddrProtocol.P2P) {
            return false;
        }
        switch (protocols[0]) {
            case IP4:
            case IP6:
            case DNS:
            case DNS4:
            case DNS6:
                return true;
            default:
                return false;
        }
    }

    private void requireTcpShape() {
        if (!hasTcpShape()) {
            throw new IllegalArgumentException("Multiaddr " + text + " is not a TCP address: expected"
                    + " /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>, optionally followed by /p2p/<peer-id>");
        }
    }

    /** Equal when the binary forms are equal. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof Multiaddr && hash == ((Multiaddr) o).hash && Arrays.equals(bytes, ((Multiaddr) o).bytes);
    }

    /** Computed once at construction. */
    @Override
    public int hashCode() {
        return hash;
    }

    /** The canonical text, as go-multiaddr prints it; {@link #parse} reads it back. */
    @Override
    public String toString() {
        return text;
    }

    private static String abbreviate(String s) {
        return MultiaddrCodec.abbreviate(s);
    }
}
