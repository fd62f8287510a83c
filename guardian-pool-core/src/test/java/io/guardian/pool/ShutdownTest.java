package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;

/** close(): waiters fail, sockets close, and every thread the pool started is gone. */
@Timeout(30)
@ParameterizedClass
@EnumSource(Transport.class)
class ShutdownTest {

    /** Both transports; libp2p with one stream per connection where waiting is tested. */
    @Parameter
    Transport transport;

    private static List<String> guardianThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("guardian-"))
                .toList();
    }

    @Test
    void closeFailsWaitersClosesEverySocketAndStopsEveryThread() throws Exception {
        TestPeers peers = new TestPeers();
        TestPeers.Peer peer = peers.start();
        OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.builder().transport(transport)
                .maxStreamsPerConnection(1).maxConnectionsPerPeer(1).healthCheckInterval(Duration.ofMillis(50)).build());
        pool.subscribeEvents(e -> { });
        AutoCloseable monitor = pool.startHealthMonitor();
        PeerConnection held = pool.acquire(peer.id(), peer.address());
        CompletableFuture<PeerConnection> waiter = pool.acquireAsync(peer.id(), peer.address());
        CompletableFuture<String> blockedCaller = CompletableFuture.supplyAsync(
                () -> pool.getConnection(peer.id(), peer.address()));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> pool.getStats().waitingAcquires() == 2);
        assertThat(guardianThreads()).contains("guardian-pool-events", "guardian-pool-housekeeper");

        pool.close();

        assertThatThrownBy(waiter::join).isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(PoolClosedException.class).hasMessageContaining(peer.id().toString());
        assertThatThrownBy(blockedCaller::join).cause().isInstanceOf(PoolClosedException.class);
        assertThatThrownBy(() -> held.request(new byte[] {1}, Duration.ofSeconds(1)))
                .isInstanceOf(ConnectionClosedException.class);
        held.close(); // returning a lease after shutdown is harmless
        monitor.close();
        PoolStats stats = pool.getStats();
        assertThat(stats.openConnections()).isZero();
        assertThat(stats.waitingAcquires()).isZero();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> peer.listener().connectionCount() == 0);
        assertThat(guardianThreads()).doesNotContain("guardian-pool-events", "guardian-pool-housekeeper");

        peers.close();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> guardianThreads().isEmpty());
    }

    @Test
    void aPoolThatNeverRetriedMonitoredOrPublishedStartsOnlyItsClockHousekeepingAndCompletionThreadsAndCloseStopsThem() {
        try (TestPeers peers = new TestPeers()) {
            TestPeers.Peer peer = peers.start();
            OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.builder().transport(transport).build());
            pool.acquire(peer.id(), peer.address()).close();
            // The cached clock of the acquire path (CoarseTicker) and the always-on housekeeping
            // (idle eviction, retirement, leak checks) are the threads every pool needs.
            assertThat(guardianThreads()).filteredOn(n -> n.startsWith("guardian-pool-")
                    && !n.startsWith("guardian-pool-completion-"))
                    .containsOnly("guardian-pool-clock", "guardian-pool-housekeeper");
            // The dial's outcome was taken in on the pool's completion threads: a bounded few.
            assertThat(guardianThreads()).filteredOn(n -> n.startsWith("guardian-pool-completion-"))
                    .hasSizeLessThanOrEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors()));
            pool.close();
            // close() waits for the executors to terminate; a worker thread may outlive that by
            // the moment it takes to return from its run method.
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> guardianThreads().stream().noneMatch(n -> n.startsWith("guardian-pool-")));
        }
    }
}
