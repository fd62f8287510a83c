package io.guardian.pool.internal.pool;

import io.guardian.pool.PoolConfig;

/**
 * The one rule for "may this connection be lent out (again)?", used by the acquire path, by
 * release, and by the housekeeping pass. Not API. A connection is reused when it is not failed,
 * its socket is open, no DATA waits unread in it, it has been idle less than {@code idle-timeout},
 * and it is younger than {@code max-lifetime} (ARCHITECTURE, "Reuse").
 *
 * <p>A verdict also says how the connection ends: {@link Verdict#DEAD} (found broken, counted as a
 * failure) or {@link Verdict#EXPIRED} (closed by choice). The reason, for the Disconnected event,
 * is recorded on the connection ({@link PooledConn#closeReason}), once.
 */
final class ReuseRule {

    /** What the rule decided. */
    enum Verdict {
        /** Lend it out. */
        REUSE,
        /** Too old or idle too long: close it by choice. */
        EXPIRED,
        /** Failed, closed, or the peer broke request/reply: close it as a failure. */
        DEAD
    }

    private final long idleTimeoutNanos;
    private final long maxLifetimeNanos;
    private final PoolConfig config;

    ReuseRule(PoolConfig config) {
        this.config = config;
        this.idleTimeoutNanos = config.idleTimeout().toNanos();
        this.maxLifetimeNanos = config.maxLifetime().toNanos();
    }

    /**
     * Judges an idle connection (slot lock held). Sets {@link PooledConn#closeReason} and
     * {@link PooledConn#closedAsFailure} when it may not be reused.
     *
     * @param c the idle connection
     * @param now the pool clock's reading
     * @return the verdict
     */
    Verdict idle(PooledConn c, long now) {
        if (c.failed) {
            return dead(c, "failed earlier");
        }
        if (!c.transport.isOpen()) {
            String r = c.transport.closeReason();
            return dead(c, "socket closed" + (r != null ? " (" + r + ")" : ""));
        }
        if (!c.transport.reusable()) {
            // Open but DATA is queued: nobody asked while it sat idle, so the peer broke
            // request/reply; do not trust it again.
            return dead(c, "peer sent DATA while the connection was idle");
        }
        long idleFor = now - c.lastUsedNanos;
        if (idleFor >= idleTimeoutNanos) {
            return expired(c, "idle for " + idleFor / 1_000_000L + " ms (idle-timeout " + config.idleTimeout() + ")");
        }
        if (tooOld(c, now)) {
            return expired(c, lifetimeReason(c, now));
        }
        return Verdict.REUSE;
    }

    /**
     * Judges a connection whose lease is ending (slot lock held): it goes back to the pool only if
     * the holder reported no failure, nothing marked it for retirement, no DATA waits unread (a
     * reply the holder never took would be the next holder's "reply"), and it is not too old.
     *
     * @param c the connection
     * @param holderFailure what the holder reported with {@code markFailed}, or {@code null}
     * @param now the pool clock's reading
     * @return whether it may be pooled again
     */
    boolean atRelease(PooledConn c, Throwable holderFailure, long now) {
        return holderFailure == null && !c.failed && !c.retireOnRelease && c.transport.reusable() && !tooOld(c, now);
    }

    /**
     * Why a connection is not pooled again at release, for the Disconnected event (a reason set
     * earlier on the connection wins over this one).
     */
    String releaseReason(PooledConn c, Throwable failure, long now, boolean poolClosed) {
        if (failure != null) {
            return "marked failed by its holder: " + failure;
        }
        if (c.failed || !c.transport.isOpen()) {
            String r = c.transport.closeReason();
            return "failed during its lease" + (r != null ? " (" + r + ")" : "");
        }
        if (poolClosed) {
            return "pool closed";
        }
        if (c.retireOnRelease) {
            return c.closeReason != null ? c.closeReason : "evicted";
        }
        if (!c.transport.reusable()) {
            return "DATA left unread at release; it would reach the next holder";
        }
        return lifetimeReason(c, now);
    }

    /** Whether it reached {@code max-lifetime} (never, when that is zero). */
    boolean tooOld(PooledConn c, long now) {
        return maxLifetimeNanos > 0 && now - c.createdNanos >= maxLifetimeNanos;
    }

    /** Why a connection past {@code max-lifetime} is retired. */
    String lifetimeReason(PooledConn c, long now) {
        return "open for " + (now - c.createdNanos) / 1_000_000L + " ms (max-lifetime " + config.maxLifetime() + ")";
    }

    /** @return whether a lifetime is set at all (leased connections are then checked by the pass) */
    boolean hasLifetime() {
        return maxLifetimeNanos > 0;
    }

    private static Verdict dead(PooledConn c, String reason) {
        c.closedAsFailure = true;
        c.closeReason = reason;
        return Verdict.DEAD;
    }

    private static Verdict expired(PooledConn c, String reason) {
        c.closeReason = reason;
        return Verdict.EXPIRED;
    }
}
