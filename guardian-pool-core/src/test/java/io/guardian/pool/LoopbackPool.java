package io.guardian.pool;

import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.internal.pool.FakeClock;
import io.guardian.pool.internal.pool.ManualScheduler;
import io.guardian.pool.internal.libp2p.Libp2pConnector;
import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.internal.pool.PoolEngine;
import io.guardian.pool.internal.pool.PoolEngineBuilder;
import io.guardian.pool.internal.transport.Connector;
import io.guardian.pool.internal.transport.NettyConnector;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.DoubleSupplier;
import java.util.function.BiFunction;
import org.awaitility.Awaitility;

/**
 * A pool that dials real listeners with the real Netty dialer, while its own decisions run on a
 * stepped clock and a manual scheduler: idle timeouts, breaker waits and retry backoffs pass when
 * the test says so, not by sleeping.
 */
final class LoopbackPool implements AutoCloseable {

    final FakeClock clock = new FakeClock();
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final OptimizedConnectionPool pool;
    final List<ConnectionEvent> events = new CopyOnWriteArrayList<>();

    /** A pool dialing with the configured transport's real dialer. */
    LoopbackPool(PoolConfig config) {
        this(config, () -> 0.5, null);
    }

    /**
     * @param wrap wraps the guardian-db dialer (failure injection); {@code null} for none, and then
     *     the configured transport's dialer is used as it is
     */
    LoopbackPool(PoolConfig config, DoubleSupplier random, BiFunction<Connector, FakeClock, Connector> wrap) {
        PeerIdentity local = PeerIdentity.generate();
        PoolEngineBuilder builder = PoolEngine.builder(config).localPeer(local.peerId());
        if (wrap == null && config.transport() == Transport.LIBP2P) {
            builder.dialer(new Libp2pConnector(Libp2pSettings.defaults(local), config.maxStreamsPerConnection(),
                    config.reusableStreamProtocols()), true);
        } else {
            builder.connector(wrap == null ? new NettyConnector(local, config.protocol())
                    : wrap.apply(new NettyConnector(local, config.protocol()), clock));
        }
        PoolEngine engine = builder
                .clock(clock)
                .scheduler(scheduler)
                .random(random)
                .build();
        pool = new OptimizedConnectionPool(engine);
        pool.subscribeEvents(events::add);
    }

    PeerConnection acquire(TestPeers.Peer peer) {
        return pool.acquire(peer.id(), peer.address());
    }

    <T extends ConnectionEvent> List<T> awaitEvents(Class<T> type, int atLeast) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ofType(type).size() >= atLeast);
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
