package io.guardian.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.peer.PeerIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The two tests of the original design document (GuardianDB's "Optimized Connection Pool" document, "Testing"), in Java, as
 * written: against a real peer on loopback through the public constructor.
 */
@Timeout(30)
class OriginalDesignTest {

    @Test
    void connectionPoolReusesAReleasedConnection() {
        try (TestPeers peers = new TestPeers();
                OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.defaults())) {
            TestPeers.Peer peer = peers.start();

            String conn1 = pool.getConnection(peer.id(), peer.address());
            pool.releaseConnection(peer.id(), conn1);

            String conn2 = pool.getConnection(peer.id(), peer.address());

            PoolStats stats = pool.getStats();
            assertThat(stats.connectionsCreated()).isEqualTo(1);
            assertThat(stats.connectionsReused()).isEqualTo(1);
            // Ids name leases (a released id must never act on the next holder): the connection
            // part, before '#', shows the reuse the original's equal ids showed.
            assertThat(conn2).isNotEqualTo(conn1);
            assertThat(conn2.substring(0, conn2.indexOf('#'))).isEqualTo(conn1.substring(0, conn1.indexOf('#')))
                    .isEqualTo(pool.connection(conn2).id());
            assertThat(stats.reuseRate()).isEqualTo(0.5);
            assertThat(stats.avgConnectionTimeMs()).isPositive();
            assertThat(stats.globalAvgLatencyMs()).isPositive();
        }
    }

    @Test
    void circuitBreakerOpensAfterThreeFailuresWithThresholdPointThree() {
        PoolConfig config = PoolConfig.builder().circuitBreakerThreshold(0.3).build();
        try (OptimizedConnectionPool pool = new OptimizedConnectionPool(config)) {
            var peerId = PeerIdentity.generate().peerId();

            for (int i = 0; i < 3; i++) {
                pool.recordFailure(peerId);
            }

            boolean canConnect = pool.checkCircuitBreaker(peerId);
            assertThat(canConnect).isFalse();
        }
    }
}
