package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.internal.pool.FakeClock;
import io.guardian.pool.internal.pool.FakeConnector;
import io.guardian.pool.internal.pool.ManualScheduler;
import io.guardian.pool.internal.pool.PoolClock;
import io.guardian.pool.internal.pool.PoolEngine;
import io.guardian.pool.internal.transport.FramedConnection;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link PoolObserver}: what is reported, with which timings, on which outcome; an observer that
 * throws breaks nothing; removal stops reports. Timings are exact on the pool's stepped clock.
 */
@Timeout(30)
class PoolObserverTest {

    /** Everything an observer was told, as text, in order. */
    static final class Recording implements PoolObserver {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<Throwable> causes = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();

        @Override
        public void acquired(PeerId peer, long waitedNanos, boolean reused) {
            calls.add("acquired " + waitedNanos + (reused ? " reused" : " created"));
            threads.add(Thread.currentThread().getName());
        }

        @Override
        public void acquireFailed(PeerId peer, long waitedNanos, GuardianPoolException cause) {
            calls.add("acquireFailed " + waitedNanos + " " + cause.getClass().getSimpleName());
            causes.add(cause);
        }

        @Override
        public void dialed(PeerId peer, long connectAndHandshakeNanos) {
            calls.add("dialed " + connectAndHandshakeNanos);
        }

        @Override
        public void dialFailed(PeerId peer, long tookNanos, Throwable cause) {
            calls.add("dialFailed " + tookNanos + " " + cause.getClass().getSimpleName());
        }
    }

    @Test
    void aDialedConnectionIsReportedCreatedAndAnIdleOneReused() throws Exception {
        try (FakePool p = new FakePool(PoolConfig.defaults())) {
            Recording seen = new Recording();
            p.pool.addObserver(seen);
            p.connector.hold(FakePool.peer(1));

            CompletableFuture<PeerConnection> first = p.pool.acquireAsync(FakePool.peer(1), FakePool.addr(1));
            p.clock.advance(Duration.ofMillis(3));
            CompletableFuture<FramedConnection> dial = p.connector.pending().get(0);
            dial.complete(p.connector.newConnection(FakePool.peer(1), FakePool.addr(1)));
            first.join().close();
            p.clock.advance(Duration.ofMillis(1));
            p.acquire(1).close();

            assertThat(seen.calls).containsExactly("dialed 3000000", "acquired 3000000 created", "acquired 0 reused");
        }
    }

    @Test
    void aBlockingAcquireIsReportedOnTheCallersThread() {
        try (FakePool p = new FakePool(PoolConfig.defaults())) {
            Recording seen = new Recording();
            p.pool.addObserver(seen);

            p.acquire(1).close();
            p.acquire(1).close();

            assertThat(seen.calls).containsExactly("dialed 0", "acquired 0 created", "acquired 0 reused");
            assertThat(seen.threads).containsOnly(Thread.currentThread().getName());
        }
    }

    @Test
    void aConnectionHandedOverOnReleaseIsReportedReusedWithTheWait() {
        try (FakePool p = new FakePool(PoolConfig.builder().maxConnectionsPerPeer(1).build())) {
            Recording seen = new Recording();
            PeerConnection held = p.acquire(1);
            p.pool.addObserver(seen);

            CompletableFuture<PeerConnection> waiter = p.pool.acquireAsync(FakePool.peer(1), FakePool.addr(1));
            p.clock.advance(Duration.ofMillis(7));
            held.close();

            waiter.join().close();
            assertThat(seen.calls).containsExactly("acquired 7000000 reused");
        }
    }

    @Test
    void everyFailedDialAttemptIsReportedAndTheAcquireFailsOnce() {
        PoolConfig config = PoolConfig.builder().maxRetryAttempts(2).initialRetryBackoff(Duration.ofSeconds(1))
                .circuitBreakerFailureThreshold(10).build();
        try (FakePool p = new FakePool(config)) {
            Recording seen = new Recording();
            p.pool.addObserver(seen);
            p.connector.failWith(FakePool.peer(1), () -> new ConnectionFailedException("refused"));

            CompletableFuture<PeerConnection> f = p.pool.acquireAsync(FakePool.peer(1), FakePool.addr(1));
            // Backoffs 0.75 s and 1.5 s (half fixed, half × 0.5): the last attempt fails at 2.25 s.
            p.scheduler.advance(Duration.ofSeconds(3));

            assertThat(f).isCompletedExceptionally();
            assertThat(seen.calls).containsExactly("dialFailed 0 ConnectionFailedException",
                    "dialFailed 0 ConnectionFailedException", "dialFailed 0 ConnectionFailedException",
                    "acquireFailed 2250000000 ConnectionFailedException");
        }
    }

    @Test
    void aRejectionByAnOpenBreakerIsAFailedAcquireWithoutADial() {
        PoolConfig config = PoolConfig.builder().circuitBreakerFailureThreshold(1).build();
        try (FakePool p = new FakePool(config)) {
            p.pool.recordFailure(FakePool.peer(1));
            Recording seen = new Recording();
            p.pool.addObserver(seen);

            assertThatThrownBy(() -> p.acquire(1)).isInstanceOf(CircuitBreakerOpenException.class);
            assertThat(p.pool.acquireAsync(FakePool.peer(1), FakePool.addr(1))).isCompletedExceptionally();

            assertThat(seen.calls).containsExactly("acquireFailed 0 CircuitBreakerOpenException",
                    "acquireFailed 0 CircuitBreakerOpenException");
        }
    }

    @Test
    void invalidArgumentsAndCancelledFuturesAreNotReported() {
        try (FakePool p = new FakePool(PoolConfig.builder().maxConnectionsPerPeer(1).build())) {
            Recording seen = new Recording();
            p.pool.addObserver(seen);
            PeerConnection held = p.acquire(1);
            seen.calls.clear();

            assertThatThrownBy(() -> p.pool.acquire(FakePool.peer(1), null)).isInstanceOf(
                    IllegalArgumentException.class);
            CompletableFuture<PeerConnection> waiter = p.pool.acquireAsync(FakePool.peer(1), FakePool.addr(1));
            waiter.cancel(false);
            held.close();

            assertThat(seen.calls).isEmpty();
            assertThat(p.pool.getStats().waitingAcquires()).isZero();
        }
    }

    @Test
    void anObserverThatThrowsBreaksNeitherTheAcquireNorTheOtherObservers() {
        try (FakePool p = new FakePool(PoolConfig.defaults())) {
            PoolObserver throwing = new PoolObserver() {
                @Override
                public void acquired(PeerId peer, long waitedNanos, boolean reused) {
                    throw new IllegalStateException("observer bug");
                }

                @Override
                public void dialed(PeerId peer, long connectAndHandshakeNanos) {
                    throw new AssertionError("observer bug");
                }
            };
            Recording seen = new Recording();
            p.pool.addObserver(throwing);
            p.pool.addObserver(seen);

            for (int i = 0; i < 3; i++) {
                try (PeerConnection c = p.acquire(1)) {
                    assertThat(c.peerId()).isEqualTo(FakePool.peer(1));
                }
            }

            assertThat(seen.calls).containsExactly("dialed 0", "acquired 0 created", "acquired 0 reused",
                    "acquired 0 reused");
            PoolStats stats = p.pool.getStats();
            assertThat(stats.connectionsCreated()).isEqualTo(1);
            assertThat(stats.activeConnections()).isZero();
        }
    }

    @Test
    void closingTheHandleStopsReportsAndIsIdempotent() throws Exception {
        try (FakePool p = new FakePool(PoolConfig.defaults())) {
            Recording kept = new Recording();
            Recording removed = new Recording();
            p.pool.addObserver(kept);
            AutoCloseable handle = p.pool.addObserver(removed);
            p.acquire(1).close();

            handle.close();
            handle.close();
            p.acquire(1).close();

            assertThat(removed.calls).containsExactly("dialed 0", "acquired 0 created");
            assertThat(kept.calls).containsExactly("dialed 0", "acquired 0 created", "acquired 0 reused");
        }
    }

    @Test
    void everyEndedLeaseIsReportedOnceWithHowLongItWasHeld() {
        try (FakePool p = new FakePool(PoolConfig.defaults())) {
            List<String> releases = new CopyOnWriteArrayList<>();
            List<String> threads = new CopyOnWriteArrayList<>();
            p.pool.addObserver(new PoolObserver() {
                @Override
                public void released(PeerId peer, long heldNanos) {
                    releases.add(heldNanos + (peer.equals(FakePool.peer(1)) ? " peer1" : " other"));
                    threads.add(Thread.currentThread().getName());
                }
            });

            PeerConnection first = p.acquire(1);
            p.clock.advance(Duration.ofMillis(5));
            first.close();
            first.close(); // ends nothing: not reported again
            PeerConnection second = p.acquire(1);
            p.clock.advance(Duration.ofMillis(2));
            second.markFailed(new IllegalStateException("bad answer"));
            second.close();

            assertThat(releases).containsExactly("5000000 peer1", "2000000 peer1");
            assertThat(threads).containsOnly(Thread.currentThread().getName());
        }
    }

    @Test
    void aLeaseClosedUnderItsHolderIsReportedWhenTheHolderEndsIt() {
        FakePool p = new FakePool(PoolConfig.defaults());
        List<Long> held = new CopyOnWriteArrayList<>();
        p.pool.addObserver(new PoolObserver() {
            @Override
            public void released(PeerId peer, long heldNanos) {
                held.add(heldNanos);
            }
        });
        PeerConnection lease = p.acquire(1);
        p.clock.advance(Duration.ofMillis(3));
        p.close(); // closes the connection under its holder

        assertThat(held).isEmpty();
        p.clock.advance(Duration.ofMillis(1));
        lease.close();
        assertThat(held).containsExactly(4_000_000L);
    }

    @Test
    void aNullObserverOrAClosedPoolIsRefused() {
        FakePool p = new FakePool(PoolConfig.defaults());
        assertThatThrownBy(() -> p.pool.addObserver(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("observer");
        p.close();
        assertThatThrownBy(() -> p.pool.addObserver(new Recording())).isInstanceOf(PoolClosedException.class);
    }

    @Test
    void aRealDialIsReportedWithItsConnectAndHandshakeTime() {
        try (TestPeers peers = new TestPeers();
                OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.defaults())) {
            TestPeers.Peer peer = peers.start();
            List<ConnectionEvent.Connected> connected = new CopyOnWriteArrayList<>();
            pool.subscribeEvents(e -> {
                if (e instanceof ConnectionEvent.Connected c) {
                    connected.add(c);
                }
            });
            List<Long> dials = new CopyOnWriteArrayList<>();
            List<Long> acquires = new CopyOnWriteArrayList<>();
            pool.addObserver(new PoolObserver() {
                @Override
                public void dialed(PeerId p, long nanos) {
                    dials.add(nanos);
                }

                @Override
                public void acquired(PeerId p, long waitedNanos, boolean reused) {
                    acquires.add(waitedNanos);
                }
            });

            pool.acquire(peer.id(), peer.address()).close();

            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> connected.size() == 1);
            long handshakeRtt = Math.round(connected.get(0).latencyMs() * 1_000_000.0);
            // The connect and handshake contain the handshake's round trip; the acquire contains both.
            assertThat(dials).hasSize(1);
            assertThat(dials.get(0)).isGreaterThanOrEqualTo(handshakeRtt - 1);
            assertThat(acquires).hasSize(1);
            assertThat(acquires.get(0)).isGreaterThanOrEqualTo(dials.get(0));
        }
    }

    @Test
    void withoutAnObserverAnAcquireAndReleaseReadNoExtraClock() throws Exception {
        FakeClock time = new FakeClock();
        AtomicLong reads = new AtomicLong();
        PoolClock counting = new PoolClock() {
            @Override
            public long nanoTime() {
                reads.incrementAndGet();
                return time.nanoTime();
            }

            @Override
            public long wallMillis() {
                return time.wallMillis();
            }
        };
        PoolEngine engine = PoolEngine.builder(PoolConfig.defaults()).localPeer(FakePool.peer(999))
                .connector(new FakeConnector(counting)).clock(counting).scheduler(new ManualScheduler(time)).build();
        try (OptimizedConnectionPool pool = new OptimizedConnectionPool(engine)) {
            pool.acquire(FakePool.peer(1), FakePool.addr(1)).close(); // dials once; later pairs reuse it
            long plain = readsPerPair(pool, reads);
            AutoCloseable handle = pool.addObserver(new Recording());
            long observed = readsPerPair(pool, reads);
            handle.close();
            long afterRemoval = readsPerPair(pool, reads);

            // Acquire and release read the clock once each (the cheap coarse reading, which a test
            // clock serves from nanoTime); a registered observer adds the two precise readings
            // that time the acquire for it and the coarse one that ends the lease's hold time.
            assertThat(plain).isEqualTo(2);
            assertThat(observed).isEqualTo(plain + 3);
            assertThat(afterRemoval).isEqualTo(plain);
        }
    }

    private static long readsPerPair(OptimizedConnectionPool pool, AtomicLong reads) {
        long before = reads.get();
        pool.acquire(FakePool.peer(1), FakePool.addr(1)).close();
        return reads.get() - before;
    }
}
