package io.guardian.pool.internal.libp2p;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.util.function.UnaryOperator;

/**
 * Alters one outbound write of an honest listener, for the dialer fuzz: placed at the head of the
 * pipeline it sees the raw bytes (the multistream answer, Noise message 2, then ciphertext);
 * placed between the Noise codec and the yamux session it sees every plaintext frame the session
 * writes. Writes are counted from 0 as they reach this handler.
 */
public final class Tamper extends ChannelOutboundHandlerAdapter {

    /** What happens to the target write. */
    public enum Action {
        /** Nothing: the honest exchange. */
        PASS,
        /** Its bytes are mutated (flipped, inserted, truncated, ...). */
        MUTATE,
        /** It is dropped and the connection closed: the exchange ends there. */
        DROP_AND_CLOSE,
        /** It and every later write are dropped, the connection left open: the listener stalls. */
        STALL
    }

    private final int target;
    private final Action action;
    private final UnaryOperator<byte[]> mutation;
    private int index;
    private boolean stalled;

    /**
     * @param target the index of the write to alter
     * @param action what to do to it
     * @param mutation how {@link Action#MUTATE} changes the bytes
     */
    public Tamper(int target, Action action, UnaryOperator<byte[]> mutation) {
        this.target = target;
        this.action = action;
        this.mutation = mutation;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.write(msg, promise);
            return;
        }
        int i = index++;
        if (stalled) {
            buf.release();
            promise.trySuccess();
            return;
        }
        if (i != target || action == Action.PASS) {
            ctx.write(msg, promise);
            return;
        }
        switch (action) {
            case MUTATE -> {
                byte[] bytes = ByteBufUtil.getBytes(buf);
                buf.release();
                ctx.write(Unpooled.wrappedBuffer(mutation.apply(bytes)), promise);
            }
            case DROP_AND_CLOSE -> {
                buf.release();
                promise.trySuccess();
                ctx.close();
            }
            default -> {
                stalled = true;
                buf.release();
                promise.trySuccess();
            }
        }
    }

    @Override
    public String toString() {
        return action == Action.PASS ? "honest" : action + " write " + target;
    }
}
