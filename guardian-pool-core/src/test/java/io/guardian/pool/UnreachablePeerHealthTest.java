package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.health.HealthScore;
import io.guardian.pool.health.PeerHealthMetrics;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A peer whose connections are gone and whose dials fail is rescored by the health pass
 * (connectivity 0, the rest from its last measurements) and reported Degraded once; it recovers
 * when it comes back. Against a real listener that is closed and restarted on the same port.
 */
@Timeout(60)
@ParameterizedClass
@EnumSource(Transport.class)
class UnreachablePeerHealthTest {

    /**
     * Both transports: libp2p with one stream per connection, so that what these tests count
     * (leases, connections, waiters) lines up as on guardian-db.
     */
    @Parameter
    Transport transport;

    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);
    /** The most a peer can score with connectivity 0: every other part at 1. */
    private static final double BEST_WITHOUT_CONNECTIVITY = 1.0 - HealthScore.CONNECTIVITY_WEIGHT;

    private final PeerIdentity identity = PeerIdentity.generate();
    private PeerListener listener;
    private LoopbackPool lp;

    @AfterEach
    void tearDown() {
        if (lp != null) {
            lp.close();
        }
        if (listener != null) {
            listener.close();
        }
    }

    private PeerListener listen(String address) {
        return PeerListener.builder(identity).bind(Multiaddr.parse(address)).handler((from, m) -> m).start();
    }

    @Test
    void anUnreachablePeerIsRescoredDegradedOnceAndRecoversWhenItIsBack() {
        listener = listen("/ip4/127.0.0.1/tcp/0");
        Multiaddr address = listener.listenAddress();
        int port = Integer.parseInt(address.toString().split("/")[4]);
        // No retries and a tolerant breaker: each failed acquire is one failed dial, and the peer can
        // be dialed again as soon as it is back.
        lp = new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1).maxRetryAttempts(0).circuitBreakerFailureThreshold(100).build());
        OptimizedConnectionPool pool = lp.pool;
        try (PeerConnection c = pool.acquire(identity.peerId(), address)) {
            assertThat(c.request(HELLO, Duration.ofSeconds(5))).isEqualTo(HELLO);
        }
        PeerHealthMetrics healthy = pool.checkHealth().peers().get(identity.peerId());
        assertThat(healthy.healthScore()).isGreaterThan(BEST_WITHOUT_CONNECTIVITY);
        assertThat(pool.peer(identity.peerId()).orElseThrow().degraded()).isFalse();

        listener.close();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pool.getStats().openConnections() == 0);
        lp.clock.advance(Duration.ofSeconds(5));
        // Gone, but nobody tried it since: nothing new was measured, so the last score stands.
        assertThat(pool.checkHealth().peers()).doesNotContainKey(identity.peerId());
        assertThat(pool.peer(identity.peerId()).orElseThrow().health()).isEqualTo(healthy);

        assertThatThrownBy(() -> pool.acquire(identity.peerId(), address))
                .isInstanceOf(ConnectionFailedException.class);
        lp.clock.advance(Duration.ofSeconds(5));
        PeerHealthMetrics unreachable = pool.checkHealth().peers().get(identity.peerId());

        assertThat(unreachable).isNotNull();
        assertThat(unreachable.lastMeasured()).isAfter(healthy.lastMeasured());
        assertThat(unreachable.healthScore()).isLessThanOrEqualTo(BEST_WITHOUT_CONNECTIVITY)
                .isLessThan(healthy.healthScore());
        // Only connectivity changed: latency average, loss and the other parts are as last measured
        // (idle for 10 s is still the best usage band), so the score fell by exactly its connectivity part.
        assertThat(unreachable.currentLatencyMs()).isEqualTo(healthy.currentLatencyMs());
        assertThat(unreachable.packetLossRate()).isEqualTo(healthy.packetLossRate());
        assertThat(unreachable.uptimeSecs()).isZero();
        double connectivityBefore = (healthy.healthScore() - unreachable.healthScore()) / HealthScore.CONNECTIVITY_WEIGHT;
        assertThat(connectivityBefore).isGreaterThan(0.0).isLessThanOrEqualTo(1.0 + 1e-9);
        PeerSnapshot down = pool.peer(identity.peerId()).orElseThrow();
        assertThat(down.degraded()).isTrue();
        assertThat(down.health()).isEqualTo(unreachable);
        ConnectionEvent.Degraded degraded = lp.awaitEvents(ConnectionEvent.Degraded.class, 1).get(0);
        assertThat(degraded.healthScore()).isEqualTo(unreachable.healthScore());

        // Still failing: rescored again, but no second Degraded.
        assertThatThrownBy(() -> pool.acquire(identity.peerId(), address))
                .isInstanceOf(ConnectionFailedException.class);
        assertThat(pool.checkHealth().peers()).containsKey(identity.peerId());

        listener = Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> listen("/ip4/127.0.0.1/tcp/" + port), l -> true);
        try (PeerConnection c = pool.acquire(identity.peerId(), address)) {
            assertThat(c.request(HELLO, Duration.ofSeconds(5))).isEqualTo(HELLO);
        }
        PeerHealthMetrics back = pool.checkHealth().peers().get(identity.peerId());

        assertThat(back.healthScore()).isGreaterThanOrEqualTo(HealthScore.DEGRADED_BELOW);
        assertThat(pool.peer(identity.peerId()).orElseThrow().degraded()).isFalse();
        lp.awaitEvents(ConnectionEvent.Recovered.class, 1);
        assertThat(lp.ofType(ConnectionEvent.Degraded.class)).hasSize(1);
        assertThat(lp.ofType(ConnectionEvent.Recovered.class)).hasSize(1);
        assertThat(lp.events.indexOf(degraded)).isLessThan(
                lp.events.indexOf(lp.ofType(ConnectionEvent.Recovered.class).get(0)));
    }

    @Test
    void aPeerThatWasNeverReachedHasNoScoreToRescore() {
        listener = listen("/ip4/127.0.0.1/tcp/0");
        Multiaddr address = listener.listenAddress();
        listener.close();
        listener = null;
        lp = new LoopbackPool(PoolConfig.builder().transport(transport).maxStreamsPerConnection(1).maxRetryAttempts(0).build());

        assertThatThrownBy(() -> lp.pool.acquire(identity.peerId(), address))
                .isInstanceOf(ConnectionFailedException.class);
        HealthReport report = lp.pool.checkHealth();

        assertThat(report.peers()).doesNotContainKey(identity.peerId());
        PeerSnapshot peer = lp.pool.peer(identity.peerId()).orElseThrow();
        assertThat(peer.health()).isNull();
        assertThat(peer.degraded()).isFalse();
    }
}
