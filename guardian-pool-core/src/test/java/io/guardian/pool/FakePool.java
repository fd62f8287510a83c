package io.guardian.pool;

import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.internal.pool.FakeClock;
import io.guardian.pool.internal.pool.FakeConnector;
import io.guardian.pool.internal.pool.ManualScheduler;
import io.guardian.pool.internal.pool.PoolEngine;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.DoubleSupplier;
import org.awaitility.Awaitility;

/**
 * A pool over an in-memory connector, a stepped clock and a manual scheduler, for tests of the
 * engine's decisions (time, retries, breaker timing) that do not need sockets.
 */
final class FakePool implements AutoCloseable {

    private static final List<PeerId> PEERS = new ArrayList<>();

    final FakeClock clock = new FakeClock();
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final FakeConnector connector = new FakeConnector(clock);
    final OptimizedConnectionPool pool;
    final List<ConnectionEvent> events = new CopyOnWriteArrayList<>();

    FakePool(PoolConfig config) {
        this(config, () -> 0.5);
    }

    FakePool(PoolConfig config, DoubleSupplier random) {
        PoolEngine engine = PoolEngine.builder(config)
                .localPeer(peer(999))
                .connector(connector)
                .clock(clock)
                .scheduler(scheduler)
                .random(random)
                .build();
        pool = new OptimizedConnectionPool(engine);
        pool.subscribeEvents(events::add);
    }

    /** A stable peer id per index, so tests can name peers by number. */
    static synchronized PeerId peer(int i) {
        while (PEERS.size() <= i) {
            PEERS.add(PeerIdentity.generate().peerId());
        }
        return PEERS.get(i);
    }

    static Multiaddr addr(int i) {
        return Multiaddr.parse("/ip4/127.0.0.1/tcp/" + (20000 + i) + "/p2p/" + peer(i));
    }

    PeerConnection acquire(int i) {
        return pool.acquire(peer(i), addr(i));
    }

    /** Waits until the dispatcher delivered an event matching the type, and returns all of that type. */
    <T extends ConnectionEvent> List<T> awaitEvents(Class<T> type, int atLeast) {
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ofType(type).size() >= atLeast);
        return ofType(type);
    }

    <T extends ConnectionEvent> List<T> ofType(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (ConnectionEvent e : events) {
            if (type.isInstance(e)) {
                out.add(type.cast(e));
            }
        }
        return out;
    }

    @Override
    public void close() {
        pool.close();
    }
}
