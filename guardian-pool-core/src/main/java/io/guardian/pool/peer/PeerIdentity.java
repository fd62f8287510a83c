package io.guardian.pool.peer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * This node's libp2p identity: an Ed25519 key pair and the PeerId derived from it. The private
 * key never leaves the object except through {@link #privateKeyProtobuf()} (for storage) and
 * {@link #toString()} shows only the PeerId, so an identity can be logged safely.
 *
 * <p>Key files hold the raw libp2p {@code PrivateKey} protobuf, the format go-libp2p and kubo use,
 * so a key can move between this library and those tools. Thread-safe and immutable.
 */
public final class PeerIdentity {

    private final byte[] seed;
    private final byte[] publicKey;
    private final byte[] publicKeyProtobuf;
    private final PeerId peerId;

    /** @param seed the 32-byte Ed25519 seed, kept (the caller hands it over) */
    private PeerIdentity(byte[] seed) {
        this.seed = seed;
        this.publicKey = Ed25519.publicKeyOf(seed);
        this.publicKeyProtobuf = KeyProtobuf.encode(KeyProtobuf.ED25519, publicKey);
        this.peerId = PeerId.fromPublicKey(publicKeyProtobuf);
    }

    /**
     * @return a new random identity (from the JDK's default {@code SecureRandom})
     */
    public static PeerIdentity generate() {
        return new PeerIdentity(Ed25519.generateSeed());
    }

    /**
     * Reads a libp2p {@code PrivateKey} protobuf holding an Ed25519 key. Its Data may be the
     * 64-byte {@code seed || public key} that go-libp2p writes, the bare 32-byte seed, or the
     * legacy 96-byte form with the public key twice; the public half, where present, must match
     * the seed.
     *
     * @param privateKeyProtobuf the protobuf bytes
     * @return the identity
     * @throws IllegalArgumentException if the bytes are not a well-formed Ed25519 private key
     */
    public static PeerIdentity fromProtobuf(byte[] privateKeyProtobuf) {
        Objects.requireNonNull(privateKeyProtobuf, "private key must not be null");
        KeyProtobuf.Key key = KeyProtobuf.decode(privateKeyProtobuf, "private key");
        byte[] data = key.data();
        try {
            if (key.type() != KeyProtobuf.ED25519) {
                throw new IllegalArgumentException("only Ed25519 identities are supported, this is a "
                        + KeyProtobuf.typeName(key.type()) + " key; create an Ed25519 one with PeerIdentity.generate()");
            }
            int n = Ed25519.KEY_LENGTH;
            if (data.length != n && data.length != 2 * n && data.length != 3 * n) {
                throw new IllegalArgumentException("an Ed25519 private key holds 32 bytes (seed), 64 (seed and public"
                        + " key) or 96 (legacy), this one holds " + data.length);
            }
            PeerIdentity identity = new PeerIdentity(Arrays.copyOf(data, n));
            for (int from = n; from < data.length; from += n) {
                if (!Arrays.equals(data, from, from + n, identity.publicKey, 0, n)) {
                    throw new IllegalArgumentException("the public key stored with this Ed25519 private key does not"
                            + " match its seed; the key is corrupt");
                }
            }
            return identity;
        } finally {
            Arrays.fill(data, (byte) 0);
        }
    }

    /**
     * Loads a key file written by {@link #save} (or by go-libp2p/kubo tooling).
     *
     * @param file the key file
     * @return the identity
     * @throws java.io.UncheckedIOException if the file is missing, a directory or unreadable, or
     *     (where the file system has POSIX permissions) readable or writable by group or others;
     *     the message names the path and what to do ({@code chmod 600} for the latter)
     * @throws IllegalArgumentException if the file is empty, too large or not an Ed25519 key
     */
    public static PeerIdentity load(Path file) {
        Objects.requireNonNull(file, "key file must not be null");
        byte[] bytes = KeyFiles.read(file);
        if (bytes.length == 0) {
            throw new IllegalArgumentException("Identity key file " + file.toAbsolutePath() + " is empty; it should"
                    + " hold a libp2p PrivateKey protobuf (write one with PeerIdentity.generate().save(path))");
        }
        try {
            return fromProtobuf(bytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Identity key file " + file.toAbsolutePath() + " is not a libp2p"
                    + " Ed25519 private key: " + e.getMessage() + textHint(bytes)
                    + ". It must hold the raw PrivateKey protobuf bytes, as go-libp2p and kubo write them", e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /**
     * Writes the key file atomically with owner-only permissions (mode 0600, set when the
     * temporary file is created, on file systems with POSIX permissions), replacing an existing
     * file. The directory must exist.
     *
     * @param file where to write
     * @throws java.io.UncheckedIOException naming the file and the cause if it cannot be written
     */
    public void save(Path file) {
        Objects.requireNonNull(file, "key file must not be null");
        byte[] protobuf = privateKeyProtobuf();
        try {
            KeyFiles.writeAtomically(file, protobuf);
        } finally {
            Arrays.fill(protobuf, (byte) 0);
        }
    }

    /**
     * @return this node's PeerId (an identity multihash, {@code 12D3KooW…})
     */
    public PeerId peerId() {
        return peerId;
    }

    /**
     * @return a copy of the libp2p {@code PublicKey} protobuf ({@code 08 01 12 20 || key}, 36
     *     bytes), as sent in the {@code guardian-db/1.1} handshake
     */
    public byte[] publicKeyProtobuf() {
        return publicKeyProtobuf.clone();
    }

    /**
     * The secret, for storage: the libp2p {@code PrivateKey} protobuf with Data =
     * {@code seed || public key} (64 bytes), as go-libp2p marshals it. Handle with care and
     * clear the array after use.
     *
     * @return a new array holding the private key protobuf
     */
    public byte[] privateKeyProtobuf() {
        byte[] data = Arrays.copyOf(seed, 2 * Ed25519.KEY_LENGTH);
        System.arraycopy(publicKey, 0, data, Ed25519.KEY_LENGTH, Ed25519.KEY_LENGTH);
        try {
            return KeyProtobuf.encode(KeyProtobuf.ED25519, data);
        } finally {
            Arrays.fill(data, (byte) 0);
        }
    }

    /**
     * Signs with Ed25519 (deterministic: the same data always gives the same signature).
     *
     * @param data the message, e.g. a handshake transcript
     * @return the 64-byte signature
     */
    public byte[] sign(byte[] data) {
        Objects.requireNonNull(data, "data must not be null");
        return Ed25519.sign(seed, publicKey, data);
    }

    /**
     * Verifies a peer's signature. Everything here comes from the network, so anything malformed
     * is a failed verification rather than an exception.
     *
     * <p>Key types, as libp2p signs with them: Ed25519 (raw signature over the raw bytes; keys
     * of small order and non-canonical keys or signatures fail), RSA ({@code SHA256withRSA},
     * PKCS#1 v1.5, key in PKIX DER, 2,048 to 8,192 bits as go-libp2p requires), ECDSA
     * ({@code SHA256withECDSA}, DER signature, key in PKIX DER) and secp256k1 (ECDSA over the
     * SHA-256 of the data, strict DER signature, key a SEC 1 point of 33 or 65 bytes on the curve,
     * as Ethereum's consensus clients and other secp256k1 peers sign).
     *
     * @param publicKeyProtobuf the signer's libp2p {@code PublicKey} protobuf
     * @param data the signed message
     * @param signature the signature
     * @return true only for a well-formed key of a supported type and a valid signature over
     *     {@code data}
     */
    public static boolean verify(byte[] publicKeyProtobuf, byte[] data, byte[] signature) {
        Objects.requireNonNull(publicKeyProtobuf, "public key must not be null");
        Objects.requireNonNull(data, "data must not be null");
        Objects.requireNonNull(signature, "signature must not be null");
        KeyProtobuf.Key key;
        try {
            key = KeyProtobuf.decode(publicKeyProtobuf, "public key");
        } catch (IllegalArgumentException e) {
            return false;
        }
        switch (key.type()) {
            case KeyProtobuf.ED25519:
                return Ed25519.verify(key.data(), data, signature);
            case KeyProtobuf.RSA:
                return PkixSignatures.verifyRsa(key.data(), data, signature);
            case KeyProtobuf.ECDSA:
                return PkixSignatures.verifyEcdsa(key.data(), data, signature);
            case KeyProtobuf.SECP256K1:
                return Secp256k1.verify(key.data(), data, signature);
            default:
                return false;
        }
    }

    /** Shows the PeerId only, never key material. */
    @Override
    public String toString() {
        return "PeerIdentity[" + peerId + "]";
    }

    /**
     * A common mistake is a base64, hex or PEM text file instead of the raw bytes; say so, without
     * quoting any of the content (it may be the secret).
     */
    private static String textHint(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0x09 || b > 0x7E || (b > 0x0D && b < 0x20)) {
                return "";
            }
        }
        return " (the file is plain text: decode base64, hex or PEM to the raw bytes first)";
    }
}
