package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.SocketAddress;
import java.util.List;

/**
 * The Noise transport phase of a libp2p connection: every message is
 * {@code u16 big-endian length || ChaCha20-Poly1305(plaintext) || tag} (libp2p/specs
 * noise/README.md, "Wire Format"), at most 65,535 bytes, so at most 65,519 bytes of plaintext.
 * Not API. Installed by {@link NoiseHandshakeHandler} in its own place; runs on the channel's
 * event loop only.
 *
 * <p>Inbound: each Noise message becomes one heap {@link ByteBuf} of plaintext fired downstream
 * (no coalescing; an empty message advances the counter and fires nothing). A frame shorter
 * than a tag, a message that does not authenticate or an exhausted counter fires a
 * {@link TransportException} ({@link Kind#PROTOCOL_VIOLATION}, or {@link Kind#LIMIT_EXCEEDED})
 * with {@code fireExceptionCaught}, so the muxer above can fail its streams, closes the channel
 * and drops whatever else arrives.
 *
 * <p>Outbound: what is written between two flushes is sealed into as few messages as fit
 * ({@link NoiseSealer}): a message goes down as soon as it is full (65,519 bytes of plaintext), so
 * the channel's writability still follows what was written, and the rest at the flush. A yamux
 * session writes a frame per stream per turn and flushes once per turn, so a turn's frames leave
 * as one message where they used to be one each. A write's promise completes when the message
 * carrying its last byte is written. Other message types are refused: they would leave
 * unencrypted. Writes pending at a close or removal fail with {@link Kind#CLOSED_LOCALLY}.
 *
 * <p>Speed: the JDK's ChaCha20-Poly1305 works on arrays, so both directions run on arrays; input
 * without one (a direct socket buffer, a frame made of several buffers) is copied once into a
 * scratch array of the thread's own (an event loop's), not one per connection: 64 KiB per
 * connection was most of an idle connection's heap. Decryption always reads from offset 0 of an
 * array: the JDK 17 cipher buffers (copies twice) a ciphertext that starts anywhere else.
 */
public final class NoiseTransportCodec extends ByteToMessageDecoder implements ChannelOutboundHandler {

    /** Largest Noise message, the u16 length's range. */
    public static final int MAX_MESSAGE = 65535;
    /** Largest plaintext per message: the message less the 16-byte tag. */
    public static final int MAX_PLAINTEXT = MAX_MESSAGE - CipherState.TAG_LENGTH;

    static final byte[] NO_AD = new byte[0];

    /** One per thread: encryption and decryption run to completion on it, so codecs can share it. */
    static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[MAX_MESSAGE];
        }
    };

    private final CipherState receiver;
    private final NoiseSealer sealer;
    private boolean failed;

    /**
     * @param sender the cipher for outbound messages (the initiator's c1, the responder's c2)
     * @param receiver the cipher for inbound messages
     */
    public NoiseTransportCodec(CipherState sender, CipherState receiver) {
        this.receiver = receiver;
        this.sealer = new NoiseSealer(sender);
    }

    /** Queues plaintext to be sealed; refuses anything but ByteBufs, which would leave in the clear. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf)) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new IllegalArgumentException("a Noise channel carries ByteBufs only, not "
                    + msg.getClass().getName()));
            return;
        }
        sealer.add(ctx, (ByteBuf) msg, promise);
    }

    /** Seals what the turn wrote into its last message, then flushes. */
    @Override
    public void flush(ChannelHandlerContext ctx) {
        sealer.sealAll(ctx);
        ctx.flush();
    }

    /** Writes not yet sealed fail; the channel closes. */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        sealer.discard(new TransportException(Kind.CLOSED_LOCALLY, "the connection closed before these bytes were sealed"));
        ctx.close(promise);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        sealer.discard(new TransportException(Kind.CLOSED_LOCALLY, "the Noise codec was removed"));
    }

    // Pass-through outbound operations.

    @Override
    public void bind(ChannelHandlerContext ctx, SocketAddress localAddress, ChannelPromise promise) {
        ctx.bind(localAddress, promise);
    }

    @Override
    public void connect(ChannelHandlerContext ctx, SocketAddress remoteAddress, SocketAddress localAddress,
            ChannelPromise promise) {
        ctx.connect(remoteAddress, localAddress, promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.disconnect(promise);
    }

    @Override
    public void deregister(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.deregister(promise);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        ctx.read();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        // One message per call: ByteToMessageDecoder fires it before calling again, so a later
        // failure never overtakes plaintext that authenticated before it.
        if (in.readableBytes() < 2) {
            return;
        }
        int length = in.getUnsignedShort(in.readerIndex());
        if (length < CipherState.TAG_LENGTH) {
            fail(ctx, in, new TransportException(Kind.PROTOCOL_VIOLATION, "Noise transport message of " + length
                    + " bytes is shorter than its 16-byte tag"));
            return;
        }
        if (in.readableBytes() < 2 + length) {
            return;
        }
        // Always through the scratch array at offset 0 (see the class comment): one copy, where a
        // heap input at an offset cost JDK 17 two copies and a growing buffer per message.
        byte[] src = SCRATCH.get();
        int srcOffset = 0;
        in.getBytes(in.readerIndex() + 2, src, 0, length);
        ByteBuf plain = ctx.alloc().heapBuffer(length - CipherState.TAG_LENGTH);
        try {
            int written = receiver.decrypt(NO_AD, src, srcOffset, length, plain.array(),
                    plain.arrayOffset() + plain.writerIndex());
            plain.writerIndex(plain.writerIndex() + written);
        } catch (TransportException e) {
            plain.release();
            fail(ctx, in, e);
            return;
        }
        in.skipBytes(2 + length);
        if (plain.isReadable()) {
            out.add(plain);
        } else {
            plain.release();
        }
    }

    private void fail(ChannelHandlerContext ctx, ByteBuf in, TransportException e) {
        failed = true;
        in.skipBytes(in.readableBytes());
        ctx.fireExceptionCaught(e);
        ctx.close();
    }
}
