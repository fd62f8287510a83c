package io.guardian.pool.internal.libp2p.yamux;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The live streams of one session and the counts its limits are checked against. The map and the
 * inbound counts are confined to the event loop; the outbound count is atomic because
 * {@link YamuxSession#openStream()} reserves a slot from any thread before hopping. Not API.
 */
final class StreamTable {

    private final Map<Integer, YamuxStream> streams = new HashMap<>();
    private final AtomicInteger outbound = new AtomicInteger();
    private int inbound;
    /** Inbound streams whose ACK has not been written yet: the accept backlog. */
    private int unacked;
    private volatile int size;

    /** Reserves a slot for an outbound stream. @return {@code false} at {@code max} */
    boolean reserveOutbound(int max) {
        if (outbound.incrementAndGet() > max) {
            outbound.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Gives back a slot reserved for an outbound stream that never got registered. */
    void releaseOutbound() {
        outbound.decrementAndGet();
    }

    /** Registers a stream (outbound: its slot was reserved; inbound: it enters the accept backlog). */
    void add(YamuxStream stream) {
        streams.put(stream.id(), stream);
        if (!stream.outbound()) {
            inbound++;
            unacked++;
        }
        size = streams.size();
    }

    YamuxStream get(int id) {
        return streams.get(id);
    }

    /** Forgets a stream that is closed both ways or reset; {@code wasAckPending} leaves the backlog too. */
    void remove(YamuxStream stream, boolean wasAckPending) {
        if (wasAckPending) {
            unacked--;
        }
        if (streams.remove(stream.id(), stream)) {
            if (stream.outbound()) {
                outbound.decrementAndGet();
            } else {
                inbound--;
            }
            size = streams.size();
        }
    }

    /** An inbound stream's ACK went out: it leaves the accept backlog. */
    void ackSent() {
        unacked--;
    }

    int inbound() {
        return inbound;
    }

    int unacked() {
        return unacked;
    }

    /** @return live streams both ways, readable from any thread */
    int size() {
        return size;
    }

    /** @return a snapshot, safe to iterate while streams remove themselves */
    List<YamuxStream> snapshot() {
        return new ArrayList<>(streams.values());
    }
}
