package io.guardian.pool.net;

import io.guardian.pool.InvalidSettingException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Handshake and framing settings shared by the dialer (the pool) and the listener. Immutable;
 * built with {@link #builder()} and validated in {@link Builder#build()}.
 *
 * @param version the handshake a dialer speaks; a dialer never falls back on its own
 * @param maxClockSkew how far a peer's handshake timestamp may be from our clock
 * @param acceptPlainHandshake whether a listener answers the unauthenticated 1.0 handshake
 * @param allowedPeers dialer PeerIds a listener accepts (1.1 only); empty means anyone
 * @param maxFrameSize largest frame payload in bytes, in either direction; at most
 *     {@link #MAX_FRAME_SIZE_LIMIT} (16 MiB)
 * @param handshakeTimeout on a listener, the deadline for a whole inbound handshake, counted from
 *     accept (guardian-db, or a libp2p dialer's multistream-select, Noise and yamux); on the dialing side, the
 *     deadline for each wait for the listener's next handshake message, the whole dial (connect
 *     plus handshake) staying bounded by the pool's {@code connection-timeout}
 * @param pingAnswersPerSecond PINGs a connection answers per second, in either role, after a
 *     burst of 32; beyond it a PING is dropped unanswered
 */
public record ProtocolConfig(
        ProtocolVersion version,
        Duration maxClockSkew,
        boolean acceptPlainHandshake,
        Set<PeerId> allowedPeers,
        int maxFrameSize,
        Duration handshakeTimeout,
        int pingAnswersPerSecond) {

    /** Default {@code max-clock-skew}: 300 s, as in the original (±5 minutes). */
    public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofSeconds(300);
    /** Default {@code max-frame-size}: 1 MiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 1 << 20;
    /**
     * Largest allowed {@code max-frame-size}: 16 MiB. Each side buffers a frame whole before it is
     * delivered, and a peer may send the header of a maximal frame and then stall, so this is what
     * one connection can make us hold per direction (about twice that in direct memory while a
     * frame is being accumulated). 16 MiB is four times go-libp2p's {@code network.MessageSizeMax}
     * (4 MiB, the bound its protocols put on one delimited message) and sixteen times our default;
     * data larger than this belongs in several messages, not one frame.
     */
    public static final int MAX_FRAME_SIZE_LIMIT = 16 << 20;
    /** Default {@code handshake-timeout}: 10 s, the same as the pool's connection timeout. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Default {@code ping-answers-per-second}: 10, after a burst of 32 (go-yamux's
     * {@code PingBacklog}). A pool's health check sends one PING per connection every 30 s and at
     * most 64 may be outstanding, so an honest peer never comes near it; a peer flooding PINGs gets
     * 10 PONGs a second instead of one per PING.
     */
    public static final int DEFAULT_PING_ANSWERS_PER_SECOND = 10;

    /** Validates and copies; use {@link #builder()} rather than calling this directly. */
    public ProtocolConfig {
        Objects.requireNonNull(version, "protocol version must not be null");
        requirePositive(maxClockSkew, "max-clock-skew");
        requirePositive(handshakeTimeout, "handshake-timeout");
        if (pingAnswersPerSecond < 1) {
            throw new InvalidSettingException("ping-answers-per-second", "ping-answers-per-second must be at least 1,"
                    + " was " + pingAnswersPerSecond);
        }
        allowedPeers = Set.copyOf(Objects.requireNonNull(allowedPeers, "allowed-peers must not be null"));
        if (maxFrameSize < 1 || maxFrameSize > MAX_FRAME_SIZE_LIMIT) {
            throw new InvalidSettingException("max-frame-size", "max-frame-size must be between 1 and "
                    + MAX_FRAME_SIZE_LIMIT + " bytes (16 MiB: every connection may make its peer buffer one whole"
                    + " frame; send larger data as several messages), was " + maxFrameSize);
        }
    }

    private static void requirePositive(Duration value, String setting) {
        Objects.requireNonNull(value, setting + " must not be null");
        if (value.isZero() || value.isNegative()) {
            throw new InvalidSettingException(setting, setting + " must be positive, was " + value);
        }
        if (value.compareTo(PoolConfig.LONGEST_DURATION) > 0) {
            throw new InvalidSettingException(setting, setting + " must be at most "
                    + PoolConfig.LONGEST_DURATION.toDays() + " days (use a long but finite value rather than "
                    + "\"forever\"), was " + value);
        }
    }

    /**
     * The defaults: 1.1, 300 s skew, no plain handshake, anyone allowed, 1 MiB frames, 10 s.
     *
     * @return the default configuration
     */
    public static ProtocolConfig defaults() {
        return builder().build();
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from this configuration's values.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder()
                .version(version)
                .maxClockSkew(maxClockSkew)
                .acceptPlainHandshake(acceptPlainHandshake)
                .allowedPeers(allowedPeers)
                .maxFrameSize(maxFrameSize)
                .handshakeTimeout(handshakeTimeout)
                .pingAnswersPerSecond(pingAnswersPerSecond);
    }

    /** Builds a {@link ProtocolConfig}; every setting starts at its default. */
    public static final class Builder {
        private ProtocolVersion version = ProtocolVersion.V1_1;
        private Duration maxClockSkew = DEFAULT_MAX_CLOCK_SKEW;
        private boolean acceptPlainHandshake;
        private Set<PeerId> allowedPeers = Set.of();
        private int maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private int pingAnswersPerSecond = DEFAULT_PING_ANSWERS_PER_SECOND;

        private Builder() {
        }

        /**
         * @param version the handshake to speak when dialing
         * @return this builder
         */
        public Builder version(ProtocolVersion version) {
            this.version = version;
            return this;
        }

        /**
         * @param maxClockSkew how far a peer's timestamp may be from our clock
         * @return this builder
         */
        public Builder maxClockSkew(Duration maxClockSkew) {
            this.maxClockSkew = maxClockSkew;
            return this;
        }

        /**
         * @param accept whether a listener answers guardian-db/1.0
         * @return this builder
         */
        public Builder acceptPlainHandshake(boolean accept) {
            this.acceptPlainHandshake = accept;
            return this;
        }

        /**
         * @param allowedPeers dialers a listener accepts; empty for anyone
         * @return this builder
         */
        public Builder allowedPeers(Set<PeerId> allowedPeers) {
            this.allowedPeers = allowedPeers;
            return this;
        }

        /**
         * @param maxFrameSize largest frame payload in bytes, 1 to {@link ProtocolConfig#MAX_FRAME_SIZE_LIMIT}
         *     (16 MiB)
         * @return this builder
         */
        public Builder maxFrameSize(int maxFrameSize) {
            this.maxFrameSize = maxFrameSize;
            return this;
        }

        /**
         * @param handshakeTimeout a listener's deadline for a whole inbound handshake, and a
         *     dialer's for each wait for the listener's next handshake message (see the record's
         *     {@code handshakeTimeout})
         * @return this builder
         */
        public Builder handshakeTimeout(Duration handshakeTimeout) {
            this.handshakeTimeout = handshakeTimeout;
            return this;
        }

        /**
         * @param perSecond PINGs a connection answers per second once its burst of 32 is spent, at
         *     least 1 (default {@value ProtocolConfig#DEFAULT_PING_ANSWERS_PER_SECOND}); beyond it
         *     PINGs are dropped unanswered, so a flooding peer costs neither memory nor a PONG each
         * @return this builder
         */
        public Builder pingAnswersPerSecond(int perSecond) {
            this.pingAnswersPerSecond = perSecond;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the setting that is out of range
         */
        public ProtocolConfig build() {
            return new ProtocolConfig(version, maxClockSkew, acceptPlainHandshake, allowedPeers, maxFrameSize,
                    handshakeTimeout, pingAnswersPerSecond);
        }
    }
}
