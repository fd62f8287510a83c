package io.guardian.pool.benchmarks.endtoend;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The floor's peer: a blocking JDK socket server on 127.0.0.1 that echoes fixed-size messages, no
 * framing, no handshake, no pool. One thread serves one connection at a time, in the order they
 * were accepted, which is all a one-thread benchmark needs and adds no thread hand-off. Not API.
 */
final class BareEchoServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BareEchoServer.class);

    private final ServerSocket server;
    private final int messageSize;
    private final Thread thread;

    /**
     * Binds to an ephemeral loopback port and starts serving.
     *
     * @param messageSize the exact size of every request; the reply is the same bytes
     * @throws IOException if the port cannot be bound
     */
    BareEchoServer(int messageSize) throws IOException {
        this.messageSize = messageSize;
        this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        this.thread = new Thread(this::serve, "bare-echo-" + server.getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    /** @return the loopback port the server listens on */
    int port() {
        return server.getLocalPort();
    }

    private void serve() {
        byte[] buffer = new byte[messageSize];
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                socket.setTcpNoDelay(true);
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                while (in.readNBytes(buffer, 0, messageSize) == messageSize) {
                    out.write(buffer, 0, messageSize);
                }
            } catch (SocketException closed) {
                // The benchmark closed the server or the client went away mid-message: both end a
                // connection normally here, and the loop condition tells which.
                log.debug("bare echo connection ended: {}", closed.getMessage());
            } catch (IOException e) {
                log.warn("bare echo connection failed", e);
            }
        }
    }

    /**
     * Stops accepting and waits for the serving thread to finish its current connection.
     */
    @Override
    public void close() {
        try {
            server.close();
            thread.join(10_000);
        } catch (IOException e) {
            log.warn("closing the bare echo server failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
