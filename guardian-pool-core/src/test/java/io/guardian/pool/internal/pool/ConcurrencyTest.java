package io.guardian.pool.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.CircuitBreakerOpenException;
import io.guardian.pool.PeerAddress;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.PoolExhaustedException;
import io.guardian.pool.PoolStats;
import io.guardian.pool.internal.transport.NettyConnector;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import io.guardian.pool.Transport;
import io.guardian.pool.internal.libp2p.Libp2pConnector;
import io.guardian.pool.internal.libp2p.Libp2pSettings;
import org.junit.jupiter.api.Timeout;

/**
 * 8 threads hammer 20 real loopback peers through a pool with small limits. After every
 * operation the calling thread samples the engine's invariants; at the end no thread is
 * deadlocked and every permit is back.
 */
@Timeout(120)
@ParameterizedClass
@EnumSource(Transport.class)
class ConcurrencyTest {

    /** Both transports; libp2p with two streams per connection, so streams share and wait. */
    @Parameter
    Transport transport;

    private static final int THREADS = 8;
    private static final int PEERS = 20;
    private static final int PER_PEER = 2;
    /** Scales the operation counts, e.g. {@code -Dguardian.test.concurrencyScale=10} for a long soak. */
    private static final int SCALE = Integer.getInteger("guardian.test.concurrencyScale", 1);

    @Test
    void limitsHoldUnderConcurrencyWithoutDeadlockAndEveryPermitComesBack() throws Exception {
        // Room for more than the threads but not for every peer's limit: reuse, waiting per peer, reclaim.
        hammer(30, 600 * SCALE);
    }

    @Test
    void atAGlobalLimitBelowTheThreadCountCallersWaitAndNothingLeaks() throws Exception {
        // Fewer permits than threads: callers queue at the global limit and every release is contested.
        hammer(6, 100 * SCALE);
    }

    private void hammer(int global, int opsPerThread) throws Exception {
        List<PeerListener> listeners = new ArrayList<>();
        List<PeerAddress> peers = new ArrayList<>();
        for (int i = 0; i < PEERS; i++) {
            PeerIdentity id = PeerIdentity.generate();
            PeerListener l = PeerListener.builder(id).bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                    .handler((from, m) -> m).start();
            listeners.add(l);
            peers.add(new PeerAddress(id.peerId(), l.listenAddress()));
        }
        PoolConfig config = PoolConfig.builder().transport(transport).maxStreamsPerConnection(2)
                .maxConnectionsPerPeer(PER_PEER).maxTotalConnections(global)
                .acquireTimeout(Duration.ofSeconds(5)).build();
        PeerIdentity local = PeerIdentity.generate();
        PoolEngineBuilder builder = PoolEngine.builder(config).localPeer(local.peerId());
        PoolEngine engine = (transport == Transport.LIBP2P
                ? builder.dialer(new Libp2pConnector(Libp2pSettings.defaults(local), 2), true)
                : builder.connector(new NettyConnector(local, config.protocol()))).build();
        AtomicLong samples = new AtomicLong();
        AtomicLong exhausted = new AtomicLong();
        AtomicLong rejected = new AtomicLong();
        ExecutorService workers = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int seed = t;
                done.add(workers.submit(() -> {
                    Random random = new Random(1234 + seed);
                    for (int op = 0; op < opsPerThread; op++) {
                        PeerAddress target = peers.get(random.nextInt(PEERS));
                        int kind = random.nextInt(100);
                        try {
                            if (kind < 10) {
                                List<PeerAddress> three = List.of(target, peers.get(random.nextInt(PEERS)),
                                        peers.get(random.nextInt(PEERS)));
                                try (PeerConnection c = engine.chooser().acquireAny(three)) {
                                    c.request(new byte[] {(byte) op}, Duration.ofSeconds(5));
                                }
                            } else if (kind < 15) {
                                PeerConnection c = engine.acquire(target.peerId(), target.address());
                                c.markFailed(new IllegalStateException("test failure " + op));
                            } else if (kind < 17 && seed == 0) {
                                engine.checkHealth();
                            } else {
                                try (PeerConnection c = engine.acquire(target.peerId(), target.address())) {
                                    byte[] reply = c.request(new byte[] {(byte) op, 1, 2}, Duration.ofSeconds(5));
                                    assertThat(reply).hasSize(3);
                                }
                            }
                        } catch (PoolExhaustedException e) {
                            exhausted.incrementAndGet();
                        } catch (CircuitBreakerOpenException e) {
                            rejected.incrementAndGet();
                        }
                        assertInvariants(engine);
                        samples.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(100, TimeUnit.SECONDS);
            }
            assertThat(ManagementFactory.getThreadMXBean().findDeadlockedThreads()).isNull();

            PoolStats stats = PoolViews.stats(engine);
            org.slf4j.LoggerFactory.getLogger(ConcurrencyTest.class).info("{} exhausted={} rejected={}", stats,
                    exhausted.get(), rejected.get());
            assertThat(samples.get()).isEqualTo((long) THREADS * opsPerThread);
            assertThat(stats.activeConnections()).isZero();
            assertThat(stats.waitingAcquires()).isZero();
            assertThat(stats.pendingConnections()).isZero();
            assertThat(engine.admission().open()).isEqualTo(stats.pooledConnections())
                    .isLessThanOrEqualTo(global);
            assertThat(stats.connectionsCreated() + stats.connectionsReused())
                    .isGreaterThanOrEqualTo(samples.get() - exhausted.get() - rejected.get() - 100);
        } finally {
            workers.shutdownNow();
            engine.close();
        }
        assertThat(engine.admission().open()).isZero();
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> listeners.stream().mapToInt(PeerListener::connectionCount).sum() == 0);
        listeners.forEach(PeerListener::close);
    }

    /** Sampled from any thread: the limits, and each slot's books balancing under its lock. */
    static void assertInvariants(PoolEngine engine) {
        int total = engine.admission().open();
        assertThat(total).as("global permits").isBetween(0, engine.config().maxTotalConnections());
        for (PeerSlot s : engine.slotsView()) {
            synchronized (s) {
                assertThat(s.open).as("open of %s", s.peerId).isBetween(0, Math.min(engine.config().maxConnectionsPerPeer(), engine.config().maxTotalConnections()));
                assertThat(s.open).as("open = connections + reserved for %s", s.peerId)
                        .isEqualTo(s.conns.size() + s.reserved);
                assertThat(s.busy + s.idleCount).as("busy + idle for %s", s.peerId).isEqualTo(s.conns.size());
                int allocations = 0;
                for (PooledConn c : s.conns) {
                    allocations += c.allocations;
                    assertThat(c.allocations).as("leases on %s", c).isBetween(0, c.allocationLimit);
                    assertThat(c.state == PooledConn.LEASED).as("%s leased iff it has leases", c)
                            .isEqualTo(c.allocations > 0);
                }
                assertThat(allocations).as("leases of %s", s.peerId).isEqualTo(s.leased);
                assertThat(s.dialing).isBetween(0, s.reserved);
            }
        }
    }
}
