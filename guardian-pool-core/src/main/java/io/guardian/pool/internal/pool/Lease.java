package io.guardian.pool.internal.pool;

import io.guardian.pool.ConnectionClosedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One lease of a pooled connection: a new small object per acquire, so that closing is
 * idempotent and a stale lease (closed, its connection since leased to someone else) can never
 * touch the connection again. Not API.
 */
final class Lease implements PeerConnection {

    private static final AtomicIntegerFieldUpdater<Lease> CLOSED =
            AtomicIntegerFieldUpdater.newUpdater(Lease.class, "closed");

    final PooledConn conn;
    final long acquiredNanos;
    /** Where it was acquired; {@code null} unless leak detection is on. */
    final Throwable site;
    /** Whether an existing connection was leased, rather than one dialed for this caller (for observers). */
    final boolean reused;
    private final PoolEngine engine;
    private volatile int closed;
    /** Whether this lease sent or received; if not, its release need not read the byte counters. */
    volatile boolean touched;
    /** Health pass only: the leak event for this lease was raised. */
    boolean leakReported;

    Lease(PoolEngine engine, PooledConn conn, long acquiredNanos, Throwable site, boolean reused) {
        this.engine = engine;
        this.conn = conn;
        this.acquiredNanos = acquiredNanos;
        this.site = site;
        this.reused = reused;
    }

    @Override
    public String id() {
        return conn.id;
    }

    @Override
    public PeerId peerId() {
        return conn.slot.peerId;
    }

    @Override
    public Multiaddr address() {
        return conn.address;
    }

    boolean isClosed() {
        return closed != 0;
    }

    private void ensureOpen(String what) {
        if (closed != 0) {
            throw new IllegalStateException("cannot " + what + " on connection " + conn.id + " to peer "
                    + conn.slot.peerId + ": this lease was already closed; acquire a new one");
        }
    }

    @Override
    public void send(byte[] message) {
        ensureOpen("send");
        if (message == null) {
            throw new IllegalArgumentException("message must not be null");
        }
        conn.operations++;
        touched = true;
        try {
            conn.transport.send(message);
        } catch (ConnectionClosedException e) {
            conn.failed = true;
            throw e;
        }
    }

    @Override
    public byte[] receive(Duration timeout) {
        ensureOpen("receive");
        requirePositive(timeout);
        touched = true;
        try {
            return conn.transport.receive(timeout);
        } catch (ConnectionClosedException e) {
            conn.failed = true;
            throw e;
        }
    }

    @Override
    public byte[] request(byte[] message, Duration timeout) {
        ensureOpen("request");
        requirePositive(timeout);
        long start = engine.clock.nanoTime();
        send(message);
        byte[] reply;
        try {
            reply = receive(timeout);
        } catch (ConnectionTimeoutException e) {
            // A reply may still come; on a pooled connection it would reach the next holder as the
            // answer to their request. So this connection is never reused.
            conn.closeReason = "a request got no reply within " + timeout + "; a late reply must not reach the "
                    + "next holder";
            conn.failed = true;
            throw e;
        }
        engine.recordLatency(conn, engine.clock.nanoTime() - start);
        return reply;
    }

    private static void requirePositive(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be a positive duration, was " + timeout);
        }
    }

    @Override
    public void markFailed(Throwable cause) {
        if (markClosed()) {
            engine.release(this, cause == null ? new IllegalStateException("marked failed without a cause") : cause);
        }
    }

    @Override
    public void close() {
        if (markClosed()) {
            engine.release(this, null);
        }
    }

    /**
     * Marks this lease closed for its own thread, without a locked instruction: the engine's
     * release checks under the peer's lock that the connection still belongs to this lease, so a
     * second close racing on another thread (which the contract does not allow anyway) finds it
     * gone and does nothing.
     *
     * @return whether this call closed it
     */
    private boolean markClosed() {
        if (closed != 0) {
            return false;
        }
        CLOSED.lazySet(this, 1);
        return true;
    }

    @Override
    public String toString() {
        return "PeerConnection[" + conn.id + (closed != 0 ? ", closed]" : "]");
    }
}
