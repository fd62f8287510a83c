package io.guardian.pool.internal.transport;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A scripted listener on plain JDK sockets (127.0.0.1): the honest or hostile other side for dialer
 * tests. Each accepted connection runs the script on its own thread; sockets stay open until the
 * script closes them or the server is closed.
 */
public final class RawServer implements AutoCloseable {

    /** What to do with one accepted connection. */
    @FunctionalInterface
    public interface Script {
        void run(Socket socket, InputStream in, OutputStream out) throws Exception;
    }

    private final ServerSocket server;
    private final Script script;
    private final Thread acceptor;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<CompletableFuture<Void>> runs = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    public RawServer(Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        this.acceptor = new Thread(this::acceptLoop, "raw-server-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException closed) {
                return;
            }
            sockets.add(socket);
            CompletableFuture<Void> run = new CompletableFuture<>();
            runs.add(run);
            Thread thread = new Thread(() -> {
                try {
                    socket.setSoTimeout(5000);
                    script.run(socket, socket.getInputStream(), socket.getOutputStream());
                    run.complete(null);
                } catch (Throwable t) {
                    run.completeExceptionally(t);
                }
            }, "raw-server-conn");
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public Multiaddr address() {
        return Multiaddr.parse("/ip4/127.0.0.1/tcp/" + port());
    }

    public Multiaddr address(PeerId peer) {
        return address().withPeerId(peer);
    }

    /** Waits for the script of the {@code index}-th connection and rethrows its failure. */
    public void awaitScript(int index) throws Exception {
        org.awaitility.Awaitility.await("connection " + index + " to arrive").atMost(java.time.Duration.ofSeconds(10))
                .until(() -> runs.size() > index);
        try {
            runs.get(index).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        }
    }

    public int connections() {
        return runs.size();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
        for (Thread thread : threads) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
