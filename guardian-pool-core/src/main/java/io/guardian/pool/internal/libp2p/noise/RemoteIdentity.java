package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;

/**
 * Checks the remote's handshake payload (libp2p/specs noise/README.md, "Static Key
 * Authentication"): decode {@code identity_key}, verify {@code identity_sig} over
 * {@code "noise-libp2p-static-key:" || remote static key}, derive the PeerId. Not API.
 */
final class RemoteIdentity {

    private static final long RSA = 0;
    private static final long ED25519 = 1;
    private static final long SECP256K1 = 2;
    private static final long ECDSA = 3;

    /**
     * What a verified payload proves.
     *
     * @param peerId the remote's PeerId, derived from its key
     * @param identityKey its libp2p {@code PublicKey} protobuf, as received
     * @param muxers the muxers it offered (empty: no list)
     */
    record Verified(PeerId peerId, byte[] identityKey, java.util.List<String> muxers) {
    }

    private RemoteIdentity() {
    }

    /**
     * @param payload the decrypted payload of message 2 (initiator) or 3 (responder)
     * @param remoteStatic the remote's static X25519 key from the same message
     * @return the verified identity
     * @throws TransportException {@link Kind#PROTOCOL_VIOLATION} for a malformed payload or key;
     *     {@link Kind#UNSUPPORTED_KEY} for a key type libp2p does not define;
     *     {@link Kind#BAD_SIGNATURE} if the signature does not verify or the key is unusable
     */
    static Verified verify(byte[] payload, byte[] remoteStatic) {
        NoisePayload decoded = NoisePayload.decode(payload);
        byte[] key = decoded.identityKey();
        if (key.length == 0) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, "the Noise handshake payload has no identity_key");
        }
        long type;
        PeerId peerId;
        try {
            type = NoisePayload.varintField(key, 1);
            peerId = type > ECDSA ? null : PeerId.fromPublicKey(key);
        } catch (IllegalArgumentException e) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, "the Noise identity_key is not a libp2p PublicKey: "
                    + e.getMessage());
        }
        if (type < 0 || peerId == null) {
            throw new TransportException(Kind.UNSUPPORTED_KEY, "the peer's identity key has type " + type
                    + ", which libp2p does not define (0 RSA, 1 Ed25519, 2 secp256k1, 3 ECDSA)");
        }
        if (!PeerIdentity.verify(key, LocalStatic.signedData(remoteStatic), decoded.identitySig())) {
            String hint = type == ED25519 ? " (or its Ed25519 key is of small order or non-canonical)"
                    : type == RSA ? " (or its RSA key is outside 2048 to 8192 bits)"
                    : type == SECP256K1 ? " (or its secp256k1 key is not a point on the curve)" : "";
            throw new TransportException(Kind.BAD_SIGNATURE, "peer " + peerId + "'s Noise identity_sig does not verify"
                    + " over its static key" + hint);
        }
        return new Verified(peerId, key, decoded.muxers());
    }
}
