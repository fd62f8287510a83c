package io.guardian.pool.internal.libp2p;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The streams of one connection that ended a lease clean and wait, open and negotiated, for the
 * next lease of the same protocol ({@code reusable-stream-protocols}). Not API.
 *
 * <p>A parked stream saves the next lease the yamux SYN, the multistream proposal, the remote's
 * accept of a new stream and the FIN of both sides. It is only ever handed out clean: a stream
 * the remote writes to, half-closes or resets while parked is dropped by a watch on the event
 * loop, and {@link #take} checks again, so one whose news raced the watch is dropped there.
 *
 * <p>Bounds: parked and lent streams together stay within the stream limit (a new stream first
 * closes the oldest parked ones of other protocols), and none stays parked longer than
 * {@code maxIdleNanos}: a remote that resets silent streams (ours and js-libp2p's after 120 s)
 * would otherwise race the next lease's request, which then fails instead of going out on a fresh
 * stream. The connection's close drops them all.
 *
 * <p>Thread-safe: leases park and take from their threads, the watch and the sweep run on the
 * event loop; all state is guarded by this object, and no stream I/O happens under it.
 */
final class IdleStreams {

    private final int streamLimit;
    private final long maxIdleNanos;
    /** Whether the connection takes new streams: none is parked on one that is going away. */
    private final BooleanSupplier connectionUsable;
    /** Parked streams, oldest first: taken from the newest end, evicted and expired from the oldest. */
    private final ArrayDeque<StreamMessages> parked = new ArrayDeque<>();
    /** Streams lent to leases and not yet ended (the parked ones not included). */
    private int lent;
    private boolean sweepArmed;
    private boolean closed;

    /**
     * @param streamLimit how many streams the pool lends at once on the connection: parked plus lent stay within it
     * @param maxIdleNanos how long a stream may stay parked before it is closed
     * @param connectionUsable whether the connection still takes new streams
     */
    IdleStreams(int streamLimit, long maxIdleNanos, BooleanSupplier connectionUsable) {
        this.streamLimit = streamLimit;
        this.maxIdleNanos = maxIdleNanos;
        this.connectionUsable = connectionUsable;
    }

    /**
     * Takes the newest clean parked stream of {@code protocol} for a lease, closing the expired or
     * dirty ones met on the way; or, with none, makes room for a new stream within the limit.
     *
     * @return the stream, now counted as lent; {@code null} if the caller opens a new one (counted as lent too)
     */
    StreamMessages take(String protocol, boolean reusable) {
        StreamMessages found = null;
        ArrayDeque<StreamMessages> drop = null;
        long now = System.nanoTime();
        synchronized (this) {
            StreamMessages newest = parked.peekLast();
            if (reusable && newest != null && newest.sameProtocol(protocol)
                    && now - newest.parkedAtNanos() < maxIdleNanos && newest.cleanForReuse()) {
                // The usual case, one protocol per connection: no scan.
                found = parked.pollLast();
                found.unwatch();
            } else if (reusable && newest != null) {
                Iterator<StreamMessages> it = parked.descendingIterator();
                while (it.hasNext()) {
                    StreamMessages s = it.next();
                    if (!s.sameProtocol(protocol)) {
                        continue;
                    }
                    it.remove();
                    s.unwatch();
                    if (now - s.parkedAtNanos() < maxIdleNanos && s.cleanForReuse()) {
                        found = s;
                        break;
                    }
                    drop = add(drop, s);
                }
            }
            if (found == null) {
                // A new stream: the oldest parked ones make room for it, so the connection never
                // carries more of our streams than the limit the remote was promised.
                while (!parked.isEmpty() && lent + parked.size() >= streamLimit) {
                    StreamMessages s = parked.pollFirst();
                    s.unwatch();
                    drop = add(drop, s);
                }
            }
            lent++;
        }
        closeAll(drop);
        if (found != null) {
            found.reopen();
        }
        return found;
    }

    /**
     * Parks a stream whose lease ended clean (its owner checked it is); refused when the
     * connection closed or takes no new streams. Either way the stream no longer counts as lent.
     *
     * @return whether it was parked; if not, the caller closes it
     */
    boolean park(StreamMessages s) {
        boolean armSweep = false;
        boolean usable = connectionUsable.getAsBoolean();
        synchronized (this) {
            lent--;
            if (closed || !usable || lent + parked.size() >= streamLimit) {
                return false;
            }
            s.parkedAt(System.nanoTime());
            parked.addLast(s);
            s.watch(); // set under the lock: a news arriving from now on finds the stream parked
            if (!sweepArmed) {
                sweepArmed = true;
                armSweep = true;
            }
        }
        if (armSweep) {
            s.stream().onLoopAfter(this::sweep, maxIdleNanos);
        }
        return true;
    }

    /** A lent stream ended without being parked: it no longer counts against the limit. */
    synchronized void returned() {
        lent--;
    }

    /**
     * On the event loop, after a parked stream got data, a FIN or a reset: it leaves the pool of
     * idle streams (if it is still there) and is ended.
     */
    void onNews(StreamMessages s) {
        if (s.quiet()) {
            // Not news: the reply that ended the last lease, whose arrival the loop reports only
            // after its reader took it (and may have parked the stream already).
            return;
        }
        synchronized (this) {
            if (!parked.remove(s)) {
                return; // taken meanwhile: the take checked it, or the lease now owns the news
            }
            s.unwatch();
        }
        s.discard();
    }

    /** On the event loop: closes the streams parked too long, and re-arms while any remain. */
    private void sweep() {
        ArrayDeque<StreamMessages> drop = null;
        long next = -1;
        StreamMessages any = null;
        synchronized (this) {
            long now = System.nanoTime();
            StreamMessages s;
            while ((s = parked.peekFirst()) != null && now - s.parkedAtNanos() >= maxIdleNanos) {
                parked.pollFirst();
                s.unwatch();
                drop = add(drop, s);
            }
            if (s == null || closed) {
                sweepArmed = false;
            } else {
                next = maxIdleNanos - (now - s.parkedAtNanos());
                any = s;
            }
        }
        closeAll(drop);
        if (any != null) {
            any.stream().onLoopAfter(this::sweep, Math.max(TimeUnit.MILLISECONDS.toNanos(1), next));
        }
    }

    /** The connection closed: every parked stream is dropped, and none is parked from now on. */
    void close() {
        ArrayDeque<StreamMessages> drop;
        synchronized (this) {
            closed = true;
            drop = new ArrayDeque<>(parked);
            parked.clear();
            for (StreamMessages s : drop) {
                s.unwatch();
            }
        }
        closeAll(drop);
    }

    /** @return how many streams are parked now */
    synchronized int parkedCount() {
        return parked.size();
    }

    /** @return how many streams are lent to leases now */
    synchronized int lentCount() {
        return lent;
    }

    private static ArrayDeque<StreamMessages> add(ArrayDeque<StreamMessages> drop, StreamMessages s) {
        ArrayDeque<StreamMessages> d = drop == null ? new ArrayDeque<>() : drop;
        d.add(s);
        return d;
    }

    private static void closeAll(ArrayDeque<StreamMessages> drop) {
        if (drop != null) {
            for (StreamMessages s : drop) {
                s.discard();
            }
        }
    }
}
