package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.internal.transport.TransportDialer;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The pool's libp2p dialer: TCP, multistream-select, Noise XX, yamux, then identify in the
 * background; each connection is handed out as a {@link PooledLibp2pConnection}. Not API.
 *
 * <p>Streams the remote opens on connections we dialed are served by the node: identify and ping
 * always, other protocols when a listener sharing this node registered them, else refused with
 * {@code na}.
 */
public final class Libp2pConnector implements TransportDialer {

    private final Libp2pNode node;
    private final Libp2pDialer dialer;
    private final int streamLimit;
    private final Set<String> reusableProtocols;

    /**
     * A dialer whose connections open a stream per lease.
     *
     * @param settings our identity, agent, yamux and message bounds
     * @param streamLimit the pool's {@code max-streams-per-connection}
     */
    public Libp2pConnector(Libp2pSettings settings, int streamLimit) {
        this(settings, streamLimit, Set.of());
    }

    /**
     * @param settings our identity, agent, yamux and message bounds
     * @param streamLimit the pool's {@code max-streams-per-connection}
     * @param reusableProtocols the pool's {@code reusable-stream-protocols}: their streams carry
     *     lease after lease while they end clean
     */
    public Libp2pConnector(Libp2pSettings settings, int streamLimit, Set<String> reusableProtocols) {
        EventLoops loops = EventLoops.acquire();
        this.node = new Libp2pNode(settings, loops.offload(), loops.offload());
        this.dialer = new Libp2pDialer(node, loops);
        this.streamLimit = streamLimit;
        this.reusableProtocols = Set.copyOf(reusableProtocols);
    }

    /**
     * How long a stream stays parked between leases: half our own {@code stream-idle-timeout}, so
     * that a remote resetting silent streams on the same timeout (our listener; js-libp2p's 120 s
     * inactivity) does not reset one just as a lease takes it.
     */
    private long maxIdleNanos() {
        return node.settings().streamIdleTimeout().toNanos() / 2;
    }

    @Override
    public CompletableFuture<PooledLibp2pConnection> connect(PeerId peer, Multiaddr address, Duration timeout) {
        int maxMessage = node.settings().maxMessageSize();
        CompletableFuture<Libp2pConnection> dial = dialer.dial(peer, address, timeout);
        CompletableFuture<PooledLibp2pConnection> result = new CompletableFuture<>();
        dial.whenComplete((c, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
            } else if (!result.complete(new PooledLibp2pConnection(c, streamLimit, maxMessage, reusableProtocols,
                    maxIdleNanos()))) {
                c.close(); // cancelled meanwhile: nobody will own it
            }
        });
        // Cancelling ours cancels the dial, which closes its socket.
        result.whenComplete((c, error) -> {
            if (error instanceof CancellationException) {
                dial.cancel(true);
            }
        });
        return result;
    }

    /** @return the node: our identity and the protocols answered on connections we dialed */
    public Libp2pNode node() {
        return node;
    }

    @Override
    public void close() {
        dialer.close();
    }
}
