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
import io.guardian.pool.PoolStats;
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
    private static ProcessProbe baseline;

    @BeforeAll
    static void watch() {
        baseline = ProcessProbe.baseline();
        leaks = new LeakWatch();
    }

    @AfterAll
    static void checkNothingLeft() {
        List<String> reports = leaks.collectLeaks();
        leaks.close();
        FIGURES.put("nettyLeakReports", reports.size());
        FIGURES.write("libp2p-hostile-peers");
        assertThat(reports).as("Netty leak reports").isEmpty();
        baseline.awaitBackToBaseline(Duration.ofSeconds(30));
    }

    // ---------------------------------------------------------------- helpers

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int breakerFailures(OptimizedConnectionPool pool) {
        return pool.peer(PEER).map(p -> p.circuitBreaker().failureCount()).orElse(0);
    }

    /** No lease, dial, waiter or stream left in the pool. */
    private static void assertSettled(OptimizedConnectionPool pool) {
        await("the pool settles").atMost(WAIT).until(() -> {
            PoolStats s = pool.getStats();
            return s.activeConnections() == 0 && s.pendingConnections() == 0 && s.waitingAcquires() == 0
                    && s.activeStreams() == 0;
        });
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
}
