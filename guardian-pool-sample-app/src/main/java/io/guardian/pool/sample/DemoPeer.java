package io.guardian.pool.sample;

import io.guardian.pool.PeerAddress;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One embedded demo peer: a {@link PeerListener} on 127.0.0.1 with its own identity that answers
 * every message with {@code "<name>: <message>"}. It can be stopped (the listener closes, and with
 * it every connection the pool holds to it) and started again on the same port with the same
 * identity, so its multiaddr never changes and the pool's breaker for it can close again.
 *
 * <p>While stopped, the peer keeps its port reserved with a socket that is bound but not
 * listening. Dials to it are refused exactly as for a dead process, but the operating system can
 * no longer hand the port to some other socket as an ephemeral port (any outgoing connection on
 * the machine, even the pool's own dial to this very port, could otherwise take it), which would
 * make the restart fail with "address in use".
 *
 * <p>Thread-safe: start and stop are serialized on the instance.
 */
final class DemoPeer {

    private static final Logger log = LoggerFactory.getLogger(DemoPeer.class);

    private final String name;
    private final PeerIdentity identity;
    private final ProtocolConfig protocol;
    private final byte[] replyPrefix;
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong starts = new AtomicLong();
    /** The port of the first start: 0 (any) or the configured one; then the one actually bound. */
    private int port;
    private PeerListener listener;
    private Multiaddr address;
    /** Bound, never listening: holds the port while the peer is stopped. */
    private Socket portHold;

    /**
     * @param name a short name for URLs and logs, such as {@code peer-1}
     * @param identity the peer's key pair, kept across restarts
     * @param port the port of the first start, 0 for any free port
     * @param protocol the pool's protocol settings, so both sides speak the same handshake and
     *     frame limit
     */
    DemoPeer(String name, PeerIdentity identity, int port, ProtocolConfig protocol) {
        this.name = Objects.requireNonNull(name, "name");
        this.identity = Objects.requireNonNull(identity, "identity");
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.port = port;
        this.replyPrefix = (name + ": ").getBytes(StandardCharsets.UTF_8);
    }

    String name() {
        return name;
    }

    PeerId peerId() {
        return identity.peerId();
    }

    /** Messages answered since the app started, across restarts. */
    long served() {
        return served.get();
    }

    /** Times the listener was bound; more than one means it was restarted. */
    long starts() {
        return starts.get();
    }

    /**
     * Binds the listener: on the configured (or any free) port the first time, on that same port
     * afterwards.
     *
     * @return {@code false} if it was already running
     * @throws DemoPeerStartException if the port cannot be bound (for example taken meanwhile)
     */
    synchronized boolean start() {
        if (listener != null) {
            return false;
        }
        releasePort();
        Multiaddr bind = address != null ? address : Multiaddr.parse("/ip4/127.0.0.1/tcp/" + port);
        try {
            listener = PeerListener.builder(identity)
                    .bind(bind)
                    .protocol(protocol)
                    // A pool configured for guardian-db/1.0 can only talk to peers that accept it.
                    .acceptPlainHandshake(protocol.version() == ProtocolVersion.V1_0 || protocol.acceptPlainHandshake())
                    .handler((from, message) -> reply(message))
                    .start();
        } catch (RuntimeException e) {
            throw new DemoPeerStartException("demo peer " + name + " could not listen on " + bind + ": "
                    + e.getMessage() + (address != null ? "; the port may have been taken while the peer was"
                    + " stopped, try again or set guardian.sample.peers.base-port to a free range" : ""), e);
        }
        if (address == null) {
            address = listener.listenAddress();
            port = address.toSocketAddress().getPort();
        }
        starts.incrementAndGet();
        return true;
    }

    /**
     * Closes the listener and every connection to it, and reserves the port for the restart.
     *
     * @return {@code false} if it was not running
     */
    synchronized boolean stop() {
        if (listener == null) {
            return false;
        }
        PeerListener closing = listener;
        listener = null;
        closing.close();
        reservePort();
        return true;
    }

    /** Closes the listener, if running, and gives up the port for good (application shutdown). */
    synchronized void close() {
        if (listener != null) {
            PeerListener closing = listener;
            listener = null;
            closing.close();
        }
        releasePort();
    }

    private void reservePort() {
        Socket hold = new Socket();
        try {
            // SO_REUSEADDR: the closed listener's connections may still be in TIME_WAIT on this port.
            hold.setReuseAddress(true);
            hold.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port));
            portHold = hold;
        } catch (IOException e) {
            closeQuietly(hold);
            log.warn("Demo peer {} could not reserve port {} while stopped ({}); another socket may take it "
                    + "before the peer starts again", name, port, e.toString());
        }
    }

    private void releasePort() {
        if (portHold != null) {
            closeQuietly(portHold);
            portHold = null;
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            log.debug("Closing a port reservation failed", e);
        }
    }

    synchronized boolean isRunning() {
        return listener != null;
    }

    /** The multiaddr, ending in {@code /p2p/<id>}; empty only before the first start. */
    synchronized Optional<Multiaddr> address() {
        return Optional.ofNullable(address);
    }

    /** Where the pool dials this peer; empty only before the first start. */
    synchronized Optional<PeerAddress> peerAddress() {
        return address == null ? Optional.empty() : Optional.of(new PeerAddress(identity.peerId(), address));
    }

    /** Open inbound connections right now, 0 when stopped. */
    synchronized int inboundConnections() {
        return listener == null ? 0 : listener.connectionCount();
    }

    /**
     * The answer to one message. The name prefix shows which peer served a load-balanced call; it
     * is left off when it would push the reply past the frame limit the pool accepts.
     */
    private byte[] reply(byte[] message) {
        served.incrementAndGet();
        if ((long) replyPrefix.length + message.length > protocol.maxFrameSize()) {
            return message;
        }
        byte[] reply = new byte[replyPrefix.length + message.length];
        System.arraycopy(replyPrefix, 0, reply, 0, replyPrefix.length);
        System.arraycopy(message, 0, reply, replyPrefix.length, message.length);
        return reply;
    }

    @Override
    public String toString() {
        return "DemoPeer[" + name + ", " + identity.peerId() + "]";
    }
}
