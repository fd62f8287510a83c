package io.guardian.pool.peer;

import io.guardian.pool.internal.codec.Base58;
import io.guardian.pool.internal.codec.Cid;
import io.guardian.pool.internal.codec.Multihash;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * A libp2p peer identity: the multihash of the peer's public key. Immutable, with value equality
 * on the binary form, so it can key hash maps (the hash code is computed once).
 *
 * <p>Two binary forms exist, both accepted: keys whose {@code PublicKey} protobuf is at most 42
 * bytes (Ed25519, Secp256k1) are inlined as an identity multihash, so the key can be recovered
 * from the id (base58 {@code 12D3KooW…}, {@code 16Uiu2…}); larger keys (RSA, ECDSA) are hashed
 * with sha2-256 ({@code Qm…}). Only the first kind lets a peer prove who it is in the
 * {@code guardian-db/1.1} handshake without sending more than its id.
 *
 * <p>Text forms, following the libp2p peer-id spec: a string starting with {@code 1} or
 * {@code Qm} is a base58btc multihash; anything else is a multibase CIDv1 with the
 * {@code libp2p-key} codec ({@code bafz…} in base32, {@code k…} in base36, and the other common
 * multibases). {@link #toString()} is the base58 form, which every libp2p tool accepts.
 *
 * <p>Accepted multihashes are stricter than go-libp2p (which takes any well-formed multihash)
 * and match rust-libp2p: identity with a 1..42-byte digest, or sha2-256 with its 32-byte digest.
 */
public final class PeerId {

    /** Largest public key protobuf that libp2p inlines with the identity multihash. */
    static final int MAX_INLINE_KEY_LENGTH = 42;

    /** Longer text cannot be a PeerId in any encoding; refusing early bounds the decoding work. */
    private static final int MAX_TEXT_LENGTH = 256;
    private static final int SHA2_256_DIGEST_LENGTH = 32;

    private final byte[] bytes;
    private final int hash;
    /** The inlined PublicKey protobuf when this is an identity multihash holding one, else null. */
    private final byte[] publicKey;
    private final boolean ed25519;
    /** Cached text; racy single-check is safe because String is immutable. */
    private String base58;

    private PeerId(byte[] multihash) {
        this.bytes = multihash;
        this.hash = Arrays.hashCode(multihash);
        byte[] key = null;
        boolean isEd25519 = false;
        if (Multihash.code(multihash) == Multihash.IDENTITY) {
            byte[] digest = Multihash.digest(multihash);
            try {
                KeyProtobuf.Key decoded = KeyProtobuf.decode(digest, "public key");
                key = digest;
                isEd25519 = decoded.type() == KeyProtobuf.ED25519 && decoded.data().length == 32;
            } catch (IllegalArgumentException e) {
                // An identity PeerId whose digest is not a key protobuf is still a valid id; it
                // just cannot authenticate anyone.
                key = null;
            }
        }
        this.publicKey = key;
        this.ed25519 = isEd25519;
    }

    /**
     * Parses any libp2p text form of a PeerId.
     *
     * @param text base58btc ({@code 12D3KooW…}, {@code Qm…}) or a libp2p-key CIDv1
     *     ({@code bafz…}, {@code k…})
     * @return the PeerId
     * @throws IllegalArgumentException saying what is wrong: bad character, wrong CID codec,
     *     malformed or unsupported multihash
     */
    public static PeerId parse(String text) {
        Objects.requireNonNull(text, "PeerId text must not be null");
        try {
            return new PeerId(multihashFromText(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid PeerId \"" + abbreviate(text) + "\": " + e.getMessage(), e);
        }
    }

    /**
     * Wraps a binary PeerId (a multihash), as found in a {@code /p2p/} multiaddr component or a
     * handshake.
     *
     * @param multihash the bytes; copied
     * @return the PeerId
     * @throws IllegalArgumentException if the bytes are not exactly one supported multihash
     */
    public static PeerId fromBytes(byte[] multihash) {
        Objects.requireNonNull(multihash, "PeerId bytes must not be null");
        try {
            return new PeerId(validated(multihash.clone()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid PeerId bytes " + hexAbbreviated(multihash) + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Reads a binary PeerId that starts at the buffer's position, as in a handshake message where
     * the PeerId is followed by other fields, and advances the position past it. The multihash
     * is self-delimiting (varint code, varint length, digest), so no length prefix is needed.
     *
     * @param buf the input; on failure its position is unspecified
     * @return the PeerId
     * @throws IllegalArgumentException if the buffer ends inside the multihash or it is not a
     *     supported PeerId multihash
     */
    public static PeerId readFrom(ByteBuffer buf) {
        Objects.requireNonNull(buf, "buffer must not be null");
        try {
            return new PeerId(validated(Multihash.read(buf)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid PeerId in input: " + e.getMessage(), e);
        }
    }

    /**
     * Derives the PeerId of a public key, by the libp2p rule: the identity multihash of the
     * {@code PublicKey} protobuf when it is at most 42 bytes, else its sha2-256 multihash.
     *
     * @param publicKeyProtobuf a libp2p {@code PublicKey} protobuf of any key type; it is
     *     re-encoded in the deterministic form before hashing, as go-libp2p does
     * @return the PeerId
     * @throws IllegalArgumentException if the protobuf is malformed or an Ed25519 key is not 32
     *     bytes
     */
    public static PeerId fromPublicKey(byte[] publicKeyProtobuf) {
        Objects.requireNonNull(publicKeyProtobuf, "public key must not be null");
        KeyProtobuf.Key key = KeyProtobuf.decode(publicKeyProtobuf, "public key");
        if (key.type() == KeyProtobuf.ED25519 && key.data().length != 32) {
            throw new IllegalArgumentException("An Ed25519 public key is 32 bytes, this one has "
                    + key.data().length);
        }
        byte[] canonical = KeyProtobuf.encode(key.type(), key.data());
        byte[] multihash = canonical.length <= MAX_INLINE_KEY_LENGTH
                ? Multihash.encode(Multihash.IDENTITY, canonical)
                : Multihash.sha256(canonical);
        return new PeerId(multihash);
    }

    /** For {@link Multiaddr}'s {@code /p2p/} values: errors carry only the reason. */
    static PeerId ofMultihash(byte[] multihash) {
        return new PeerId(validated(multihash.clone()));
    }

    /**
     * The parsing shared with {@link Multiaddr}'s {@code /p2p/} values: errors carry only the
     * reason, the caller adds context.
     */
    static byte[] multihashFromText(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty text");
        }
        if (text.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException(text.length() + " characters is longer than any PeerId ("
                    + MAX_TEXT_LENGTH + ")");
        }
        if (text.startsWith("1") || text.startsWith("Qm")) {
            return validated(Base58.decode(text));
        }
        Cid cid;
        try {
            cid = Cid.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not base58btc (which starts with 1 or Qm) and not a CID: "
                    + e.getMessage(), e);
        }
        if (cid.codec() != Cid.LIBP2P_KEY) {
            throw new IllegalArgumentException("CID codec 0x" + Long.toHexString(cid.codec())
                    + " is not libp2p-key (0x72)");
        }
        return validated(cid.multihash());
    }

    private static byte[] validated(byte[] multihash) {
        Multihash.validate(multihash);
        long code = Multihash.code(multihash);
        int digestLength = Multihash.digest(multihash).length;
        if (code == Multihash.IDENTITY) {
            if (digestLength == 0 || digestLength > MAX_INLINE_KEY_LENGTH) {
                throw new IllegalArgumentException("identity multihash digest must be 1 to " + MAX_INLINE_KEY_LENGTH
                        + " bytes (larger keys are hashed with sha2-256), got " + digestLength);
            }
        } else if (code == Multihash.SHA2_256) {
            if (digestLength != SHA2_256_DIGEST_LENGTH) {
                throw new IllegalArgumentException("sha2-256 multihash digest must be 32 bytes, got " + digestLength);
            }
        } else {
            throw new IllegalArgumentException("multihash code 0x" + Long.toHexString(code)
                    + " is not a PeerId hash (identity 0x00 or sha2-256 0x12)");
        }
        return multihash;
    }

    /**
     * @return a copy of the binary form (the multihash), as written in handshakes and
     *     {@code /p2p/} components
     */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /**
     * @return the base58btc text, the form every libp2p implementation prints and accepts
     */
    public String toBase58() {
        String s = base58;
        if (s == null) {
            s = Base58.encode(bytes);
            base58 = s;
        }
        return s;
    }

    /**
     * @return the CIDv1 text with codec {@code libp2p-key} in multibase base32 ({@code bafz…}),
     *     the case-insensitive form used in DNS labels and URLs
     */
    public String toCid() {
        return new Cid(Cid.LIBP2P_KEY, bytes).toBase32();
    }

    /**
     * The public key carried inside the id, for identity-multihash PeerIds. Hashed PeerIds
     * ({@code Qm…}) do not carry their key, so a peer with one must send the key separately.
     *
     * @return a copy of the libp2p {@code PublicKey} protobuf, or empty if the id is a hash or
     *     its digest is not a key protobuf
     */
    public Optional<byte[]> publicKeyProtobuf() {
        return publicKey == null ? Optional.empty() : Optional.of(publicKey.clone());
    }

    /**
     * @return whether the id inlines a 32-byte Ed25519 public key: the only kind of PeerId that
     *     can be authenticated by the {@code guardian-db/1.1} handshake
     */
    public boolean isEd25519() {
        return ed25519;
    }

    /** Equal when the binary forms are equal, whatever text the ids were parsed from. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof PeerId && hash == ((PeerId) o).hash && Arrays.equals(bytes, ((PeerId) o).bytes);
    }

    /** Computed once at construction: PeerIds key the pool's maps on hot paths. */
    @Override
    public int hashCode() {
        return hash;
    }

    /** The base58btc form, so that {@code PeerId.parse(id.toString())} round-trips. */
    @Override
    public String toString() {
        return toBase58();
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    private static String hexAbbreviated(byte[] bytes) {
        String hex = HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 48));
        return bytes.length <= 48 ? hex : hex + "... (" + bytes.length + " bytes)";
    }
}
