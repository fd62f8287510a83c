package io.guardian.pool.internal.libp2p.noise;

/**
 * What one computed step of {@link NoiseHandshakeHandler} hands back to the event loop: a
 * message to send, a failure, or the outcome with the transport ciphers. Immutable; built on the
 * crypto executor and read on the event loop after the hand-off. Not API.
 */
final class HandshakeStep {
    final byte[] out;
    final io.guardian.pool.internal.transport.TransportException failure;
    final NoiseSecured secured;
    final CipherState[] ciphers;

    private HandshakeStep(byte[] out, io.guardian.pool.internal.transport.TransportException failure,
            NoiseSecured secured, CipherState[] ciphers) {
        this.out = out;
        this.failure = failure;
        this.secured = secured;
        this.ciphers = ciphers;
    }

    static HandshakeStep send(byte[] out) {
        return new HandshakeStep(out, null, null, null);
    }

    static HandshakeStep done(byte[] out, NoiseSecured secured, CipherState[] ciphers) {
        return new HandshakeStep(out, null, secured, ciphers);
    }

    static HandshakeStep failed(io.guardian.pool.internal.transport.TransportException failure) {
        return new HandshakeStep(null, failure, null, null);
    }
}
