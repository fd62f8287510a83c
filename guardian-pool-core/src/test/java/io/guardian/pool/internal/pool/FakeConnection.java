package io.guardian.pool.internal.pool;

import io.guardian.pool.ConnectionClosedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.internal.transport.FramedConnection;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory framed connection for engine tests: DATA is echoed back, PINGs are answered with a
 * round trip the test chooses, or lost.
 */
public final class FakeConnection implements FramedConnection {

    private final PeerId peer;
    private final Multiaddr address;
    private final long handshakeRttNanos;
    private final LinkedBlockingQueue<byte[]> inbox = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private volatile boolean open = true;
    private volatile String closeReason;
    private volatile long pingRttNanos;
    private volatile boolean losePings;
    private volatile int pings;
    private volatile boolean holdPings;
    private final java.util.List<CompletableFuture<Long>> heldPings = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile RuntimeException nextIsOpenFailure;
    private volatile RuntimeException handshakeRttFailure;
    private volatile Runnable onReusable;
    private volatile Runnable onBytesSent;

    public FakeConnection(PeerId peer, Multiaddr address, long handshakeRttNanos) {
        this.peer = peer;
        this.address = address;
        this.handshakeRttNanos = handshakeRttNanos;
        this.pingRttNanos = handshakeRttNanos;
    }

    @Override
    public PeerId remotePeer() {
        return peer;
    }

    @Override
    public Multiaddr remoteAddress() {
        return address;
    }

    @Override
    public long handshakeRttNanos() {
        RuntimeException f = handshakeRttFailure;
        if (f != null) {
            throw f;
        }
        return handshakeRttNanos;
    }

    @Override
    public boolean isOpen() {
        RuntimeException f = nextIsOpenFailure;
        if (f != null) {
            nextIsOpenFailure = null;
            throw f;
        }
        return open;
    }

    @Override
    public boolean reusable() {
        Runnable r = onReusable;
        if (r != null) {
            onReusable = null;
            r.run();
        }
        return open && !hasUnreadData();
    }

    /** The next isOpen() call throws this (a bug or a broken transport under the health pass). */
    public void failNextIsOpen(RuntimeException e) {
        nextIsOpenFailure = e;
    }

    /** handshakeRttNanos() throws this: an unexpected failure while the pool takes the dial in. */
    public void failHandshakeRtt(RuntimeException e) {
        handshakeRttFailure = e;
    }

    /** Runs once inside the next reusable() call: a race injected at that exact point. */
    public void onNextReusable(Runnable r) {
        onReusable = r;
    }

    /** PINGs stay unanswered until the connection closes, then fail as a real one's would. */
    public void holdPings(boolean hold) {
        holdPings = hold;
    }

    @Override
    public boolean hasUnreadData() {
        return !inbox.isEmpty();
    }

    @Override
    public void send(byte[] payload) {
        if (!open) {
            throw new ConnectionClosedException("fake connection to " + peer + " is closed");
        }
        sent.addAndGet(payload.length);
        inbox.add(payload.clone());
    }

    @Override
    public byte[] receive(Duration timeout) {
        if (!open) {
            throw new ConnectionClosedException("fake connection to " + peer + " is closed");
        }
        try {
            byte[] b = inbox.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (b == null) {
                throw new ConnectionTimeoutException("no reply within " + timeout);
            }
            received.addAndGet(b.length);
            return b;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionClosedException("interrupted", e);
        }
    }

    @Override
    public CompletableFuture<Long> ping(Duration timeout) {
        pings++;
        if (!open) {
            return CompletableFuture.failedFuture(new ConnectionClosedException("closed"));
        }
        if (holdPings) {
            CompletableFuture<Long> f = new CompletableFuture<>();
            heldPings.add(f);
            return f;
        }
        if (losePings) {
            return CompletableFuture.failedFuture(new ConnectionTimeoutException("no PONG within " + timeout));
        }
        return CompletableFuture.completedFuture(pingRttNanos);
    }

    @Override
    public void close(String reason) {
        if (open) {
            open = false;
            closeReason = reason;
            closeFuture.complete(null);
            for (CompletableFuture<Long> f : heldPings) {
                f.completeExceptionally(new ConnectionClosedException("closed: " + reason));
            }
        }
    }

    /** The peer closes the socket. */
    public void closeByPeer(String reason) {
        close(reason);
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    @Override
    public String closeReason() {
        return closeReason;
    }

    /** Runs once inside the next bytesSent() call: release reads it before taking the peer's lock. */
    public void onNextBytesSent(Runnable r) {
        onBytesSent = r;
    }

    @Override
    public long bytesSent() {
        Runnable r = onBytesSent;
        if (r != null) {
            onBytesSent = null;
            r.run();
        }
        return sent.get();
    }

    @Override
    public long bytesReceived() {
        return received.get();
    }

    public void pingRtt(Duration rtt) {
        this.pingRttNanos = rtt.toNanos();
    }

    public void losePings(boolean lose) {
        this.losePings = lose;
    }

    public int pingsReceived() {
        return pings;
    }
}
