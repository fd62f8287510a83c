package io.guardian.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * The connection manager's settings ({@code guardian.pool.connection-manager.*}): soft limits on
 * top of the pool's hard ones, as libp2p users know them from go-libp2p's {@code connmgr}.
 *
 * <p>When more than {@code high-watermark} connections are open, the pool closes the least valuable
 * ones until {@code low-watermark} are left: connections carrying no lease first, least recently
 * used first; never a connection of a protected peer ({@code protect(peer, tag)}), never one
 * younger than {@code grace-period}, never one with a lease on it. A high watermark of 0 turns the
 * manager off: only {@code max-total-connections} and the idle rules bound the pool.
 *
 * @param lowWatermark connections to trim down to, at least 0 and below the high watermark
 * @param highWatermark connections above which trimming starts; 0 is off (the default). go-libp2p's
 *     default host uses 160 and 192; it must be at most {@code max-total-connections}
 * @param gracePeriod how long a new connection is safe from trimming (go-libp2p: 1 minute)
 */
public record ConnectionManagerConfig(int lowWatermark, int highWatermark, Duration gracePeriod) {

    /** Default grace period: go-libp2p's, one minute. */
    public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofMinutes(1);

    /** The manager off: the default. */
    public static final ConnectionManagerConfig OFF = new ConnectionManagerConfig(0, 0, DEFAULT_GRACE_PERIOD);

    /** Validates: names the setting and what to change. */
    public ConnectionManagerConfig {
        if (lowWatermark < 0) {
            throw new InvalidSettingException("connection-manager.low-watermark",
                    "connection-manager.low-watermark must be >= 0, was " + lowWatermark);
        }
        if (highWatermark < 0) {
            throw new InvalidSettingException("connection-manager.high-watermark",
                    "connection-manager.high-watermark must be >= 0 (0 turns the manager off), was " + highWatermark);
        }
        if (highWatermark > 0 && lowWatermark >= highWatermark) {
            throw new InvalidSettingException("connection-manager.low-watermark", "connection-manager.low-watermark ("
                    + lowWatermark + ") must be below connection-manager.high-watermark (" + highWatermark + ")");
        }
        Objects.requireNonNull(gracePeriod, "connection-manager.grace-period must not be null");
        if (gracePeriod.isNegative() || gracePeriod.compareTo(PoolConfig.LONGEST_DURATION) > 0) {
            throw new InvalidSettingException("connection-manager.grace-period", "connection-manager.grace-period "
                    + "must be between 0 and " + PoolConfig.LONGEST_DURATION.toDays() + " days, was " + gracePeriod);
        }
    }

    /** @return whether trimming is on (a high watermark above 0) */
    public boolean enabled() {
        return highWatermark > 0;
    }
}
