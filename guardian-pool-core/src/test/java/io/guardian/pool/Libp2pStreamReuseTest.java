package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.net.P2pStream;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.StreamHandler;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code reusable-stream-protocols} over real loopback: a lease of a reusable protocol that ends
 * clean leaves its stream for the next lease (the listener sees one stream for many leases), and
 * every other ending (a reply unread, markFailed, a timeout, the remote closing, resetting or
 * writing to the stream) costs that stream and never the next lease's request.
 */
@Timeout(90)
class Libp2pStreamReuseTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String A = "/test/reuse-a/1.0.0";
    private static final String B = "/test/reuse-b/1.0.0";
    private static final String PLAIN = "/test/plain/1.0.0";

    @RegisterExtension
    final TestPeers peers = new TestPeers();

    private final LeakWatch leaks = new LeakWatch();
    /**
     * The counting handler blocks a thread per open stream, idle ones included (a message
     * handler's streams hold none): the listener's default pool of a thread per core would starve.
     */
    private final ExecutorService handlerThreads = Executors.newCachedThreadPool();

    @AfterEach
    void noLeaks() {
        peers.close();
        handlerThreads.shutdownNow();
        assertThat(leaks.collectLeaks()).isEmpty();
        leaks.close();
    }

    /**
     * Serves message after message on each stream, counting streams. A message's first word says
     * what to do: {@code silent} (no reply), {@code twice} (two replies), {@code fin} (reply, then
     * close our side), {@code rst} (reset instead of a reply); anything else is echoed.
     */
    static final class CountingEcho implements StreamHandler {
        final AtomicInteger streams = new AtomicInteger();
        final ConcurrentLinkedDeque<P2pStream> open = new ConcurrentLinkedDeque<>();

        @Override
        public void handle(P2pStream stream) {
            streams.incrementAndGet();
            open.addLast(stream);
            try {
                byte[] m;
                while ((m = stream.readMessage(1 << 20, Duration.ofSeconds(60))) != null) {
                    String text = new String(m, StandardCharsets.UTF_8);
                    if (text.startsWith("silent")) {
                        continue;
                    }
                    if (text.startsWith("rst")) {
                        stream.reset();
                        return;
                    }
                    stream.writeMessage(m);
                    if (text.startsWith("twice")) {
                        stream.writeMessage(m);
                    } else if (text.startsWith("fin")) {
                        stream.closeWrite();
                    }
                }
            } finally {
                open.remove(stream);
            }
        }
    }

    private final CountingEcho a = new CountingEcho();
    private final CountingEcho b = new CountingEcho();
    private final CountingEcho plain = new CountingEcho();

    private TestPeers.Peer startPeer() {
        PeerIdentity identity = PeerIdentity.generate();
        PeerListener listener = PeerListener.builder(identity)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler(TestPeers.ECHO)
                .streamHandler(A, a)
                .streamHandler(B, b)
                .streamHandler(PLAIN, plain)
                .handlerExecutor(handlerThreads)
                .start();
        peers.closeFirst(listener);
        return new TestPeers.Peer(identity.peerId(), listener.listenAddress(), listener, null);
    }

    private OptimizedConnectionPool pool(PoolConfig.Builder config) {
        return peers.closeFirst(new OptimizedConnectionPool(config.build()));
    }

    private static OptimizedConnectionPool reusing(TestPeers peers, int streams) {
        // The breaker never opens here: the seeded mix fails leases on purpose, many in a row.
        return peers.closeFirst(new OptimizedConnectionPool(PoolConfig.builder().maxStreamsPerConnection(streams)
                .circuitBreakerFailureThreshold(1_000_000)
                .reusableStreamProtocols(List.of(A, B, PeerListener.DEFAULT_PROTOCOL)).build()));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void request(OptimizedConnectionPool pool, TestPeers.Peer peer, String protocol, String text) {
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), protocol)) {
            assertThat(lease.request(bytes(text), WAIT)).isEqualTo(bytes(text));
        }
    }

    /**
     * A round trip on a stream of its own: whatever the remote sent on the connection before its
     * reply (a reset, a FIN, data on another stream) has reached us when the reply does.
     */
    private static void barrier(OptimizedConnectionPool pool, TestPeers.Peer peer) {
        request(pool, peer, PLAIN, "barrier");
    }

    @Test
    void leaseAfterLeaseTravelsOnOneStream() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 8);
        for (int i = 0; i < 50; i++) {
            request(pool, peer, A, "hello-" + i);
        }
        assertThat(a.streams.get()).isEqualTo(1);
        assertThat(a.open).hasSize(1);
        PoolStats stats = pool.getStats();
        assertThat(stats.connectionsCreated()).isEqualTo(1);
        assertThat(stats.activeStreams()).as("an idle stream is not a leased one").isZero();
        assertThat(pool.peer(peer.id()).orElseThrow().streams()).isZero();
    }

    @Test
    void theDefaultIsAStreamPerLease() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = pool(PoolConfig.builder());
        assertThat(PoolConfig.defaults().reusableStreamProtocols()).isEmpty();
        for (int i = 0; i < 5; i++) {
            request(pool, peer, A, "hello-" + i);
        }
        assertThat(a.streams.get()).isEqualTo(5);
    }

    @Test
    void aProtocolNotInTheSetGetsAStreamPerLease() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 8);
        for (int i = 0; i < 5; i++) {
            request(pool, peer, PLAIN, "hello-" + i);
        }
        assertThat(plain.streams.get()).isEqualTo(5);
        await().atMost(WAIT).until(plain.open::isEmpty);
    }

    @Test
    void eachProtocolKeepsItsOwnStream() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 8);
        for (int i = 0; i < 10; i++) {
            request(pool, peer, i % 2 == 0 ? A : B, "hello-" + i);
        }
        assertThat(a.streams.get()).isEqualTo(1);
        assertThat(b.streams.get()).isEqualTo(1);
    }

    @Test
    void aReplyLeftUnreadCostsTheStream() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 8);
        request(pool, peer, A, "first");
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), A)) {
            lease.send(bytes("unread"));
        }
        request(pool, peer, A, "after");
        assertThat(a.streams.get()).isEqualTo(2);
    }

    @Test
    void markFailedCostsTheStream() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 8);
        request(pool, peer, A, "first");
        PeerConnection lease = pool.acquire(peer.id(), peer.address(), A);
        assertThat(lease.request(bytes("answered"), WAIT)).isEqualTo(bytes("answered"));
        lease.markFailed(new IllegalStateException("the reply did not make sense"));
        request(pool, peer, A, "after");
        assertThat(a.streams.get()).isEqualTo(2);
    }

    @Test
    void aTimeoutCostsTheStreamEvenWithNothingOwed() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 8);
        request(pool, peer, A, "first");
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), A)) {
            assertThatThrownBy(() -> lease.request(bytes("silent"), Duration.ofMillis(200)))
                    .isInstanceOf(RequestTimeoutException.class);
        }
        request(pool, peer, A, "second");
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), A)) {
            assertThatThrownBy(() -> lease.receive(Duration.ofMillis(100))).isInstanceOf(RequestTimeoutException.class);
        }
        request(pool, peer, A, "third");
        assertThat(a.streams.get()).isEqualTo(3);
    }

    @Test
    void aStreamTheRemoteClosedIsNotReused() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 8);
        request(pool, peer, A, "fin");
        barrier(pool, peer);
        request(pool, peer, A, "after");
        request(pool, peer, A, "again");
        assertThat(a.streams.get()).isEqualTo(2);
    }

    @Test
    void aRemoteThatResetsAnIdleStreamCostsOnlyThatStream() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 8);
        request(pool, peer, A, "first");
        a.open.getFirst().reset();
        barrier(pool, peer);
        request(pool, peer, A, "after the reset");
        assertThat(a.streams.get()).isEqualTo(2);
        assertThat(pool.getStats().connectionsCreated()).isEqualTo(1);
        PeerSnapshot snapshot = pool.peer(peer.id()).orElseThrow();
        assertThat(snapshot.circuitBreaker().state()).isEqualTo(io.guardian.pool.breaker.CircuitState.CLOSED);
    }

    @Test
    void dataTheRemoteSendsOnAnIdleStreamNeverReachesTheNextLease() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 8);
        request(pool, peer, A, "first");
        a.open.getFirst().writeMessage(bytes("unsolicited"));
        barrier(pool, peer);
        request(pool, peer, A, "mine");
        // A second reply to one request is unsolicited too.
        request(pool, peer, A, "twice");
        barrier(pool, peer);
        request(pool, peer, A, "mine again");
        assertThat(a.streams.get()).isEqualTo(3);
    }

    @Test
    void aRemoteResetInsteadOfAReplyFailsThatLeaseOnly() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 8);
        request(pool, peer, A, "first");
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), A)) {
            assertThatThrownBy(() -> lease.request(bytes("rst"), WAIT)).isInstanceOf(GuardianPoolException.class);
        }
        request(pool, peer, A, "after");
        assertThat(a.streams.get()).isEqualTo(2);
    }

    @Test
    void idleAndLeasedStreamsTogetherStayWithinTheStreamLimit() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 2);
        request(pool, peer, A, "a");
        request(pool, peer, B, "b");
        // Two idle streams fill the limit: a third protocol's stream closes the oldest idle one first.
        request(pool, peer, PLAIN, "plain");
        await().atMost(WAIT).until(() -> a.open.isEmpty());
        assertThat(b.open).hasSize(1);
        request(pool, peer, B, "b again");
        assertThat(b.streams.get()).isEqualTo(1);
        try (PeerConnection one = pool.acquire(peer.id(), peer.address(), A);
                PeerConnection two = pool.acquire(peer.id(), peer.address(), A)) {
            assertThat(one.request(bytes("one"), WAIT)).isEqualTo(bytes("one"));
            assertThat(two.request(bytes("two"), WAIT)).isEqualTo(bytes("two"));
            assertThat(pool.getStats().connectionsCreated()).isEqualTo(1);
        }
        // Both A streams ended clean, but only the limit's worth of streams stays parked.
        await().atMost(WAIT).until(() -> a.open.size() + b.open.size() <= 2);
    }

    @Test
    void idleStreamsCloseWithTheirConnection() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 8);
        request(pool, peer, A, "a");
        request(pool, peer, B, "b");
        assertThat(a.open).hasSize(1);
        pool.close();
        await().atMost(WAIT).until(() -> a.open.isEmpty() && b.open.isEmpty());
    }

    @Test
    void healthPassesPingAConnectionWithAnIdleStreamAndEvictionClosesIt() {
        TestPeers.Peer peer = startPeer();
        LoopbackPool p = peers.closeFirst(new LoopbackPool(PoolConfig.builder().idleTimeout(Duration.ofSeconds(60))
                .reusableStreamProtocols(List.of(A)).build()));
        for (int i = 0; i < 3; i++) {
            try (PeerConnection lease = p.pool.acquire(peer.id(), peer.address(), A)) {
                assertThat(lease.request(bytes("x" + i), WAIT)).isEqualTo(bytes("x" + i));
            }
        }
        assertThat(a.streams.get()).isEqualTo(1);
        p.clock.advance(Duration.ofSeconds(10));
        HealthReport first = p.pool.checkHealth();
        assertThat(first.pinged()).isEqualTo(1);
        assertThat(first.lost() + first.failed() + first.evicted()).isZero();
        // The idle stream does not keep its connection: past idle-timeout the pass evicts it, and
        // the stream closes with it.
        p.clock.advance(Duration.ofSeconds(61));
        assertThat(p.pool.checkHealth().evicted()).isEqualTo(1);
        await().atMost(WAIT).until(a.open::isEmpty);
        assertThat(p.pool.getStats().activeConnections() + p.pool.getStats().pooledConnections()).isZero();
    }

    @Test
    void theSettingIsValidatedAndNamed() {
        assertThatThrownBy(() -> PoolConfig.builder().reusableStreamProtocols(null).build())
                .isInstanceOfSatisfying(InvalidSettingException.class,
                        e -> assertThat(e.setting()).isEqualTo("reusable-stream-protocols"));
        assertThatThrownBy(() -> PoolConfig.builder().reusableStreamProtocols(List.of("no-slash")).build())
                .isInstanceOfSatisfying(InvalidSettingException.class,
                        e -> assertThat(e.getMessage()).contains("reusable-stream-protocols"));
        PoolConfig config = PoolConfig.builder().reusableStreamProtocols(List.of(A, B, A)).build();
        assertThat(config.reusableStreamProtocols()).containsExactly(A, B);
        assertThat(config.toBuilder().build()).isEqualTo(config);
        assertThat(config).isNotEqualTo(PoolConfig.defaults());
        assertThat(config.toString()).contains("reusable-stream-protocols=[" + A + ", " + B + "]");
        assertThatThrownBy(() -> config.reusableStreamProtocols().add("/x")).isInstanceOf(UnsupportedOperationException.class);
    }

    /**
     * Seeded: callers on several threads mix clean requests on two reusable protocols and a plain
     * one with every dirty ending a lease can have; each clean request gets exactly its own reply
     * (a stale or stray message would differ), and nothing leaks.
     */
    @Test
    void aSeededMixOfCleanAndDirtyLeasesNeverCrossesReplies() throws Exception {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = reusing(peers, 4);
        long seed = Long.getLong("reuse.seed", 1717L);
        int threads = 4;
        int rounds = 150;
        ExecutorService callers = Executors.newFixedThreadPool(threads);
        AtomicInteger clean = new AtomicInteger();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(seed + t);
                int thread = t;
                done.add(callers.submit(() -> {
                    for (int i = 0; i < rounds; i++) {
                        String protocol = switch (random.nextInt(5)) {
                            case 0, 1 -> A;
                            case 2, 3 -> B;
                            default -> PLAIN;
                        };
                        String text = thread + ":" + i;
                        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), protocol)) {
                            switch (random.nextInt(10)) {
                                case 0 -> lease.send(bytes("unread " + text));
                                case 1 -> {
                                    assertThat(lease.request(bytes(text), WAIT)).isEqualTo(bytes(text));
                                    lease.markFailed(new IllegalStateException("seeded"));
                                }
                                case 2 -> assertThatThrownBy(() -> lease.request(bytes("silent " + text),
                                        Duration.ofMillis(20 + random.nextInt(30)))).isInstanceOf(RequestTimeoutException.class);
                                case 3 -> assertThatThrownBy(() -> lease.request(bytes("rst " + text), WAIT))
                                        .isInstanceOf(GuardianPoolException.class);
                                default -> {
                                    for (int n = random.nextInt(3); n >= 0; n--) {
                                        assertThat(lease.request(bytes(text + "#" + n), WAIT)).isEqualTo(bytes(text + "#" + n));
                                    }
                                    clean.incrementAndGet();
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
        }
        assertThat(clean.get()).isPositive();
        assertThat(pool.getStats().activeStreams()).isZero();
        // (More than one connection may be dialed: a reset before any reply on a new stream reads as
        // the remote refusing streams, which lowers that connection's stream count.)
        // Reuse happened: far fewer streams than leases of the reusable protocols.
        assertThat(a.streams.get() + b.streams.get()).isLessThan(threads * rounds * 4 / 5);
        // Idle streams stay within the stream limit of each connection.
        int connections = pool.peer(peer.id()).orElseThrow().connections().size();
        await().atMost(WAIT).until(() -> a.open.size() + b.open.size() <= 4 * connections);
        // Nothing the remote received stays reserved from its inbound memory budget.
        await().atMost(WAIT).until(() -> peer.listener().stats().bufferedBytes() == 0);
    }
}
