package io.guardian.pool.reliability;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Listening sockets on 127.0.0.1 that accept every TCP connection and never send a byte, nor read
 * one: the peer that is "up" to the kernel and dead to the protocol. One thread serves all of them,
 * so a thousand silent peers cost the test a single thread.
 */
final class SilentPeers implements AutoCloseable {

    private final Selector selector;
    private final List<ServerSocketChannel> servers = new ArrayList<>();
    private final List<SocketChannel> accepted = new ArrayList<>();
    private final AtomicInteger acceptedCount = new AtomicInteger();
    private final Thread acceptor;
    private volatile boolean closed;

    SilentPeers(int count) throws IOException {
        selector = Selector.open();
        for (int i = 0; i < count; i++) {
            ServerSocketChannel server = ServerSocketChannel.open();
            servers.add(server);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
        }
        acceptor = new Thread(this::acceptLoop, "silent-peers-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port(int index) {
        return servers.get(index).socket().getLocalPort();
    }

    int accepted() {
        return acceptedCount.get();
    }

    private void acceptLoop() {
        try {
            while (!closed) {
                selector.select();
                for (SelectionKey key : selector.selectedKeys()) {
                    SocketChannel channel;
                    while ((channel = ((ServerSocketChannel) key.channel()).accept()) != null) {
                        synchronized (accepted) {
                            accepted.add(channel);
                        }
                        acceptedCount.incrementAndGet();
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException | java.nio.channels.ClosedSelectorException e) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        selector.wakeup();
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        selector.close();
        for (ServerSocketChannel s : servers) {
            s.close();
        }
        synchronized (accepted) {
            for (SocketChannel c : accepted) {
                c.close();
            }
        }
    }
}
