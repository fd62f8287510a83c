package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.CompletableFuture;

/**
 * multistream-select for a whole connection: {@code /noise} on the raw TCP socket, or
 * {@code /yamux/1.0.0} inside the Noise channel when the handshake agreed no muxer. Not API.
 *
 * <p>The dialer sends header and proposal in one write and waits for header and echo (or
 * {@code na}: it proposes nothing else, since we speak one protocol at each step). The listener
 * answers the header with its own, echoes the one protocol it speaks and answers anything else
 * with {@code na}, up to {@value Selection#MAX_PROPOSALS} proposals. On agreement the handler
 * removes itself and passes on the bytes that followed, so the next stage sees the stream exactly
 * where negotiation ended. Buffered negotiation bytes are bounded to two maximal messages.
 */
final class ConnectionSelect extends ChannelInboundHandlerAdapter {

    private final boolean initiator;
    private final String protocol;
    private final CompletableFuture<Void> done;
    private ByteBuf pending;
    private boolean headerSeen;
    private int proposals;
    private boolean finished;
    /** Netty may report the channel active after this handler was added to an already active channel. */
    private boolean proposed;

    /**
     * @param initiator whether this side proposes
     * @param protocol the one protocol this side speaks at this step
     * @param done completed (on the event loop) once agreed, while this handler is still in the pipeline
     *     (its callbacks add the next stage behind it);
     *     failed with a {@link TransportException}, the channel then closed
     */
    ConnectionSelect(boolean initiator, String protocol, CompletableFuture<Void> done) {
        this.initiator = initiator;
        this.protocol = protocol;
        this.done = done;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (initiator && ctx.channel().isActive()) {
            propose(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (initiator) {
            propose(ctx);
        }
        ctx.fireChannelActive();
    }

    private void propose(ChannelHandlerContext ctx) {
        if (proposed) {
            return;
        }
        proposed = true;
        ByteBuf out = ctx.alloc().buffer(Multistream.encodedLength(Multistream.HEADER) + Multistream.encodedLength(protocol));
        Multistream.write(out, Multistream.HEADER);
        Multistream.write(out, protocol);
        ctx.writeAndFlush(out, ctx.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (finished) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf data = (ByteBuf) msg;
        pending = pending == null ? data : join(ctx, pending, data);
        try {
            negotiate(ctx);
        } catch (TransportException e) {
            fail(ctx, e);
        }
    }

    private void negotiate(ChannelHandlerContext ctx) {
        while (!finished) {
            String message = Multistream.read(pending);
            if (message == null) {
                if (pending.readableBytes() > 2 * Multistream.MAX_MESSAGE) {
                    throw new TransportException(Kind.PROTOCOL_VIOLATION, "oversized multistream negotiation");
                }
                return;
            }
            if (!headerSeen) {
                Multistream.requireHeader(message);
                headerSeen = true;
                if (!initiator) {
                    answer(ctx, Multistream.HEADER);
                }
                continue;
            }
            if (initiator) {
                if (protocol.equals(message)) {
                    agree(ctx);
                } else if (Multistream.NA.equals(message)) {
                    throw new TransportException(Kind.PROTOCOL_REFUSED, "remote does not support " + protocol
                            + " (it answered na)");
                } else {
                    throw new TransportException(Kind.PROTOCOL_VIOLATION, "remote answered \""
                            + Multistream.printable(message) + "\" to a proposal of " + protocol);
                }
            } else if (protocol.equals(message)) {
                answer(ctx, protocol);
                agree(ctx);
            } else {
                if (++proposals > Selection.MAX_PROPOSALS) {
                    throw new TransportException(Kind.PROTOCOL_VIOLATION, "remote proposed more than "
                            + Selection.MAX_PROPOSALS + " protocols without one we speak (" + protocol + ")");
                }
                answer(ctx, Multistream.NA);
            }
        }
    }

    private void answer(ChannelHandlerContext ctx, String text) {
        ByteBuf out = ctx.alloc().buffer(Multistream.encodedLength(text));
        Multistream.write(out, text);
        ctx.writeAndFlush(out, ctx.voidPromise());
    }

    private void agree(ChannelHandlerContext ctx) {
        finished = true;
        ByteBuf rest = pending;
        pending = null;
        // The next stage is put in place by done's callbacks, behind this handler; then this leaves and the
        // bytes that followed the agreement go on to that stage.
        done.complete(null);
        ctx.pipeline().remove(this);
        if (rest.isReadable()) {
            ctx.fireChannelRead(rest);
        } else {
            rest.release();
        }
    }

    private void fail(ChannelHandlerContext ctx, TransportException e) {
        finished = true;
        releasePending();
        done.completeExceptionally(e);
        ctx.close();
    }

    private static ByteBuf join(ChannelHandlerContext ctx, ByteBuf a, ByteBuf b) {
        ByteBuf joined = ctx.alloc().buffer(a.readableBytes() + b.readableBytes());
        joined.writeBytes(a).writeBytes(b);
        a.release();
        b.release();
        return joined;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!finished) {
            finished = true;
            releasePending();
            done.completeExceptionally(new TransportException(Kind.CLOSED_BY_PEER,
                    "connection closed during multistream negotiation of " + protocol));
        }
        ctx.fireChannelInactive();
    }

    /**
     * A socket error while negotiating (the selector may be the pipeline's last stage): fails the
     * negotiation with it and closes the channel, rather than letting it reach Netty's tail.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!finished) {
            finished = true;
            releasePending();
            done.completeExceptionally(cause instanceof TransportException t ? t
                    : new TransportException(Kind.CLOSED_BY_PEER, "connection failed during multistream negotiation of "
                            + protocol + ": " + cause, cause));
        }
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releasePending();
    }

    private void releasePending() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
