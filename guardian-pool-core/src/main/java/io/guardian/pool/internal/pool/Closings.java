package io.guardian.pool.internal.pool;

import java.util.ArrayList;
import java.util.List;
import io.guardian.pool.event.ConnectionEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The detach, pass room, close, admit sequence, written once. Not API.
 *
 * <p>Closing a pooled connection has two halves that must not be mixed: under the peer's lock the
 * connection leaves the slot's bookkeeping and the room it held under {@code
 * max-connections-per-peer} goes to the peer's first waiter ({@link #detachLocked}); after the
 * lock is released the socket is closed, the global permit freed, the close counted and reported,
 * and the waiters given room go on to their dials ({@link #finish}), since no I/O and no other
 * peer's lock may run under a slot lock. Every part of the engine that closes connections
 * collects them here and finishes once.
 */
final class Closings {

    private static final Logger LOG = LoggerFactory.getLogger(Closings.class);

    private final PoolEngine engine;
    private List<PooledConn> conns;
    private List<CloseKind> kinds;
    private List<Acquisition> admitted;

    Closings(PoolEngine engine) {
        this.engine = engine;
    }

    /**
     * Detaches {@code c} from {@code slot} and passes the freed room on (caller holds the slot lock).
     *
     * @param slot the connection's slot, locked by the caller
     * @param c the connection, idle or leased
     * @param reason why, unless the connection already carries a reason
     * @param kind how the close is counted
     * @return whether it was detached now (false if it was closed already)
     */
    boolean detachLocked(PeerSlot slot, PooledConn c, String reason, CloseKind kind) {
        if (!engine.detachLocked(slot, c, reason)) {
            return false;
        }
        if (conns == null) {
            conns = new ArrayList<>(2);
            kinds = new ArrayList<>(2);
        }
        conns.add(c);
        kinds.add(kind);
        Acquisition w = engine.passRoomLocked(slot);
        if (w != null) {
            if (admitted == null) {
                admitted = new ArrayList<>(1);
            }
            admitted.add(w);
        }
        return true;
    }

    /** @return how many connections were detached */
    int size() {
        return conns == null ? 0 : conns.size();
    }

    /** After unlocking: closes the sockets, frees their permits, reports; then admitted waiters proceed. */
    void finish() {
        if (conns != null) {
            for (int i = 0; i < conns.size(); i++) {
                PooledConn c = conns.get(i);
                close(c, kinds.get(i));
            }
            conns = null;
            kinds = null;
        }
        if (admitted != null) {
            List<Acquisition> go = admitted;
            admitted = null;
            for (Acquisition a : go) {
                engine.proceedGlobal(a);
            }
        }
    }

    /** Closes a detached connection's socket, frees its permit, counts it, reports it. */
    private void close(PooledConn c, CloseKind kind) {
        engine.unregister(c);
        String reason = c.closeReason;
        try {
            c.transport.close(reason);
        } catch (RuntimeException e) {
            LOG.debug("Closing connection {} failed", c.id, e);
        }
        engine.admission().release();
        engine.counters().closed(kind);
        engine.events().publish(new ConnectionEvent.Disconnected(c.slot.peerId, c.id + ": " + reason));
    }
}
