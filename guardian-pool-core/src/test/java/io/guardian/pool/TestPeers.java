package io.guardian.pool;

import io.guardian.pool.net.MessageHandler;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Real {@link PeerListener}s on 127.0.0.1 (and proxies in front of them), closed together. As a
 * JUnit extension ({@code @RegisterExtension}) it closes everything after each test: first what
 * {@link #closeFirst} registered (the pools under test, as clients go before servers), then the peers.
 */
final class TestPeers implements AutoCloseable, AfterEachCallback {

    /** Answers every message with itself. */
    static final MessageHandler ECHO = (from, message) -> message;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<AutoCloseable> clients = new ArrayList<>();

    /** Registers a client (a pool under test) to be closed before every peer; returns it. */
    <T extends AutoCloseable> T closeFirst(T client) {
        clients.add(client);
        return client;
    }

    /** A running echo peer. */
    Peer start() {
        return start(ECHO);
    }

    /** A running peer with the given handler. */
    Peer start(MessageHandler handler) {
        PeerIdentity identity = PeerIdentity.generate();
        PeerListener listener = PeerListener.builder(identity)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler(handler)
                .start();
        resources.add(listener);
        return new Peer(identity.peerId(), listener.listenAddress(), listener, null);
    }

    /** A running echo peer reached only through a proxy the test controls. */
    Peer startBehindProxy() {
        Peer direct = start();
        try {
            LoopbackProxy proxy = new LoopbackProxy(direct.address());
            resources.add(proxy);
            return new Peer(direct.id(), proxy.address(direct.id()), direct.listener(), proxy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A peer identity with no listener: dials to {@code address} are refused. */
    static Peer refusing() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = s.getLocalPort();
            PeerId id = PeerIdentity.generate().peerId();
            // The port is closed again at once: connecting to it is refused by the kernel.
            return new Peer(id, Multiaddr.parse("/ip4/127.0.0.1/tcp/" + port + "/p2p/" + id), null, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        closeAll(clients);
        closeAll(resources);
    }

    private static void closeAll(List<AutoCloseable> list) {
        for (int i = list.size() - 1; i >= 0; i--) {
            try {
                list.get(i).close();
            } catch (Exception e) {
                // best effort in test teardown
            }
        }
        list.clear();
    }

    /** A peer as a test sees it. */
    record Peer(PeerId id, Multiaddr address, PeerListener listener, LoopbackProxy proxy) {
        PeerAddress candidate() {
            return new PeerAddress(id, address);
        }
    }
}
