package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code close(Duration grace)} against real loopback peers: new acquires and waiters fail at
 * once, leases get their grace and are closed as they come back, and the call returns as soon as
 * the last one is back (or when the grace is over, or when a later close cuts it short).
 */
@Timeout(30)
@ParameterizedClass
@EnumSource(Transport.class)
class GracefulCloseTest {

    /** Both transports; libp2p with one stream per connection, so leases and connections line up. */
    @Parameter
    Transport transport;

    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);
    private static final Duration LONG_GRACE = Duration.ofSeconds(20);

    private final TestPeers peers = new TestPeers();
    private OptimizedConnectionPool pool;

    @AfterEach
    void tearDown() {
        if (pool != null) {
            pool.close();
        }
        peers.close();
    }

    private OptimizedConnectionPool pool(PoolConfig.Builder config) {
        pool = new OptimizedConnectionPool(config.transport(transport).maxStreamsPerConnection(1).build());
        return pool;
    }

    @Test
    void newAcquiresAndWaitersFailAtOnceWhileAHeldLeaseFinishesItsWork() throws Exception {
        OptimizedConnectionPool p = pool(PoolConfig.builder().maxConnectionsPerPeer(1));
        TestPeers.Peer peer = peers.start();
        PeerConnection held = p.acquire(peer.id(), peer.address());
        CompletableFuture<PeerConnection> waiter = p.acquireAsync(peer.id(), peer.address());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> p.getStats().waitingAcquires() == 1);

        CompletableFuture<Boolean> closing = CompletableFuture.supplyAsync(() -> p.close(LONG_GRACE));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(p::isClosed);

        assertThatThrownBy(waiter::join).cause().isInstanceOf(PoolClosedException.class);
        assertThatThrownBy(() -> p.acquire(peer.id(), peer.address())).isInstanceOf(PoolClosedException.class);
        assertThat(closing).isNotDone();
        assertThat(held.request(HELLO, Duration.ofSeconds(5))).isEqualTo(HELLO);

        held.close();

        assertThat(closing.get(5, TimeUnit.SECONDS)).isTrue();
        PoolStats stats = p.getStats();
        assertThat(stats.openConnections()).isZero();
        assertThat(stats.evictions()).as("closed by shutdown, not evicted").isZero();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer.listener().connectionCount() == 0);
    }

    @Test
    void theCallReturnsWhenTheLastOfSeveralLeasesComesBack() throws Exception {
        OptimizedConnectionPool p = pool(PoolConfig.builder());
        TestPeers.Peer a = peers.start();
        TestPeers.Peer b = peers.start();
        PeerConnection first = p.acquire(a.id(), a.address());
        PeerConnection second = p.acquire(b.id(), b.address());
        p.acquire(b.id(), b.address()).close(); // one idle connection, closed at once by the close
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        p.subscribeEvents(events::add);

        CompletableFuture<Boolean> closing = CompletableFuture.supplyAsync(() -> p.close(LONG_GRACE));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> p.getStats().pooledConnections() == 0
                && p.isClosed());
        first.close();
        assertThat(closing).isNotDone();
        assertThat(p.getStats().openConnections()).isEqualTo(1);
        second.close();

        assertThat(closing.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(p.getStats().openConnections()).isZero();
        assertThat(events).filteredOn(e -> e instanceof ConnectionEvent.Disconnected).hasSize(3)
                .allSatisfy(e -> assertThat(((ConnectionEvent.Disconnected) e).reason()).contains("pool closed"));
    }

    @Test
    void aLeaseKeptPastTheGraceIsClosedUnderItsHolderAndTheCallSaysSo() {
        OptimizedConnectionPool p = pool(PoolConfig.builder());
        TestPeers.Peer peer = peers.start();
        PeerConnection kept = p.acquire(peer.id(), peer.address());

        long start = System.nanoTime();
        boolean allBack = p.close(Duration.ofMillis(300));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(allBack).isFalse();
        assertThat(tookMillis).isGreaterThanOrEqualTo(300);
        assertThatThrownBy(() -> kept.request(HELLO, Duration.ofSeconds(1)))
                .isInstanceOf(ConnectionClosedException.class);
        kept.close(); // returning it afterwards is harmless
        assertThat(p.getStats().openConnections()).isZero();
    }

    @Test
    void withNothingLeasedTheCallReturnsAtOnce() {
        OptimizedConnectionPool p = pool(PoolConfig.builder());
        TestPeers.Peer peer = peers.start();
        p.acquire(peer.id(), peer.address()).close();

        long start = System.nanoTime();
        assertThat(p.close(Duration.ofMinutes(5))).isTrue();

        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(5);
        assertThat(p.getStats().openConnections()).isZero();
        assertThat(p.close(Duration.ofMinutes(5))).as("a later call: the pool is already shut down").isTrue();
    }

    @Test
    void aPlainCloseDuringTheGraceCutsItShort() throws Exception {
        OptimizedConnectionPool p = pool(PoolConfig.builder());
        TestPeers.Peer peer = peers.start();
        PeerConnection kept = p.acquire(peer.id(), peer.address());
        CompletableFuture<Boolean> graceful = CompletableFuture.supplyAsync(() -> p.close(Duration.ofMinutes(5)));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(p::isClosed);

        p.close();

        assertThat(graceful.get(5, TimeUnit.SECONDS)).isFalse();
        assertThatThrownBy(() -> kept.request(HELLO, Duration.ofSeconds(1)))
                .isInstanceOf(ConnectionClosedException.class);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer.listener().connectionCount() == 0);
    }

    @Test
    void aDialUnderWayFailsAtOnceInsteadOfHoldingUpTheClose() throws Exception {
        OptimizedConnectionPool p = pool(PoolConfig.builder().connectionTimeout(Duration.ofSeconds(20)));
        // Accepts the TCP connection (the kernel does, from the backlog) but never answers the handshake.
        try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            PeerId id = PeerIdentity.generate().peerId();
            Multiaddr address = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + silent.getLocalPort());
            CompletableFuture<PeerConnection> dialing = p.acquireAsync(id, address);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> p.getStats().pendingConnections() == 1);

            assertThat(p.close(LONG_GRACE)).isTrue();

            assertThat(dialing).isCompletedExceptionally();
            assertThatThrownBy(dialing::join).cause().isInstanceOf(PoolClosedException.class);
        }
    }

    @Test
    void aCloseRacingBusyCallersLeavesNothingLeasedQueuedOrOpen() throws Exception {
        // Eight threads acquire and release across three peers with room for two connections each,
        // so some wait at the limit, while the pool closes under them. Every acquire either gets a
        // lease (returned at once) or fails with PoolClosedException; nothing hangs or stays open.
        try (FakePool p = new FakePool(PoolConfig.builder().maxConnectionsPerPeer(2).build())) {
            List<Thread> callers = new ArrayList<>();
            AtomicInteger served = new AtomicInteger();
            List<Throwable> unexpected = new CopyOnWriteArrayList<>();
            for (int t = 0; t < 8; t++) {
                int peer = t % 3;
                Thread caller = new Thread(() -> {
                    while (true) {
                        try {
                            p.acquire(peer).close();
                            served.incrementAndGet();
                        } catch (PoolClosedException closed) {
                            return;
                        } catch (RuntimeException | Error e) {
                            unexpected.add(e);
                            return;
                        }
                    }
                }, "racing-caller-" + t);
                caller.setDaemon(true);
                callers.add(caller);
                caller.start();
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> served.get() > 1000);

            assertThat(p.pool.close(Duration.ofSeconds(10))).isTrue();

            for (Thread caller : callers) {
                caller.join(TimeUnit.SECONDS.toMillis(10));
                assertThat(caller.isAlive()).as(caller.getName() + " still running").isFalse();
            }
            assertThat(unexpected).isEmpty();
            PoolStats stats = p.pool.getStats();
            assertThat(stats.openConnections()).isZero();
            assertThat(stats.activeConnections()).isZero();
            assertThat(stats.waitingAcquires()).isZero();
            assertThat(p.connector.connections()).isNotEmpty().noneMatch(c -> c.isOpen());
        }
    }

    @Test
    void aNegativeOrMissingGraceIsRefusedAndLeavesThePoolOpen() {
        OptimizedConnectionPool p = pool(PoolConfig.builder());
        assertThatThrownBy(() -> p.close(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("grace").hasMessageContaining("-1");
        assertThatThrownBy(() -> p.close(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(p.isClosed()).isFalse();
    }
}
