package io.guardian.pool.internal.pool;

import io.guardian.pool.internal.transport.Connector;
import io.guardian.pool.internal.transport.FramedConnection;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/** A connector for engine tests: per peer, connect succeeds, fails, or waits for the test. */
public final class FakeConnector implements Connector {

    /** One connect call. */
    public record Attempt(PeerId peer, Multiaddr address, long atNanos) {
    }

    private final PoolClock clock;
    private final Map<PeerId, Supplier<? extends Throwable>> failures = new ConcurrentHashMap<>();
    private final Map<PeerId, Duration> rtts = new ConcurrentHashMap<>();
    private final Map<PeerId, Boolean> held = new ConcurrentHashMap<>();
    private final List<CompletableFuture<FramedConnection>> pending = new CopyOnWriteArrayList<>();
    private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
    private final List<FakeConnection> connections = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public FakeConnector(PoolClock clock) {
        this.clock = clock;
    }

    @Override
    public CompletableFuture<FramedConnection> connect(PeerId peer, Multiaddr address, Duration timeout) {
        attempts.add(new Attempt(peer, address, clock.nanoTime()));
        Supplier<? extends Throwable> failure = failures.get(peer);
        if (failure != null) {
            return CompletableFuture.failedFuture(failure.get());
        }
        if (held.getOrDefault(peer, false)) {
            CompletableFuture<FramedConnection> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }
        return CompletableFuture.completedFuture(newConnection(peer, address));
    }

    /** A connection as this connector would make it, for completing held connects. */
    public FakeConnection newConnection(PeerId peer, Multiaddr address) {
        FakeConnection c = new FakeConnection(peer, address, rtts.getOrDefault(peer, Duration.ofMillis(1)).toNanos());
        connections.add(c);
        return c;
    }

    public void failWith(PeerId peer, Supplier<? extends Throwable> failure) {
        failures.put(peer, failure);
    }

    public void succeed(PeerId peer) {
        failures.remove(peer);
        held.remove(peer);
    }

    public void hold(PeerId peer) {
        held.put(peer, true);
    }

    public void handshakeRtt(PeerId peer, Duration rtt) {
        rtts.put(peer, rtt);
    }

    public List<CompletableFuture<FramedConnection>> pending() {
        return new ArrayList<>(pending);
    }

    public List<Attempt> attempts() {
        return new ArrayList<>(attempts);
    }

    public List<FakeConnection> connections() {
        return new ArrayList<>(connections);
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        for (FakeConnection c : connections) {
            c.close("connector closed");
        }
    }
}
