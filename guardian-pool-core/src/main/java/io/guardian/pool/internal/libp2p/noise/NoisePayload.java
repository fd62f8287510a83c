package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.codec.Protobuf;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The libp2p Noise handshake payload (libp2p/specs {@code noise/README.md}, proto2):
 *
 * <pre>
 * message NoiseExtensions { repeated bytes webtransport_certhashes = 1; repeated string stream_muxers = 2; }
 * message NoiseHandshakePayload { bytes identity_key = 1; bytes identity_sig = 2; NoiseExtensions extensions = 4; }
 * </pre>
 *
 * Encoded and decoded with {@link Protobuf}. Decoding treats the bytes as hostile:
 * every length is checked against what is present before anything is allocated, unknown fields
 * of every wire type (groups included) are skipped, the last {@code identity_key} and
 * {@code identity_sig} win and repeated fields accumulate (protobuf merge rules), and the lists
 * are capped. Not API.
 *
 * @param identityKey the libp2p {@code PublicKey} protobuf
 * @param identitySig the signature over {@code "noise-libp2p-static-key:" || static key}
 * @param certhashes webtransport certificate hashes (kept only to be bounded; TCP ignores them)
 * @param muxers the stream muxers offered, in preference order; empty when none were sent
 */
record NoisePayload(byte[] identityKey, byte[] identitySig, List<byte[]> certhashes, List<String> muxers) {

    /** Most muxer strings accepted: real nodes send one or two. */
    static final int MAX_MUXERS = 16;
    /** Longest muxer string accepted, in bytes (js caps multistream protocol ids at the same). */
    static final int MAX_MUXER_LENGTH = 1024;
    /** Most certhashes accepted and the longest one (a multihash is tens of bytes). */
    static final int MAX_CERTHASHES = 16;
    static final int MAX_CERTHASH_LENGTH = 1024;

    byte[] encode() {
        Protobuf.Writer out = new Protobuf.Writer().bytes(1, identityKey).bytes(2, identitySig);
        if (!certhashes.isEmpty() || !muxers.isEmpty()) {
            Protobuf.Writer ext = new Protobuf.Writer();
            for (byte[] hash : certhashes) {
                ext.bytes(1, hash);
            }
            for (String muxer : muxers) {
                ext.string(2, muxer);
            }
            out.bytes(4, ext.toByteArray());
        }
        return out.toByteArray();
    }

    /**
     * @param payload the decrypted payload
     * @return the decoded payload; missing key or signature fields decode as empty arrays
     * @throws TransportException {@link Kind#PROTOCOL_VIOLATION} naming what is malformed
     */
    static NoisePayload decode(byte[] payload) {
        byte[] key = new byte[0];
        byte[] sig = new byte[0];
        List<byte[]> hashes = new ArrayList<>();
        List<String> muxers = new ArrayList<>();
        try {
            Protobuf.Reader in = new Protobuf.Reader(payload, "Noise handshake payload");
            while (in.next()) {
                if (in.wire() != Protobuf.LENGTH_DELIMITED) {
                    continue; // skipped by next()
                }
                switch (in.field()) {
                    case 1 -> key = in.bytes(payload.length);
                    case 2 -> sig = in.bytes(payload.length);
                    case 4 -> decodeExtensions(in.message("Noise extensions"), hashes, muxers);
                    default -> {
                        // unknown: skipped by next()
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, e.getMessage());
        }
        return new NoisePayload(key, sig, Collections.unmodifiableList(hashes), Collections.unmodifiableList(muxers));
    }

    /**
     * Reads a varint field of a small protobuf message, such as the Type of a libp2p
     * {@code PublicKey}, skipping every other field with the same bounds as {@link #decode}.
     *
     * @return the last value of the field, or -1 if absent
     * @throws IllegalArgumentException if the message is malformed
     */
    static long varintField(byte[] message, int wanted) {
        Protobuf.Reader in = new Protobuf.Reader(message, "libp2p public key");
        long value = -1;
        while (in.next()) {
            if (in.field() == wanted && in.wire() == Protobuf.VARINT) {
                value = in.varint();
            }
        }
        return value;
    }

    private static void decodeExtensions(Protobuf.Reader in, List<byte[]> hashes, List<String> muxers) {
        while (in.next()) {
            if (in.wire() != Protobuf.LENGTH_DELIMITED) {
                continue;
            }
            if (in.field() == 1) {
                if (hashes.size() == MAX_CERTHASHES) {
                    throw new IllegalArgumentException("more than " + MAX_CERTHASHES + " webtransport certhashes");
                }
                hashes.add(in.bytes(MAX_CERTHASH_LENGTH));
            } else if (in.field() == 2) {
                if (muxers.size() == MAX_MUXERS) {
                    throw new IllegalArgumentException("more than " + MAX_MUXERS + " stream muxers");
                }
                muxers.add(in.string(MAX_MUXER_LENGTH));
            }
        }
    }
}
