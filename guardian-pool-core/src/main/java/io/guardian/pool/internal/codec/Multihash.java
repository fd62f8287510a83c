package io.guardian.pool.internal.codec;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Multihash: {@code varint code || varint digest length || digest}. Self-delimiting, which is
 * why PeerIds travel in the handshake without a length prefix. Not API.
 */
public final class Multihash {

    /** The identity "hash": the digest is the input itself (small public keys inline in PeerIds). */
    public static final long IDENTITY = 0x00;
    /** SHA2-256, 32-byte digest. */
    public static final long SHA2_256 = 0x12;

    private Multihash() {
    }

    /**
     * @param code the hash function code
     * @param digest the digest
     * @return the multihash bytes
     */
    public static byte[] encode(long code, byte[] digest) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(digest.length + 4);
        Varint.write(code, out);
        Varint.write(digest.length, out);
        out.write(digest, 0, digest.length);
        return out.toByteArray();
    }

    /**
     * @param data the input
     * @return the sha2-256 multihash of {@code data}
     */
    public static byte[] sha256(byte[] data) {
        try {
            return encode(SHA2_256, MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }

    /**
     * Reads one multihash at the buffer's position and advances past it.
     *
     * @param buf the input
     * @return a copy of the whole multihash (code, length and digest)
     * @throws IllegalArgumentException if a varint is malformed or the digest is cut short
     */
    public static byte[] read(ByteBuffer buf) {
        int start = buf.position();
        Varint.read(buf);
        int length = Varint.readInt(buf, "multihash digest length");
        if (length > buf.remaining()) {
            throw new IllegalArgumentException("multihash declares a " + length + "-byte digest but only "
                    + buf.remaining() + " byte(s) follow");
        }
        buf.position(buf.position() + length);
        byte[] out = new byte[buf.position() - start];
        buf.get(start, out);
        return out;
    }

    /**
     * Checks that {@code bytes} is exactly one well-formed multihash.
     *
     * @param bytes the candidate
     * @throws IllegalArgumentException saying what is wrong
     */
    public static void validate(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        read(buf);
        if (buf.hasRemaining()) {
            throw new IllegalArgumentException(buf.remaining() + " byte(s) follow the multihash digest");
        }
    }

    /**
     * @param multihash a multihash that passed {@link #validate}
     * @return its hash function code
     */
    public static long code(byte[] multihash) {
        return Varint.read(ByteBuffer.wrap(multihash));
    }

    /**
     * @param multihash a multihash that passed {@link #validate}
     * @return a copy of its digest
     */
    public static byte[] digest(byte[] multihash) {
        ByteBuffer buf = ByteBuffer.wrap(multihash);
        Varint.read(buf);
        byte[] digest = new byte[Varint.readInt(buf, "multihash digest length")];
        buf.get(digest);
        return digest;
    }
}
