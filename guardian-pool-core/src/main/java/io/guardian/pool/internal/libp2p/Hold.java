package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.ArrayDeque;

/**
 * Keeps inbound bytes between two upgrade stages: the remote may send its first yamux frames in
 * the same read as its last Noise handshake message, before we have put the muxer in place. Not
 * API. Bounded: more than {@value #MAX_HELD} bytes held is a protocol violation (an honest peer
 * sends at most a window's worth before we answer).
 */
final class Hold extends ChannelInboundHandlerAdapter {

    static final String NAME = "libp2p-hold";
    static final int MAX_HELD = 512 * 1024;

    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private int bytes;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        bytes += buf.readableBytes();
        held.add(buf);
        if (bytes > MAX_HELD) {
            releaseAll();
            ctx.fireExceptionCaught(new TransportException(Kind.PROTOCOL_VIOLATION,
                    "remote sent more than " + MAX_HELD + " bytes before the muxer was agreed"));
            ctx.close();
        }
    }

    /**
     * Puts {@code next} right after this handler, passes the held bytes to it and leaves the
     * pipeline. On the event loop.
     */
    void release(ChannelHandlerContext ctx, String name, ChannelHandler next) {
        ctx.pipeline().addAfter(NAME, name, next);
        ctx.pipeline().remove(this);
        ByteBuf buf;
        while ((buf = held.poll()) != null) {
            ctx.fireChannelRead(buf);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // release() drains the queue before the removal completes its work; anything left is dropped.
        if (!ctx.channel().isActive()) {
            releaseAll();
        }
    }

    /**
     * Ends the upgrade on an I/O failure (a reset by the remote during multistream-select, which
     * handles none): the close fails the upgrade with a typed error, and nothing reaches the
     * pipeline's tail. Once the muxer is in place this handler is gone and the muxer handles them.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        releaseAll();
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseAll();
        ctx.fireChannelInactive();
    }

    private void releaseAll() {
        ByteBuf buf;
        while ((buf = held.poll()) != null) {
            buf.release();
        }
        bytes = 0;
    }
}
