package io.guardian.pool.benchmarks.scale;

import io.guardian.pool.benchmarks.acquire.KeyedPoolUnderTest;
import io.guardian.pool.peer.PeerId;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link PeerKeyedFloor} walk with Guardian Pool's chain of dependent loads behind the map:
 * the per-peer value leads to a small array, to a connection, to its transport and to that one's
 * mailbox, as {@code PeerSlot -> idle[] -> PooledConn -> NettyFramedConnection -> Mailbox} do on
 * the pool's reuse path. No pool, no sockets, no locks. Not API.
 *
 * <p>Two layouts, so that the cost of the chain's length and the cost of where it sits in memory
 * can be told apart:
 * <ul>
 *   <li>{@link #compact}: per peer the five chain objects, back to back (456 bytes).
 *   <li>{@link #spread}: the same five objects, with ballast allocated between them and after
 *       them, so that each peer occupies about as much heap as an idle pooled connection does
 *       ({@link #SPREAD_BYTES_PER_PEER} bytes), in objects of the sizes and in the order found in
 *       a heap dump of the pool holding 10,000 idle connections (see {@link #BALLAST}).
 * </ul>
 * In both, every chain object has the size of the class it stands for (144, 32, 136, 96 and
 * 48 bytes with compressed oops), and each peer's map node is allocated among the objects of the
 * peer half the walk away: in the pool's heap a peer's map node lies far from its slot
 * (megabytes apart for most peers), while its slot, idle array, connection, transport and
 * mailbox lie within about 2 KB of each other.
 *
 * <p>One step ({@link #borrowAndRelease}): {@code ConcurrentHashMap.get} by {@code PeerId}
 * (PeerId, table entry, node), then the value's idle count and array, the array's last element,
 * that connection's transport, the transport's close reason and mailbox, the mailbox's size, a
 * compare-and-set of the connection's state from idle to leased (a pool that threads share must
 * claim a connection atomically; Guardian takes the slot's monitor), two counters written and
 * the state set back to idle: five dependent loads after the map's three, as on the pool's path.
 * {@link LockedChainFloor} does the same walk as the pool's engine does it: under the slot's
 * monitor, with a new lease object per step stored in the connection.
 *
 * <p>The layout is what allocation order gives: the setup collects garbage before allocating (so
 * no young collection moves the objects in between; it logs if one did) and {@link
 * KeyedWalkFloorBenchmark} runs a full, compacting collection after, which keeps the order.
 */
class PeerChainFloor implements KeyedPoolUnderTest {

    private static final Logger log = LoggerFactory.getLogger(PeerChainFloor.class);

    static final int IDLE = 0;
    static final int LEASED = 1;

    /**
     * Ballast per peer in bytes per object, in five runs: before the transport, between the
     * mailbox and the connection, between the connection and the slot, between the slot and its
     * idle array, and after the array. Sizes and order follow a class histogram and a heap dump
     * of the pool at 2,000 and 10,000 idle connections (JDK 17, compressed oops): a Netty epoll
     * channel with its configuration, receive allocator, id and pipeline (head, tail and two
     * handler contexts), Guardian's frame decoder, ping tracker, latency trackers, circuit
     * breaker, futures, lambdas, addresses, strings and byte arrays. Measured offsets from the
     * slot in that dump (medians): channel -1472, transport -984, mailbox -888 (right after the
     * transport), connection -240, idle array +328.
     */
    static final int[][] BALLAST = {
        // EpollSocketChannel, its config, AdaptiveRecvByteBufAllocator, HandleImpl, AdaptiveCalculator,
        // DefaultChannelId and its byte[], DefaultChannelPipeline, HeadContext
        {136, 64, 32, 56, 40, 48, 48, 48, 64},
        // ConcurrentLinkedQueue and node, Mailbox.Empty[], ArrayDeque and its Object[17], a CompletableFuture,
        // AtomicBoolean, AtomicLong, PingTracker, three lambdas, FrameDecoder, two handler contexts,
        // TailContext, the channel's Unsafe
        {24, 24, 24, 24, 88, 24, 16, 24, 24, 16, 16, 16, 48, 64, 64, 64, 48},
        // the connection's id String and its byte[], the connection's LatencyTracker
        {24, 32, 56},
        // the slot's LatencyTracker, CircuitBreaker and two lambdas
        {56, 96, 16, 16},
        // ArrayList and Object[4] of the slot's connections, two nodes of other maps, two Netty
        // ScheduledFutureTasks, three CompletableFutures, two UniWhenCompletes, ChannelOutboundBuffer,
        // CloseFuture, NettyConnector.Attempt, a HashMap, two InetAddressHolders, two Inet4Addresses,
        // two InetSocketAddresses and their holders, two VoidChannelPromises, the epoll registration and
        // streaming handle, LinuxSocket, SucceededChannelFuture, IoRegistrationWrapper, an unmodifiable
        // list, six 16-byte objects (lambdas, allocator, epoll ops), three Strings, five byte[]s and two
        // Object[]s
        {24, 32, 32, 32, 64, 64, 24, 24, 24, 40, 40, 64, 48, 48, 48, 32, 32, 24, 24, 16, 16, 24, 24, 24, 24,
            32, 32, 24, 24, 24, 24, 16, 16, 16, 16, 16, 16, 24, 24, 24, 56, 56, 56, 56, 56, 56, 56},
    };

    /** Bytes of the five chain objects (slot, idle array, connection, transport, mailbox). */
    static final int CHAIN_BYTES = 144 + 32 + 136 + 96 + 48;

    /** Heap per peer in the spread layout: the chain objects and their ballast, map node excluded. */
    static final int SPREAD_BYTES_PER_PEER = CHAIN_BYTES + sum(BALLAST);

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Conn.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Stands for PeerSlot: 144 bytes (12-byte header, 14 longs, 3 ints, 2 references). */
    static final class Slot {
        long reuses;
        long lastUsedNanos;
        long pad0, pad1, pad2, pad3, pad4, pad5, pad6, pad7, pad8, pad9, pad10, pad11;
        int idleCount;
        int leased;
        int dialFailures;
        Conn[] idle;
        /** The last ballast object of this peer; each ballast object holds the one before. */
        Object ballast;
    }

    /** Stands for PooledConn: 136 bytes (header, 13 longs, 2 ints, 3 references). */
    static final class Conn {
        long reuseCount;
        long lastUsedNanos;
        long pad0, pad1, pad2, pad3, pad4, pad5, pad6, pad7, pad8, pad9, pad10;
        int state = IDLE;
        int consecutiveLosses;
        Transport transport;
        Slot slot;
        /** The current lease, as PooledConn holds it; only {@link LockedChainFloor} sets it. */
        Object lease;
    }

    /** Stands for NettyFramedConnection: 96 bytes (header, 9 longs, 1 int, 2 references). */
    static final class Transport {
        long bytesSent;
        long bytesReceived;
        long pad0, pad1, pad2, pad3, pad4, pad5, pad6;
        int maxFrameSize = 1 << 20;
        String closeReason;
        Mailbox mailbox;
    }

    /** Stands for Guardian's Mailbox: 48 bytes (header, 3 longs, 2 ints, 1 reference). */
    static final class Mailbox {
        long averageWaitNanos;
        long pad0, pad1;
        int size;
        int spins;
        Thread waiter;
    }

    /** A 16-byte ballast object (header and one reference), the smallest object size. */
    private static final class Link {
        final Object previous;

        Link(Object previous) {
            this.previous = previous;
        }
    }

    final PeerId[] ids;
    final ConcurrentHashMap<PeerId, Slot> slots;

    PeerChainFloor(PeerId[] ids, boolean withBallast) {
        this.ids = ids;
        int peers = ids.length;
        // Sized up front (the same table as the pool's grown map at 10,000 peers: 16,384 bins), so
        // that no resize copies nodes out of the place chosen for them below.
        slots = new ConcurrentHashMap<>(peers);
        Slot placeholder = new Slot();
        long collectionsBefore = collections();
        Slot[] made = new Slot[peers];
        for (int i = 0; i < peers; i++) {
            made[i] = withBallast ? spreadPeer() : compactPeer();
            // The map node of another peer, half the walk away, among this peer's objects: in the
            // pool's heap a node rarely lies near its own slot. Its value is set below.
            PeerId other = ids[(i + peers / 2) % peers];
            if (slots.putIfAbsent(other, placeholder) != null) {
                throw new IllegalStateException("two generated identities share the PeerId " + other
                        + "; the floor needs " + peers + " distinct peers");
            }
        }
        long collectionsDuringLayout = collections() - collectionsBefore;
        for (int i = 0; i < peers; i++) {
            // Replacing the value of an existing key writes the node's field; no new node.
            if (slots.replace(ids[i], made[i]) != placeholder) {
                throw new IllegalStateException("peer #" + i + " (" + ids[i] + ") lost its map entry");
            }
        }
        if (collectionsDuringLayout > 0) {
            log.warn("{} garbage collection(s) ran while the floor allocated its {} peers; they may have moved objects"
                    + " out of allocation order", collectionsDuringLayout, peers);
        }
        log.info("chain floor: {} peers, {} bytes per peer ({} layout) and a map node among another peer's objects",
                peers, withBallast ? SPREAD_BYTES_PER_PEER : CHAIN_BYTES, withBallast ? "spread" : "compact");
    }

    /**
     * The chain objects of {@code peers} distinct peers, back to back per peer.
     *
     * @param peers how many distinct peers, at least 1
     * @return the floor, with one entry per peer
     */
    static PeerChainFloor compact(int peers) {
        PeerId[] ids = PeerKeyedFloor.generateIds(peers);
        System.gc();
        return new PeerChainFloor(ids, false);
    }

    /**
     * The chain objects of {@code peers} distinct peers, each peer's among ballast of the pool's
     * per-connection footprint ({@link #BALLAST}).
     *
     * @param peers how many distinct peers, at least 1
     * @return the floor, with one entry per peer
     */
    static PeerChainFloor spread(int peers) {
        PeerId[] ids = PeerKeyedFloor.generateIds(peers);
        System.gc();
        return new PeerChainFloor(ids, true);
    }

    private static Slot compactPeer() {
        Transport transport = new Transport();
        transport.mailbox = new Mailbox();
        Conn conn = new Conn();
        conn.transport = transport;
        Slot slot = new Slot();
        conn.slot = slot;
        slot.idle = new Conn[4];
        slot.idle[0] = conn;
        slot.idleCount = 1;
        return slot;
    }

    private static Slot spreadPeer() {
        Object ballast = allocate(BALLAST[0], null);
        Transport transport = new Transport();
        transport.mailbox = new Mailbox();
        ballast = allocate(BALLAST[1], ballast);
        Conn conn = new Conn();
        conn.transport = transport;
        ballast = allocate(BALLAST[2], ballast);
        // The idle array comes after the slot's trackers and breaker, as in the pool's heap.
        Slot slot = new Slot();
        conn.slot = slot;
        ballast = allocate(BALLAST[3], ballast);
        slot.idle = new Conn[4];
        slot.idle[0] = conn;
        slot.idleCount = 1;
        slot.ballast = allocate(BALLAST[4], ballast);
        return slot;
    }

    /** Allocates one run of ballast objects, each holding the previous one; returns the last. */
    private static Object allocate(int[] sizes, Object previous) {
        Object last = previous;
        for (int size : sizes) {
            if (size == 16) {
                last = new Link(last);
            } else {
                // An Object[] of n references is 16 + 4n bytes with compressed oops.
                Object[] array = new Object[(size - 16) / 4];
                array[0] = last;
                last = array;
            }
        }
        return last;
    }

    private static int sum(int[][] runs) {
        int total = 0;
        for (int[] run : runs) {
            for (int size : run) {
                total += size;
            }
        }
        return total;
    }

    private static long collections() {
        long total = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionCount());
        }
        return total;
    }

    /**
     * The map lookup and the walk down the chain, claiming the connection with a compare-and-set
     * and putting it back; returns the connection.
     */
    @Override
    public Object borrowAndRelease(int key) {
        Slot slot = slots.get(ids[key]);
        int count = slot.idleCount;
        Conn conn = slot.idle[count - 1];
        Transport transport = conn.transport;
        if (transport.closeReason != null || transport.mailbox.size != 0
                || !STATE.compareAndSet(conn, IDLE, LEASED)) {
            throw new IllegalStateException("peer #" + key + "'s connection is not idle and open, but only the"
                    + " benchmark thread touches it");
        }
        conn.reuseCount++;
        slot.reuses++;
        conn.state = IDLE;
        return conn;
    }

    /** Nothing to create: every peer's chain exists from construction; checks that it does. */
    @Override
    public void warm(int key, int count) {
        Slot slot = slots.get(ids[key]);
        if (slot == null || slot.idleCount < count) {
            throw new IllegalStateException("peer #" + key + " (" + ids[key] + ") has no idle connection in the chain"
                    + " floor's map");
        }
    }

    /** Nothing to release: the floor holds no resources. */
    @Override
    public void close() {
        slots.clear();
    }
}
