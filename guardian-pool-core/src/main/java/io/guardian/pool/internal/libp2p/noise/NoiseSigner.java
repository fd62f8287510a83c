package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.peer.PeerIdentity;

/**
 * The local libp2p identity as the handshake needs it: the {@code PublicKey} protobuf sent as
 * {@code identity_key} and a signer for {@code identity_sig}. Our own identity is always an
 * Ed25519 {@link PeerIdentity}; tests implement this with RSA and ECDSA keys to play the remote
 * peers those keys belong to. Not API.
 */
interface NoiseSigner {

    /** @return the libp2p {@code PublicKey} protobuf of this identity */
    byte[] publicKeyProtobuf();

    /**
     * @param data the bytes to sign
     * @return the signature libp2p defines for this key type
     */
    byte[] sign(byte[] data);

    /** @return the signer of an Ed25519 identity */
    static NoiseSigner of(PeerIdentity identity) {
        return new NoiseSigner() {
            @Override
            public byte[] publicKeyProtobuf() {
                return identity.publicKeyProtobuf();
            }

            @Override
            public byte[] sign(byte[] data) {
                return identity.sign(data);
            }
        };
    }
}
