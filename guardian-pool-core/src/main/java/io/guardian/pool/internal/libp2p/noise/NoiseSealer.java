package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.transport.TransportException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The outbound half of {@link NoiseTransportCodec}: plaintext written between two flushes, sealed
 * into as few Noise messages as fit. Confined to the channel's event loop. Not API.
 *
 * <p>Why: a yamux session writes one frame per stream per event-loop turn (a 12-byte header and
 * its data, or a bare window update) and flushes once per turn. Sealed one by one, each frame paid
 * a cipher init, a Poly1305 tag, an output buffer and a socket-buffer copy of its own; sealed per
 * turn, the turn's frames share them. A message goes down as soon as it holds
 * {@link NoiseTransportCodec#MAX_PLAINTEXT} bytes, so at most one message's worth is held back
 * from the channel's outbound buffer (and from its writability) until the flush.
 *
 * <p>A write's promise completes with the write of the message that carries its last byte; an
 * empty write's, at the next message or flush.
 */
final class NoiseSealer {

    /** A write's promise and where its bytes end in the plaintext sent so far. */
    private static final class Waiter {
        final long end;
        final ChannelPromise promise;

        Waiter(long end, ChannelPromise promise) {
            this.end = end;
            this.promise = promise;
        }
    }

    private final CipherState sender;
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    /** Bytes in {@link #pending}: below one message's plaintext between calls. */
    private int pendingBytes;
    /** Plaintext bytes accepted so far (the end offset of the latest write). */
    private long accepted;
    /** Plaintext bytes sealed so far. */
    private long sealed;
    /** Why nothing more can be sealed (closed, removed, counter exhausted), or {@code null}. */
    private TransportException dead;

    NoiseSealer(CipherState sender) {
        this.sender = sender;
    }

    /** Takes {@code msg} (ownership) to be sealed; seals whole messages at once. */
    void add(ChannelHandlerContext ctx, ByteBuf msg, ChannelPromise promise) {
        if (dead != null) {
            msg.release();
            promise.tryFailure(dead);
            return;
        }
        int n = msg.readableBytes();
        if (n == 0) {
            msg.release();
        } else {
            pending.add(msg);
            pendingBytes += n;
            accepted += n;
        }
        if (!promise.isVoid()) {
            waiters.add(new Waiter(accepted, promise));
        }
        while (pendingBytes >= NoiseTransportCodec.MAX_PLAINTEXT && dead == null) {
            seal(ctx, NoiseTransportCodec.MAX_PLAINTEXT);
        }
    }

    /** Seals whatever is pending into one last message (the flush's). */
    void sealAll(ChannelHandlerContext ctx) {
        if (pendingBytes > 0 && dead == null) {
            seal(ctx, pendingBytes);
        }
        // Only empty writes can be left waiting here: their bytes (none) are all out.
        Waiter w;
        while ((w = waiters.peek()) != null && w.end <= sealed) {
            waiters.poll();
            w.promise.trySuccess();
        }
    }

    /** Releases everything pending and fails its writes with {@code cause}; later writes fail too. */
    void discard(TransportException cause) {
        if (dead == null) {
            dead = cause;
        }
        ByteBuf b;
        while ((b = pending.poll()) != null) {
            b.release();
        }
        pendingBytes = 0;
        Waiter w;
        while ((w = waiters.poll()) != null) {
            w.promise.tryFailure(cause);
        }
    }

    private void seal(ChannelHandlerContext ctx, int n) {
        ByteBuf out = ctx.alloc().heapBuffer(2 + n + CipherState.TAG_LENGTH);
        out.writeShort(n + CipherState.TAG_LENGTH);
        ByteBuf head = pending.peek();
        boolean inPlace = head.hasArray() && head.readableBytes() >= n;
        byte[] src;
        int offset;
        if (inPlace) {
            src = head.array();
            offset = head.arrayOffset() + head.readerIndex();
        } else {
            src = NoiseTransportCodec.SCRATCH.get();
            offset = 0;
            gather(src, n);
        }
        try {
            sender.encrypt(NoiseTransportCodec.NO_AD, src, offset, n, out.array(), out.arrayOffset() + out.writerIndex());
        } catch (TransportException e) {
            // Only counter exhaustion gets here: this connection can carry nothing more.
            out.release();
            discard(e);
            ctx.close();
            return;
        }
        out.writerIndex(out.writerIndex() + n + CipherState.TAG_LENGTH);
        if (inPlace) {
            head.skipBytes(n);
            if (!head.isReadable()) {
                pending.poll().release();
            }
        }
        pendingBytes -= n;
        sealed += n;
        write(ctx, out);
    }

    /** Copies the next {@code n} pending bytes into {@code into}, releasing the buffers it empties. */
    private void gather(byte[] into, int n) {
        int at = 0;
        while (at < n) {
            ByteBuf b = pending.peek();
            int take = Math.min(n - at, b.readableBytes());
            b.readBytes(into, at, take);
            at += take;
            if (!b.isReadable()) {
                pending.poll().release();
            }
        }
    }

    /** Writes one sealed message with the promises of the writes it completes. */
    private void write(ChannelHandlerContext ctx, ByteBuf out) {
        Waiter first = waiters.peek();
        if (first == null || first.end > sealed) {
            ctx.write(out, ctx.voidPromise());
            return;
        }
        waiters.poll();
        Waiter next = waiters.peek();
        if (next == null || next.end > sealed) {
            ctx.write(out, first.promise);
            return;
        }
        List<ChannelPromise> done = new ArrayList<>();
        done.add(first.promise);
        while ((next = waiters.peek()) != null && next.end <= sealed) {
            done.add(waiters.poll().promise);
        }
        ChannelFuture written = ctx.write(out);
        written.addListener(f -> {
            for (ChannelPromise p : done) {
                if (f.isSuccess()) {
                    p.trySuccess();
                } else {
                    p.tryFailure(f.cause());
                }
            }
        });
    }
}
