package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The pool over libp2p against our own {@link PeerListener} on loopback: a lease is a stream, many
 * share one connection, a refused protocol or a timed-out request costs a stream and never the
 * connection or the breaker, a remote close is churn.
 */
@Timeout(60)
class Libp2pPoolTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String ECHO = "/test/echo/1.0.0";
    private static final String SILENT = "/test/silent/1.0.0";

    @RegisterExtension
    final TestPeers peers = new TestPeers();

    private final CountDownLatch silentRelease = new CountDownLatch(1);

    @AfterEach
    void releaseSilentHandlers() {
        silentRelease.countDown();
    }

    private TestPeers.Peer startPeer() {
        PeerIdentity identity = PeerIdentity.generate();
        PeerListener listener = PeerListener.builder(identity)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler(TestPeers.ECHO)
                .handler(ECHO, TestPeers.ECHO)
                .handler(SILENT, (from, message) -> {
                    try {
                        silentRelease.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return message;
                })
                .start();
        peers.closeFirst(listener);
        return new TestPeers.Peer(identity.peerId(), listener.listenAddress(), listener, null);
    }

    private OptimizedConnectionPool pool(PoolConfig.Builder config) {
        return peers.closeFirst(new OptimizedConnectionPool(config.build()));
    }

    @Test
    void libp2pIsTheDefaultTransportAndALeaseSpeaksTheDefaultProtocol() {
        assertThat(PoolConfig.defaults().transport()).isEqualTo(Transport.LIBP2P);
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = pool(PoolConfig.builder());
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
            assertThat(lease.protocol()).isEqualTo(PeerListener.DEFAULT_PROTOCOL);
            assertThat(lease.request(bytes("hello"), WAIT)).isEqualTo(bytes("hello"));
        }
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), ECHO)) {
            assertThat(lease.protocol()).isEqualTo(ECHO);
            assertThat(lease.request(bytes("again"), WAIT)).isEqualTo(bytes("again"));
        }
        PoolStats stats = pool.getStats();
        assertThat(stats.connectionsCreated()).isEqualTo(1);
        assertThat(stats.connectionsReused()).isEqualTo(1);
    }

    @Test
    void manyConcurrentLeasesShareOneConnection() throws Exception {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = pool(PoolConfig.builder().maxStreamsPerConnection(64));
        int callers = 64;
        CountDownLatch allHeld = new CountDownLatch(callers);
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        try {
            List<Future<byte[]>> replies = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                byte[] message = bytes("caller-" + i);
                replies.add(threads.submit(() -> {
                    try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), ECHO)) {
                        allHeld.countDown();
                        go.await(20, TimeUnit.SECONDS);
                        return lease.request(message, WAIT);
                    }
                }));
            }
            assertThat(allHeld.await(20, TimeUnit.SECONDS)).isTrue();
            PeerSnapshot held = pool.peer(peer.id()).orElseThrow();
            assertThat(held.streams()).isEqualTo(callers);
            assertThat(held.connections()).hasSize(1);
            go.countDown();
            for (int i = 0; i < callers; i++) {
                assertThat(replies.get(i).get(20, TimeUnit.SECONDS)).isEqualTo(bytes("caller-" + i));
            }
        } finally {
            go.countDown();
            threads.shutdownNow();
        }
        assertThat(pool.getStats().connectionsCreated()).isEqualTo(1);
        await().atMost(WAIT).until(() -> pool.peer(peer.id()).orElseThrow().streams() == 0);
    }

    @Test
    void aSecondConnectionIsDialedOnlyWhenTheFirstIsFull() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = pool(PoolConfig.builder().maxStreamsPerConnection(2).maxConnectionsPerPeer(2)
                .acquireTimeout(Duration.ofMillis(200)));
        List<PeerConnection> held = new ArrayList<>();
        try {
            held.add(pool.acquire(peer.id(), peer.address()));
            held.add(pool.acquire(peer.id(), peer.address()));
            assertThat(pool.getStats().connectionsCreated()).isEqualTo(1);
            held.add(pool.acquire(peer.id(), peer.address()));
            assertThat(pool.getStats().connectionsCreated()).isEqualTo(2);
            held.add(pool.acquire(peer.id(), peer.address()));
            assertThat(pool.getStats().connectionsCreated()).isEqualTo(2);
            assertThatThrownBy(() -> pool.acquire(peer.id(), peer.address())).isInstanceOf(PoolExhaustedException.class);
            for (PeerConnection lease : held) {
                assertThat(lease.request(bytes(lease.id()), WAIT)).isEqualTo(bytes(lease.id()));
            }
            // A freed stream goes to the next caller on the same connection.
            PeerConnection first = held.remove(0);
            String freedOn = first.id();
            first.close();
            PeerConnection next = pool.acquire(peer.id(), peer.address());
            held.add(next);
            assertThat(next.id()).isEqualTo(freedOn);
        } finally {
            held.forEach(PeerConnection::close);
        }
        PeerSnapshot snapshot = pool.peer(peer.id()).orElseThrow();
        assertThat(snapshot.connections()).hasSize(2);
        assertThat(snapshot.streams()).isZero();
    }

    @Test
    void aRefusedProtocolIsTypedOpensNoBreakerAndLeavesTheConnectionToOtherProtocols() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = pool(PoolConfig.builder().circuitBreakerFailureThreshold(1));
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), "/no/such/1.0.0")) {
            assertThatThrownBy(() -> lease.request(bytes("x"), WAIT))
                    .isInstanceOfSatisfying(ProtocolNotSupportedException.class, e -> {
                        assertThat(e.protocol()).isEqualTo("/no/such/1.0.0");
                        assertThat(e.peerId()).isEqualTo(peer.id());
                    })
                    .hasMessageContaining("/no/such/1.0.0");
        }
        // Remembered: the next acquire of that protocol fails at once, without a stream.
        assertThatThrownBy(() -> pool.acquire(peer.id(), peer.address(), "/no/such/1.0.0"))
                .isInstanceOf(ProtocolNotSupportedException.class);
        assertThat(pool.peer(peer.id()).orElseThrow().circuitBreaker().state()).isEqualTo(CircuitState.CLOSED);
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), ECHO)) {
            assertThat(lease.request(bytes("still here"), WAIT)).isEqualTo(bytes("still here"));
        }
        assertThat(pool.getStats().connectionsCreated()).isEqualTo(1);
        assertThat(pool.getStats().connectionsFailed()).isZero();
    }

    @Test
    void aTimedOutRequestResetsItsStreamNotTheConnection() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = pool(PoolConfig.builder().circuitBreakerFailureThreshold(5));
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), SILENT)) {
            assertThatThrownBy(() -> lease.request(bytes("no answer"), Duration.ofMillis(200)))
                    .isInstanceOf(RequestTimeoutException.class);
            // The same lease goes on with a new stream: the late reply cannot reach it.
        }
        try (PeerConnection other = pool.acquire(peer.id(), peer.address(), ECHO)) {
            assertThat(other.request(bytes("fine"), WAIT)).isEqualTo(bytes("fine"));
        }
        silentRelease.countDown();
        PoolStats stats = pool.getStats();
        assertThat(stats.connectionsCreated()).isEqualTo(1);
        assertThat(stats.connectionsFailed()).isZero();
        // The unanswered request counts against the peer, as on guardian-db.
        assertThat(pool.peer(peer.id()).orElseThrow().circuitBreaker().failureCount()).isEqualTo(1);
    }

    @Test
    void aRemoteCloseMidLeaseIsTypedChurnAndThePoolRecoversWithoutTheBreaker() throws Exception {
        TestPeers.Peer direct = startPeer();
        LoopbackProxy proxy = peers.closeFirst(new LoopbackProxy(direct.address()));
        Multiaddr viaProxy = proxy.address(direct.id());
        OptimizedConnectionPool pool = pool(PoolConfig.builder().circuitBreakerFailureThreshold(1));
        List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
        pool.subscribeEvents(events::add);
        try (PeerConnection lease = pool.acquire(direct.id(), viaProxy, SILENT)) {
            lease.send(bytes("pending"));
            proxy.cutAll();
            assertThatThrownBy(() -> lease.receive(WAIT)).isInstanceOf(ConnectionClosedException.class);
        }
        await().atMost(WAIT).until(() -> events.stream().anyMatch(e -> e instanceof ConnectionEvent.Disconnected));
        assertThat(pool.peer(direct.id()).orElseThrow().circuitBreaker().state()).isEqualTo(CircuitState.CLOSED);
        try (PeerConnection lease = pool.acquire(direct.id(), viaProxy, ECHO)) {
            assertThat(lease.request(bytes("back"), WAIT)).isEqualTo(bytes("back"));
        }
        assertThat(pool.getStats().connectionsCreated()).isEqualTo(2);
        assertThat(events).noneMatch(e -> e instanceof ConnectionEvent.CircuitBreakerOpen);
    }

    @Test
    void identifyAnswersAreKeptPerPeer() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = pool(PoolConfig.builder());
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), ECHO)) {
            lease.request(bytes("hi"), WAIT);
        }
        await().atMost(WAIT).until(() -> pool.peer(peer.id()).orElseThrow().info() != null);
        PeerInfo info = pool.peer(peer.id()).orElseThrow().info();
        assertThat(info.agentVersion()).startsWith("guardian-pool/");
        assertThat(info.protocols()).contains(ECHO, SILENT, PeerListener.DEFAULT_PROTOCOL);
        assertThat(info.listenAddresses()).isNotEmpty();
    }

    @Test
    void theHealthPassPingsLibp2pConnectionsThatCarryLeases() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = pool(PoolConfig.builder());
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address(), ECHO)) {
            lease.request(bytes("busy"), WAIT);
            HealthReport report = pool.checkHealth();
            assertThat(report.pinged()).isEqualTo(1);
            assertThat(report.failed()).isZero();
        }
    }

    @Test
    void guardianTransportStillLeasesWholeConnectionsAndRefusesOtherProtocols() {
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = pool(PoolConfig.builder().transport(Transport.GUARDIAN));
        try (PeerConnection a = pool.acquire(peer.id(), peer.address());
                PeerConnection b = pool.acquire(peer.id(), peer.address())) {
            assertThat(a.id()).isNotEqualTo(b.id());
            assertThat(a.request(bytes("g"), WAIT)).isEqualTo(bytes("g"));
            assertThat(a.protocol()).isEqualTo(PeerListener.DEFAULT_PROTOCOL);
        }
        assertThatThrownBy(() -> pool.acquire(peer.id(), peer.address(), ECHO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("GUARDIAN");
        assertThat(pool.getStats().connectionsCreated()).isEqualTo(2);
    }

    @Test
    void aPoolSharingItsListenersIdentityLeasesOverTheConnectionThePeerDialedToUs() throws Exception {
        PeerIdentity us = PeerIdentity.generate();
        PeerListener ourListener = peers.closeFirst(PeerListener.builder(us)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handler(ECHO, TestPeers.ECHO).start());
        OptimizedConnectionPool ourPool = peers.closeFirst(new OptimizedConnectionPool(PoolConfig.defaults(), us));
        ourPool.attach(ourListener);

        PeerIdentity them = PeerIdentity.generate();
        PeerListener theirListener = peers.closeFirst(PeerListener.builder(them)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handler(ECHO, TestPeers.ECHO).start());
        OptimizedConnectionPool theirPool = peers.closeFirst(new OptimizedConnectionPool(PoolConfig.defaults(), them));
        theirPool.attach(theirListener);

        // They dial us (as a peer behind NAT would); we never dial them.
        try (PeerConnection lease = theirPool.acquire(us.peerId(), ourListener.listenAddress(), ECHO)) {
            assertThat(lease.request(bytes("from them"), WAIT)).isEqualTo(bytes("from them"));
        }
        await().atMost(WAIT).until(() -> ourPool.peer(them.peerId()).map(p -> p.connections().size()).orElse(0) == 1);
        Multiaddr unreachable = TestPeers.refusing().address().withoutPeerId().withPeerId(them.peerId());
        try (PeerConnection lease = ourPool.acquire(them.peerId(), unreachable, ECHO)) {
            assertThat(lease.request(bytes("to them"), WAIT)).isEqualTo(bytes("to them"));
        }
        assertThat(ourPool.getStats().connectionsCreated()).isZero();
        assertThat(theirPool.getStats().connectionsCreated()).isEqualTo(1);
        assertThat(ourListener.connectionCount()).isEqualTo(1);
    }

    @Test
    void attachingAListenerOfAnotherIdentityOrToAGuardianPoolIsRefused() {
        PeerListener listener = peers.closeFirst(PeerListener.builder(PeerIdentity.generate())
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handler(TestPeers.ECHO).start());
        OptimizedConnectionPool other = pool(PoolConfig.builder());
        assertThatThrownBy(() -> other.attach(listener)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("same PeerIdentity");
        OptimizedConnectionPool guardian = pool(PoolConfig.builder().transport(Transport.GUARDIAN));
        assertThatThrownBy(() -> guardian.attach(listener)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("LIBP2P");
    }

    @Test
    void aPeerThatResetsStreamsOverItsLimitLowersThatConnectionsLimit() throws Exception {
        String limited = "/test/limited/1.0.0";
        java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService handlers = Executors.newCachedThreadPool();
        PeerIdentity identity = PeerIdentity.generate();
        try {
            PeerListener listener = peers.closeFirst(PeerListener.builder(identity)
                    .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handlerExecutor(handlers)
                    .streamHandler(limited, stream -> {
                        if (opened.incrementAndGet() == 3) {
                            stream.reset(); // the third stream is refused, as js-libp2p does past its limit
                            return;
                        }
                        byte[] m;
                        while ((m = stream.readMessage(1024, WAIT)) != null) {
                            stream.writeMessage(m);
                        }
                    }).start());
            OptimizedConnectionPool pool = pool(PoolConfig.builder().maxStreamsPerConnection(8));
            List<PeerConnection> held = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    PeerConnection lease = pool.acquire(identity.peerId(), listener.listenAddress(), limited);
                    assertThat(lease.request(bytes("ok"), WAIT)).isEqualTo(bytes("ok"));
                    held.add(lease);
                }
                PeerConnection third = pool.acquire(identity.peerId(), listener.listenAddress(), limited);
                assertThatThrownBy(() -> third.request(bytes("one too many"), WAIT))
                        .isInstanceOf(ConnectionClosedException.class);
                third.close();
                assertThat(pool.getStats().connectionsCreated()).isEqualTo(1);
                // The connection now carries at most the two it holds: the next lease gets a new one.
                PeerConnection fourth = pool.acquire(identity.peerId(), listener.listenAddress(), limited);
                held.add(fourth);
                assertThat(fourth.request(bytes("on a new connection"), WAIT)).isEqualTo(bytes("on a new connection"));
                assertThat(pool.getStats().connectionsCreated()).isEqualTo(2);
                assertThat(fourth.id()).isNotEqualTo(held.get(0).id());
                assertThat(pool.peer(identity.peerId()).orElseThrow().circuitBreaker().failureCount()).isZero();
            } finally {
                held.forEach(PeerConnection::close);
            }
        } finally {
            handlers.shutdownNow();
        }
    }

    @Test
    void badProtocolIdsAndStreamLimitsNameTheSetting() {
        assertThatThrownBy(() -> PoolConfig.builder().defaultProtocol("no-slash").build())
                .isInstanceOfSatisfying(InvalidSettingException.class,
                        e -> assertThat(e.setting()).isEqualTo("default-protocol"));
        assertThatThrownBy(() -> PoolConfig.builder().maxStreamsPerConnection(0).build())
                .isInstanceOfSatisfying(InvalidSettingException.class,
                        e -> assertThat(e.setting()).isEqualTo("max-streams-per-connection"));
        assertThatThrownBy(() -> PoolConfig.builder().maxStreamsPerConnection(1001).build())
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("1000");
        TestPeers.Peer peer = startPeer();
        OptimizedConnectionPool pool = pool(PoolConfig.builder());
        assertThatThrownBy(() -> pool.acquire(peer.id(), peer.address(), "with space/1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("protocol");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
