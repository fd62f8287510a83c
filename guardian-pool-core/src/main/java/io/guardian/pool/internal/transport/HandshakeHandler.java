package io.guardian.pool.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the dialer's and the listener's handshake handlers share: accumulating bytes until a message
 * is complete, deadlines on the event loop, and running Ed25519 work on the offload executor with
 * the result brought back onto the event loop. Each handler removes itself on success, and
 * {@link ByteToMessageDecoder} then hands any bytes already received to the frame decoder. Not API.
 *
 * <p>All state is confined to the channel's event loop.
 */
abstract class HandshakeHandler extends ByteToMessageDecoder {

    private final Executor offload;
    private ChannelHandlerContext context;
    private ScheduledFuture<?> deadline;
    /** Set once the handshake succeeded or failed; nothing more is read or reported after it. */
    private boolean finished;

    HandshakeHandler(Executor offload) {
        this.offload = offload;
    }

    /**
     * Consumes the next complete message from {@code in}, if there is one.
     *
     * @throws HandshakeCodec.Violation when the peer broke a rule
     */
    abstract void step(ByteBuf in) throws HandshakeCodec.Violation;

    /** The peer broke a rule; called once, on the event loop. */
    abstract void violated(HandshakeCodec.Violation violation);

    /** The socket closed or failed before the handshake finished; called once. */
    abstract void ended(Throwable cause);

    /** A deadline expired; called once. */
    abstract void timedOut();

    /** Work could not be scheduled off the event loop (the offload queue is full or shut down). */
    abstract void overloaded(RejectedExecutionException cause);

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.context = ctx;
    }

    final ChannelHandlerContext context() {
        return context;
    }

    final boolean finished() {
        return finished;
    }

    /** Marks the handshake over; returns {@code false} if it already was. */
    final boolean finish() {
        if (finished) {
            return false;
        }
        finished = true;
        disarmDeadline();
        return true;
    }

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (finished) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            step(in);
        } catch (HandshakeCodec.Violation violation) {
            in.skipBytes(in.readableBytes());
            if (!finished) {
                violated(violation);
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        super.channelInactive(ctx);
        if (!finished) {
            ended(null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!finished) {
            ended(cause);
        }
        ctx.close();
    }

    /** (Re-)arms the deadline to fire {@link #timedOut()} after {@code nanos}. */
    final void armDeadline(long nanos) {
        disarmDeadline();
        deadline = context.executor().schedule(() -> {
            if (!finished) {
                timedOut();
            }
        }, nanos, TimeUnit.NANOSECONDS);
    }

    final void disarmDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    /**
     * Runs {@code work} on the offload executor and then {@code then} on the event loop, unless the
     * handshake ended (or the channel closed) in between.
     */
    final <T> void offload(Callable<T> work, Consumer<T> then) {
        Runnable task = () -> {
            T result;
            try {
                result = work.call();
            } catch (Exception e) {
                context.executor().execute(() -> {
                    if (!finished) {
                        ended(e);
                        context.close();
                    }
                });
                return;
            }
            try {
                context.executor().execute(() -> {
                    if (!finished && context.channel().isActive()) {
                        then.accept(result);
                    }
                });
            } catch (RejectedExecutionException loopGone) {
                // The event loop is shutting down; the channel is closed with it.
            }
        };
        try {
            offload.execute(task);
        } catch (RejectedExecutionException e) {
            overloaded(e);
        }
    }
}
