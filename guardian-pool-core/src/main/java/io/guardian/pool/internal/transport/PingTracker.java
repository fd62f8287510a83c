package io.guardian.pool.internal.transport;

import io.guardian.pool.internal.transport.TransportException.Kind;
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
 *
 * <p>A PING fails with a {@link TransportException}: {@link Kind#TIMED_OUT} when no PONG comes in
 * time, the kind of the close when the connection closes first (or was closed already), and
 * {@link Kind#LIMIT_EXCEEDED} when {@value #MAX_OUTSTANDING} PINGs are outstanding already.
 */
final class PingTracker {

    /** More outstanding PINGs than this on one connection means the caller is not waiting for them. */
    static final int MAX_OUTSTANDING = 64;

    private final Channel channel;
    private final Supplier<String> describe;
    private final Supplier<Kind> closedBy;
    private final Map<Long, Pending> outstanding = new HashMap<>();

    private record Pending(CompletableFuture<Long> result, long sentAt, ScheduledFuture<?> timer) {
    }

    /**
     * @param channel the connection's channel
     * @param describe names the peer and address, for messages
     * @param closedBy what closed the connection, for a PING asked of a closed one
     */
    PingTracker(Channel channel, Supplier<String> describe, Supplier<Kind> closedBy) {
        this.channel = channel;
        this.describe = describe;
        this.closedBy = closedBy;
    }

    /** Sends a PING with fresh random bytes; must run on the event loop. */
    void start(CompletableFuture<Long> result, Duration timeout) {
        if (!channel.isActive()) {
            result.completeExceptionally(new TransportException(closedBy.get(), "cannot ping "
                    + describe.get() + ": the connection is closed"));
            return;
        }
        if (outstanding.size() >= MAX_OUTSTANDING) {
            result.completeExceptionally(new TransportException(Kind.LIMIT_EXCEEDED, MAX_OUTSTANDING
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
                gone.result.completeExceptionally(new TransportException(Kind.TIMED_OUT, "no PONG from "
                        + describe.get() + " within " + timeout.toMillis() + " ms"));
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

    /**
     * Fails every outstanding PING; must run on the event loop.
     *
     * @param kind what closed the connection
     * @param reason why, for the message
     */
    void failAll(Kind kind, String reason) {
        if (outstanding.isEmpty()) {
            return;
        }
        List<Pending> pending = new ArrayList<>(outstanding.values());
        outstanding.clear();
        for (Pending p : pending) {
            p.timer.cancel(false);
            p.result.completeExceptionally(new TransportException(kind, "connection to " + describe.get()
                    + " closed before the PONG arrived: " + reason));
        }
    }
}
