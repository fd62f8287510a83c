package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageCodec;
import io.netty.util.ReferenceCountUtil;
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
 * <p>Outbound: a {@link ByteBuf} is cut into messages of at most 65,519 plaintext bytes, all
 * encrypted into one heap buffer and written as one, so the write promise completes when the
 * last chunk is written. An empty buffer sends nothing. Other message types are refused: they
 * would leave unencrypted.
 *
 * <p>Speed: the JDK's ChaCha20-Poly1305 works on arrays, so both directions run on heap buffers'
 * backing arrays; input without one (a direct socket buffer) is copied once into a scratch array
 * of the thread's own (an event loop's), not one per connection: 64 KiB per connection was most of
 * an idle connection's heap.
 */
public final class NoiseTransportCodec extends ByteToMessageCodec<ByteBuf> {

    /** Largest Noise message, the u16 length's range. */
    public static final int MAX_MESSAGE = 65535;
    /** Largest plaintext per message: the message less the 16-byte tag. */
    public static final int MAX_PLAINTEXT = MAX_MESSAGE - CipherState.TAG_LENGTH;

    private static final byte[] NO_AD = new byte[0];

    private final CipherState sender;
    private final CipherState receiver;
    /** One per thread: encryption and decryption run to completion on it, so codecs can share it. */
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[MAX_MESSAGE];
        }
    };
    private boolean failed;

    /**
     * @param sender the cipher for outbound messages (the initiator's c1, the responder's c2)
     * @param receiver the cipher for inbound messages
     */
    public NoiseTransportCodec(CipherState sender, CipherState receiver) {
        super(ByteBuf.class, false);
        this.sender = sender;
        this.receiver = receiver;
    }

    /** Refuses anything but ByteBufs, which the encoder would otherwise pass on in the clear. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (!(msg instanceof ByteBuf)) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new IllegalArgumentException("a Noise channel carries ByteBufs only, not "
                    + msg.getClass().getName()));
            return;
        }
        super.write(ctx, msg, promise);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, ByteBuf msg, ByteBuf out) {
        int length = msg.readableBytes();
        int messages = (length + MAX_PLAINTEXT - 1) / MAX_PLAINTEXT;
        // The encoder hands us a small heap buffer; size it once rather than grow it per chunk.
        out.ensureWritable(length + messages * (2 + CipherState.TAG_LENGTH));
        try {
            while (msg.isReadable()) {
                int chunk = Math.min(msg.readableBytes(), MAX_PLAINTEXT);
                int sealed = chunk + CipherState.TAG_LENGTH;
                out.writeShort(sealed);
                byte[] src;
                int srcOffset;
                if (msg.hasArray()) {
                    src = msg.array();
                    srcOffset = msg.arrayOffset() + msg.readerIndex();
                } else {
                    byte[] scratch = SCRATCH.get();
                    msg.getBytes(msg.readerIndex(), scratch, 0, chunk);
                    src = scratch;
                    srcOffset = 0;
                }
                sender.encrypt(NO_AD, src, srcOffset, chunk, out.array(), out.arrayOffset() + out.writerIndex());
                out.writerIndex(out.writerIndex() + sealed);
                msg.skipBytes(chunk);
            }
        } catch (TransportException e) {
            // Only counter exhaustion gets here: this connection can carry nothing more.
            ctx.close();
            throw e;
        }
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
        byte[] src;
        int srcOffset;
        if (in.hasArray()) {
            src = in.array();
            srcOffset = in.arrayOffset() + in.readerIndex() + 2;
        } else {
            byte[] scratch = SCRATCH.get();
            in.getBytes(in.readerIndex() + 2, scratch, 0, length);
            src = scratch;
            srcOffset = 0;
        }
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
