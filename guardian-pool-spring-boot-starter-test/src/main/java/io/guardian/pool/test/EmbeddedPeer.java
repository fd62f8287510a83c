package io.guardian.pool.test;

import io.guardian.pool.PeerAddress;
import io.guardian.pool.net.MessageHandler;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One real peer on {@code 127.0.0.1}: a {@link PeerListener} with an identity of its own, answering
 * both transports on one port (the guardian-db protocol, and libp2p with Noise and yamux, whose
 * {@value PeerListener#DEFAULT_PROTOCOL} streams reach the same handler). Its port and PeerId stay
 * the same across {@link #stop()} and {@link #start()}, so a pool or an application property that
 * holds its address keeps working after the peer was stopped and started again.
 *
 * <p>Thread-safe. Obtained from {@link EmbeddedPeers}.
 */
public final class EmbeddedPeer implements AutoCloseable {

    private static final String LOOPBACK = "/ip4/127.0.0.1/tcp/";

    private final PeerIdentity identity = PeerIdentity.generate();
    private final MessageHandler counting;
    private final AtomicLong messages = new AtomicLong();
    /** Fixed by the first start: the port the system chose. Guarded by this. */
    private Multiaddr address;
    /** The running listener, {@code null} while stopped. Guarded by this. */
    private PeerListener listener;

    EmbeddedPeer(MessageHandler handler) {
        Objects.requireNonNull(handler, "handler");
        this.counting = (from, message) -> {
            messages.incrementAndGet();
            return handler.handle(from, message);
        };
    }

    /**
     * This peer's id.
     *
     * @return the PeerId every dialer authenticates it as
     */
    public PeerId id() {
        return identity.peerId();
    }

    /**
     * Where to dial it: {@code /ip4/127.0.0.1/tcp/<port>/p2p/<id>}, the same for both transports
     * and across restarts.
     *
     * @return the address
     * @throws IllegalStateException if the peer was never started
     */
    public synchronized Multiaddr address() {
        if (address == null) {
            throw new IllegalStateException("peer " + id() + " was never started");
        }
        return address;
    }

    /**
     * Its id and address together, for {@code OptimizedConnectionPool.acquireAny}.
     *
     * @return the candidate
     */
    public PeerAddress peerAddress() {
        return new PeerAddress(id(), address());
    }

    /**
     * Whether it accepts connections now.
     *
     * @return {@code false} after {@link #stop()} until {@link #start()}
     */
    public synchronized boolean isRunning() {
        return listener != null;
    }

    /**
     * Starts it, on the port it had before if it ran already. Does nothing while running.
     *
     * @throws IllegalStateException if the port was taken by someone else meanwhile
     */
    public synchronized void start() {
        if (listener != null) {
            return;
        }
        Multiaddr bind = Multiaddr.parse(LOOPBACK + (address == null ? 0 : address.port()));
        try {
            listener = PeerListener.builder(identity).bind(bind).handler(counting).start();
        } catch (RuntimeException e) {
            throw new IllegalStateException("could not start peer " + id() + " on " + bind, e);
        }
        if (address == null) {
            address = listener.listenAddress();
        }
    }

    /**
     * Stops it, as when a real peer goes down: every open connection gets a CLOSE frame and is
     * closed, and new dials are refused by the kernel. Failed dials count against its circuit
     * breaker in every pool. A pool learns of the closed connections asynchronously, so an
     * acquire right after the stop may still be handed one, whose first request then fails with
     * {@code ConnectionClosedException}. Does nothing while stopped.
     */
    public synchronized void stop() {
        if (listener != null) {
            listener.close();
            listener = null;
        }
    }

    /**
     * How many request messages it answered (both transports), since it was created.
     *
     * @return the count
     */
    public long messagesHandled() {
        return messages.get();
    }

    /**
     * Connections open to it now.
     *
     * @return the count, 0 while stopped
     */
    public synchronized int connectionCount() {
        return listener == null ? 0 : listener.connectionCount();
    }

    /**
     * The libp2p protocols it answers besides identify and ping: the request protocol
     * {@value PeerListener#DEFAULT_PROTOCOL}, served by the same handler as guardian-db sessions.
     *
     * @return the protocol ids, empty while stopped
     */
    public synchronized List<String> protocols() {
        return listener == null ? List.of() : listener.protocols();
    }

    /** Stops it for good; the same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    @Override
    public synchronized String toString() {
        return "EmbeddedPeer[" + (address == null ? id() : address) + (listener == null ? ", stopped]" : "]");
    }
}
