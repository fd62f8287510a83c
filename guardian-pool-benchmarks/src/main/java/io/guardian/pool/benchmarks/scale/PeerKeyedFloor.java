package io.guardian.pool.benchmarks.scale;

import io.guardian.pool.benchmarks.acquire.KeyedPoolUnderTest;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * The least any pool keyed by peer must do per acquire and release, with no pool and no sockets:
 * find the peer's entry in a {@link ConcurrentHashMap} keyed by {@link PeerId} (as Guardian
 * Pool's engine keys its peer slots), then read and write one field of the per-peer object. Not
 * API.
 *
 * <p>On a uniform walk over many peers each step touches the {@code PeerId} (its cached hash),
 * the map's bucket, the map node and the per-peer object, each likely on a cache line that the
 * previous steps evicted; at one peer all of them stay in L1. The ratio between the two is the
 * part of a keyed pool's slowdown that comes from the memory hierarchy and no pool can avoid.
 *
 * <p>The plain floor ({@link #generate}) writes with a plain store. Consecutive steps of the walk
 * do not depend on each other, so the processor overlaps one step's cache misses with the
 * next's. A pool that several threads share must claim a connection atomically, and an atomic
 * read-modify-write waits for the misses before it: {@link #generateAtomic} does the same walk
 * with a compare-and-set on the per-peer field, the floor of a thread-safe keyed pool.
 */
class PeerKeyedFloor implements KeyedPoolUnderTest {

    /** A peer's state, as small as state gets: one counter the "acquire" reads and writes. */
    static final class PeerState {
        int leases;
    }

    private static final VarHandle LEASES;

    static {
        try {
            LEASES = MethodHandles.lookup().findVarHandle(PeerState.class, "leases", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final PeerId[] ids;
    final ConcurrentHashMap<PeerId, PeerState> states;

    PeerKeyedFloor(PeerId[] ids) {
        this.ids = ids;
        states = new ConcurrentHashMap<>();
        // One object per peer, allocated as a pool allocates its per-peer state: when the peer
        // is first seen, just before the map node that holds it.
        for (PeerId id : ids) {
            if (states.putIfAbsent(id, new PeerState()) != null) {
                throw new IllegalStateException("two generated identities share the PeerId " + id
                        + "; the floor needs " + ids.length + " distinct peers");
            }
        }
    }

    /**
     * Generates {@code peers} Ed25519 identities (in parallel: key generation is the slow part,
     * about a millisecond each here) and keys the map by their PeerIds.
     *
     * @param peers how many distinct peers, at least 1
     * @return the floor, with one entry per peer
     */
    static PeerKeyedFloor generate(int peers) {
        return new PeerKeyedFloor(generateIds(peers));
    }

    /**
     * As {@link #generate}, but each step claims the peer's state with a compare-and-set instead
     * of a plain write.
     *
     * @param peers how many distinct peers, at least 1
     * @return the floor, with one entry per peer
     */
    static PeerKeyedFloor generateAtomic(int peers) {
        return new Atomic(generateIds(peers));
    }

    /** Generates the PeerIds of {@code peers} distinct Ed25519 identities, in parallel. */
    static PeerId[] generateIds(int peers) {
        if (peers < 1) {
            throw new IllegalArgumentException("the floor needs at least one peer, got " + peers);
        }
        return IntStream.range(0, peers).parallel()
                .mapToObj(i -> PeerIdentity.generate().peerId()).toArray(PeerId[]::new);
    }

    /** The map lookup and one read and one write of the peer's state; returns the state. */
    @Override
    public Object borrowAndRelease(int key) {
        PeerState state = states.get(ids[key]);
        state.leases = state.leases + 1;
        return state;
    }

    /** Nothing to create: every peer's state exists from construction; checks that it does. */
    @Override
    public void warm(int key, int count) {
        if (states.get(ids[key]) == null) {
            throw new IllegalStateException("peer #" + key + " (" + ids[key] + ") has no entry in the floor's map");
        }
    }

    /** Nothing to release: the floor holds no resources. */
    @Override
    public void close() {
        states.clear();
    }

    /** The floor with an atomic claim: the map lookup, a read, and a compare-and-set. */
    private static final class Atomic extends PeerKeyedFloor {

        Atomic(PeerId[] ids) {
            super(ids);
        }

        /**
         * Reads the counter and compare-and-sets it one higher; one thread walks, so it never
         * fails, but the processor still orders it after the loads before it.
         */
        @Override
        public Object borrowAndRelease(int key) {
            PeerState state = states.get(ids[key]);
            int leases = state.leases;
            if (!LEASES.compareAndSet(state, leases, leases + 1)) {
                throw new IllegalStateException("a compare-and-set on peer #" + key
                        + "'s state failed, but only the benchmark thread writes it");
            }
            return state;
        }
    }
}
