package io.guardian.pool.benchmarks.scale;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolStats;
import io.guardian.pool.benchmarks.support.BenchPools;
import io.guardian.pool.benchmarks.support.Warm;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Suite 3's memory figure: heap per idle pooled connection, and what the listener side costs.
 *
 * <p>Method: peers run in listener JVMs ({@link PeerFarm}). The pool first dials one extra peer,
 * so that one-time costs (Netty classes, event loops, allocator arenas, the pool's own tables)
 * are paid; then the heap in use after full GCs is read, the pool dials the N measured peers
 * (one idle connection each), and the heap is read again. The difference over N is what one more
 * idle connection to one more peer costs: the connection and its lease object, plus the peer's
 * slot, breaker and health metrics, since each connection is to a different peer. Off-heap
 * buffers are not counted. The listener JVMs report the same way for their side.
 */
public final class HeapProbe {

    private static final Logger log = LoggerFactory.getLogger(HeapProbe.class);

    private HeapProbe() {
    }

    /**
     * Measures and writes the JSON that the results table reads.
     *
     * @param args the peer count wanted, then the JSON file to write
     * @throws IOException if a listener JVM cannot be started or the file cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: HeapProbe <peers> <output.json>; got " + args.length
                    + " arguments");
        }
        int requested = Integer.parseInt(args[0]);
        // One socket per measured peer plus the fixed-costs peer.
        int peers = FileLimits.peersThatFitInPoolJvm(requested + 1) - 1;
        if (peers < requested) {
            log.warn("the open-files limit ({}) holds {} pooled connections, not {}; measuring {}", FileLimits.limit(),
                    peers, requested, peers);
        }
        try (PeerFarms farms = PeerFarms.start(peers + 1, Duration.ofMinutes(10));
                OptimizedConnectionPool pool = BenchPools.create(1, peers + 1)) {
            Warm.onePerPeer(pool, farms.ids(), farms.addresses(), 0, 1, 1, TimeUnit.MINUTES);
            long before = HeapMeter.usedAfterGc();
            long started = System.nanoTime();
            Warm.onePerPeer(pool, farms.ids(), farms.addresses(), 1, peers + 1, 10, TimeUnit.MINUTES);
            double dialSeconds = (System.nanoTime() - started) / 1e9;
            long after = HeapMeter.usedAfterGc();
            PoolStats stats = pool.getStats();
            if (stats.pooledConnections() != peers + 1) {
                throw new IllegalStateException("expected " + (peers + 1) + " idle connections after warming, the pool "
                        + "has " + stats.pooledConnections() + "; the heap difference would not be per connection: "
                        + stats);
            }
            long[] farmHeap = farms.heap();
            ObjectNode result = JsonMapper.builder().build().createObjectNode();
            result.put("peers", peers);
            result.put("peersRequested", requested);
            result.put("openFilesLimit", FileLimits.limit());
            result.put("listenerJvms", farms.jvms());
            result.put("poolHeapBeforeBytes", before);
            result.put("poolHeapAfterBytes", after);
            result.put("poolBytesPerConnection", (double) (after - before) / peers);
            result.put("listenerHeapEmptyBytes", farmHeap[0]);
            result.put("listenerHeapListeningBytes", farmHeap[1]);
            result.put("listenerHeapConnectedBytes", farmHeap[2]);
            result.put("listenerBytesPerListener", (double) (farmHeap[1] - farmHeap[0]) / (peers + 1));
            result.put("listenerBytesPerConnection", (double) (farmHeap[2] - farmHeap[1]) / (peers + 1));
            result.put("dialSeconds", dialSeconds);
            JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValue(Path.of(args[1]).toFile(), result);
            log.info("heap per idle pooled connection: {} bytes over {} peers ({} listener JVMs); dialing took {} s",
                    (after - before) / peers, peers, farms.jvms(), String.format("%.1f", dialSeconds));
        }
    }
}
