package io.guardian.pool;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;

/**
 * A hook for tracing (Micrometer Observation, OpenTelemetry, ...) around the pool's slow work:
 * each dial (TCP connect, security and multiplexer handshakes, with its retries) and each
 * {@code request}, {@code send} and {@code receive} on a lease. Warm acquires (an idle connection
 * or a free stream handed out) are not instrumented: they take nanoseconds to microseconds and a
 * span each would cost more than the work.
 *
 * <p>Given to the pool's constructor
 * ({@link OptimizedConnectionPool#OptimizedConnectionPool(PoolConfig, io.guardian.pool.peer.PeerIdentity,
 * PoolInstrumentation)}), not to {@link PoolConfig}: the configuration is a value (compared,
 * printed, shown by the Actuator endpoint) and this is a live object. Without one ({@link #NONE})
 * the pool hands out its leases unwrapped and calls nothing here.
 *
 * <p>Each {@code ...Started} method is called on the thread that starts the work, before it
 * starts, and returns a {@link Scope} that is ended exactly once: {@link Scope#failed} (at most
 * once) and then {@link Scope#close()}. For requests that is the caller's thread, so an
 * implementation may take the caller's current tracing context as the parent. For dials it is
 * the acquiring caller's thread too, except when the caller first waited at a limit and another
 * thread's release gave it room: then {@code detached} is {@code true} and the thread's current
 * context belongs to someone else. Callers that wait for a dial already under way (streams on a
 * libp2p connection being dialed) start no dial of their own and so no dial scope. Scopes of dials
 * end on the pool's completion threads.
 *
 * <p>Implementations must be thread-safe, fast and must not throw: the pool calls them on its
 * acquire and completion paths (a throwing hook is caught and logged at DEBUG, and the work goes
 * on without it).
 */
public interface PoolInstrumentation {

    /** Instruments nothing: the pool behaves as if no instrumentation were given. */
    PoolInstrumentation NONE = new PoolInstrumentation() {
        @Override
        public Scope dialStarted(PeerId peer, Multiaddr address, Transport transport, boolean detached) {
            return Scope.NOOP;
        }

        @Override
        public Scope requestStarted(PeerId peer, Multiaddr address, Transport transport, String protocol,
                Operation operation) {
            return Scope.NOOP;
        }
    };

    /**
     * A dial is about to start: connect plus handshakes, and the retries of the same acquire. The
     * scope ends when the connection was admitted into the pool (success) or when the acquire
     * gave up dialing (failure: the last attempt's error, the acquire deadline, or the pool's
     * closing).
     *
     * @param peer the peer dialed
     * @param address the address dialed
     * @param transport the pool's transport
     * @param detached {@code true} when this runs on a thread other than the acquiring caller's
     *     (see the class comment), so the thread's current tracing context must not become the
     *     parent
     * @return the scope to end, never {@code null}
     */
    Scope dialStarted(PeerId peer, Multiaddr address, Transport transport, boolean detached);

    /**
     * An operation on a lease is about to start, on the caller's thread.
     *
     * @param peer the peer at the other end
     * @param address the address that was dialed
     * @param transport the pool's transport
     * @param protocol the protocol the lease speaks ({@link PeerConnection#protocol()})
     * @param operation which operation
     * @return the scope to end, never {@code null}
     */
    Scope requestStarted(PeerId peer, Multiaddr address, Transport transport, String protocol, Operation operation);

    /** The lease operation a request scope covers. */
    enum Operation {
        /** {@link PeerConnection#request}: a message and its reply. */
        REQUEST,
        /** {@link PeerConnection#send}: one message out. */
        SEND,
        /** {@link PeerConnection#receive}: waiting for one message in. */
        RECEIVE
    }

    /** One instrumented piece of work. */
    interface Scope {

        /** A scope that records nothing. */
        Scope NOOP = new Scope() {
            @Override
            public void failed(Throwable cause) {
            }

            @Override
            public void close() {
            }
        };

        /**
         * The work failed; called at most once, before {@link #close()}.
         *
         * @param cause what the caller got (a public {@link GuardianPoolException} where the pool
         *     has one)
         */
        void failed(Throwable cause);

        /** The work ended (after {@link #failed} if it failed). Called exactly once. */
        void close();
    }
}
