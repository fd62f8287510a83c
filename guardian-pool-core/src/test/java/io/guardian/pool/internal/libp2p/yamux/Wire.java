package io.guardian.pool.internal.libp2p.yamux;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.internal.transport.TransportException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Frame building and reading for tests that play the remote side of a session by hand. */
final class Wire {

    static final int DATA = YamuxFrames.TYPE_DATA;
    static final int WU = YamuxFrames.TYPE_WINDOW_UPDATE;
    static final int PING = YamuxFrames.TYPE_PING;
    static final int GO_AWAY = YamuxFrames.TYPE_GO_AWAY;
    static final int SYN = YamuxFrames.FLAG_SYN;
    static final int ACK = YamuxFrames.FLAG_ACK;
    static final int FIN = YamuxFrames.FLAG_FIN;
    static final int RST = YamuxFrames.FLAG_RST;

    /** One decoded frame. */
    record Frame(int version, int type, int flags, int stream, long length, byte[] payload) {
        boolean has(int flag) {
            return (flags & flag) != 0;
        }
    }

    private Wire() {
    }

    static ByteBuf frame(int type, int flags, int stream, long length) {
        ByteBuf b = Unpooled.buffer(12);
        b.writeByte(0).writeByte(type).writeShort(flags).writeInt(stream).writeInt((int) length);
        return b;
    }

    static ByteBuf data(int flags, int stream, byte[] payload) {
        ByteBuf b = frame(DATA, flags, stream, payload.length);
        b.writeBytes(payload);
        return b;
    }

    static byte[] bytes(int n, int seed) {
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) (i * 31 + seed);
        }
        return out;
    }

    /** Drains and decodes everything the session wrote to the embedded channel. */
    static List<Frame> written(EmbeddedChannel ch) {
        ch.runPendingTasks();
        ByteBuf all = Unpooled.buffer();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            all.writeBytes(b);
            b.release();
        }
        List<Frame> frames = new ArrayList<>();
        while (all.readableBytes() >= 12) {
            int version = all.readUnsignedByte();
            int type = all.readUnsignedByte();
            int flags = all.readUnsignedShort();
            int stream = all.readInt();
            long length = all.readUnsignedInt();
            byte[] payload = new byte[type == DATA ? (int) length : 0];
            all.readBytes(payload);
            frames.add(new Frame(version, type, flags, stream, length, payload));
        }
        assertThat(all.readableBytes()).as("no partial frame written").isZero();
        all.release();
        return frames;
    }

    /** Records every listener call; releases data after copying it. */
    static final class Recorder implements StreamListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
        volatile TransportException resetCause;
        final boolean consume;

        Recorder(boolean consume) {
            this.consume = consume;
        }

        @Override
        public void onData(YamuxStream s, ByteBuf data) {
            int n = data.readableBytes();
            byte[] copy = new byte[n];
            data.readBytes(copy);
            data.release();
            synchronized (received) {
                received.write(copy, 0, n);
            }
            events.add("data:" + n);
            if (consume) {
                s.consumed(n);
            }
        }

        @Override
        public void onRemoteClose(YamuxStream s) {
            events.add("fin");
        }

        @Override
        public void onReset(YamuxStream s, TransportException cause) {
            resetCause = cause;
            events.add("reset:" + cause.kind());
        }

        byte[] bytes() {
            synchronized (received) {
                return received.toByteArray();
            }
        }
    }
}
