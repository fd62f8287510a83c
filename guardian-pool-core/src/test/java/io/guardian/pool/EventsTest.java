package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.event.EventSubscription;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Event delivery: order, its own thread, bounded buffer with counted drops, isolation of listeners. */
@Timeout(30)
@ParameterizedClass
@EnumSource(Transport.class)
class EventsTest {

    /**
     * Both transports: libp2p with one stream per connection, so that what these tests count
     * (leases, connections, waiters) lines up as on guardian-db.
     */
    @Parameter
    Transport transport;

    @Test
    void eventsArriveInOrderOnTheEventThread() {
        try (TestPeers peers = new TestPeers(); LoopbackPool p = new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1)
                .circuitBreakerFailureThreshold(1).circuitBreakerOpenTimeout(Duration.ofSeconds(1)).build())) {
            List<String> threads = new CopyOnWriteArrayList<>();
            List<ConnectionEvent> seen = new CopyOnWriteArrayList<>();
            p.pool.subscribeEvents(e -> {
                threads.add(Thread.currentThread().getName());
                seen.add(e);
            });
            TestPeers.Peer peer = peers.start();
            p.acquire(peer).close();
            p.pool.recordFailure(peer.id());
            p.clock.advance(Duration.ofSeconds(1));
            p.pool.checkCircuitBreaker(peer.id());
            p.pool.resetCircuitBreaker(peer.id());
            p.pool.evict(peer.id());

            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() >= 5);
            assertThat(seen).extracting(Object::getClass).containsExactly(
                    ConnectionEvent.Connected.class,
                    ConnectionEvent.CircuitBreakerOpen.class,
                    ConnectionEvent.CircuitBreakerHalfOpen.class,
                    ConnectionEvent.CircuitBreakerClosed.class,
                    ConnectionEvent.Disconnected.class);
            assertThat(((ConnectionEvent.Connected) seen.get(0)).latencyMs()).isPositive();
            assertThat(threads).containsOnly("guardian-pool-events");
        }
    }

    @Test
    void aSlowListenerNeverStallsThePoolAndDroppedEventsAreCounted() throws InterruptedException {
        try (FakePool f = new FakePool(PoolConfig.builder().eventBufferSize(4).circuitBreakerFailureThreshold(1)
                .build())) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch blocked = new CountDownLatch(1);
            List<ConnectionEvent> slow = new CopyOnWriteArrayList<>();
            f.pool.subscribeEvents(e -> {
                blocked.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                slow.add(e);
            });
            f.pool.recordFailure(FakePool.peer(0));
            assertThat(blocked.await(5, TimeUnit.SECONDS)).isTrue(); // the listener now holds the thread

            for (int i = 1; i <= 20; i++) {
                f.pool.recordFailure(FakePool.peer(i)); // 20 more CircuitBreakerOpen events, at once
            }

            PoolStats stats = f.pool.getStats();
            assertThat(stats.openCircuits()).isEqualTo(21);
            assertThat(stats.eventsDropped()).isEqualTo(20 - 4);
            release.countDown();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> slow.size() == 1 + 4);
        }
    }

    @Test
    void aThrowingListenerKeepsReceivingAndDoesNotDisturbOthers() {
        try (FakePool f = new FakePool(PoolConfig.builder().circuitBreakerFailureThreshold(1).build())) {
            List<ConnectionEvent> thrower = new CopyOnWriteArrayList<>();
            f.pool.subscribeEvents(e -> {
                thrower.add(e);
                throw new IllegalStateException("listener bug");
            });
            for (int i = 0; i < 3; i++) {
                f.pool.recordFailure(FakePool.peer(i));
            }
            f.awaitEvents(ConnectionEvent.CircuitBreakerOpen.class, 3);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> thrower.size() == 3);
            assertThat(f.pool.getStats().eventsDropped()).isZero();
        }
    }

    @Test
    void closingTheSubscriptionStopsDeliveries() {
        try (FakePool f = new FakePool(PoolConfig.builder().circuitBreakerFailureThreshold(1).build())) {
            List<ConnectionEvent> mine = new CopyOnWriteArrayList<>();
            EventSubscription sub = f.pool.subscribeEvents(mine::add);
            f.pool.recordFailure(FakePool.peer(0));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> mine.size() == 1);
            sub.close();
            sub.close();

            f.pool.recordFailure(FakePool.peer(1));
            f.awaitEvents(ConnectionEvent.CircuitBreakerOpen.class, 2); // the harness's own listener saw it
            assertThat(mine).hasSize(1);
        }
    }

    @Test
    void subscribingToAClosedPoolSaysItIsClosed() {
        FakePool f = new FakePool(PoolConfig.defaults());
        f.close();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.pool.subscribeEvents(e -> { }))
                .isInstanceOf(PoolClosedException.class);
    }
}
