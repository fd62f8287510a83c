package io.guardian.pool.benchmarks.scale;

import io.guardian.pool.benchmarks.acquire.KeyedPoolUnderTest;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
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
 */
final class PeerKeyedFloor implements KeyedPoolUnderTest {

    /** A peer's state, as small as state gets: one counter the "acquire" reads and writes. */
    static final class PeerState {
        int leases;
    }

    private final PeerId[] ids;
    private final ConcurrentHashMap<PeerId, PeerState> states;

    private PeerKeyedFloor(PeerId[] ids) {
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
        if (peers < 1) {
            throw new IllegalArgumentException("the floor needs at least one peer, got " + peers);
        }
        PeerId[] ids = IntStream.range(0, peers).parallel()
                .mapToObj(i -> PeerIdentity.generate().peerId()).toArray(PeerId[]::new);
        return new PeerKeyedFloor(ids);
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
}
