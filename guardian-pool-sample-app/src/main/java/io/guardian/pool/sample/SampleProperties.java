package io.guardian.pool.sample;

import java.time.Duration;
import java.util.Objects;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the sample itself (not of the pool, which lives under {@code guardian.pool}): how
 * many demo peers to run and where, and how busy the demo workload is. Validated on binding so a
 * typo fails the start-up with the name of the setting instead of a confusing runtime error.
 *
 * @param peers the embedded demo peers
 * @param workload the background traffic through the pool
 * @param requestTimeout how long a request (the workload's or {@code POST /api/peers/{id}/send})
 *     waits for a demo peer's reply before it counts as failed
 */
@ConfigurationProperties("guardian.sample")
public record SampleProperties(
        @DefaultValue Peers peers,
        @DefaultValue Workload workload,
        @DefaultValue("2s") Duration requestTimeout) {

    /** Largest number of demo peers: each holds a listener, its handler threads and sockets. */
    public static final int MAX_PEERS = 64;

    /**
     * Checks every value, naming the property to change.
     *
     * @throws IllegalArgumentException when a value is out of range
     */
    public SampleProperties {
        Objects.requireNonNull(peers, "guardian.sample.peers must not be null");
        Objects.requireNonNull(workload, "guardian.sample.workload must not be null");
        requirePositive(requestTimeout, "guardian.sample.request-timeout");
    }

    /**
     * The embedded demo peers: real {@code PeerListener}s on 127.0.0.1, each with its own
     * generated identity, answering libp2p (the pool's default transport) and the authenticated
     * guardian-db/1.1 handshake on the same port.
     *
     * @param count how many to run (1 to {@value SampleProperties#MAX_PEERS})
     * @param basePort first TCP port, the others following one by one; 0 lets the OS pick a free
     *     port for each at start-up (a stopped peer always comes back on the port it had)
     */
    public record Peers(@DefaultValue("5") int count, @DefaultValue("0") int basePort) {

        /**
         * Checks the count and the port range.
         *
         * @throws IllegalArgumentException when the count or the ports are out of range
         */
        public Peers {
            if (count < 1 || count > MAX_PEERS) {
                throw new IllegalArgumentException("guardian.sample.peers.count must be between 1 and " + MAX_PEERS
                        + ", was " + count);
            }
            if (basePort < 0 || (basePort > 0 && basePort + count - 1 > 65_535)) {
                throw new IllegalArgumentException("guardian.sample.peers.base-port must be 0 (any free port) or a "
                        + "port such that base-port + count - 1 <= 65535, was " + basePort + " with count " + count);
            }
        }

        /**
         * The port peer number {@code index} (from 0) binds at its first start.
         *
         * @param index the peer's index
         * @return the configured port, or 0 for any free port
         */
        public int portOf(int index) {
            return basePort == 0 ? 0 : basePort + index;
        }
    }

    /**
     * The demo workload: a few request/response exchanges per second through the pool, so the
     * dashboard and the metrics have something real to show.
     *
     * @param enabled {@code false} to leave the pool idle (the REST calls still work)
     * @param interval pause between two rounds; each round makes one exchange through
     *     {@code acquireAny} over all demo peers and one through {@code acquire} with the next peer
     *     in turn
     */
    public record Workload(@DefaultValue("true") boolean enabled, @DefaultValue("500ms") Duration interval) {

        /**
         * Checks the interval.
         *
         * @throws IllegalArgumentException when the interval is not positive
         */
        public Workload {
            requirePositive(interval, "guardian.sample.workload.interval");
        }
    }

    private static void requirePositive(Duration value, String property) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(property + " must be a positive duration (like 500ms or 2s), was "
                    + value);
        }
    }
}
