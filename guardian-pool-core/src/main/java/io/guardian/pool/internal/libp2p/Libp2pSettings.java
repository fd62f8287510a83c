package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.libp2p.yamux.YamuxConfig;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.Objects;

/**
 * How one side of the libp2p stack behaves, shared by the dialer and the listener. Not API.
 *
 * @param identity our key pair; Noise proves it to the remote
 * @param agentVersion what identify tells remotes about us
 * @param yamux stream limits and windows
 * @param handshakeTimeout bound on the whole upgrade: multistream, Noise, muxer agreement
 * @param writeTimeout how long a blocking write waits for the remote's window before the stream is reset
 * @param selectTimeout how long an inbound stream may take to agree on a protocol before it is reset
 * @param identifyTimeout how long we wait for the remote's identify answer
 * @param maxMessageSize the largest message a {@code MessageHandler} protocol reads
 * @param streamIdleTimeout how long a {@code MessageHandler} stream may stay silent before it is reset
 */
public record Libp2pSettings(
        PeerIdentity identity,
        String agentVersion,
        YamuxConfig yamux,
        Duration handshakeTimeout,
        Duration writeTimeout,
        Duration selectTimeout,
        Duration identifyTimeout,
        int maxMessageSize,
        Duration streamIdleTimeout) {

    /** The agent version we announce: the library and its version. */
    public static final String AGENT = "guardian-pool/" + version();
    /** identify's protocolVersion field, as go-, rust- and js-libp2p send it. */
    public static final String PROTOCOL_VERSION = "ipfs/0.1.0";
    /** Default largest message of a message-handler protocol: 4 MiB, a pooled request's usual ceiling. */
    public static final int DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024;

    /** Checks presence and ranges. */
    public Libp2pSettings {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(agentVersion, "agentVersion");
        Objects.requireNonNull(yamux, "yamux");
        positive(handshakeTimeout, "handshake-timeout");
        positive(writeTimeout, "write-timeout");
        positive(selectTimeout, "select-timeout");
        positive(identifyTimeout, "identify-timeout");
        positive(streamIdleTimeout, "stream-idle-timeout");
        if (maxMessageSize < 1) {
            throw new IllegalArgumentException("max-message-size must be at least 1, was " + maxMessageSize);
        }
    }

    /**
     * The defaults: 10 s handshake, write, select and identify bounds (go-yamux's write timeout is
     * 10 s too), 4 MiB messages, streams idle for 120 s reset (js-libp2p's stream inactivity).
     *
     * @param identity our key pair
     * @return settings with the defaults
     */
    public static Libp2pSettings defaults(PeerIdentity identity) {
        Duration ten = Duration.ofSeconds(10);
        return new Libp2pSettings(identity, AGENT, YamuxConfig.defaults(), ten, ten, ten, ten, DEFAULT_MAX_MESSAGE,
                Duration.ofSeconds(120));
    }

    /** @return a copy with another handshake timeout */
    public Libp2pSettings withHandshakeTimeout(Duration timeout) {
        return new Libp2pSettings(identity, agentVersion, yamux, timeout, writeTimeout, selectTimeout, identifyTimeout,
                maxMessageSize, streamIdleTimeout);
    }

    /** @return a copy with other yamux settings */
    public Libp2pSettings withYamux(YamuxConfig config) {
        return new Libp2pSettings(identity, agentVersion, config, handshakeTimeout, writeTimeout, selectTimeout,
                identifyTimeout, maxMessageSize, streamIdleTimeout);
    }

    private static void positive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
    }

    private static String version() {
        String v = Libp2pSettings.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
