package io.guardian.pool.benchmarks.scale;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolStats;
import io.guardian.pool.benchmarks.support.Warm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Suite 3's memory figure, taken while {@link ScaleBenchmark} fills its pool: heap per idle
 * pooled connection, and what the listener side costs. Not API.
 *
 * <p>Method: the pool first dials peer 0 alone, so that one-time costs (Netty classes, event
 * loops, allocator arenas, the pool's own tables) are paid; then the heap in use after full GCs
 * is read, the pool dials the other N-1 peers (one idle connection each), and the heap is read
 * again. The difference over N-1 is what one more idle connection to one more peer costs: the
 * connection and its lease object plus the peer's slot, breaker and health metrics, since each
 * connection is to a different peer. Off-heap buffers are not counted. The listener JVMs report
 * the same way for their side (see {@link PeerFarm}).
 */
final class HeapProbe {

    private static final Logger log = LoggerFactory.getLogger(HeapProbe.class);

    private HeapProbe() {
    }

    /**
     * Warms one connection per peer, measuring the heap around all but the first, and writes the
     * figures as JSON.
     *
     * @param pool an empty pool
     * @param farms the peers; at least two
     * @param out the JSON file to write
     * @throws IOException if a farm does not answer or the file cannot be written
     */
    static void warmMeasuring(OptimizedConnectionPool pool, PeerFarms farms, Path out) throws IOException {
        int peers = farms.ids().length;
        if (peers < 2) {
            throw new IllegalArgumentException("heap per connection needs at least 2 peers (one absorbs fixed costs), got "
                    + peers);
        }
        Warm.onePerPeer(pool, farms.ids(), farms.addresses(), 0, 1, 1, TimeUnit.MINUTES);
        long before = HeapMeter.usedAfterGc();
        long started = System.nanoTime();
        Warm.onePerPeer(pool, farms.ids(), farms.addresses(), 1, peers, 15, TimeUnit.MINUTES);
        double dialSeconds = (System.nanoTime() - started) / 1e9;
        long after = HeapMeter.usedAfterGc();
        PoolStats stats = pool.getStats();
        if (stats.pooledConnections() != peers) {
            throw new IllegalStateException("expected " + peers + " idle connections after warming, the pool has "
                    + stats.pooledConnections() + "; the heap difference would not be per connection: " + stats);
        }
        long[] farmHeap = farms.heap();
        int measured = peers - 1;
        JsonMapper mapper = JsonMapper.builder().build();
        ObjectNode result = mapper.createObjectNode();
        result.put("peers", peers);
        result.put("openFilesLimit", FileLimits.limit());
        result.put("listenerJvms", farms.jvms());
        result.put("poolHeapBeforeBytes", before);
        result.put("poolHeapAfterBytes", after);
        result.put("poolBytesPerConnection", (double) (after - before) / measured);
        result.put("listenerHeapEmptyBytes", farmHeap[0]);
        result.put("listenerHeapListeningBytes", farmHeap[1]);
        result.put("listenerHeapConnectedBytes", farmHeap[2]);
        result.put("listenerBytesPerListener", (double) (farmHeap[1] - farmHeap[0]) / peers);
        result.put("listenerBytesPerConnection", (double) (farmHeap[2] - farmHeap[1]) / peers);
        result.put("dialSeconds", dialSeconds);
        result.put("dialsPerSecond", measured / dialSeconds);
        mapper.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result);
        log.info("heap per idle pooled connection: {} bytes over {} peers ({} listener JVMs); {} dials took {} s",
                (after - before) / measured, measured, farms.jvms(), measured, String.format("%.1f", dialSeconds));
    }
}
