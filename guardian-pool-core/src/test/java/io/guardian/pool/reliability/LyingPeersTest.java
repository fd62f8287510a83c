package io.guardian.pool.reliability;

import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.HandshakeException;
import io.guardian.pool.HandshakeException.Reason;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.internal.transport.Bytes;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.RawHandshake;
import io.guardian.pool.internal.transport.RawServer;
import io.guardian.pool.internal.transport.SpecWire;
import io.guardian.pool.internal.transport.TestKeys;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Peers that lie about who they are: listeners impersonating the peer being dialed or replaying a
 * recorded handshake, a dialer replaying one, and a dialer that is not on the listener's
 * allow-list. Each is refused with a typed {@link HandshakeException} (or a socket closed without
 * an answer), is not retried when retrying cannot help, and leaves no connection behind.
 *
 * <p>Figures: {@code target/reliability/lying-peers.json|txt}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LyingPeersTest extends HostilePeerFixture {

    private static final Figures FIGURES = Figures.forRun(LyingPeersTest.class, Size.current());
    private static LeakWatch leaks;

    @BeforeAll
    static void watchLeaks() {
        leaks = new LeakWatch();
    }

    @AfterAll
    static void writeFiguresAndCheckLeaks() {
        FIGURES.writeCheckingLeaks("lying-peers", leaks);
    }

    private static final String C_PEER_ID = "00 24 " + TestKeys.C_PUBLIC;

    /** Builds the AUTH-L an impostor sends. */
    private interface AuthL {
        byte[] build(byte[] hello, byte[] ack, byte[] authD);
    }

    /**
     * Reads HELLO and answers with {@code ackOverride} (then waits for the dialer to hang up), or
     * with an honest HELLO-ACK of A and the impostor's AUTH-L.
     */
    private static RawServer.Script impersonating(AuthL authL, byte[] ackOverride) {
        return (socket, in, out) -> {
            byte[] hello = read(in, RawHandshake.HELLO_11_LENGTH);
            byte[] ack = ackOverride != null ? ackOverride
                    : RawHandshake.ack11(RawHandshake.now(), RawHandshake.nonce());
            out.write(ack);
            out.flush();
            if (ackOverride != null) {
                SpecWire.drainToEof(in);
                return;
            }
            byte[] authD = read(in, RawHandshake.AUTH_LENGTH);
            out.write(authL.build(hello, ack, authD));
            out.flush();
            SpecWire.drainToEof(in);
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"HELLO-ACK names another PeerId", "AUTH-L proves another key",
        "AUTH-L presents the dialed key but another signature"})
    void listenerImpersonatingThePeerBeingDialedIsRefusedAndNotRetried(String how) throws Exception {
        RawServer.Script script;
        Reason expected;
        if (how.startsWith("HELLO-ACK")) {
            byte[] foreignAck = SpecWire.helloAck(SpecWire.V11, Bytes.hex(C_PEER_ID), RawHandshake.now(),
                    RawHandshake.nonce());
            script = impersonating(null, foreignAck);
            expected = Reason.PEER_ID_MISMATCH;
        } else if (how.startsWith("AUTH-L proves")) {
            script = impersonating((hello, ack, authD) ->
                    RawHandshake.authL(TestKeys.C_PRIVATE, TestKeys.C_PUBLIC, hello, ack, authD), null);
            expected = Reason.PEER_ID_MISMATCH;
        } else {
            script = impersonating((hello, ack, authD) ->
                    RawHandshake.authL(TestKeys.C_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD), null);
            expected = Reason.BAD_SIGNATURE;
        }
        RawServer impostor = rawServer(script);
        OptimizedConnectionPool pool = pool(b -> b.maxRetryAttempts(3));
        assertThatThrownBy(() -> pool.acquire(A, impostor.address(A))).isInstanceOfSatisfying(HandshakeException.class,
                e -> assertThat(e.reason()).isEqualTo(expected));
        impostor.awaitScript(0);
        assertThat(impostor.connections()).as("a failed verification is not retried").isEqualTo(1);
        assertThat(pool.getStats().openConnections()).isZero();
        assertThat(pool.peer(A).orElseThrow().circuitBreaker().failureCount()).isEqualTo(1);
        assertThat(events).noneMatch(e -> e instanceof ConnectionEvent.Connected);
        FIGURES.section("impersonation").put(how, "HandshakeException(" + expected + "), not retried");
    }

    @Test
    void listenerReplayingARecordedHandshakeIsRefused() throws Exception {
        AtomicReference<byte[]> recordedAck = new AtomicReference<>();
        AtomicReference<byte[]> recordedAuthL = new AtomicReference<>();
        AtomicInteger connection = new AtomicInteger();
        RawServer replaying = rawServer((socket, in, out) -> {
            byte[] hello = read(in, RawHandshake.HELLO_11_LENGTH);
            if (connection.getAndIncrement() == 0) {
                byte[] ack = RawHandshake.ack11(RawHandshake.now(), RawHandshake.nonce());
                out.write(ack);
                byte[] authD = read(in, RawHandshake.AUTH_LENGTH);
                byte[] authL = RawHandshake.authL(TestKeys.A_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD);
                out.write(authL);
                recordedAck.set(ack);
                recordedAuthL.set(authL);
                read(in, 12);
                out.write(SpecWire.OK);
            } else {
                out.write(recordedAck.get());
                read(in, RawHandshake.AUTH_LENGTH);
                out.write(recordedAuthL.get());
            }
            out.flush();
            SpecWire.drainToEof(in);
        });
        OptimizedConnectionPool pool = pool(b -> { });
        pool.acquire(A, replaying.address(A)).close();
        pool.evict(A);
        assertThatThrownBy(() -> pool.acquire(A, replaying.address(A))).isInstanceOfSatisfying(
                HandshakeException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));
        FIGURES.section("replay").put("listenerReplaysItsRecordedAnswers", "HandshakeException(BAD_SIGNATURE)");
    }

    @Test
    void dialerReplayingARecordedHandshakeIsRefusedEvenWhenItsPeerIdIsAllowed() throws Exception {
        PeerIdentity poolIdentity = PeerIdentity.generate();
        AtomicReference<byte[]> recordedHello = new AtomicReference<>();
        AtomicReference<byte[]> recordedAuthD = new AtomicReference<>();
        RawServer recorder = rawServer((socket, in, out) -> {
            byte[] hello = read(in, RawHandshake.HELLO_11_LENGTH);
            byte[] ack = RawHandshake.ack11(RawHandshake.now(), RawHandshake.nonce());
            out.write(ack);
            byte[] authD = read(in, RawHandshake.AUTH_LENGTH);
            recordedHello.set(hello);
            recordedAuthD.set(authD);
            out.write(RawHandshake.authL(TestKeys.A_PRIVATE, TestKeys.A_PUBLIC, hello, ack, authD));
            read(in, 12);
            out.write(SpecWire.OK);
            out.flush();
            SpecWire.drainToEof(in);
        });
        OptimizedConnectionPool pool = pool(b -> { }, poolIdentity);
        pool.acquire(A, recorder.address(A)).close();
        pool.evict(A);

        PeerListener listener = closeLater(PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE))
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handler((from, message) -> message)
                .allowedPeers(Set.of(poolIdentity.peerId())).start());
        try (Socket replay = new Socket(InetAddress.getLoopbackAddress(), listener.listenAddress().port())) {
            replay.setSoTimeout(5_000);
            OutputStream out = replay.getOutputStream();
            InputStream in = replay.getInputStream();
            out.write(recordedHello.get());
            read(in, RawHandshake.ACK_11_LENGTH);
            out.write(recordedAuthD.get());
            SpecWire.expectClosedWithoutAnswer(in);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.failedHandshakes() == 1);
        try (PeerConnection real = pool.acquire(A, listener.listenAddress())) {
            assertThat(real.request(new byte[] {9}, Duration.ofSeconds(5))).containsExactly(9);
        }
        FIGURES.section("replay").put("dialerReplaysItsRecordedHandshake", "closed without AUTH-L");
    }

    @Test
    void dialerNotOnTheAllowListIsRefusedAndOneOnItIsServed() throws Exception {
        PeerIdentity allowed = PeerIdentity.generate();
        PeerListener listener = closeLater(PeerListener.builder(PeerIdentity.generate())
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handler((from, message) -> message)
                .allowedPeers(Set.of(allowed.peerId())).start());
        OptimizedConnectionPool stranger = pool(b -> b.maxRetryAttempts(1));
        assertThatThrownBy(() -> stranger.acquire(listener.peerId(), listener.listenAddress()))
                .isInstanceOf(HandshakeException.class);
        assertThat(listener.sessions()).isEmpty();
        assertThat(listener.failedHandshakes()).isGreaterThanOrEqualTo(1);
        assertThat(stranger.getStats().openConnections()).isZero();
        OptimizedConnectionPool friend = pool(b -> { }, allowed);
        try (PeerConnection lease = friend.acquire(listener.peerId(), listener.listenAddress())) {
            assertThat(lease.request(new byte[] {3}, Duration.ofSeconds(5))).containsExactly(3);
        }
        FIGURES.section("allowList").put("stranger", "HandshakeException, no session")
                .put("listedDialer", "served");
    }
}
