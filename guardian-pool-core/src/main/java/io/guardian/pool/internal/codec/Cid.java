package io.guardian.pool.internal.codec;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * CIDv1: {@code varint version (1) || varint codec || multihash}, written in multibase. libp2p
 * uses it, with codec {@link #LIBP2P_KEY}, as the newer text form of a PeerId. Not API; a
 * short-lived parse result, so its equality (by array reference) is never relied on.
 *
 * @param codec the multicodec of the content
 * @param multihash the multihash bytes; callers must not modify the array
 */
public record Cid(long codec, byte[] multihash) {

    /** Multicodec {@code libp2p-key}: the content is a libp2p public key, i.e. a PeerId. */
    public static final long LIBP2P_KEY = 0x72;

    /**
     * Parses a multibase CIDv1.
     *
     * @param text the CID text, multibase prefix included
     * @return the codec and multihash
     * @throws IllegalArgumentException for a bad multibase text, a version other than 1 or a
     *     malformed multihash
     */
    public static Cid parse(String text) {
        byte[] bytes = Multibase.decode(text);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        if (bytes.length >= 2 && bytes[0] == 0x12 && bytes[1] == 0x20) {
            throw new IllegalArgumentException("CIDv0 (a bare sha2-256 multihash) must be written in base58btc"
                    + " as Qm…, not in multibase");
        }
        long version = Varint.read(buf);
        if (version != 1) {
            throw new IllegalArgumentException("unsupported CID version " + version + " (expected 1)");
        }
        long codec = Varint.read(buf);
        byte[] multihash = Multihash.read(buf);
        if (buf.hasRemaining()) {
            throw new IllegalArgumentException(buf.remaining() + " byte(s) follow the CID's multihash");
        }
        return new Cid(codec, multihash);
    }

    /**
     * @return the CID's binary form
     */
    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(multihash.length + 4);
        Varint.write(1, out);
        Varint.write(codec, out);
        out.write(multihash, 0, multihash.length);
        return out.toByteArray();
    }

    /**
     * @return the canonical text: multibase base32 ({@code b…})
     */
    public String toBase32() {
        return Multibase.encodeBase32(toBytes());
    }
}
