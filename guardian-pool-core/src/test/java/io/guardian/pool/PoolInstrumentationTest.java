package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.PoolInstrumentation.Operation;
import io.guardian.pool.PoolInstrumentation.Scope;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The {@link PoolInstrumentation} hook over real loopback peers: one dial scope per dial (not per
 * warm acquire, not per rider), ended with the caller's failure; one request scope per lease
 * operation, on the caller's thread; detached when a release started the dial; nothing wrapped
 * without a hook.
 */
@Timeout(60)
class PoolInstrumentationTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final TestPeers peers = new TestPeers();

    private final Recorder recorder = new Recorder();

    private OptimizedConnectionPool pool(PoolConfig.Builder config) {
        return peers.closeFirst(new OptimizedConnectionPool(config.build(), PeerIdentity.generate(), recorder));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aDialAndEachOperationGetAScopeAndAWarmAcquireNone(Transport transport) {
        TestPeers.Peer peer = peers.start();
        OptimizedConnectionPool pool = pool(PoolConfig.builder().transport(transport));
        Thread caller = Thread.currentThread();
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
            assertThat(lease.request(bytes("hello"), WAIT)).isEqualTo(bytes("hello"));
        }
        await().atMost(WAIT).until(() -> recorder.closed("dial") == 1);
        Record dial = recorder.only("dial");
        assertThat(dial.peer).isEqualTo(peer.id());
        assertThat(dial.transport).isEqualTo(transport);
        assertThat(dial.detached).as("started on the acquiring caller's thread").isFalse();
        assertThat(dial.startedOn).isSameAs(caller);
        assertThat(dial.failure).isNull();
        Record request = recorder.only("REQUEST");
        assertThat(request.startedOn).isSameAs(caller);
        assertThat(request.protocol).isEqualTo(pool.config().defaultProtocol());
        assertThat(request.closed).isTrue();
        assertThat(request.failure).isNull();

        // Warm: the idle connection (or a stream on it) is reused, no dial and no acquire scope.
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
            lease.send(bytes("ping"));
            assertThat(lease.receive(WAIT)).isEqualTo(bytes("ping"));
        }
        assertThat(recorder.count("dial")).isEqualTo(1);
        assertThat(recorder.count("SEND")).isEqualTo(1);
        assertThat(recorder.count("RECEIVE")).isEqualTo(1);
        assertThat(pool.getStats().connectionsReused()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aFailedOperationEndsItsScopeWithTheCallersException() {
        TestPeers.Peer peer = peers.start();
        OptimizedConnectionPool pool = pool(PoolConfig.builder().transport(Transport.GUARDIAN));
        PeerConnection lease = pool.acquire(peer.id(), peer.address());
        lease.close();
        assertThatThrownBy(() -> lease.send(bytes("late"))).isInstanceOf(IllegalStateException.class);
        Record send = recorder.only("SEND");
        assertThat(send.failure).isInstanceOf(IllegalStateException.class);
        assertThat(send.closed).isTrue();
    }

    @Test
    void aRefusedDialEndsItsScopeFailedWithWhatTheCallerGot() {
        TestPeers.Peer refusing = TestPeers.refusing();
        OptimizedConnectionPool pool = pool(PoolConfig.builder().transport(Transport.GUARDIAN).maxRetryAttempts(1)
                .initialRetryBackoff(Duration.ofMillis(10)));
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> pool.acquire(refusing.id(), refusing.address()));
        assertThat(thrown).isInstanceOf(ConnectionFailedException.class);
        await().atMost(WAIT).until(() -> recorder.closed("dial") == 1);
        Record dial = recorder.only("dial");
        assertThat(dial.failure).as("one scope for both attempts, failed like the acquire")
                .isInstanceOf(ConnectionFailedException.class);
        assertThat(recorder.count("REQUEST") + recorder.count("SEND")).isZero();
    }

    @Test
    void aDialStartedByAnotherThreadsReleaseIsDetached() throws Exception {
        TestPeers.Peer first = peers.start();
        TestPeers.Peer second = peers.start();
        OptimizedConnectionPool pool = pool(PoolConfig.builder().transport(Transport.GUARDIAN)
                .maxTotalConnections(1).acquireTimeout(WAIT));
        PeerConnection held = pool.acquire(first.id(), first.address());
        CompletableFuture<PeerConnection> waiting = pool.acquireAsync(second.id(), second.address());
        await().atMost(WAIT).until(() -> pool.getStats().waitingAcquires() == 1);
        assertThat(recorder.count("dial")).isEqualTo(1);
        Thread releaser = new Thread(held::close, "releaser");
        releaser.start();
        releaser.join(WAIT.toMillis());
        try (PeerConnection lease = waiting.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            assertThat(lease.peerId()).isEqualTo(second.id());
            assertThat(lease.request(bytes("x"), WAIT)).isEqualTo(bytes("x"));
        }
        await().atMost(WAIT).until(() -> recorder.closed("dial") == 2);
        Record dial = recorder.records.stream().filter(r -> r.kind.equals("dial") && r.peer.equals(second.id()))
                .findFirst().orElseThrow();
        assertThat(dial.detached).as("the releasing thread's context is not the caller's").isTrue();
        assertThat(dial.startedOn.getName()).isEqualTo("releaser");
        assertThat(dial.failure).isNull();
    }

    @Test
    void streamsWaitingForADialUnderWayStartNoDialOfTheirOwn() throws Exception {
        TestPeers.Peer peer = peers.start();
        OptimizedConnectionPool pool = pool(PoolConfig.builder().transport(Transport.LIBP2P)
                .maxConnectionsPerPeer(1));
        List<CompletableFuture<PeerConnection>> leases = List.of(pool.acquireAsync(peer.id(), peer.address()),
                pool.acquireAsync(peer.id(), peer.address()), pool.acquireAsync(peer.id(), peer.address()));
        for (CompletableFuture<PeerConnection> f : leases) {
            try (PeerConnection lease = f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                assertThat(lease.request(bytes("r"), WAIT)).isEqualTo(bytes("r"));
            }
        }
        await().atMost(WAIT).until(() -> recorder.closed("dial") == 1);
        assertThat(recorder.count("dial")).isEqualTo(1);
        assertThat(recorder.count("REQUEST")).isEqualTo(3);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void anAsyncAcquireCancelledAnyTimeLeavesNoLeaseOut(Transport transport) throws Exception {
        TestPeers.Peer peer = peers.start();
        OptimizedConnectionPool pool = pool(PoolConfig.builder().transport(transport));
        java.util.Random random = new java.util.Random(16);
        for (int i = 0; i < 20; i++) {
            CompletableFuture<PeerConnection> f = pool.acquireAsync(peer.id(), peer.address());
            if (random.nextBoolean()) {
                Thread.onSpinWait(); // cancel at varying points of the dial or hand-over
            }
            if (!f.cancel(false)) {
                f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).close(); // it won the race: ours to return
            }
        }
        await().atMost(WAIT).until(() -> pool.getStats().activeConnections() == 0
                && pool.getStats().activeStreams() == 0);
        await().atMost(WAIT).until(() -> recorder.records.stream().allMatch(r -> r.closed));
    }

    @Test
    void withoutAHookLeasesAreNotWrapped() {
        TestPeers.Peer peer = peers.start();
        OptimizedConnectionPool plain = peers.closeFirst(new OptimizedConnectionPool(
                PoolConfig.builder().transport(Transport.GUARDIAN).build(), PeerIdentity.generate(),
                PoolInstrumentation.NONE));
        try (PeerConnection lease = plain.acquire(peer.id(), peer.address())) {
            assertThat(lease.getClass().getSimpleName()).isNotEqualTo("InstrumentedLease");
        }
        assertThat(recorder.records).isEmpty();
    }

    @Test
    void aThrowingHookDoesNotBreakThePool() {
        TestPeers.Peer peer = peers.start();
        PoolInstrumentation broken = new PoolInstrumentation() {
            @Override
            public Scope dialStarted(PeerId p, Multiaddr a, Transport t, boolean detached) {
                throw new IllegalStateException("broken hook");
            }

            @Override
            public Scope requestStarted(PeerId p, Multiaddr a, Transport t, String protocol, Operation op) {
                throw new IllegalStateException("broken hook");
            }
        };
        OptimizedConnectionPool pool = peers.closeFirst(new OptimizedConnectionPool(
                PoolConfig.builder().transport(Transport.GUARDIAN).build(), PeerIdentity.generate(), broken));
        try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
            assertThat(lease.request(bytes("ok"), WAIT)).isEqualTo(bytes("ok"));
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** One scope as the hook saw it. */
    static final class Record implements Scope {
        final String kind;
        final PeerId peer;
        final Transport transport;
        final String protocol;
        final boolean detached;
        final Thread startedOn = Thread.currentThread();
        volatile Throwable failure;
        volatile boolean closed;

        Record(String kind, PeerId peer, Transport transport, String protocol, boolean detached) {
            this.kind = kind;
            this.peer = peer;
            this.transport = transport;
            this.protocol = protocol;
            this.detached = detached;
        }

        @Override
        public void failed(Throwable cause) {
            assertThat(closed).as("failed before close").isFalse();
            failure = cause;
        }

        @Override
        public void close() {
            assertThat(closed).as("closed once").isFalse();
            closed = true;
        }
    }

    /** Records every scope. */
    static final class Recorder implements PoolInstrumentation {
        final ConcurrentLinkedQueue<Record> records = new ConcurrentLinkedQueue<>();

        @Override
        public Scope dialStarted(PeerId peer, Multiaddr address, Transport transport, boolean detached) {
            Record r = new Record("dial", peer, transport, null, detached);
            records.add(r);
            return r;
        }

        @Override
        public Scope requestStarted(PeerId peer, Multiaddr address, Transport transport, String protocol,
                Operation operation) {
            Record r = new Record(operation.name(), peer, transport, protocol, false);
            records.add(r);
            return r;
        }

        long count(String kind) {
            return records.stream().filter(r -> r.kind.equals(kind)).count();
        }

        long closed(String kind) {
            return records.stream().filter(r -> r.kind.equals(kind) && r.closed).count();
        }

        Record only(String kind) {
            List<Record> of = records.stream().filter(r -> r.kind.equals(kind)).toList();
            assertThat(of).hasSize(1);
            return of.get(0);
        }
    }
}
