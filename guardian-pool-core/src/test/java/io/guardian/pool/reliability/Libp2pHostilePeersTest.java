package io.guardian.pool.reliability;

import static io.guardian.pool.internal.libp2p.HostileConnection.multistream;
import static io.guardian.pool.internal.libp2p.YamuxScript.ACK;
import static io.guardian.pool.internal.libp2p.YamuxScript.DATA;
import static io.guardian.pool.internal.libp2p.YamuxScript.FIN;
import static io.guardian.pool.internal.libp2p.YamuxScript.GO_AWAY;
import static io.guardian.pool.internal.libp2p.YamuxScript.PING;
import static io.guardian.pool.internal.libp2p.YamuxScript.RST;
import static io.guardian.pool.internal.libp2p.YamuxScript.SYN;
import static io.guardian.pool.internal.libp2p.YamuxScript.WINDOW_UPDATE;
import static io.guardian.pool.internal.libp2p.YamuxScript.concat;
import static io.guardian.pool.internal.libp2p.YamuxScript.frame;
import static io.guardian.pool.internal.libp2p.YamuxScript.lengthPrefixed;
import static io.guardian.pool.internal.libp2p.YamuxScript.uvarint;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.ConnectionClosedException;
import io.guardian.pool.DialTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.HandshakeException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.ProtocolNotSupportedException;
import io.guardian.pool.RequestTimeoutException;
import io.guardian.pool.internal.libp2p.HostileConnection;
import io.guardian.pool.internal.libp2p.HostileLibp2pListener;
import io.guardian.pool.internal.libp2p.Multistream;
import io.guardian.pool.internal.libp2p.YamuxScript;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The hostile-peer suite over libp2p: a scripted listener ({@link HostileLibp2pListener}) runs the
 * honest upgrade with our own multistream and Noise pieces as far as its script says, then
 * misbehaves in the handshake, in yamux or on a stream. Every behaviour must end in a typed {@link
 * GuardianPoolException} within a deadline; a connection-level violation closes the connection
 * (never reused) and charges the breaker, a stream-level one resets the stream only; churn (a
 * GoAway, a close in order) never charges the breaker; no buffer, thread or socket is left and the
 * pool holds no lease, dial or stream afterwards.
 *
 * <p>Figures: {@code target/reliability/libp2p-hostile-peers.json|txt}.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class Libp2pHostilePeersTest extends HostilePeerFixture {

    private static final PeerIdentity LISTENER = PeerIdentity.generate();
    private static final PeerId PEER = LISTENER.peerId();
    private static final String PROTOCOL = PeerListener.DEFAULT_PROTOCOL;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Figures FIGURES = Figures.forRun(Libp2pHostilePeersTest.class, Size.current());
    private static LeakWatch leaks;
    private static LogCapture logs;
    private static ProcessProbe baseline;

    @BeforeAll
    static void watch() {
        baseline = ProcessProbe.baseline();
        leaks = new LeakWatch();
        logs = LogCapture.problems();
    }

    @AfterAll
    static void checkNothingLeft() {
        List<String> reports = leaks.collectLeaks();
        leaks.close();
        List<String> suspicious = logs.suspicious();
        logs.close();
        FIGURES.put("nettyLeakReports", reports.size());
        FIGURES.put("suspiciousLogLines", suspicious.size());
        FIGURES.write("libp2p-hostile-peers");
        assertThat(reports).as("Netty leak reports").isEmpty();
        assertThat(suspicious).as("unhandled or untyped exceptions in the logs").isEmpty();
        baseline.awaitBackToBaseline(Duration.ofSeconds(30));
    }

    // ---------------------------------------------------------------- helpers

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int breakerFailures(OptimizedConnectionPool pool) {
        return pool.peer(PEER).map(p -> p.circuitBreaker().failureCount()).orElse(0);
    }

    /** The connection the pool dialed is closed (by the pool), and the pool keeps none to the peer. */
    private static void assertClosedAndNotReused(HostileLibp2pListener hostile, OptimizedConnectionPool pool)
            throws Exception {
        hostile.closed(0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        await("no connection to the peer left").atMost(WAIT)
                .until(() -> pool.peer(PEER).map(p -> p.open() == 0).orElse(true));
        assertThat(pool.getStats().pooledConnections()).isZero();
    }

    /** A script that secures as the listener, then runs {@code yamux} on the raw muxer. */
    private interface YamuxPart {
        void run(YamuxScript yamux, HostileConnection connection) throws Exception;
    }

    private static HostileLibp2pListener.Script secured(YamuxPart part) {
        return (c, index) -> {
            c.secure(LISTENER);
            part.run(new YamuxScript(c), c);
        };
    }

    /** Acks {@code stream} and agrees to its protocol, as an honest listener's first answer. */
    private static byte[] accept(YamuxScript.Opened stream) {
        return frame(DATA, ACK, stream.id(), 0, multistream(Multistream.HEADER, stream.protocol()));
    }

    // ---------------------------------------------------------------- 1, 2: stalls in the upgrade

    @Test
    void listenerThatAcceptsTcpAndStaysSilentFailsTheDialAtTheConnectionTimeout() throws Exception {
        HostileLibp2pListener hostile = hostileLibp2p((c, index) -> { });
        OptimizedConnectionPool pool = libp2pPool(b -> b.connectionTimeout(CONNECT_TIMEOUT));
        long start = System.nanoTime();
        // The dial's own deadline ran out (connect plus upgrade): a dial timeout, as on guardian-db.
        assertThatThrownBy(() -> pool.acquire(PEER, hostile.address(), PROTOCOL))
                .isInstanceOf(DialTimeoutException.class);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        FIGURES.section("silent").put("failedAfterMs", took.toMillis());
        assertThat(pool.getStats().connectionsTimeout()).isEqualTo(1);
        assertThat(took).isBetween(CONNECT_TIMEOUT.multipliedBy(9).dividedBy(10), CONNECT_TIMEOUT.multipliedBy(3));
        assertClosedAndNotReused(hostile, pool);
        assertThat(breakerFailures(pool)).as("a failed dial counts").isEqualTo(1);
        assertSettled(pool);
    }

    @Test
    void listenerThatAnswersMultistreamThenStallsInsideNoiseFailsTheHandshakeInTime() throws Exception {
        CompletableFuture<byte[]> noiseMessage1 = new CompletableFuture<>();
        HostileLibp2pListener hostile = hostileLibp2p((c, index) -> {
            c.readMultistream();
            c.readMultistream();
            c.write(multistream(Multistream.HEADER, "/noise"));
            noiseMessage1.complete(c.read(2)); // the length of Noise message 1, then nothing from us
        });
        OptimizedConnectionPool pool = libp2pPool(b -> b.connectionTimeout(CONNECT_TIMEOUT));
        long start = System.nanoTime();
        assertThatThrownBy(() -> pool.acquire(PEER, hostile.address(), PROTOCOL))
                .isInstanceOf(DialTimeoutException.class);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        FIGURES.section("stallInNoise").put("failedAfterMs", took.toMillis());
        assertThat(noiseMessage1.get(1, TimeUnit.SECONDS)).as("Noise message 1 length").containsExactly(0, 32);
        assertThat(took).isBetween(CONNECT_TIMEOUT.multipliedBy(9).dividedBy(10), CONNECT_TIMEOUT.multipliedBy(3));
        assertClosedAndNotReused(hostile, pool);
        assertThat(breakerFailures(pool)).as("a failed handshake counts").isEqualTo(1);
        assertSettled(pool);
    }

    // ---------------------------------------------------------------- 3: a stream nobody answers

    @Test
    void listenerThatNeverAnswersAStreamTimesTheRequestOutResetsTheStreamAndKeepsTheConnection() throws Exception {
        CompletableFuture<Integer> resetStream = new CompletableFuture<>();
        HostileLibp2pListener hostile = hostileLibp2p(secured((yamux, c) -> {
            YamuxScript.Opened stream = yamux.awaitStream(PROTOCOL);
            yamux.await(f -> f.stream() == stream.id() && f.has(RST));
            resetStream.complete(stream.id());
            yamux.drain();
        }));
        OptimizedConnectionPool pool = libp2pPool(b -> b.circuitBreakerFailureThreshold(5));
        try (PeerConnection lease = pool.acquire(PEER, hostile.address(), PROTOCOL)) {
            assertThatThrownBy(() -> lease.request(bytes("anyone?"), Duration.ofMillis(300)))
                    .isInstanceOf(RequestTimeoutException.class);
            assertThat(resetStream.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the unanswered stream, reset").isOdd();
        }
        assertSettled(pool);
        assertThat(hostile.closed(0)).as("the connection stays").isNotDone();
        assertThat(pool.peer(PEER).orElseThrow().idle()).isEqualTo(1);
        assertThat(pool.getStats().connectionsFailed()).isZero();
        assertThat(breakerFailures(pool)).as("an unanswered request counts").isEqualTo(1);
        FIGURES.section("neverAnswers").put("outcome", "RequestTimeoutException, stream reset, connection kept");
    }

    // ---------------------------------------------------------------- 4: floods

    enum Flood {
        PINGS, WINDOW_UPDATES, SYNS
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Flood.class)
    void floodOfControlFramesStaysBoundedInThePool(Flood kind) throws Exception {
        // 60 KB of frames in CI size: each answer is a buffer and a Noise message of its own, and under the
        // tests' PARANOID leak detection every buffer records a stack trace (20,000 Pings take 14 s). In
        // the long size 200,000 Pings ask for 6 MB of Noise-framed answers (30 bytes for each 12), more
        // than loopback's socket buffers hold while the flooder reads nothing: the pool's answers back
        // up, it stops reading (maxUnwritableControlFrames), and its memory must still stay flat.
        int frames = Size.current().pick(5_000, 200_000);
        long before = nettyMemory();
        AtomicLong peak = new AtomicLong(before);
        CompletableFuture<Integer> sent = new CompletableFuture<>();
        HostileLibp2pListener hostile = hostileLibp2p(secured((yamux, c) -> {
            c.reading(false); // what the pool answers backs up in its own buffers
            int batch = 500;
            int n = 0;
            for (; n < frames && c.channel().isActive(); n += batch) {
                byte[][] chunk = new byte[batch][];
                for (int j = 0; j < batch; j++) {
                    int id = n + j;
                    chunk[j] = switch (kind) {
                        case PINGS -> frame(PING, SYN, 0, id, new byte[0]);
                        // On the dialer's identify stream, open or already gone: either way nothing to grow.
                        case WINDOW_UPDATES -> frame(WINDOW_UPDATE, 0, 1, 0, new byte[0]);
                        case SYNS -> frame(WINDOW_UPDATE, SYN, 2 * (id + 1), 0, new byte[0]);
                    };
                }
                // Written from this thread at the pace the event loop takes them, not queued without bound here.
                c.channel().writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(concat(chunk))).awaitUninterruptibly();
                peak.accumulateAndGet(nettyMemory(), Math::max);
            }
            sent.complete(n);
            c.reading(true);
            YamuxScript.Opened stream = yamux.awaitStream(PROTOCOL);
            byte[] request = java.util.Arrays.copyOfRange(stream.rest(), 1, stream.rest().length);
            yamux.data(ACK, stream.id(), concat(multistream(Multistream.HEADER, PROTOCOL), lengthPrefixed(request)));
            yamux.drain();
        }));
        OptimizedConnectionPool pool = libp2pPool(b -> b.circuitBreakerFailureThreshold(5));
        String outcome;
        long floodStart = System.nanoTime();
        try (PeerConnection lease = pool.acquire(PEER, hostile.address(), PROTOCOL)) {
            int written = sent.get(60, TimeUnit.SECONDS);
            try {
                // Generous: the flooder reads through every answer the pool queued before it gets to the request.
                assertThat(lease.request(bytes("after the flood"), Duration.ofSeconds(30))).isEqualTo(bytes("after the flood"));
                outcome = "connection survived " + written + " frames, request answered";
                assertThat(written).isEqualTo(frames);
            } catch (ConnectionClosedException closed) {
                outcome = "closed after " + written + " frames: " + closed.getMessage();
                assertThat(closed).hasMessageContaining("limit");
                assertClosedAndNotReused(hostile, pool);
            }
        }
        long grew = peak.get() - before;
        FIGURES.section("flood").section(kind.name()).put("frames", frames).put("outcome", outcome)
                .put("requestAfterFloodMs", Figures.millisSince(floodStart))
                .put("nettyMemoryGrowthKiB", grew / 1024);
        // Without a bound the pool would hold an answer per frame: 12 bytes each and a buffer's overhead.
        assertThat(grew).as("Netty memory grown during the flood").isLessThan(16L * 1024 * 1024);
        assertSettled(pool);
    }

    // ---------------------------------------------------------------- 5: malformed yamux

    enum BadFrame {
        BAD_VERSION, OVERSIZED_LENGTH, BEYOND_THE_WINDOW
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(BadFrame.class)
    void malformedYamuxFrameIsAProtocolViolationGoAwayAndACharge(BadFrame kind) throws Exception {
        CompletableFuture<Long> goAway = new CompletableFuture<>();
        HostileLibp2pListener hostile = hostileLibp2p(secured((yamux, c) -> {
            YamuxScript.Opened stream = yamux.awaitStream(PROTOCOL);
            c.write(switch (kind) {
                case BAD_VERSION -> YamuxScript.frame(1, DATA, ACK, stream.id(), 4, new byte[4]);
                case OVERSIZED_LENGTH -> YamuxScript.frame(0, DATA, ACK, stream.id(), 0xFFFF_FFFFL, new byte[64]);
                case BEYOND_THE_WINDOW -> frame(DATA, ACK, stream.id(), 0, new byte[256 * 1024 + 1]);
            });
            goAway.complete(yamux.await(f -> f.type() == GO_AWAY).length());
            yamux.drain();
        }));
        OptimizedConnectionPool pool = libp2pPool(b -> b.circuitBreakerFailureThreshold(5));
        try (PeerConnection lease = pool.acquire(PEER, hostile.address(), PROTOCOL)) {
            assertThatThrownBy(() -> lease.request(bytes("hello"), WAIT)).isInstanceOf(ConnectionClosedException.class);
        }
        assertThat(goAway.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("GoAway code: protocol error").isEqualTo(1);
        assertClosedAndNotReused(hostile, pool);
        assertThat(breakerFailures(pool)).as("a protocol violation counts").isEqualTo(1);
        assertSettled(pool);
        FIGURES.section("malformedFrame").put(kind.name(), "ConnectionClosedException, GoAway(1), closed, charged");
    }

    // ---------------------------------------------------------------- 6: malformed messages on a stream

    enum BadMessage {
        OVERSIZED, TRUNCATED
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(BadMessage.class)
    void malformedMessageOnAStreamIsTypedResetsTheStreamAndCharges(BadMessage kind) throws Exception {
        CompletableFuture<Boolean> reset = new CompletableFuture<>();
        HostileLibp2pListener hostile = hostileLibp2p(secured((yamux, c) -> {
            YamuxScript.Opened stream = yamux.awaitStream(PROTOCOL);
            byte[] agreed = multistream(Multistream.HEADER, PROTOCOL);
            if (kind == BadMessage.OVERSIZED) {
                yamux.data(ACK, stream.id(), concat(agreed, uvarint(64L * 1024 * 1024), new byte[100]));
            } else {
                yamux.data(ACK | FIN, stream.id(), concat(agreed, uvarint(100), new byte[10]));
            }
            yamux.await(f -> f.stream() == stream.id() && f.has(RST));
            reset.complete(true);
            yamux.drain();
        }));
        OptimizedConnectionPool pool = libp2pPool(b -> b.circuitBreakerFailureThreshold(5));
        try (PeerConnection lease = pool.acquire(PEER, hostile.address(), PROTOCOL)) {
            assertThatThrownBy(() -> lease.request(bytes("hello"), WAIT)).isInstanceOf(ConnectionClosedException.class)
                    .satisfies(e -> FIGURES.section("malformedMessage").put(kind.name(), e.getMessage()));
        }
        assertThat(reset.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the stream reset").isTrue();
        assertThat(breakerFailures(pool)).as("a malformed message counts").isEqualTo(1);
        assertThat(hostile.closed(0)).as("a stream's violation costs the stream, not the connection").isNotDone();
        assertSettled(pool);
    }

    // ---------------------------------------------------------------- 7: another identity

    @Test
    void listenerProvingAnotherPeerIdFailsTheHandshakeWithAMismatch() throws Exception {
        PeerIdentity impostor = PeerIdentity.generate();
        HostileLibp2pListener hostile = hostileLibp2p((c, index) -> c.secure(impostor));
        OptimizedConnectionPool pool = libp2pPool(b -> { });
        assertThatThrownBy(() -> pool.acquire(PEER, hostile.address(), PROTOCOL))
                .isInstanceOfSatisfying(HandshakeException.class, e ->
                        assertThat(e.reason()).isEqualTo(HandshakeException.Reason.PEER_ID_MISMATCH))
                .hasMessageContaining(impostor.peerId().toString());
        assertClosedAndNotReused(hostile, pool);
        assertThat(breakerFailures(pool)).as("a failed handshake counts").isEqualTo(1);
        assertSettled(pool);
    }

    // ---------------------------------------------------------------- 8: na to everything

    @Test
    void listenerRefusingEveryProtocolIsProtocolNotSupportedWithoutACharge() throws Exception {
        HostileLibp2pListener hostile = hostileLibp2p(secured((yamux, c) -> {
            while (true) {
                YamuxScript.Opened stream = yamux.nextOpened();
                yamux.data(ACK | FIN, stream.id(), multistream(Multistream.HEADER, Multistream.NA));
            }
        }));
        OptimizedConnectionPool pool = libp2pPool(b -> b.circuitBreakerFailureThreshold(1));
        try (PeerConnection lease = pool.acquire(PEER, hostile.address(), PROTOCOL)) {
            assertThatThrownBy(() -> lease.request(bytes("hello"), WAIT))
                    .isInstanceOfSatisfying(ProtocolNotSupportedException.class, e ->
                            assertThat(e.protocol()).isEqualTo(PROTOCOL));
        }
        assertThatThrownBy(() -> pool.acquire(PEER, hostile.address(), PROTOCOL))
                .as("the refusal is remembered").isInstanceOf(ProtocolNotSupportedException.class);
        assertSettled(pool);
        assertThat(breakerFailures(pool)).isZero();
        assertThat(hostile.closed(0)).as("the connection stays").isNotDone();
        assertThat(pool.getStats().connectionsFailed()).isZero();
    }

    // ---------------------------------------------------------------- 9: churn

    enum Churn {
        GO_AWAY_AFTER_UPGRADE, TCP_FIN_MID_REQUEST, STREAM_FIN_MID_REQUEST
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Churn.class)
    void remoteClosingInOrderIsChurnNotABreakerFailure(Churn kind) throws Exception {
        HostileLibp2pListener hostile = hostileLibp2p(secured((yamux, c) -> {
            if (kind == Churn.GO_AWAY_AFTER_UPGRADE) {
                // As a node shedding connections does: GoAway, refuse what still comes, then close.
                yamux.send(GO_AWAY, 0, 0, 0, new byte[0]);
                YamuxScript.Opened late = yamux.awaitStream(PROTOCOL);
                yamux.send(WINDOW_UPDATE, RST, late.id(), 0, new byte[0]);
            } else if (kind == Churn.TCP_FIN_MID_REQUEST) {
                yamux.awaitStream(PROTOCOL);
            } else {
                // The protocol agreed, then the stream half-closed in order without a reply.
                YamuxScript.Opened stream = yamux.awaitStream(PROTOCOL);
                yamux.data(ACK | FIN, stream.id(), multistream(Multistream.HEADER, PROTOCOL));
                yamux.await(f -> f.stream() == stream.id() && f.has(RST));
            }
            c.close();
        }));
        OptimizedConnectionPool pool = libp2pPool(b -> b.circuitBreakerFailureThreshold(1));
        assertThatThrownBy(() -> {
            try (PeerConnection lease = pool.acquire(PEER, hostile.address(), PROTOCOL)) {
                lease.request(bytes("hello"), WAIT);
            }
        }).isInstanceOf(ConnectionClosedException.class)
                .satisfies(e -> FIGURES.section("churn").put(kind.name(), e.getMessage()));
        assertClosedAndNotReused(hostile, pool);
        assertThat(breakerFailures(pool)).as("churn is not a failure").isZero();
        FIGURES.section("churnStats").put(kind.name(), PoolFigures.stats(pool.getStats()));
        if (kind != Churn.STREAM_FIN_MID_REQUEST) {
            // A stream's FIN leaves the connection to the pool; how the pool then counts its end is
            // kept in the figures (churnStats), not asserted here.
            await("counted as churn").atMost(WAIT).until(() -> pool.getStats().closedByPeer() == 1);
            assertThat(pool.getStats().connectionsFailed()).isZero();
        }
        assertSettled(pool);
    }
}
