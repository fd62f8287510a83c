package io.guardian.pool.internal.transport;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How many of a peer's pings one connection answers: a token bucket holding {@value #BURST}
 * answers (or one second's worth, if the rate is higher), refilled at a configured rate. A ping beyond it is read and dropped unanswered, as
 * go-yamux drops a ping reply when its {@code PingBacklog} (32) replies are already queued
 * (session.go {@code handlePing}, "dropped ping reply"). An honest peer pings to measure the round
 * trip or keep a connection alive, every few seconds at most; a peer that pings a thousand times a
 * second only wants our CPU and our outbound buffer. Confined to the event loop. Not API.
 */
public final class PingAnswerBudget {

    /** Answers available at once after a quiet spell (at least): go-yamux's {@code PingBacklog}. */
    public static final int BURST = 32;

    private final long nanosPerAnswer;
    private final int burst;
    private final LongSupplier nanoTime;
    /** The instant at which the bucket would be full; answers spend {@link #nanosPerAnswer} of it. */
    private long fullAt;
    private long dropped;

    /** @param perSecond answers per second, once the burst is spent; at least 1 */
    public PingAnswerBudget(int perSecond) {
        this(perSecond, System::nanoTime);
    }

    PingAnswerBudget(int perSecond, LongSupplier nanoTime) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("ping answers per second must be at least 1, was " + perSecond);
        }
        this.nanosPerAnswer = TimeUnit.SECONDS.toNanos(1) / perSecond;
        this.burst = Math.max(BURST, perSecond);
        this.nanoTime = nanoTime;
        this.fullAt = nanoTime.getAsLong();
    }

    /** @return whether to answer this ping; {@code false} counts it as dropped */
    public boolean tryAnswer() {
        long now = nanoTime.getAsLong();
        // Answers owed beyond now, in time: up to BURST - 1 of them may be outstanding before this one.
        long base = fullAt - now > 0 ? fullAt : now;
        if (base - now > (burst - 1) * nanosPerAnswer) {
            dropped++;
            return false;
        }
        fullAt = base + nanosPerAnswer;
        return true;
    }

    /** @return pings dropped unanswered so far */
    public long dropped() {
        return dropped;
    }
}
