package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.peer.Multiaddr;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted libp2p listener on 127.0.0.1 for the hostile-peer and fuzz suites: every accepted
 * connection is handed to a {@link Script} on a thread of its own, which drives it step by step
 * through a {@link HostileConnection} (raw bytes, multistream, our own Noise handshake handler,
 * then raw yamux frames or an honest yamux session with a tamperer in front). The connections run
 * on the JVM's shared event loops, so closing this listener leaves no thread behind but the
 * script threads, which end with their connections.
 */
public final class HostileLibp2pListener implements AutoCloseable {

    /** What the listener does with one accepted connection; exceptions end (and close) it. */
    @FunctionalInterface
    public interface Script {
        /**
         * @param connection the accepted connection
         * @param index 0 for the first connection accepted, 1 for the next, ...
         */
        void run(HostileConnection connection, int index) throws Exception;
    }

    private final EventLoops loops = EventLoops.acquire();
    private final Channel server;
    private final ExecutorService scripts = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hostile-libp2p-script");
        t.setDaemon(true);
        return t;
    });
    private final List<HostileConnection> connections = new CopyOnWriteArrayList<>();
    private final List<Throwable> scriptFailures = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();

    /**
     * Binds 127.0.0.1 on a free port and runs {@code script} for every connection.
     *
     * @param script the behaviour
     * @param deadline bound on each blocking read of the script
     */
    public HostileLibp2pListener(Script script, Duration deadline) throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannelType())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        HostileConnection c = new HostileConnection(channel, deadline);
                        connections.add(c);
                        int index = accepted.getAndIncrement();
                        scripts.execute(() -> {
                            try {
                                script.run(c, index);
                            } catch (Exception | AssertionError e) {
                                if (!c.closedByDialer()) {
                                    scriptFailures.add(e);
                                }
                                c.close();
                            }
                        });
                    }
                });
        server = bootstrap.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    /** A listener whose scripts wait up to 10 s for each read. */
    public HostileLibp2pListener(Script script) throws InterruptedException {
        this(script, Duration.ofSeconds(10));
    }

    /** @return {@code /ip4/127.0.0.1/tcp/<port>} */
    public Multiaddr address() {
        return Multiaddr.parse("/ip4/127.0.0.1/tcp/" + ((InetSocketAddress) server.localAddress()).getPort());
    }

    /** @return how many connections were accepted */
    public int accepted() {
        return accepted.get();
    }

    /** @return the connections accepted so far, oldest first */
    public List<HostileConnection> connections() {
        return connections;
    }

    /**
     * @return script exceptions that were not caused by the dialer closing the connection (a script
     *     that expected more from the dialer than it got)
     */
    public List<Throwable> scriptFailures() {
        return scriptFailures;
    }

    /** @return completes when connection {@code index} was accepted and then closed, by either side */
    public CompletableFuture<Void> closed(int index) {
        return connections.size() > index ? connections.get(index).closeFuture() : CompletableFuture.failedFuture(
                new IllegalStateException("connection " + index + " was not accepted"));
    }

    /** Closes the server socket and every connection, waits for the scripts, releases the event loops. */
    @Override
    public void close() throws InterruptedException {
        server.close().awaitUninterruptibly(5_000);
        for (HostileConnection c : connections) {
            c.close();
        }
        for (HostileConnection c : connections) {
            c.closeFuture().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
        scripts.shutdownNow();
        scripts.awaitTermination(10, TimeUnit.SECONDS);
        loops.release();
    }
}
