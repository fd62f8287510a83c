package io.guardian.pool.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PeerSnapshot;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.PoolStats;
import io.guardian.pool.Transport;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.event.EventSubscription;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The pool leasing libp2p streams from a real reference node (issue 14, item 7), one subclass per
 * implementation: many concurrent leases share one connection, the node ending our connection is
 * churn (typed errors, a new connection, the breaker stays closed), and a refused protocol leaves
 * the peer's other protocols usable. The node-specific way of ending the connection is
 * {@link #remoteEndsOurConnection}. Each class starts its listeners once (a native peer takes
 * a moment to start and minutes to build cold); every test gets its own pool, so its own
 * identity and connections.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(LeakWatch.NoneAfterAll.class)
abstract class PoolInteropBase {

    static final String ECHO = "/guardian/echo/1.0.0";
    static final String CLOSE_CONN = "/guardian/close-conn/1.0.0";
    static final String NO_SUCH = "/no/such/1.0.0";
    /** Deadline of every single wait; each test stays far below its 60 s timeout. */
    static final Duration T = Duration.ofSeconds(20);
    /** For a request whose connection is already gone: a typed error comes at once, not after this. */
    static final Duration SHORT = Duration.ofSeconds(5);
    static final int CONCURRENT = 64;

    private InteropPeer plain;
    private InteropPeer churning;

    /** @return the implementation under test */
    abstract Lang lang();

    /**
     * @return the {@code listen} flags of the node {@link #remoteEndsOurConnection} runs against,
     *     or {@code null} when the plain listener serves (js's close-conn needs no mode)
     */
    abstract String[] churnFlags();

    /**
     * Makes the node end the pool's only connection to it, and asserts what the holder of a
     * lease sees where one can be held through it. Returns with every lease it took closed, once
     * the pool has retired the connection (its {@code Disconnected} event arrived; the pool
     * raises it when the connection is closed and no longer leased).
     *
     * @param pool the pool, connected to nobody yet, breaker threshold 1
     * @param node the node (the churn listener)
     * @param events the pool's events so far, appended as they come
     */
    abstract void remoteEndsOurConnection(OptimizedConnectionPool pool, InteropPeer node,
            List<ConnectionEvent> events) throws Exception;

    @BeforeAll
    void startNodes() {
        plain = InteropPeer.listen(lang());
        String[] flags = churnFlags();
        churning = flags == null ? plain : InteropPeer.listen(lang(), flags);
    }

    @AfterAll
    void stopNodes() {
        if (churning != null && churning != plain) {
            churning.close();
        }
        if (plain != null) {
            plain.close();
        }
    }

    /** A libp2p pool leasing echo streams; 128 streams per connection leaves room for 64 at once. */
    static PoolConfig.Builder config() {
        return PoolConfig.builder()
                .transport(Transport.LIBP2P)
                .defaultProtocol(ECHO)
                .maxStreamsPerConnection(128)
                .acquireTimeout(T)
                .connectionTimeout(T);
    }

    static byte[] payload(Random random, int size) {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        return bytes;
    }

    /** One request on a fresh lease of {@code protocol}; the echo answers with the message itself. */
    static void echoOnce(OptimizedConnectionPool pool, InteropPeer node, String protocol, byte[] message) {
        try (PeerConnection lease = pool.acquire(node.peerId(), node.address(), protocol)) {
            assertThat(lease.protocol()).isEqualTo(protocol);
            assertThat(lease.request(message, T)).isEqualTo(message);
        }
    }

    static PeerSnapshot snapshot(OptimizedConnectionPool pool, PeerId peer) {
        return pool.peer(peer).orElseThrow(() -> new AssertionError("the pool does not know " + peer));
    }

    /**
     * Waits until the node has reported exactly {@code expected} connections from the pool (every
     * reference listener prints a {@code connected} line per inbound connection, read asynchronously).
     */
    static void awaitConnectionsSeen(InteropPeer node, OptimizedConnectionPool pool, long expected) {
        String us = pool.localPeerId().toString();
        await("the " + node.lang().id() + " node reports " + expected + " connection(s) from us").atMost(T)
                .until(() -> node.events().stream()
                        .filter(e -> "connected".equals(e.get("event")) && us.equals(e.get("peer"))).count(),
                        n -> n == expected);
    }

    /** Asserts that a lease whose connection the node ended fails typed and at once, not by timing out. */
    static void assertFailsAsChurn(PeerConnection lease, byte[] message) {
        assertThatThrownBy(() -> lease.request(message, SHORT))
                .isInstanceOf(GuardianPoolException.class)
                .isNotInstanceOf(ConnectionTimeoutException.class);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void concurrentLeasesShareOneConnectionAndSequentialOnesReuseIt() throws Exception {
        Random random = new Random(1400 + lang().ordinal());
        ExecutorService threads = Executors.newFixedThreadPool(CONCURRENT);
        try (OptimizedConnectionPool pool = new OptimizedConnectionPool(config().build())) {
            // Every lease is held until all 64 have their answer, so all 64 streams are open at once.
            CountDownLatch allAnswered = new CountDownLatch(CONCURRENT);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < CONCURRENT; i++) {
                byte[] message = payload(random, 1024);
                results.add(threads.submit(() -> {
                    try (PeerConnection lease = pool.acquire(plain.peerId(), plain.address(), ECHO)) {
                        byte[] answer = lease.request(message, T);
                        allAnswered.countDown();
                        return allAnswered.await(T.toMillis(), TimeUnit.MILLISECONDS)
                                && Arrays.equals(answer, message);
                    }
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get(T.toMillis(), TimeUnit.MILLISECONDS)).as("echoed while all were held").isTrue();
            }
            assertThat(pool.getStats().connectionsCreated()).as("one connection for %d leases", CONCURRENT)
                    .isEqualTo(1);
            assertThat(snapshot(pool, plain.peerId()).connections()).hasSize(1);

            for (int i = 0; i < 5; i++) {
                echoOnce(pool, plain, ECHO, payload(random, 1024));
            }
            assertThat(pool.getStats().connectionsCreated()).as("sequential acquires reuse it").isEqualTo(1);
            assertThat(snapshot(pool, plain.peerId()).connections()).hasSize(1);
            awaitConnectionsSeen(plain, pool, 1);
            assertThat(snapshot(pool, plain.peerId()).circuitBreaker().state()).isEqualTo(CircuitState.CLOSED);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theNodeEndingOurConnectionIsChurnNotAFailure() throws Exception {
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        // One counted failure would open the breaker: churn must count none.
        try (OptimizedConnectionPool pool =
                        new OptimizedConnectionPool(config().circuitBreakerFailureThreshold(1).build());
                EventSubscription subscription = pool.subscribeEvents(events::add)) {
            remoteEndsOurConnection(pool, churning, events);
            assertThat(events).anyMatch(e -> e instanceof ConnectionEvent.Disconnected
                    && e.peerId().equals(churning.peerId()));
            assertThat(snapshot(pool, churning.peerId()).circuitBreaker().state()).isEqualTo(CircuitState.CLOSED);

            echoOnce(pool, churning, ECHO, payload(new Random(14), 1024));
            assertThat(pool.getStats().connectionsCreated()).as("one new connection after the churn").isEqualTo(2);
            awaitConnectionsSeen(churning, pool, 2);
            assertThat(snapshot(pool, churning.peerId()).circuitBreaker().state()).isEqualTo(CircuitState.CLOSED);
            assertThat(events).noneMatch(e -> e instanceof ConnectionEvent.CircuitBreakerOpen);
            PoolStats stats = pool.getStats();
            assertThat(stats.closedByPeer()).as("counted as churn; events %s", events).isEqualTo(1);
            assertThat(stats.connectionsFailed()).as("not as a failure").isZero();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aRefusedProtocolLeavesThePeersOtherProtocolsUsable() throws Exception {
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        // One counted failure would open the breaker: a refusal must count none.
        try (OptimizedConnectionPool pool =
                        new OptimizedConnectionPool(config().circuitBreakerFailureThreshold(1).build());
                EventSubscription subscription = pool.subscribeEvents(events::add)) {
            echoOnce(pool, plain, ECHO, new byte[] {1, 2, 3});
            // With 0-RTT select the refusal may surface at the first request rather than at acquire.
            assertThatThrownBy(() -> {
                try (PeerConnection lease = pool.acquire(plain.peerId(), plain.address(), NO_SUCH)) {
                    lease.request(new byte[] {4}, T);
                }
            }).isInstanceOf(GuardianPoolException.class).isNotInstanceOf(ConnectionTimeoutException.class)
                    .hasMessageContaining(NO_SUCH);

            echoOnce(pool, plain, ECHO, new byte[] {5, 6, 7});
            assertThat(snapshot(pool, plain.peerId()).circuitBreaker().state()).isEqualTo(CircuitState.CLOSED);
            assertThat(events).noneMatch(e -> e instanceof ConnectionEvent.CircuitBreakerOpen);
            // A refused stream is not a broken connection: the same connection carries on.
            assertThat(pool.getStats().connectionsCreated()).isEqualTo(1);
        }
    }

    /** Waits for the pool's {@code Disconnected} event about {@code node}. */
    static void awaitDisconnected(List<ConnectionEvent> events, InteropPeer node, Duration within) {
        await("the pool's Disconnected event for the " + node.lang().id() + " node").atMost(within)
                .until(() -> events.stream().anyMatch(e -> e instanceof ConnectionEvent.Disconnected
                        && e.peerId().equals(node.peerId())));
    }
}
