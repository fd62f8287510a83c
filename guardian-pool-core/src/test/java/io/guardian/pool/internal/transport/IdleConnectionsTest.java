package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener holds 2,000 concurrent idle authenticated connections on the shared event loops: the
 * JVM's thread count stays bounded (no thread per connection), and all of them still answer a
 * round of PINGs sent at once, as the pool's health check does.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class IdleConnectionsTest {

    private static final Logger LOG = LoggerFactory.getLogger(IdleConnectionsTest.class);
    private static final int CONNECTIONS = 2000;
    /** Dials in flight at once: below the listener's pending-handshake cap. */
    private static final int BATCH = 100;

    @Test
    void listenerHoldsTwoThousandIdleConnectionsWithABoundedThreadCount() throws Exception {
        TestLogging.quiet();
        ThreadWatch.awaitNoGuardianThreads();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int baseline = threads.getThreadCount();
        int cores = Runtime.getRuntime().availableProcessors();
        long start = System.nanoTime();
        List<FramedConnection> connections = new ArrayList<>(CONNECTIONS);
        try (PeerListener listener = PeerListener.builder(PeerIdentity.generate())
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .maxInboundConnections(CONNECTIONS)
                .maxInboundPerPeer(CONNECTIONS)
                .handler((from, message) -> message)
                .start();
                NettyConnector connector = new NettyConnector(PeerIdentity.generate(), ProtocolConfig.defaults())) {
            for (int opened = 0; opened < CONNECTIONS; opened += BATCH) {
                List<CompletableFuture<FramedConnection>> batch = new ArrayList<>(BATCH);
                for (int i = 0; i < BATCH; i++) {
                    batch.add(connector.connect(listener.peerId(), listener.listenAddress(), Duration.ofSeconds(30)));
                }
                for (CompletableFuture<FramedConnection> dial : batch) {
                    connections.add(dial.get(60, TimeUnit.SECONDS));
                }
            }
            long connectedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            await().atMost(Duration.ofSeconds(30)).until(() -> listener.sessions().size() == CONNECTIONS);
            assertThat(listener.connectionCount()).isEqualTo(CONNECTIONS);

            // Event loops and offload workers (one per core each), the listener's handler pool (at
            // most max(2, cores)), and a little slack for JVM housekeeping threads.
            int transportThreads = ThreadWatch.guardianThreads().size();
            int bound = cores + cores + Math.max(2, cores);
            assertThat(transportThreads).isLessThanOrEqualTo(bound);
            assertThat(threads.getThreadCount()).isLessThanOrEqualTo(baseline + bound + 8);

            List<CompletableFuture<Long>> pings = new ArrayList<>(CONNECTIONS);
            for (FramedConnection connection : connections) {
                pings.add(connection.ping(Duration.ofSeconds(30)));
            }
            CompletableFuture.allOf(pings.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
            long[] rtts = pings.stream().mapToLong(CompletableFuture::join).sorted().toArray();
            LOG.info("{} connections in {} ms; {} transport threads (JVM {} -> {}); one PING round to all: "
                    + "median {} us, p99 {} us", CONNECTIONS, connectedMillis, transportThreads, baseline,
                    threads.getThreadCount(), rtts[rtts.length / 2] / 1000, rtts[rtts.length * 99 / 100] / 1000);
            assertThat(connections).allMatch(FramedConnection::isOpen);
        }
        ThreadWatch.awaitNoGuardianThreads();
    }
}
