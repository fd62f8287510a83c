package io.guardian.pool.reliability;

import static org.awaitility.Awaitility.await;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolStats;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.Transport;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.internal.libp2p.HostileLibp2pListener;
import io.guardian.pool.internal.transport.Bytes;
import io.guardian.pool.internal.transport.RawServer;
import io.guardian.pool.internal.transport.TestKeys;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;

/**
 * What the hostile-peer tests share: pools with short deadlines whose events are recorded, raw
 * servers on 127.0.0.1, and closing all of it after each test. The raw guardian-db servers play
 * listener A of {@link TestKeys} (or lie about being it); the scripted libp2p listeners play
 * whatever identity their script secures with.
 */
abstract class HostilePeerFixture {

    static final PeerId A = PeerId.fromBytes(Bytes.hex(TestKeys.A_PEER_ID));

    final List<ConnectionEvent> events = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeResources() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    <T extends AutoCloseable> T closeLater(T resource) {
        resources.add(resource);
        return resource;
    }

    /**
     * A pool with a fresh identity and no retries unless {@code settings} says otherwise. Its
     * deadlines are generous (10 s), so that only the tests about timeouts depend on timing: the
     * machine these run on may be shared and busy.
     */
    OptimizedConnectionPool pool(Consumer<PoolConfig.Builder> settings) {
        return pool(settings, PeerIdentity.generate());
    }

    OptimizedConnectionPool pool(Consumer<PoolConfig.Builder> settings, PeerIdentity identity) {
        PoolConfig.Builder b = PoolConfig.builder()
                .transport(Transport.GUARDIAN) // the scripted peers speak guardian-db
                .connectionTimeout(Duration.ofSeconds(10))
                .acquireTimeout(Duration.ofSeconds(10))
                .maxRetryAttempts(0)
                .initialRetryBackoff(Duration.ofMillis(10));
        settings.accept(b);
        OptimizedConnectionPool pool = closeLater(new OptimizedConnectionPool(b.build(), identity));
        pool.subscribeEvents(events::add);
        return pool;
    }

    RawServer rawServer(RawServer.Script script) throws Exception {
        return closeLater(new RawServer(script));
    }

    /** Waits (10 s at most) until no lease, dial, waiter or stream is left in {@code pool}. */
    static void assertSettled(OptimizedConnectionPool pool) {
        await("the pool settles").atMost(Duration.ofSeconds(10)).until(() -> {
            PoolStats s = pool.getStats();
            return s.activeConnections() == 0 && s.pendingConnections() == 0 && s.waitingAcquires() == 0
                    && s.activeStreams() == 0;
        });
    }

    /** @return Netty's buffers in use in this JVM: every connection here draws from the default allocator */
    static long nettyMemory() {
        ByteBufAllocatorMetric m = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return m.usedDirectMemory() + m.usedHeapMemory();
    }

    /** As {@link #pool(Consumer)}, dialing libp2p (the scripted libp2p listeners). */
    OptimizedConnectionPool libp2pPool(Consumer<PoolConfig.Builder> settings) {
        return pool(b -> {
            b.transport(Transport.LIBP2P);
            settings.accept(b);
        });
    }

    /** A scripted libp2p listener on 127.0.0.1, closed after the test (after the pools made later). */
    HostileLibp2pListener hostileLibp2p(HostileLibp2pListener.Script script) throws Exception {
        return closeLater(new HostileLibp2pListener(script));
    }
}
