package io.guardian.pool;

import static io.guardian.pool.internal.transport.RawHandshake.HELLO_11_LENGTH;
import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.internal.transport.Bytes;
import io.guardian.pool.internal.transport.RawHandshake;
import io.guardian.pool.internal.transport.RawServer;
import io.guardian.pool.internal.transport.SpecWire;
import io.guardian.pool.internal.transport.TestKeys;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The guardian-db dialer reports {@link TransportException}s; what a pool user gets stays what it
 * was: the same public types, {@link HandshakeException#reason()}s, {@code retryable()} and message
 * texts, for dials and for a lease's send and receive. The kinds the handshake added
 * ({@code HANDSHAKE_TIMED_OUT}, {@code CLOCK_SKEW}) are checked through the engine and against a
 * real dialer facing a scripted listener.
 */
@Timeout(30)
class GuardianDbFailureMappingTest {

    private static final PeerId A = PeerId.fromBytes(Bytes.hex(TestKeys.A_PEER_ID));

    @RegisterExtension
    final TestPeers peers = new TestPeers();
    private FakePool fp;

    @AfterEach
    void closeFakePool() {
        if (fp != null) {
            fp.close();
        }
    }

    @ParameterizedTest(name = "{0} -> {1}, retried {2}")
    @CsvSource({
        "HANDSHAKE_TIMED_OUT, TIMEOUT, true",
        "CLOCK_SKEW, CLOCK_SKEW, false",
    })
    void aHandshakeKindBecomesAHandshakeExceptionWithItsReason(Kind kind, HandshakeException.Reason reason,
            boolean retried) {
        fp = new FakePool(PoolConfig.builder().maxRetryAttempts(1).circuitBreakerFailureThreshold(10).build());
        fp.connector.failWith(FakePool.peer(60), () -> new TransportException(kind, "simulated " + kind));

        CompletableFuture<PeerConnection> f = fp.pool.acquireAsync(FakePool.peer(60), FakePool.addr(60));
        fp.scheduler.advance(Duration.ofSeconds(5));

        assertThat(f).isCompletedExceptionally();
        assertThatThrownBy(f::join).cause().isInstanceOfSatisfying(HandshakeException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.retryable()).isEqualTo(retried);
            assertThat(e).hasCauseInstanceOf(TransportException.class);
        });
        assertThat(fp.connector.attempts()).hasSize(retried ? 2 : 1);
    }

    @Test
    void aTransportMessageThatNamesThePeerReachesTheCallerAsItIs() {
        fp = new FakePool(PoolConfig.builder().maxRetryAttempts(0).build());
        String text = "dial of " + FakePool.peer(61) + " at " + FakePool.addr(61) + " failed: TCP connect did not "
                + "complete within connection-timeout 5000 ms";
        fp.connector.failWith(FakePool.peer(61), () -> new TransportException(Kind.TIMED_OUT, text));

        assertThatThrownBy(() -> fp.acquire(61)).isInstanceOf(DialTimeoutException.class).hasMessage(text);
    }

    @Test
    void aTransportMessageThatDoesNotNameThePeerGetsThePeerAndAddressInFront() {
        fp = new FakePool(PoolConfig.builder().maxRetryAttempts(0).build());
        fp.connector.failWith(FakePool.peer(62), () -> new TransportException(Kind.REFUSED, "connection refused"));

        assertThatThrownBy(() -> fp.acquire(62)).isInstanceOf(ConnectionFailedException.class)
                .hasMessage("dialing peer " + FakePool.peer(62) + " at " + FakePool.addr(62)
                        + " failed: connection refused");
    }

    @Test
    void observersSeeThePublicExceptionNeverTheTransportsOwnType() {
        fp = new FakePool(PoolConfig.builder().maxRetryAttempts(0).build());
        List<Throwable> seen = new CopyOnWriteArrayList<>();
        fp.pool.addObserver(new PoolObserver() {
            @Override
            public void dialFailed(PeerId peer, long tookNanos, Throwable cause) {
                seen.add(cause);
            }
        });
        fp.connector.failWith(FakePool.peer(63), () -> new TransportException(Kind.BAD_SIGNATURE, "forged"));

        assertThatThrownBy(() -> fp.acquire(63)).isInstanceOf(HandshakeException.class);
        assertThat(seen).singleElement().isInstanceOfSatisfying(HandshakeException.class,
                e -> assertThat(e.reason()).isEqualTo(HandshakeException.Reason.BAD_SIGNATURE));
    }

    @Test
    void aListenerSilentAfterHelloFailsTheAcquireWithHandshakeTimeout() throws Exception {
        LoopbackPool p = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(Transport.GUARDIAN).maxRetryAttempts(0)
                .protocol(ProtocolConfig.builder().handshakeTimeout(Duration.ofMillis(200)).build()).build()));
        try (RawServer silent = new RawServer((socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            SpecWire.drainToEof(in);
        })) {
            assertThatThrownBy(() -> p.pool.acquire(A, silent.address())).isInstanceOfSatisfying(
                    HandshakeException.class, e -> {
                        assertThat(e.reason()).isEqualTo(HandshakeException.Reason.TIMEOUT);
                        assertThat(e.retryable()).isTrue();
                        assertThat(e.getMessage()).startsWith("guardian-db/1.1 handshake with " + A + " at "
                                + silent.address() + " failed: no answer within handshake-timeout 200 ms");
                    });
            silent.awaitScript(0);
        }
    }

    @Test
    void aListenerWhoseClockIsOffFailsTheAcquireWithClockSkewAndIsNotRetried() throws Exception {
        LoopbackPool p = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(Transport.GUARDIAN).maxRetryAttempts(2).build()));
        try (RawServer skewed = new RawServer((socket, in, out) -> {
            read(in, HELLO_11_LENGTH);
            out.write(RawHandshake.ack11(RawHandshake.now() - 100_000, RawHandshake.nonce()));
            SpecWire.drainToEof(in);
        })) {
            assertThatThrownBy(() -> p.pool.acquire(A, skewed.address())).isInstanceOfSatisfying(
                    HandshakeException.class, e -> {
                        assertThat(e.reason()).isEqualTo(HandshakeException.Reason.CLOCK_SKEW);
                        assertThat(e.retryable()).isFalse();
                        assertThat(e.getMessage()).contains(A.toString()).contains("max-clock-skew");
                    });
            skewed.awaitScript(0);
            assertThat(skewed.connections()).isEqualTo(1);
        }
    }

    @Test
    void aReceiveTimeoutOverTheRealTransportIsARequestTimeoutWithThePoolsMessage() {
        LoopbackPool p = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(Transport.GUARDIAN).transport(Transport.GUARDIAN).build()));
        TestPeers.Peer peer = peers.start((from, message) -> null); // never answers

        try (PeerConnection lease = p.acquire(peer)) {
            lease.send(new byte[] {1});
            assertThatThrownBy(() -> lease.receive(Duration.ofMillis(50)))
                    .isInstanceOfSatisfying(RequestTimeoutException.class, e -> {
                        assertThat(e.retryable()).isFalse();
                        assertThat(e.getMessage()).isEqualTo("no message from peer " + peer.id() + " on connection "
                                + lease.id() + " within PT0.05S (the peer may have acted on the request: not retried "
                                + "by default)");
                        assertThat(e.getCause()).isInstanceOfSatisfying(TransportException.class,
                                t -> assertThat(t.kind()).isEqualTo(Kind.TIMED_OUT));
                    });
        }
    }

    @Test
    void aListenerThatClosesUnderALeaseGivesTheTransportsMessageAsAConnectionClosedException() {
        LoopbackPool p = peers.closeFirst(new LoopbackPool(PoolConfig.builder().transport(Transport.GUARDIAN).transport(Transport.GUARDIAN).build()));
        TestPeers.Peer peer = peers.start((from, message) -> {
            throw new IllegalStateException("boom");
        });

        try (PeerConnection lease = p.acquire(peer)) {
            assertThatThrownBy(() -> lease.request(new byte[] {1}, Duration.ofSeconds(5)))
                    .isInstanceOfSatisfying(ConnectionClosedException.class, e -> {
                        assertThat(e.retryable()).isTrue();
                        assertThat(e.getMessage()).startsWith("connection to peer " + peer.id() + " at "
                                + peer.address() + " closed: peer sent CLOSE").contains("handler error");
                        assertThat(e.getCause()).isInstanceOfSatisfying(TransportException.class,
                                t -> assertThat(t.kind()).isEqualTo(Kind.CLOSED_BY_PEER));
                    });
        }
    }
}
