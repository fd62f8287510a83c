package io.guardian.pool.internal.pool;

import io.guardian.pool.peer.PeerId;

/**
 * What callers and operators do to a peer directly: query and feed its breaker, reset it, evict
 * its connections. Not API. Never creates a peer, except {@link #recordFailure}, which must
 * remember the failure. Every method refuses a {@code null} peer with
 * {@link IllegalArgumentException}.
 */
public final class PeerAdmin {

    private final PoolEngine engine;

    PeerAdmin(PoolEngine engine) {
        this.engine = engine;
    }

    /**
     * @param peer the peer
     * @return whether its breaker allows a call now
     */
    public boolean checkCircuitBreaker(PeerId peer) {
        PeerSlot s = engine.slotOf(requirePeer(peer));
        if (s == null) {
            return true;
        }
        synchronized (s) {
            return s.breaker.allowsCalls(engine.clock().nanoTime());
        }
    }

    /** @param peer the peer whose breaker counts a failure */
    public void recordFailure(PeerId peer) {
        requirePeer(peer);
        while (true) {
            PeerSlot s = engine.slotFor(peer);
            synchronized (s) {
                if (s.retired) {
                    continue;
                }
                s.breaker.onFailure(false, engine.clock().nanoTime());
                return;
            }
        }
    }

    /**
     * A caller's success: resets a closed breaker's count; ignored while half-open (only the probe
     * counts) and for unknown peers.
     *
     * @param peer the peer
     */
    public void recordSuccess(PeerId peer) {
        PeerSlot s = engine.slotOf(requirePeer(peer));
        if (s != null) {
            synchronized (s) {
                s.breaker.onSuccess(false, engine.clock().nanoTime());
            }
        }
    }

    /**
     * @param peer the peer
     * @return false if unknown
     */
    public boolean resetCircuitBreaker(PeerId peer) {
        PeerSlot s = engine.slotOf(requirePeer(peer));
        if (s == null) {
            return false;
        }
        synchronized (s) {
            s.breaker.reset();
        }
        return true;
    }

    /**
     * Closes the peer's idle connections now and its leased ones when their leases end. The flag
     * is set under the slot lock, and release reads it under the same lock, so an evict racing a
     * release is never lost.
     *
     * @param peer the peer
     * @return false if unknown
     */
    public boolean evict(PeerId peer) {
        PeerSlot s = engine.slotOf(requirePeer(peer));
        if (s == null) {
            return false;
        }
        Closings gone = new Closings(engine);
        synchronized (s) {
            while (s.idleCount > 0) {
                gone.detachLocked(s, s.idle[s.idleCount - 1], "evicted on request", CloseKind.EVICTED);
            }
            for (PooledConn c : s.conns) {
                c.closeReason = "evicted on request";
                c.retireOnRelease = true;
            }
        }
        gone.finish();
        return true;
    }

    static PeerId requirePeer(PeerId peer) {
        if (peer == null) {
            throw new IllegalArgumentException("peerId must not be null");
        }
        return peer;
    }

    /** Most protection tags one peer may carry: the set is held for as long as any tag is. */
    static final int MAX_TAGS = 64;

    /**
     * Protects the peer's connections from the connection manager under {@code tag} (creates the
     * peer's entry, kept while any tag is on it).
     *
     * @param peer the peer
     * @param tag why, e.g. "bootstrap"; each tag is removed on its own
     * @throws IllegalStateException if the peer already carries {@value #MAX_TAGS} tags
     */
    public void protect(PeerId peer, String tag) {
        requirePeer(peer);
        requireTag(tag);
        while (true) {
            PeerSlot s = engine.slotFor(peer);
            synchronized (s) {
                if (s.retired) {
                    continue;
                }
                if (s.protectTags == null) {
                    s.protectTags = new java.util.HashSet<>(2);
                }
                if (!s.protectTags.contains(tag) && s.protectTags.size() >= MAX_TAGS) {
                    throw new IllegalStateException("peer " + peer + " already carries " + MAX_TAGS
                            + " protection tags; unprotect some before adding " + tag);
                }
                s.protectTags.add(tag);
                return;
            }
        }
    }

    /**
     * Removes one protection tag.
     *
     * @param peer the peer
     * @param tag the tag to remove
     * @return whether the peer is still protected (by other tags)
     */
    public boolean unprotect(PeerId peer, String tag) {
        requireTag(tag);
        PeerSlot s = engine.slotOf(requirePeer(peer));
        if (s == null) {
            return false;
        }
        synchronized (s) {
            if (s.protectTags == null) {
                return false;
            }
            s.protectTags.remove(tag);
            return !s.protectTags.isEmpty();
        }
    }

    /**
     * @param peer the peer
     * @param tag a tag, or {@code null} for any
     * @return whether the peer is protected under that tag (or any tag)
     */
    public boolean isProtected(PeerId peer, String tag) {
        PeerSlot s = engine.slotOf(requirePeer(peer));
        if (s == null) {
            return false;
        }
        synchronized (s) {
            return s.protectTags != null && (tag == null ? !s.protectTags.isEmpty() : s.protectTags.contains(tag));
        }
    }

    private static void requireTag(String tag) {
        if (tag == null || tag.isEmpty() || tag.length() > 256) {
            throw new IllegalArgumentException("a protection tag must be 1 to 256 characters, was "
                    + (tag == null ? "null" : tag.length() + " characters"));
        }
    }
}
