package io.guardian.pool;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of a {@code PeerListener}, for tests that need a peer that is
 * slow, deaf or gone without changing the listener: it can delay every byte from the listener to
 * the dialer (handshake replies and PONGs alike), drop them (the socket stays open, PONGs never
 * arrive), refuse new connections (accept and close at once), or cut every connection.
 *
 * <p>The dialer authenticates the listener through the proxy, since the proxy only moves bytes;
 * {@link #address(PeerId)} is what the pool dials.
 */
final class LoopbackProxy implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final ExecutorService pumps;
    private final ScheduledExecutorService delayer;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile long delayNanos;
    private volatile boolean dropReplies;
    private volatile boolean refuse;
    private volatile boolean closed;
    private final Object stallLock = new Object();
    private boolean stallRequests;

    LoopbackProxy(Multiaddr listenerAddress) throws IOException {
        this.target = listenerAddress.toSocketAddress();
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        AtomicInteger n = new AtomicInteger();
        this.pumps = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-proxy-pump-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.delayer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "test-proxy-delay");
            t.setDaemon(true);
            return t;
        });
        pumps.execute(this::acceptLoop);
    }

    /** @return the proxy's address, naming the listener's peer */
    Multiaddr address(PeerId peer) {
        return Multiaddr.parse("/ip4/127.0.0.1/tcp/" + server.getLocalPort() + "/p2p/" + peer);
    }

    /** Delays every byte from the listener to the dialer by {@code d} (zero: none). */
    void delayReplies(Duration d) {
        this.delayNanos = d.toNanos();
    }

    /**
     * Stops reading what the dialer sends while {@code stall} is set, as a peer that never reads:
     * the kernel's buffers fill and the dialer's writes back up.
     */
    void stallRequests(boolean stall) {
        synchronized (stallLock) {
            this.stallRequests = stall;
            stallLock.notifyAll();
        }
    }

    /** Swallows every byte from the listener to the dialer while {@code drop} is set. */
    void dropReplies(boolean drop) {
        this.dropReplies = drop;
    }

    /** Accepts and at once closes new connections while {@code refuse} is set. */
    void refuse(boolean refuse) {
        this.refuse = refuse;
    }

    /** Closes every proxied connection (both sides), as a crashed peer or a cut cable would. */
    void cutAll() {
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        sockets.clear();
    }

    /** @return connections accepted so far, refused ones included */
    int accepted() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            if (refuse) {
                closeQuietly(client);
                continue;
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(target, 2_000);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(upstream);
                pumps.execute(() -> pump(client, upstream, false));
                pumps.execute(() -> pump(upstream, client, true));
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void pump(Socket from, Socket to, boolean replies) {
        byte[] buf = new byte[16 * 1024];
        // Writes of one direction are ordered: each is due no earlier than the previous one.
        long[] lastDue = {0L};
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while (true) {
                if (!replies) {
                    synchronized (stallLock) {
                        while (stallRequests && !closed) {
                            stallLock.wait(1_000);
                        }
                    }
                }
                if ((n = in.read(buf)) < 0) {
                    break;
                }
                if (replies && dropReplies) {
                    continue;
                }
                byte[] chunk = java.util.Arrays.copyOf(buf, n);
                long delay = replies ? delayNanos : 0L;
                if (delay == 0 && lastDue[0] <= System.nanoTime()) {
                    out.write(chunk);
                    out.flush();
                    continue;
                }
                long due = Math.max(System.nanoTime() + delay, lastDue[0]);
                lastDue[0] = due;
                if (closed) {
                    break;
                }
                delayer.schedule(() -> {
                    try {
                        out.write(chunk);
                        out.flush();
                    } catch (IOException e) {
                        closeQuietly(from);
                        closeQuietly(to);
                    }
                }, due - System.nanoTime(), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | java.util.concurrent.RejectedExecutionException e) {
            // one side closed, or the proxy is shutting down; close the other below
        }
        try {
            if (replies && delayNanos > 0 && !closed) {
                delayer.schedule(() -> closeQuietly(to), delayNanos, TimeUnit.NANOSECONDS);
            } else {
                closeQuietly(to);
            }
        } catch (java.util.concurrent.RejectedExecutionException e) {
            closeQuietly(to);
        }
        closeQuietly(from);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing a test socket
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing a test socket
        }
        cutAll();
        pumps.shutdownNow();
        delayer.shutdownNow();
    }
}
