package io.guardian.pool.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Tells the two wire stacks apart on a listener's socket by the dialer's first byte: a
 * multistream-select header starts with its length, {@code 0x13}; a guardian-db HELLO starts
 * {@code 0x00 0x0F}. Not API.
 *
 * <p>It sits in front of the guardian-db {@link ListenerHandshake}, whose deadline already runs
 * from the moment the socket is accepted, so a dialer that sends nothing is dropped after
 * {@code handshake-timeout} whichever stack it meant to speak; a libp2p upgrade then gets what is
 * left of that same deadline.
 */
final class ProtocolSniffer extends ChannelInboundHandlerAdapter {

    /** The first byte of {@code uvarint(19) ‖ "/multistream/1.0.0\n"}. */
    static final int MULTISTREAM_FIRST_BYTE = 0x13;

    private final ListenerEngine engine;
    private final ListenerHandshake guardian;
    /** When the socket was accepted: the libp2p upgrade gets what is left of the same deadline. */
    private final long acceptedNanos = System.nanoTime();

    ProtocolSniffer(ListenerEngine engine, ListenerHandshake guardian) {
        this.engine = engine;
        this.guardian = guardian;
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
