package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.libp2p.noise.NoiseHandshakeHandler;
import io.guardian.pool.internal.libp2p.noise.NoiseSecured;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * One connection of a {@link HostileLibp2pListener}, driven by its script thread: blocking reads
 * with a deadline, writes, and the honest steps a script may take before it misbehaves
 * (multistream-select of {@code /noise}, the Noise XX responder with any identity). Bytes read and
 * written are plaintext once {@link #secure} returned. Every inbound buffer is copied and released
 * at once, so a script that stops reading leaks nothing.
 */
public final class HostileConnection {

    private static final String BRIDGE = "hostile-bridge";
    private static final byte[] EOF = new byte[0];

    private final Channel channel;
    private final Duration deadline;
    private final LinkedBlockingQueue<byte[]> inbound = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile boolean closedHere;
    private byte[] chunk = new byte[0];
    private int at;
    private boolean eof;

    HostileConnection(Channel channel, Duration deadline) {
        this.channel = channel;
        this.deadline = deadline;
        channel.pipeline().addLast(BRIDGE, new Bridge());
        channel.closeFuture().addListener(f -> closed.complete(null));
    }

    /** Copies what arrives into the script's queue; the end of the connection is an empty chunk. */
    private final class Bridge extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                byte[] copy = new byte[buf.readableBytes()];
                buf.readBytes(copy);
                inbound.add(copy);
            } finally {
                buf.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inbound.add(EOF);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A decoding failure below (a bad MAC from the dialer): the script sees the close.
            ctx.close();
        }
    }

    /** @return the channel, for scripts that need the event loop or the pipeline */
    public Channel channel() {
        return channel;
    }

    /**
     * Reads exactly {@code n} bytes.
     *
     * @throws EOFException when the dialer closed first
     * @throws IOException when nothing arrived within the deadline
     */
    public byte[] read(int n) throws IOException {
        byte[] out = new byte[n];
        int filled = 0;
        long end = System.nanoTime() + deadline.toNanos();
        while (filled < n) {
            if (at == chunk.length) {
                next(end);
                continue;
            }
            int take = Math.min(n - filled, chunk.length - at);
            System.arraycopy(chunk, at, out, filled, take);
            at += take;
            filled += take;
        }
        return out;
    }

    private void next(long end) throws IOException {
        if (eof) {
            throw new EOFException("the dialer closed the connection");
        }
        byte[] got;
        try {
            got = inbound.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("script interrupted");
        }
        if (got == null) {
            throw new IOException("nothing from the dialer within " + deadline);
        }
        if (got == EOF) {
            eof = true;
            throw new EOFException("the dialer closed the connection");
        }
        chunk = got;
        at = 0;
    }

    /** Reads an unsigned varint of at most 4 bytes (multistream and length-prefixed messages). */
    public int readUvarint() throws IOException {
        int value = 0;
        for (int shift = 0; shift < 28; shift += 7) {
            int b = read(1)[0] & 0xff;
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IOException("varint longer than 4 bytes from the dialer");
    }

    /** Reads one multistream message and returns it without its newline. */
    public String readMultistream() throws IOException {
        int length = readUvarint();
        if (length < 1 || length > Multistream.MAX_MESSAGE) {
            throw new IOException("multistream message of " + length + " bytes from the dialer");
        }
        byte[] text = read(length);
        return new String(text, 0, length - 1, StandardCharsets.UTF_8);
    }

    /** @return {@code texts} as multistream messages, one after the other */
    public static byte[] multistream(String... texts) {
        ByteBuf out = Unpooled.buffer();
        try {
            for (String t : texts) {
                Multistream.write(out, t);
            }
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            return bytes;
        } finally {
            out.release();
        }
    }

    /** Writes and flushes, through the Noise codec once the connection is secured. */
    public void write(byte[] bytes) {
        ChannelHandlerContext ctx = channel.pipeline().context(BRIDGE);
        if (ctx != null) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(bytes));
        }
    }

    /**
     * The honest listener's first steps: reads the dialer's multistream header and {@code /noise},
     * answers both and completes Noise XX as {@code identity} with yamux offered inside it.
     *
     * @return the PeerId the dialer proved
     */
    public PeerId secure(PeerIdentity identity) throws IOException {
        return secure(identity, (ch, noise) -> { });
    }

    /**
     * As {@link #secure(PeerIdentity)}, then runs {@code afterNoise} on the event loop as soon as
     * Noise completed and before any byte behind it is decoded: it may replace this connection's
     * plain reader with a muxer (see {@link #serveHonestly}).
     */
    public PeerId secure(PeerIdentity identity, BiConsumer<Channel, NoiseSecured> afterNoise) throws IOException {
        String header = readMultistream();
        String proposal = readMultistream();
        if (!Multistream.HEADER.equals(header) || !Libp2pNode.NOISE.equals(proposal)) {
            throw new IOException("the dialer proposed " + header + " / " + proposal);
        }
        CompletableFuture<NoiseSecured> secured = new CompletableFuture<>();
        // Nobody waits on `secured` itself: a thread waiting on a future may run its pending dependents,
        // and afterNoise must run on the event loop, inside the completion, before the next bytes.
        CompletableFuture<NoiseSecured> served = secured.thenApply(noise -> {
            afterNoise.accept(channel, noise);
            return noise;
        });
        onEventLoop(() -> {
            // The answer goes out before the Noise handler is in place, and in the same event-loop task,
            // so the dialer's first Noise message cannot reach the plain reader.
            channel.pipeline().context(BRIDGE).writeAndFlush(Unpooled.wrappedBuffer(
                    multistream(Multistream.HEADER, Libp2pNode.NOISE)));
            channel.pipeline().addBefore(BRIDGE, "noise", new NoiseHandshakeHandler(false, identity, null,
                    List.of(Libp2pNode.YAMUX), Runnable::run, secured));
        });
        try {
            return served.get(deadline.toMillis(), TimeUnit.MILLISECONDS).remotePeer();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("script interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("Noise handshake with the dialer failed", e);
        }
    }

    /**
     * An {@code afterNoise} step that serves the connection as our own listener would (identify,
     * ping, {@code node}'s protocols), with {@code tamper} between the Noise codec and the yamux
     * session: it sees every plaintext byte the honest session writes.
     */
    public static BiConsumer<Channel, NoiseSecured> serveHonestly(Libp2pNode node, ChannelHandler tamper) {
        return (channel, noise) -> {
            channel.pipeline().remove(BRIDGE);
            java.net.InetSocketAddress remote = (java.net.InetSocketAddress) channel.remoteAddress();
            Libp2pConnection connection = new Libp2pConnection(node, channel, false, noise.remotePeer(),
                    io.guardian.pool.peer.Multiaddr.parse("/ip4/127.0.0.1/tcp/" + remote.getPort()), 0, noise.rttNanos());
            channel.pipeline().addLast("tamper", tamper);
            channel.pipeline().addLast("yamux", connection.session());
            connection.start(new CompletableFuture<>());
        };
    }

    private void onEventLoop(Runnable task) throws IOException {
        try {
            channel.eventLoop().submit(task).get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("script interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("event-loop step failed", e);
        }
    }

    /** Stops or resumes reading from the socket: stopped, what the dialer writes backs up in its own buffers. */
    public void reading(boolean on) {
        channel.config().setAutoRead(on);
    }

    /** Closes the connection with a FIN. */
    public void close() {
        closedHere = true;
        channel.close();
    }

    /** Closes the connection with a TCP RST (SO_LINGER 0). */
    public void reset() {
        closedHere = true;
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
        channel.close();
    }

    /** @return completes once the connection is closed, by either side */
    public CompletableFuture<Void> closeFuture() {
        return closed;
    }

    /** @return whether the dialer closed the connection (this side did not) */
    public boolean closedByDialer() {
        return closed.isDone() && !closedHere;
    }
}
