package io.guardian.pool.net;

import java.nio.charset.StandardCharsets;

/**
 * What an inbound session speaks: one of the guardian-db handshake versions (PROTOCOL.md sections 2
 * and 3), or libp2p (docs/LIBP2P.md).
 */
public enum ProtocolVersion {
    /** {@code guardian-db/1.0}: the original, unauthenticated handshake. Proves nothing. */
    V1_0("guardian-db/1.0"),
    /** {@code guardian-db/1.1}: nonces and Ed25519 signatures over the transcript. The default. */
    V1_1("guardian-db/1.1"),
    /** libp2p over TCP: multistream-select, Noise XX and yamux. Not a guardian-db handshake: never on a HELLO. */
    LIBP2P("libp2p");

    private final String wireName;

    ProtocolVersion(String wireName) {
        this.wireName = wireName;
    }

    /**
     * The protocol string as sent on the wire.
     *
     * @return e.g. {@code guardian-db/1.1}
     */
    public String wireName() {
        return wireName;
    }

    /**
     * The protocol string's ASCII bytes (15 for both guardian-db versions).
     *
     * @return a fresh copy
     */
    public byte[] wireBytes() {
        return wireName.getBytes(StandardCharsets.US_ASCII);
    }
}
