package io.guardian.pool.internal.transport;

import io.guardian.pool.ConnectionClosedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Outstanding PINGs of one connection and their deadlines. Confined to the channel's event loop
 * (callers hop onto it), so it needs no locking. Not API.
 *
 * <p>A PONG that matches no outstanding PING is ignored, not treated as a protocol error: a PONG
 * arriving just after its PING timed out looks exactly like an unsolicited one, and closing a
 * healthy connection for being late would turn loss into failure.
 */
final class PingTracker {

    /** More outstanding PINGs than this on one connection means the caller is not waiting for them. */
    static final int MAX_OUTSTANDING = 64;

    private final Channel channel;
    private final Supplier<String> describe;
    private final Map<Long, Pending> outstanding = new HashMap<>();

    private record Pending(CompletableFuture<Long> result, long sentAt, ScheduledFuture<?> timer) {
    }

    PingTracker(Channel channel, Supplier<String> describe) {
        this.channel = channel;
        this.describe = describe;
    }

    /** Sends a PING with fresh random bytes; must run on the event loop. */
    void start(CompletableFuture<Long> result, Duration timeout) {
        if (!channel.isActive()) {
            result.completeExceptionally(new ConnectionClosedException("cannot ping " + describe.get()
                    + ": the connection is closed"));
            return;
        }
        if (outstanding.size() >= MAX_OUTSTANDING) {
            result.completeExceptionally(new IllegalStateException(MAX_OUTSTANDING
                    + " PINGs already outstanding on " + describe.get() + "; wait for them before sending more"));
            return;
        }
        long payload;
        do {
            // Opaque to the peer; unique among our outstanding PINGs is all that matters.
            payload = ThreadLocalRandom.current().nextLong();
        } while (outstanding.containsKey(payload));
        long key = payload;
        ScheduledFuture<?> timer = channel.eventLoop().schedule(() -> {
            Pending gone = outstanding.remove(key);
            if (gone != null) {
                gone.result.completeExceptionally(new ConnectionTimeoutException("no PONG from " + describe.get()
                        + " within " + timeout.toMillis() + " ms"));
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        outstanding.put(key, new Pending(result, System.nanoTime(), timer));
        channel.writeAndFlush(Frame.encodePing(channel.alloc(), Frame.PING, payload), channel.voidPromise());
    }

    /** Completes the PING this PONG answers; must run on the event loop. */
    void onPong(long payload) {
        long now = System.nanoTime();
        Pending pending = outstanding.remove(payload);
        if (pending != null) {
            pending.timer.cancel(false);
            pending.result.complete(now - pending.sentAt);
        }
    }

    /** Fails every outstanding PING; must run on the event loop. */
    void failAll(String reason) {
        if (outstanding.isEmpty()) {
            return;
        }
        List<Pending> pending = new ArrayList<>(outstanding.values());
        outstanding.clear();
        for (Pending p : pending) {
            p.timer.cancel(false);
            p.result.completeExceptionally(new ConnectionClosedException("connection to " + describe.get()
                    + " closed before the PONG arrived: " + reason));
        }
    }
}
