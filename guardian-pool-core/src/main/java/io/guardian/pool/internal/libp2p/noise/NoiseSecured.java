package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.peer.PeerId;

/**
 * The outcome of a successful Noise handshake. Not API.
 *
 * @param remotePeer the remote's PeerId, derived from the key that signed its static Noise key
 * @param remotePublicKey the remote's libp2p {@code PublicKey} protobuf, as it sent it; callers
 *     must not modify it
 * @param muxer the stream muxer agreed inside the handshake (the first of the initiator's list
 *     that the responder also offered), or {@code null} when either side sent no list: the caller
 *     then negotiates a muxer with multistream-select inside the secure channel
 * @param rttNanos the round trip of the handshake message we sent that awaited the remote's
 *     answer (message 1 to 2 for the initiator, 2 to 3 for the responder), the remote's Noise work
 *     included, as guardian-db's handshake round trip includes its signature; 0 if not measured
 */
public record NoiseSecured(PeerId remotePeer, byte[] remotePublicKey, String muxer, long rttNanos) {
}
