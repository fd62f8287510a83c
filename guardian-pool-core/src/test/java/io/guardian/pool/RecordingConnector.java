package io.guardian.pool;

import io.guardian.pool.internal.pool.PoolClock;
import io.guardian.pool.internal.transport.Connector;
import io.guardian.pool.internal.transport.FramedConnection;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Wraps the real dialer and records when the pool dialed (on the pool clock) and how often it settled. */
final class RecordingConnector implements Connector {

    private final Connector delegate;
    private final PoolClock clock;
    final List<Long> attemptTimes = new CopyOnWriteArrayList<>();
    final AtomicInteger settled = new AtomicInteger();

    RecordingConnector(Connector delegate, PoolClock clock) {
        this.delegate = delegate;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<FramedConnection> connect(PeerId peer, Multiaddr address, Duration timeout) {
        attemptTimes.add(clock.nanoTime());
        CompletableFuture<FramedConnection> f = delegate.connect(peer, address, timeout);
        // Counted after the pool's own callback ran, so "settled" means the pool has reacted.
        CompletableFuture<FramedConnection> seen = new CompletableFuture<>();
        f.whenComplete((c, e) -> {
            if (e != null) {
                seen.completeExceptionally(e);
            } else {
                seen.complete(c);
            }
            settled.incrementAndGet();
        });
        return seen;
    }

    @Override
    public void close() {
        delegate.close();
    }
}
