package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.peer.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * This side's static Noise key bound to its libp2p identity: an X25519 key pair and
 * {@code identity_sig = Sign(identity, "noise-libp2p-static-key:" || static public key)}. Not API.
 *
 * <p>libp2p allows the static key to outlive one handshake (noise/README.md, "Distinct Noise and
 * Identity Keys"); one per identity and process saves a key generation and an Ed25519 signature
 * per handshake. The cache holds identities weakly, so a dropped identity takes its
 * static key with it.
 *
 * @param privateKey the raw X25519 private key
 * @param publicKey its raw X25519 public key, kept so no handshake computes it again (one X25519
 *     scalar multiplication per handshake side)
 * @param identityKey the libp2p {@code PublicKey} protobuf
 * @param signature the identity signature over the static public key
 */
record LocalStatic(byte[] privateKey, byte[] publicKey, byte[] identityKey, byte[] signature) {

    /** The prefix libp2p signs in front of the static key. */
    static final byte[] SIGNATURE_PREFIX = "noise-libp2p-static-key:".getBytes(StandardCharsets.US_ASCII);

    private static final Map<PeerIdentity, LocalStatic> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * @return the cached static key of this identity, created (on the calling thread: it signs)
     *     on first use
     */
    static LocalStatic of(PeerIdentity identity) {
        LocalStatic cached = CACHE.get(identity);
        if (cached == null) {
            cached = create(NoiseSigner.of(identity), X25519.generatePrivate());
            // Two threads may race here; either key is valid, the first one stored wins.
            LocalStatic raced = CACHE.putIfAbsent(identity, cached);
            cached = raced == null ? cached : raced;
        }
        return cached;
    }

    /** @return a static key for any signer, with the given X25519 private key */
    static LocalStatic create(NoiseSigner signer, byte[] privateKey) {
        byte[] publicKey = X25519.publicOf(privateKey);
        return new LocalStatic(privateKey, publicKey, signer.publicKeyProtobuf(), signer.sign(signedData(publicKey)));
    }

    /** @return {@code "noise-libp2p-static-key:" || staticPublic} */
    static byte[] signedData(byte[] staticPublic) {
        byte[] data = new byte[SIGNATURE_PREFIX.length + staticPublic.length];
        System.arraycopy(SIGNATURE_PREFIX, 0, data, 0, SIGNATURE_PREFIX.length);
        System.arraycopy(staticPublic, 0, data, SIGNATURE_PREFIX.length, staticPublic.length);
        return data;
    }
}
