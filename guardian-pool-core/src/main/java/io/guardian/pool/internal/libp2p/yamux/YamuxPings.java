package io.guardian.pool.internal.libp2p.yamux;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Our outstanding yamux pings and their deadlines. Confined to the event loop. Not API.
 *
 * <p>An ACK that matches no outstanding ping is ignored (as go-yamux does, session.go
 * {@code handlePing}): one arriving just after its ping timed out looks exactly like an unsolicited
 * one, and closing a healthy session for lateness would turn delay into failure. (js-libp2p-yamux
 * treats it as an error; nothing requires that.)
 */
final class YamuxPings {

    private record Pending(CompletableFuture<Long> result, long sentAt, ScheduledFuture<?> timer) {
    }

    private final int max;
    private final Map<Long, Pending> outstanding = new HashMap<>();
    /** Fresh opaque values: a random start, then counting, so none repeats among outstanding pings. */
    private long next = ThreadLocalRandom.current().nextLong() & YamuxFrames.U32_MAX;

    YamuxPings(int max) {
        this.max = max;
    }

    /**
     * Registers a ping and hands its opaque value to {@code send}, or fails {@code result} when too
     * many are outstanding.
     */
    void start(EventExecutor loop, CompletableFuture<Long> result, Duration timeout, LongConsumer send) {
        if (outstanding.size() >= max) {
            result.completeExceptionally(new TransportException(Kind.LIMIT_EXCEEDED, max
                    + " yamux pings already outstanding (maxOutstandingPings); wait for them before sending more"));
            return;
        }
        long opaque;
        do {
            opaque = next;
            next = (next + 1) & YamuxFrames.U32_MAX;
        } while (outstanding.containsKey(opaque));
        long key = opaque;
        ScheduledFuture<?> timer = loop.schedule(() -> {
            Pending gone = outstanding.remove(key);
            if (gone != null) {
                gone.result.completeExceptionally(new TransportException(Kind.TIMED_OUT,
                        "no yamux ping ACK within " + timeout.toMillis() + " ms"));
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        outstanding.put(key, new Pending(result, System.nanoTime(), timer));
        send.accept(key);
    }

    /** Completes the ping this ACK answers with its round-trip time in nanoseconds. */
    void onAck(long opaque) {
        long now = System.nanoTime();
        Pending pending = outstanding.remove(opaque);
        if (pending != null) {
            pending.timer.cancel(false);
            pending.result.complete(now - pending.sentAt);
        }
    }

    /** Fails every outstanding ping. */
    void failAll(TransportException cause) {
        List<Pending> all = new ArrayList<>(outstanding.values());
        outstanding.clear();
        for (Pending p : all) {
            p.timer.cancel(false);
            p.result.completeExceptionally(cause);
        }
    }
}
