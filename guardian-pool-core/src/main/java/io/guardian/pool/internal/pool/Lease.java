package io.guardian.pool.internal.pool;

import io.guardian.pool.ConnectionClosedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolInterruptedException;
import io.guardian.pool.PoolObserver;
import io.guardian.pool.ProtocolNotSupportedException;
import io.guardian.pool.RequestTimeoutException;
import io.guardian.pool.internal.transport.MessageChannel;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One lease: on guardian-db the whole connection, on libp2p one stream of a shared connection,
 * opened on first use (its protocol negotiated with the first message, 0-RTT) and ended at release.
 * A new small object per acquire, so that closing is idempotent and a stale lease (closed, its
 * connection since leased to someone else) can never touch the connection again. Not API.
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
    /** Which lease of its connection this is (1, 2, ...): with the connection's id, the id API's handle. */
    final long number;
    private final String protocol;
    /**
     * What messages go through: the connection itself (guardian-db), or this lease's stream (libp2p;
     * {@code null} until first use and after a failed stream was dropped).
     */
    private MessageChannel io;
    /**
     * Whether this lease is its peer's half-open probe: the breaker settles on this lease's outcome
     * when it is released (slot lock).
     */
    boolean probe;
    /** Whether a message was sent since the last one received: a timeout then leaves a reply owed. */
    private boolean replyOwed;
    private final PoolEngine engine;
    private volatile int closed;
    /** Whether this lease sent or received; if not, its release need not read the byte counters. */
    volatile boolean touched;
    /** Health pass only: the leak event for this lease was raised. */
    boolean leakReported;
    /** The peer failed this lease without failing the connection (a stream left unanswered, a stream protocol error). */
    volatile boolean peerFailed;
    /** The peer answered {@code na} to this lease's protocol. */
    volatile boolean refusedProtocol;
    /** The remote reset one of this lease's streams before accepting it. */
    private volatile boolean refusedStream;
    /** Bytes moved by this lease's streams that were dropped already. */
    private long droppedStreamBytes;

    Lease(PoolEngine engine, PooledConn conn, long acquiredNanos, Throwable site, boolean reused, long number,
            String protocol) {
        this.engine = engine;
        this.conn = conn;
        this.acquiredNanos = acquiredNanos;
        this.site = site;
        this.reused = reused;
        this.number = number;
        this.protocol = protocol;
        this.io = conn.multiplexed ? null : conn.transport.channel(protocol);
    }

    /**
     * The handle the id API hands out for this lease: the connection's id and this lease's number,
     * so that once the lease ends the handle names nothing (never the connection's next holder).
     */
    String handle() {
        return conn.id + IdHandles.SEPARATOR + number;
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

    @Override
    public String protocol() {
        return protocol;
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

    /** The channel to use: on libp2p a stream, opened now if this lease has none. */
    private MessageChannel channel() {
        MessageChannel c = io;
        if (c == null) {
            try {
                c = conn.transport.channel(protocol);
            } catch (TransportException e) {
                throw streamFailed(e);
            }
            io = c;
        }
        return c;
    }

    @Override
    public void send(byte[] message) {
        ensureOpen("send");
        if (message == null) {
            throw new IllegalArgumentException("message must not be null");
        }
        conn.operations++;
        touched = true;
        MessageChannel c = channel();
        try {
            c.send(message);
        } catch (ConnectionClosedException e) {
            throw failedSend(e);
        } catch (TransportException e) {
            throw conn.multiplexed ? streamFailed(e) : failedSend(DialFailures.onLease(e, conn.slot.peerId, conn.id));
        }
        replyOwed = true;
    }

    /** An interrupt is the caller's decision, not the peer's fault; anything else failed the connection. */
    private GuardianPoolException failedSend(GuardianPoolException e) {
        if (Thread.currentThread().isInterrupted()) {
            conn.retire("its holder was interrupted in the middle of a send");
            return new PoolInterruptedException("interrupted while sending on connection " + conn.id + " to peer "
                    + conn.slot.peerId + " (the thread's interrupt flag is set)", e);
        }
        connectionFailed();
        return e;
    }

    /**
     * The connection broke under this lease: a close the remote made in order is churn (the
     * connection is retired, nobody is charged); anything else fails it.
     */
    private void connectionFailed() {
        if (!conn.transport.isOpen() && conn.transport.closedByRemote()) {
            String r = conn.transport.closeReason();
            conn.retire("closed by the peer" + (r != null ? " (" + r + ")" : ""));
        } else {
            conn.failed = true;
        }
    }

    /**
     * A libp2p stream failed: the stream is dropped (reset), the next use opens a new one. Only a
     * connection that broke too is retired or failed; a refused protocol, a reset stream or a timeout
     * leave the connection to the other leases.
     */
    private GuardianPoolException streamFailed(TransportException e) {
        return streamFailed(e, false);
    }

    /** @param received whether {@code e} came from reading the peer's message */
    private GuardianPoolException streamFailed(TransportException e, boolean received) {
        MessageChannel c = io;
        if (c != null && c.refusedUnaccepted()) {
            refusedStream = true;
        }
        dropStream();
        PeerId peer = conn.slot.peerId;
        if (Thread.currentThread().isInterrupted()) {
            return new PoolInterruptedException("interrupted while using a stream (" + protocol + ") to peer " + peer
                    + " (the thread's interrupt flag is set; the stream was reset)", e);
        }
        if (e.kind() == TransportException.Kind.PROTOCOL_REFUSED) {
            refusedProtocol = true;
            return new ProtocolNotSupportedException(peer, protocol, "peer " + peer + " does not speak protocol "
                    + protocol + " (it answered multistream-select 'na'); check the protocol id and the handlers the "
                    + "peer registered", e);
        }
        if (!conn.transport.isOpen()) {
            connectionFailed();
            // A connection that broke other than by an orderly close failed this caller.
            peerFailed = conn.failed;
        } else if (e.kind() == TransportException.Kind.PROTOCOL_VIOLATION || received
                && e.kind() == TransportException.Kind.LIMIT_EXCEEDED) {
            // Receiving, a limit exceeded is the peer's doing (a message larger than max-message-size):
            // as much a violation as a malformed one. Sending, it is ours (the stream limit).
            peerFailed = true;
        }
        return DialFailures.onLease(e, peer, conn.id);
    }

    /** Resets and forgets this lease's stream (libp2p); its bytes still count. */
    private void dropStream() {
        MessageChannel c = io;
        if (c != null && conn.multiplexed) {
            io = null;
            droppedStreamBytes += c.bytesMoved();
            c.end(false);
        }
        replyOwed = false;
    }

    @Override
    public byte[] receive(Duration timeout) {
        ensureOpen("receive");
        requirePositive(timeout);
        touched = true;
        MessageChannel c = channel();
        byte[] message;
        try {
            message = c.receive(timeout);
        } catch (GuardianPoolException e) {
            throw failedReceive(e, e instanceof ConnectionTimeoutException, timeout);
        } catch (TransportException e) {
            if (conn.multiplexed && e.kind() != TransportException.Kind.TIMED_OUT) {
                throw streamFailed(e, true);
            }
            throw failedReceive(e, e.kind() == TransportException.Kind.TIMED_OUT, timeout);
        }
        replyOwed = false;
        return message;
    }

    /**
     * Decides what a failed receive means. When a reply may still be on its way, the connection is
     * never lent to anyone else: it is closed when this lease ends (on libp2p only the stream is
     * reset, and the connection stays).
     * <ul>
     * <li>interrupted: the caller's decision, not the peer's fault (no breaker charge);
     * <li>timed out with a reply owed (a message was sent since the last one received): the peer
     * failed this caller, as for an unanswered request; timed out with nothing owed: nothing can
     * arrive late, the connection (or stream) stays usable;
     * <li>closed or broken: the peer or network failed, or, for an orderly close by the remote, churn.
     * </ul>
     *
     * @param e the failure: a public exception, or the transport's own (then typed here)
     * @param timedOut whether nothing arrived within {@code timeout}
     */
    private GuardianPoolException failedReceive(RuntimeException e, boolean timedOut, Duration timeout) {
        boolean owed = replyOwed;
        if (Thread.currentThread().isInterrupted()) {
            if (conn.multiplexed) {
                dropStream();
            } else {
                conn.retire("its holder was interrupted while a message may be on its way; a late message must "
                        + "not reach the next holder");
            }
            return new PoolInterruptedException("interrupted while waiting for a message on connection " + conn.id
                    + " to peer " + conn.slot.peerId + " (the thread's interrupt flag is set)", e);
        }
        if (timedOut) {
            if (owed) {
                if (conn.multiplexed) {
                    // The late reply dies with its stream; the connection carries on for others.
                    dropStream();
                    peerFailed = true;
                } else {
                    conn.closeReason = "a request got no reply within " + timeout + "; a late reply must not reach "
                            + "the next holder";
                    conn.failed = true;
                }
            }
            // With nothing owed (no message sent since the last one received) nothing can arrive
            // late on the caller's behalf: the connection stays usable, and poolable.
            return e instanceof RequestTimeoutException ? (RequestTimeoutException) e
                    : new RequestTimeoutException("no message from peer "
                    + conn.slot.peerId + " on connection " + conn.id + " within " + timeout
                    + (owed ? " (the peer may have acted on the request: not retried by default)" : ""), e);
        }
        connectionFailed();
        return e instanceof GuardianPoolException ? (GuardianPoolException) e
                : DialFailures.onLease((TransportException) e, conn.slot.peerId, conn.id);
    }

    @Override
    public byte[] request(byte[] message, Duration timeout) {
        ensureOpen("request");
        requirePositive(timeout);
        long start = engine.clock().nanoTime();
        send(message);
        // A timeout here leaves the reply owed: receive retires the connection and charges the peer.
        byte[] reply = receive(timeout);
        engine.recordLatency(conn, engine.clock().nanoTime() - start);
        return reply;
    }

    private static void requirePositive(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be a positive duration, was " + timeout);
        }
    }

    /** @return bytes this lease's streams moved (libp2p) */
    long streamBytes() {
        MessageChannel c = io;
        return droppedStreamBytes + (c == null ? 0L : c.bytesMoved());
    }

    /** @return whether the remote refused one of this lease's streams before accepting it */
    boolean streamRefused() {
        MessageChannel c = io;
        return refusedStream || (c != null && c.refusedUnaccepted());
    }

    /** Ends this lease's stream at release (libp2p): closed in order after a clean lease, else reset. */
    void endStream(boolean clean) {
        MessageChannel c = io;
        if (c != null) {
            io = null;
            c.end(clean && !replyOwed);
        }
    }

    @Override
    public void markFailed(Throwable cause) {
        if (markClosed()) {
            PoolObserver[] observers = engine.observerCalls().current();
            long end = observers.length == 0 ? 0L : engine.clock().coarseNanoTime();
            engine.release(this, cause == null ? new IllegalStateException("marked failed without a cause") : cause);
            reportReleased(observers, end);
        }
    }

    @Override
    public void close() {
        if (markClosed()) {
            PoolObserver[] observers = engine.observerCalls().current();
            long end = observers.length == 0 ? 0L : engine.clock().coarseNanoTime();
            engine.release(this, null);
            reportReleased(observers, end);
        }
    }

    /**
     * Tells the observers (read before the release, like the clock, and only then) how long this
     * lease was held; called after the release so that no waiter waits for them.
     */
    private void reportReleased(PoolObserver[] observers, long end) {
        if (observers.length != 0) {
            engine.observerCalls().released(observers, conn.slot.peerId, end - acquiredNanos);
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
        return "PeerConnection[" + conn.id + (conn.multiplexed ? ", " + protocol : "") + (closed != 0 ? ", closed]" : "]");
    }
}
