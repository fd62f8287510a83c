package io.guardian.pool.internal.pool;

import io.guardian.pool.ConnectionClosedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.PoolInterruptedException;
import io.guardian.pool.PoolObserver;
import io.guardian.pool.ProtocolNotSupportedException;
import io.guardian.pool.RequestTimeoutException;
import io.guardian.pool.internal.transport.MessageChannel;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.peer.PeerId;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * One allocation of a connection and the state of the lease on it: on guardian-db the whole
 * connection, on libp2p one stream of a shared connection, opened on first use (its protocol
 * negotiated with the first message, 0-RTT) and ended at release. Not API.
 *
 * <p>Created once per allocation of its connection and kept there ({@link PooledConn#takeState}),
 * then reused by every lease of that allocation: an acquire and a release write only primitives
 * into it (and a reference only when it differs from the one already held), so the warm path
 * stores no new object into a long-lived one (under G1 such a store costs a fenced card mark and
 * a refinement per peer, which made a walk over 10,000 peers 24-26x one peer's).
 *
 * <p>Callers never see this object: they get a {@link LeaseHandle} naming it and the
 * {@link #generation} it was issued for. The generation is bumped at every acquire (odd: leased)
 * and every release (even), under the slot lock, so a handle whose lease ended names nothing,
 * even once this state carries the next holder's lease.
 */
final class Lease {

    private static final VarHandle GENERATION;

    static {
        try {
            GENERATION = MethodHandles.lookup().findVarHandle(Lease.class, "generation", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final PooledConn conn;
    /**
     * Bumped at each acquire and each release (slot lock; written with release semantics, read
     * by handles with acquire semantics): a handle acts only while it equals the handle's own.
     */
    private volatile long generation;
    long acquiredNanos;
    /**
     * When an observed acquire handed this lease to its caller, by the precise clock (0 when no
     * observer timed the acquire): the start of the hold time observers are told, which the coarse
     * {@link #acquiredNanos} could misstate by however long the ticker thread was kept off a CPU.
     */
    long observedSinceNanos;
    /** Where it was acquired; {@code null} unless leak detection is on. */
    Throwable site;
    /** Whether an existing connection was leased, rather than one dialed for this caller (for observers). */
    boolean reused;
    /** Which lease of its connection this is (1, 2, ...): with the connection's id, the id API's handle. */
    long number;
    private String protocol;
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

    /**
     * A new allocation of {@code conn}, not leased yet (slot lock).
     *
     * @param engine the engine, for releases and latency
     * @param conn its connection
     */
    Lease(PoolEngine engine, PooledConn conn) {
        this.engine = engine;
        this.conn = conn;
        // guardian-db's one channel is the connection itself, for every lease: set once.
        this.io = conn.multiplexed ? null : conn.transport.channel(null);
    }

    /**
     * Starts a lease on this allocation (slot lock). Only primitives are written, and a reference
     * only when it differs from the one held (leak detection's site, a protocol other than the
     * last one's): see the class comment.
     *
     * @return the generation of the new lease, for its handle
     */
    long begin(long now, Throwable site, boolean reused, long number, String protocol, boolean probe) {
        acquiredNanos = now;
        observedSinceNanos = 0L;
        if (this.site != site) {
            this.site = site;
        }
        this.reused = reused;
        this.number = number;
        if (this.protocol != protocol && !protocol.equals(this.protocol)) {
            this.protocol = protocol;
        }
        this.probe = probe;
        replyOwed = false;
        leakReported = false;
        droppedStreamBytes = 0L;
        // Volatile flags: written (a fence each) only when the last lease left them set.
        if (touched) {
            touched = false;
        }
        if (peerFailed) {
            peerFailed = false;
        }
        if (refusedProtocol) {
            refusedProtocol = false;
        }
        if (refusedStream) {
            refusedStream = false;
        }
        long g = generation + 1;
        GENERATION.setRelease(this, g);
        return g;
    }

    /**
     * Ends the lease of generation {@code g} (slot lock), so that its handles name nothing.
     *
     * @return whether {@code g} was the current lease (false: ended already)
     */
    boolean end(long g) {
        if (generation != g) {
            return false;
        }
        if (site != null) {
            site = null; // leak detection's stack trace is not kept while the allocation is free
        }
        GENERATION.setRelease(this, g + 1);
        return true;
    }

    /** @return the current generation: odd while leased (see {@link #begin}) */
    long generation() {
        return generation;
    }

    /** @return whether a handle issued for generation {@code g} may act */
    boolean isCurrent(long g) {
        return generation == g;
    }

    /** @return the protocol of the current lease */
    String protocol() {
        return protocol;
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

    /** Sends on this lease's channel (its holder, through a current handle). */
    void send(byte[] message) {
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

    /** Receives on this lease's channel (its holder, through a current handle). */
    byte[] receive(Duration timeout) {
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

    /** Sends and waits for the reply (its holder, through a current handle). */
    byte[] request(byte[] message, Duration timeout) {
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

    /**
     * Takes this lease's stream out at release (slot lock, libp2p), for the release to end after
     * the lock: once the lock is released this state may carry the next holder's lease.
     *
     * @return the stream, or {@code null} if none is open
     */
    MessageChannel takeStream() {
        MessageChannel c = io;
        if (c != null) {
            io = null;
        }
        return c;
    }

    /** @return whether a message was sent since the last one received (a late reply may come) */
    boolean replyOwed() {
        return replyOwed;
    }

    /**
     * Ends the lease of generation {@code g}: a handle's {@code close} ({@code failure} null) or
     * {@code markFailed}. Only the first call for a generation acts (the engine checks it under
     * the slot lock); the observers hear of it after the release, so that no waiter waits for them.
     *
     * @param g the handle's generation
     * @param failure the holder's reason to close the connection, or {@code null}
     */
    void release(long g, Throwable failure) {
        PoolObserver[] observers = engine.observerCalls().current();
        // Precise only for observers: the hold time they are told is a measurement, not bookkeeping.
        long end = observers.length == 0 ? 0L : engine.clock().nanoTime();
        // Read before the release: from then on this state may carry the next holder's lease.
        long acquired = observedSinceNanos != 0L ? observedSinceNanos : acquiredNanos;
        if (engine.release(this, g, failure) && observers.length != 0) {
            engine.observerCalls().released(observers, conn.slot.peerId, Math.max(0L, end - acquired));
        }
    }

    @Override
    public String toString() {
        return "Lease[" + conn.id + ", generation " + generation + "]";
    }
}
