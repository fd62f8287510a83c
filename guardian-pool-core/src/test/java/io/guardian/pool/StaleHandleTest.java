package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A lease's state is reused by the next lease of the same allocation (issue 17 item 5), so these
 * tests check that a handle whose lease ended still names nothing: it cannot send, receive,
 * request, mark failed or release the lease that now holds the same state, on either transport.
 */
@Timeout(60)
@ParameterizedClass
@EnumSource(Transport.class)
class StaleHandleTest {

    private static final Duration T = Duration.ofSeconds(10);

    @Parameter
    Transport transport;

    @RegisterExtension
    final TestPeers peers = new TestPeers();

    /** One connection per peer, one stream per connection: the next lease takes the very same state. */
    private LoopbackPool onePerPeer() {
        return peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport)
                .maxConnectionsPerPeer(1).maxStreamsPerConnection(1).build()));
    }

    @Test
    void aStaleHandleCannotSendReceiveFailOrReleaseTheNextHoldersLease() {
        LoopbackPool p = onePerPeer();
        TestPeers.Peer peer = peers.start();
        PeerConnection stale = p.acquire(peer);
        assertThat(stale.request(new byte[] {1}, T)).containsExactly(1);
        stale.close();

        PeerConnection current = p.acquire(peer);
        assertThat(current.id()).isEqualTo(stale.id()); // the same connection, leased again
        assertThat(p.pool.getStats().connectionsReused()).isEqualTo(1);

        assertThatThrownBy(() -> stale.send(new byte[] {2})).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> stale.receive(T)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> stale.request(new byte[] {3}, T)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(stale::protocol).isInstanceOf(IllegalStateException.class);
        stale.markFailed(new RuntimeException("a stale handle's failure"));
        stale.close();

        // The next holder's lease is untouched: still out, still working, nobody charged.
        assertThat(p.pool.getStats().activeConnections()).isEqualTo(1);
        assertThat(current.request(new byte[] {4}, T)).containsExactly(4);
        assertThat(current.protocol()).isEqualTo(p.pool.config().defaultProtocol());
        assertThat(stale).isNotEqualTo(current).hasToString("PeerConnection[" + stale.id() + ", closed]");
        assertThat(p.pool.checkCircuitBreaker(peer.id())).isTrue();

        current.close();
        assertThat(p.pool.getStats().activeConnections()).isZero();
        assertThat(p.pool.getStats().pooledConnections()).isEqualTo(1);
        assertThat(p.pool.getStats().connectionsFailed()).isZero();
        assertThat(p.pool.getStats().connectionsCreated()).isEqualTo(1);
    }

    @Test
    void aHandleFromAStaleIdNamesNothingOnceItsLeaseEnded() {
        LoopbackPool p = onePerPeer();
        TestPeers.Peer peer = peers.start();
        String first = p.pool.getConnection(peer.id(), peer.address());
        PeerConnection viaId = p.pool.connection(first);
        assertThat(viaId.request(new byte[] {1}, T)).containsExactly(1);
        p.pool.releaseConnection(peer.id(), first);

        String second = p.pool.getConnection(peer.id(), peer.address());
        assertThat(second).isNotEqualTo(first).startsWith(viaId.id());
        assertThatThrownBy(() -> p.pool.connection(first)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.pool.releaseConnection(peer.id(), first))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("released already");
        assertThatThrownBy(() -> viaId.request(new byte[] {2}, T)).isInstanceOf(IllegalStateException.class);
        viaId.markFailed(new RuntimeException("stale"));
        viaId.close();

        PeerConnection current = p.pool.connection(second);
        assertThat(current).isEqualTo(p.pool.connection(second)).isNotEqualTo(viaId);
        assertThat(current.request(new byte[] {3}, T)).containsExactly(3);
        assertThat(p.pool.getStats().activeConnections()).isEqualTo(1);
        p.pool.releaseConnection(peer.id(), second);
        assertThat(p.pool.getStats().activeConnections()).isZero();
        assertThat(p.pool.getStats().connectionsFailed()).isZero();
    }

    /**
     * Several threads acquire, request, close, and meanwhile use stale handles, their own and
     * other threads', while the states behind those handles are leased to someone else. Every
     * live request must get its own payload back (no lease acts on another's traffic), every
     * stale use must fail or do nothing, and no stale markFailed may reach a breaker.
     */
    @Test
    @Timeout(120)
    void staleHandlesUsedFromSeveralThreadsNeverActOnCurrentLeases() throws Exception {
        LoopbackPool p = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(transport)
                .maxConnectionsPerPeer(2).maxStreamsPerConnection(2).acquireTimeout(T).build()));
        List<TestPeers.Peer> targets = List.of(peers.start(), peers.start());
        int threads = 4;
        int rounds = 150;
        long seed = 0x5EED_17L;
        ConcurrentLinkedQueue<PeerConnection> staleBag = new ConcurrentLinkedQueue<>();
        AtomicLong staleUses = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    Random random = new Random(seed + thread);
                    for (int i = 0; i < rounds; i++) {
                        TestPeers.Peer peer = targets.get(random.nextInt(targets.size()));
                        PeerConnection live = p.acquire(peer);
                        byte[] payload = ByteBuffer.allocate(8).putInt(thread).putInt(i).array();
                        assertThat(live.request(payload, T)).as("seed %d thread %d round %d", seed, thread, i)
                                .containsExactly(payload);
                        useStale(staleBag.poll(), random, staleUses);
                        assertThat(live.request(payload, T)).as("after a stale use, seed %d thread %d round %d",
                                seed, thread, i).containsExactly(payload);
                        live.close();
                        staleBag.add(live);
                        if (staleBag.size() > 32) {
                            useStale(staleBag.poll(), random, staleUses);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(100, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (PeerConnection c : staleBag) {
            useStale(c, new Random(seed), staleUses);
        }
        assertThat(staleUses.get()).isGreaterThan(threads * rounds / 2);
        Awaitility.await().atMost(T).until(() -> p.pool.getStats().activeConnections() == 0);
        assertThat(p.pool.getStats().connectionsFailed()).isZero();
        for (TestPeers.Peer peer : targets) {
            assertThat(p.pool.checkCircuitBreaker(peer.id())).isTrue();
            try (PeerConnection c = p.acquire(peer)) {
                assertThat(c.request(new byte[] {9}, T)).containsExactly(9);
            }
        }
    }

    /** One random use of a handle whose lease ended: each must throw or do nothing. */
    private static void useStale(PeerConnection stale, Random random, AtomicLong uses) {
        if (stale == null) {
            return;
        }
        uses.incrementAndGet();
        switch (random.nextInt(6)) {
            case 0 -> assertThatThrownBy(() -> stale.send(new byte[] {-1})).isInstanceOf(IllegalStateException.class);
            case 1 -> assertThatThrownBy(() -> stale.receive(Duration.ofMillis(1)))
                    .isInstanceOf(IllegalStateException.class);
            case 2 -> assertThatThrownBy(() -> stale.request(new byte[] {-2}, Duration.ofMillis(1)))
                    .isInstanceOf(IllegalStateException.class);
            case 3 -> stale.markFailed(new RuntimeException("stale"));
            case 4 -> stale.close();
            default -> assertThat(stale.toString()).endsWith(", closed]");
        }
    }
}
