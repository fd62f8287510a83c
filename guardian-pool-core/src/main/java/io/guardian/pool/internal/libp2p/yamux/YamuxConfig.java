package io.guardian.pool.internal.libp2p.yamux;

import java.time.Duration;
import java.util.Objects;

/**
 * Validated, immutable settings of one {@link YamuxSession}. Not API.
 *
 * <p>Defaults follow the libp2p implementations this stack must interoperate with (cited per
 * setting); {@link #defaults()} is what a session uses unless told otherwise.
 */
public final class YamuxConfig {

    /** The yamux spec's initial per-stream window, 256 KiB; both sides assume it until told more. */
    public static final int SPEC_INITIAL_WINDOW = YamuxFrames.INITIAL_WINDOW;
    /** Largest receive window accepted: go-yamux's {@code maxStreamWindow} (16 MiB). */
    public static final int MAX_RECEIVE_WINDOW = 16 * 1024 * 1024;
    /**
     * Largest Data payload we send: a 12-byte header plus this fits one Noise transport message
     * (65,519 bytes of plaintext, LIBP2P.md section 1), so no frame straddles two AEAD messages.
     */
    public static final int MAX_FRAME_DATA_LIMIT = 65_519 - YamuxFrames.HEADER_LENGTH;

    /** Default receive window: the spec's 256 KiB, so nothing is announced on open or accept. */
    public static final int DEFAULT_RECEIVE_WINDOW = SPEC_INITIAL_WINDOW;
    /** Default streams each way: js-libp2p-yamux's {@code maxInboundStreams}/{@code maxOutboundStreams} (1,000). */
    public static final int DEFAULT_MAX_STREAMS = 1_000;
    /** Default unacknowledged inbound SYNs: go-yamux's {@code AcceptBacklog} and the libp2p spec's SHOULD (256). */
    public static final int DEFAULT_ACCEPT_BACKLOG = 256;
    /**
     * Default Data payload per frame: rust-yamux's {@code DEFAULT_SPLIT_SEND_SIZE} (16 KiB). Frames
     * are the unit of round-robin between streams, so a smaller frame bounds how long one stream's
     * bulk transfer holds the wire before a waiting stream's frame goes out; the 12-byte header is
     * 0.07 % of it.
     */
    public static final int DEFAULT_MAX_FRAME_DATA = 16 * 1024;
    /** Default bytes a stream may queue beyond its send window: four spec windows. */
    public static final int DEFAULT_MAX_BUFFERED_OUTBOUND = 4 * SPEC_INITIAL_WINDOW;
    /** Default concurrent outstanding pings of our own (go-yamux keeps one; a few allow overlapping probes). */
    public static final int DEFAULT_MAX_OUTSTANDING_PINGS = 16;
    /**
     * Default control frames (Ping ACKs, RSTs of refused streams) a peer may make us write while the
     * channel is not writable before we stop reading from it: 1,024 frames are 12 KiB of outbound.
     */
    public static final int DEFAULT_MAX_UNWRITABLE_CONTROL_FRAMES = 1_024;

    /**
     * Default Pings of the remote's we answer per second once a burst of 32 (go-yamux's
     * {@code PingBacklog}) is spent; beyond it a Ping is dropped unanswered, as go-yamux drops a
     * reply it has no room for. go-yamux's keep-alive pings every 30 s, so 10 a second is far
     * above any honest use.
     */
    public static final int DEFAULT_PING_ANSWERS_PER_SECOND = 10;

    /**
     * Default longest time the channel may stay unwritable (the remote not reading) before the
     * session gives up with TIMED_OUT: go-yamux's {@code ConnectionWriteTimeout} (10 s).
     */
    public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(10);

    private final int receiveWindow;
    private final int maxStreams;
    private final int acceptBacklog;
    private final int maxFrameData;
    private final int maxBufferedOutbound;
    private final int maxOutstandingPings;
    private final int maxUnwritableControlFrames;
    private final int pingAnswersPerSecond;
    private final Duration writeTimeout;

    private YamuxConfig(Builder b) {
        this.writeTimeout = b.writeTimeout;
        this.receiveWindow = b.receiveWindow;
        this.maxStreams = b.maxStreams;
        this.acceptBacklog = b.acceptBacklog;
        this.maxFrameData = b.maxFrameData;
        this.maxBufferedOutbound = b.maxBufferedOutbound;
        this.maxOutstandingPings = b.maxOutstandingPings;
        this.maxUnwritableControlFrames = b.maxUnwritableControlFrames;
        this.pingAnswersPerSecond = b.pingAnswersPerSecond;
    }

    /** @return a config with every default */
    public static YamuxConfig defaults() {
        return builder().build();
    }

    /** @return a builder preset with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return bytes per stream the remote may send before we return credit; above 256 KiB it is announced on open/accept */
    public int receiveWindow() {
        return receiveWindow;
    }

    /** @return live streams allowed in each direction */
    public int maxStreams() {
        return maxStreams;
    }

    /** @return inbound streams seen (SYN) but not yet acknowledged beyond which new SYNs are reset */
    public int acceptBacklog() {
        return acceptBacklog;
    }

    /** @return the largest payload of one Data frame we send */
    public int maxFrameData() {
        return maxFrameData;
    }

    /** @return bytes one stream may hold queued (not yet sent) before further writes fail */
    public int maxBufferedOutbound() {
        return maxBufferedOutbound;
    }

    /** @return pings of our own that may be outstanding at once */
    public int maxOutstandingPings() {
        return maxOutstandingPings;
    }

    /** @return peer-triggered control frames written while unwritable before reading stops */
    public int maxUnwritableControlFrames() {
        return maxUnwritableControlFrames;
    }

    /** @return the remote's Pings answered per second after a burst of 32; the rest are dropped */
    public int pingAnswersPerSecond() {
        return pingAnswersPerSecond;
    }

    /** @return how long the channel may stay unwritable before the session fails with TIMED_OUT */
    public Duration writeTimeout() {
        return writeTimeout;
    }

    @Override
    public String toString() {
        return "YamuxConfig[receiveWindow=" + receiveWindow + ", maxStreams=" + maxStreams + ", acceptBacklog="
                + acceptBacklog + ", maxFrameData=" + maxFrameData + ", maxBufferedOutbound=" + maxBufferedOutbound
                + ", maxOutstandingPings=" + maxOutstandingPings + ", pingAnswersPerSecond=" + pingAnswersPerSecond
                + ", maxUnwritableControlFrames="
                + maxUnwritableControlFrames + ", writeTimeout=" + writeTimeout + "]";
    }

    /** Collects settings; {@link #build()} validates them and names the one out of range. */
    public static final class Builder {
        private int receiveWindow = DEFAULT_RECEIVE_WINDOW;
        private int maxStreams = DEFAULT_MAX_STREAMS;
        private int acceptBacklog = DEFAULT_ACCEPT_BACKLOG;
        private int maxFrameData = DEFAULT_MAX_FRAME_DATA;
        private int maxBufferedOutbound = DEFAULT_MAX_BUFFERED_OUTBOUND;
        private int maxOutstandingPings = DEFAULT_MAX_OUTSTANDING_PINGS;
        private int pingAnswersPerSecond = DEFAULT_PING_ANSWERS_PER_SECOND;
        private int maxUnwritableControlFrames = DEFAULT_MAX_UNWRITABLE_CONTROL_FRAMES;
        private Duration writeTimeout = DEFAULT_WRITE_TIMEOUT;

        private Builder() {
        }

        /** @param bytes per-stream receive window, 256 KiB to 16 MiB @return this */
        public Builder receiveWindow(int bytes) {
            this.receiveWindow = bytes;
            return this;
        }

        /** @param streams live streams each way, at least 1 @return this */
        public Builder maxStreams(int streams) {
            this.maxStreams = streams;
            return this;
        }

        /** @param streams unacknowledged inbound streams, at least 1 @return this */
        public Builder acceptBacklog(int streams) {
            this.acceptBacklog = streams;
            return this;
        }

        /** @param bytes Data payload per frame sent, 1,024 to 65,507 @return this */
        public Builder maxFrameData(int bytes) {
            this.maxFrameData = bytes;
            return this;
        }

        /** @param bytes queued bytes per stream, at least {@code maxFrameData} @return this */
        public Builder maxBufferedOutbound(int bytes) {
            this.maxBufferedOutbound = bytes;
            return this;
        }

        /**
         * @param perSecond the remote's Pings answered per second once a burst of 32 is spent, at
         *     least 1; the rest are dropped unanswered
         * @return this
         */
        public Builder pingAnswersPerSecond(int perSecond) {
            this.pingAnswersPerSecond = perSecond;
            return this;
        }

        /** @param pings outstanding pings of our own, 1 to 1,024 @return this */
        public Builder maxOutstandingPings(int pings) {
            this.maxOutstandingPings = pings;
            return this;
        }

        /** @param frames control frames written while unwritable before reading stops, at least 1 @return this */
        public Builder maxUnwritableControlFrames(int frames) {
            this.maxUnwritableControlFrames = frames;
            return this;
        }

        /** @param timeout how long the channel may stay unwritable, positive @return this */
        public Builder writeTimeout(Duration timeout) {
            this.writeTimeout = Objects.requireNonNull(timeout, "writeTimeout");
            return this;
        }

        /**
         * @return the validated config
         * @throws IllegalArgumentException naming the setting out of range
         */
        public YamuxConfig build() {
            check(receiveWindow >= SPEC_INITIAL_WINDOW && receiveWindow <= MAX_RECEIVE_WINDOW, "receiveWindow",
                    receiveWindow, SPEC_INITIAL_WINDOW + " to " + MAX_RECEIVE_WINDOW + " bytes");
            check(maxStreams >= 1, "maxStreams", maxStreams, "at least 1");
            check(acceptBacklog >= 1, "acceptBacklog", acceptBacklog, "at least 1");
            check(maxFrameData >= 1024 && maxFrameData <= MAX_FRAME_DATA_LIMIT, "maxFrameData", maxFrameData,
                    "1024 to " + MAX_FRAME_DATA_LIMIT + " bytes (one frame per Noise message)");
            check(maxBufferedOutbound >= maxFrameData, "maxBufferedOutbound", maxBufferedOutbound,
                    "at least maxFrameData (" + maxFrameData + ")");
            check(maxOutstandingPings >= 1 && maxOutstandingPings <= 1024, "maxOutstandingPings",
                    maxOutstandingPings, "1 to 1024");
            check(pingAnswersPerSecond >= 1, "pingAnswersPerSecond", pingAnswersPerSecond, "at least 1");
            check(maxUnwritableControlFrames >= 1, "maxUnwritableControlFrames", maxUnwritableControlFrames,
                    "at least 1");
            if (writeTimeout.isNegative() || writeTimeout.isZero()) {
                throw new IllegalArgumentException("yamux setting writeTimeout must be positive, was " + writeTimeout);
            }
            return new YamuxConfig(this);
        }

        private static void check(boolean ok, String name, int value, String range) {
            if (!ok) {
                throw new IllegalArgumentException("yamux setting " + name + " must be " + range + ", was " + value);
            }
        }
    }
}
