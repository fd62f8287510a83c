package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.transport.LeakWatch;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * 10,000 virtual threads acquiring from one pool with real peers on loopback, on both transports,
 * with limits far below 10,000, so that nearly all of them wait in {@code acquire} at once.
 *
 * <p>The project compiles for Java 17, where virtual threads do not exist: the executor is made by
 * reflection ({@code Executors.newVirtualThreadPerTaskExecutor}), and the test runs on JDK 21 and
 * later only ({@code .ci/run} runs it on Temurin 25).
 *
 * <p>What it proves: all 10,000 callers are parked in {@code acquire} at the same time (the pool's
 * waiter count reaches 10,000 while the test holds every connection), which a blocking wait that
 * pinned its carrier could not do with the few carriers the JDK gives virtual threads (one per
 * core); once the held leases go back, every caller gets a lease, sends a request and reads its
 * echo within the deadline; at no moment do the leases out exceed the pool's limits; and
 * afterwards nothing is leased, waiting or being dialed, the connections are within the limits,
 * the pool serves the next caller, and Netty reported no leaked buffer.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@EnabledForJreRange(min = JRE.JAVA_21)
@ParameterizedClass
@EnumSource(Transport.class)
@ExtendWith(LeakWatch.NoneAfterAll.class)
class VirtualThreadsTest {

    private static final int CALLERS = 10_000;
    private static final int PER_PEER = 4;
    private static final int TOTAL = 8;
    /** libp2p leases per connection; guardian-db carries one lease per connection. */
    private static final int STREAMS = 2;
    /** The bound on the whole run, from releasing the held leases to the last caller's echo. */
    private static final Duration DEADLINE = Duration.ofSeconds(150);

    @Parameter
    Transport transport;

    @RegisterExtension
    final TestPeers peers = new TestPeers();

    @Test
    void tenThousandVirtualThreadsWaitTogetherThenAllGetALeaseWithinTheLimits() throws Exception {
        OptimizedConnectionPool pool = peers.closeFirst(new OptimizedConnectionPool(PoolConfig.builder()
                .transport(transport)
                .maxConnectionsPerPeer(PER_PEER)
                .maxTotalConnections(TOTAL)
                .maxStreamsPerConnection(STREAMS)
                // Every caller waits until served: these bound the waits, not the test's assertions.
                .acquireTimeout(DEADLINE)
                .acquireDeadline(DEADLINE.plusSeconds(30))
                .build()));
        List<TestPeers.Peer> targets = List.of(peers.start(), peers.start(), peers.start());
        int leasesPerConnection = transport == Transport.LIBP2P ? STREAMS : 1;

        // The test takes every lease the limits allow (the first two peers at their per-peer limit,
        // which is the global one), so every virtual thread's acquire has to wait.
        List<PeerConnection> held = new ArrayList<>();
        for (TestPeers.Peer peer : targets.subList(0, 2)) {
            for (int i = 0; i < PER_PEER * leasesPerConnection; i++) {
                held.add(pool.acquire(peer.id(), peer.address()));
            }
        }
        assertThat(pool.getStats().openConnections()).isEqualTo(TOTAL);

        Callers callers = new Callers(pool, targets, leasesPerConnection);
        ExecutorService virtual = newVirtualThreadPerTaskExecutor();
        try {
            for (int i = 0; i < CALLERS; i++) {
                int n = i;
                virtual.execute(() -> callers.run(n));
            }
            // All 10,000 parked in acquire at once: the pool counts each as a waiter.
            await("10,000 waiters").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> pool.getStats().waitingAcquires() == CALLERS);
            assertThat(callers.done.getCount()).isEqualTo(CALLERS);

            long released = System.nanoTime();
            held.forEach(PeerConnection::close);
            assertThat(callers.done.await(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                    .as("all %d callers done within %s; %d left", CALLERS, DEADLINE, callers.done.getCount()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - released)).isLessThan(DEADLINE);
        } finally {
            virtual.shutdown();
            assertThat(virtual.awaitTermination(30, TimeUnit.SECONDS)).as("virtual threads ended").isTrue();
        }

        assertThat(callers.untyped).as("failures other than GuardianPoolException").isEmpty();
        assertThat(callers.typed).as("typed failures (none expected: every wait is bounded by %s)", DEADLINE)
                .isEmpty();
        assertThat(callers.echoed.get()).isEqualTo(CALLERS);
        assertThat(callers.onPlatformThread.get()).as("callers that were not virtual threads").isZero();
        assertThat(callers.maxTotal.get()).as("leases out at once, all peers")
                .isBetween(1, TOTAL * leasesPerConnection);
        for (int p = 0; p < targets.size(); p++) {
            assertThat(callers.maxPerPeer[p].get()).as("leases out at once to peer %d", p)
                    .isBetween(1, PER_PEER * leasesPerConnection);
        }

        PoolStats stats = pool.getStats();
        assertThat(stats.activeStreams()).isZero();
        assertThat(stats.activeConnections()).isZero();
        assertThat(stats.waitingAcquires()).isZero();
        assertThat(stats.pendingConnections()).isZero();
        assertThat(stats.openConnections()).isBetween(1, TOTAL);
        assertThat(stats.connectionsReused() + stats.connectionsCreated())
                .isGreaterThanOrEqualTo(CALLERS + held.size());
        for (TestPeers.Peer peer : targets) {
            pool.peer(peer.id()).ifPresent(s -> assertThat(s.open()).isLessThanOrEqualTo(PER_PEER));
        }
        // Still serving, from a platform thread this time.
        try (PeerConnection after = pool.acquire(targets.get(2).id(), targets.get(2).address())) {
            assertThat(after.request(new byte[] {42}, Duration.ofSeconds(10))).containsExactly(42);
        }
    }

    /** What each virtual thread does, and what they saw between them. */
    private static final class Callers {
        final OptimizedConnectionPool pool;
        final List<TestPeers.Peer> targets;
        final CountDownLatch done = new CountDownLatch(CALLERS);
        final AtomicInteger echoed = new AtomicInteger();
        final AtomicInteger onPlatformThread = new AtomicInteger();
        final Queue<GuardianPoolException> typed = new ConcurrentLinkedQueue<>();
        final Queue<Throwable> untyped = new ConcurrentLinkedQueue<>();
        final AtomicInteger total = new AtomicInteger();
        final AtomicInteger maxTotal = new AtomicInteger();
        final AtomicInteger[] perPeer;
        final AtomicInteger[] maxPerPeer;

        Callers(OptimizedConnectionPool pool, List<TestPeers.Peer> targets, int leasesPerConnection) {
            this.pool = pool;
            this.targets = targets;
            perPeer = new AtomicInteger[targets.size()];
            maxPerPeer = new AtomicInteger[targets.size()];
            for (int i = 0; i < targets.size(); i++) {
                perPeer[i] = new AtomicInteger();
                maxPerPeer[i] = new AtomicInteger();
            }
        }

        void run(int n) {
            try {
                if (!isVirtual(Thread.currentThread())) {
                    onPlatformThread.incrementAndGet();
                }
                int p = n % targets.size();
                TestPeers.Peer peer = targets.get(p);
                byte[] message = ByteBuffer.allocate(Integer.BYTES).putInt(n).array();
                try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
                    maxPerPeer[p].accumulateAndGet(perPeer[p].incrementAndGet(), Math::max);
                    maxTotal.accumulateAndGet(total.incrementAndGet(), Math::max);
                    try {
                        byte[] reply = lease.request(message, Duration.ofSeconds(30));
                        if (Arrays.equals(reply, message)) {
                            echoed.incrementAndGet();
                        } else {
                            untyped.add(new AssertionError("caller " + n + " read " + Arrays.toString(reply)));
                        }
                    } finally {
                        // Before close: once closed, the lease may already be someone else's.
                        perPeer[p].decrementAndGet();
                        total.decrementAndGet();
                    }
                }
            } catch (GuardianPoolException e) {
                typed.add(e);
            } catch (Throwable t) {
                untyped.add(t);
            } finally {
                done.countDown();
            }
        }
    }

    /** {@code Executors.newVirtualThreadPerTaskExecutor()}, a JDK 21 method, called by reflection. */
    private static ExecutorService newVirtualThreadPerTaskExecutor() throws ReflectiveOperationException {
        return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    }

    /** {@code Thread.isVirtual()}, a JDK 21 method, called by reflection. */
    private static boolean isVirtual(Thread thread) {
        try {
            return (Boolean) Thread.class.getMethod("isVirtual").invoke(thread);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Thread.isVirtual() is missing on JDK " + Runtime.version(), e);
        }
    }
}
