package io.guardian.pool.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Tells the two wire stacks apart on a listener's socket by the dialer's first byte: a
 * multistream-select header starts with its length, {@code 0x13}; a guardian-db HELLO starts
 * {@code 0x00 0x0F}. Not API.
 *
 * <p>It sits in front of the guardian-db {@link ListenerHandshake}, whose deadline already runs
 * from the moment the socket is accepted; a libp2p upgrade then gets what is left of that same
 * deadline. A dialer that sends nothing at all is dropped sooner, after {@code first-byte-timeout}
 * (an honest dialer speaks first, one round trip after connecting), whichever stack it meant to
 * speak: silent sockets are the cheapest way to hold handshake slots.
 */
final class ProtocolSniffer extends ChannelInboundHandlerAdapter {

    /** The first byte of {@code uvarint(19) ‖ "/multistream/1.0.0\n"}. */
    static final int MULTISTREAM_FIRST_BYTE = 0x13;

    private final ListenerEngine engine;
    private final ListenerHandshake guardian;
    /** When the socket was accepted: the libp2p upgrade gets what is left of the same deadline. */
    private final long acceptedNanos = System.nanoTime();

    private ScheduledFuture<?> firstByteDeadline;

    ProtocolSniffer(ListenerEngine engine, ListenerHandshake guardian) {
        this.engine = engine;
        this.guardian = guardian;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        firstByteDeadline = ctx.executor().schedule(guardian::firstByteLate,
                engine.settings().limits().firstByteTimeout().toNanos(), TimeUnit.NANOSECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (firstByteDeadline != null) {
            firstByteDeadline.cancel(false);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (!in.isReadable()) {
            in.release();
            return;
        }
        boolean libp2p = in.getUnsignedByte(in.readerIndex()) == MULTISTREAM_FIRST_BYTE;
        ctx.pipeline().remove(this);
        if (libp2p) {
            engine.startLibp2p(ctx.channel(), guardian, acceptedNanos);
        } else if (!engine.guardianAnswered()) {
            in.release();
            engine.refuseGuardian(ctx.channel(), guardian);
            return;
        }
        ctx.pipeline().fireChannelRead(in);
    }
}
