package io.guardian.pool.internal.libp2p.noise;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Timeout;

@ExtendWith(LeakWatch.NoneAfterAll.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NoiseTransportCodecTest {


    /** Two codecs keyed by a real handshake: [initiator side, responder side], each with a recorder. */
    static EmbeddedChannel[] pair(NoisePair.Recorder a, NoisePair.Recorder b) {
        HandshakeState i = new HandshakeState(true, new byte[0], X25519.generatePrivate(), null);
        HandshakeState r = new HandshakeState(false, new byte[0], X25519.generatePrivate(), null);
        byte[] m1 = i.writeMessage(new byte[0]);
        r.readMessage(m1, 0, m1.length);
        byte[] m2 = r.writeMessage(new byte[0]);
        i.readMessage(m2, 0, m2.length);
        byte[] m3 = i.writeMessage(new byte[0]);
        r.readMessage(m3, 0, m3.length);
        CipherState[] ic = i.split();
        CipherState[] rc = r.split();
        return new EmbeddedChannel[] {new EmbeddedChannel(new NoiseTransportCodec(ic[0], ic[1]), a),
            new EmbeddedChannel(new NoiseTransportCodec(rc[0], rc[1]), b)};
    }

    @Test
    void roundTripsEverySizeAcrossTheMessageBoundary() {
        EmbeddedChannel[] ch = pair(new NoisePair.Recorder(), new NoisePair.Recorder());
        Random random = new Random(1);
        for (int size : new int[] {0, 1, 65_519, 65_520, 4 << 20}) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            ch[0].writeOutbound(Unpooled.wrappedBuffer(data));
            ByteBuf wire = Unpooled.buffer();
            ByteBuf b;
            while ((b = ch[0].readOutbound()) != null) {
                wire.writeBytes(b);
                b.release();
            }
            int messages = (size + 65_518) / 65_519;
            assertThat(wire.readableBytes()).as("size %d", size).isEqualTo(size + messages * 18);
            if (size > 0) {
                assertThat(wire.getUnsignedShort(0)).isEqualTo(Math.min(size, 65_519) + 16);
            }
            ch[1].writeInbound(wire);
            ByteBuf received = Unpooled.buffer();
            int fired = 0;
            Object o;
            while ((o = ch[1].readInbound()) != null) {
                received.writeBytes((ByteBuf) o);
                ((ByteBuf) o).release();
                fired++;
            }
            assertThat(fired).as("one ByteBuf per Noise message").isEqualTo(messages);
            byte[] got = new byte[received.readableBytes()];
            received.readBytes(got);
            received.release();
            assertThat(got).isEqualTo(data);
        }
        ch[0].finishAndReleaseAll();
        ch[1].finishAndReleaseAll();
    }

    @Test
    void messagesSplitAtEveryBoundaryAcrossReadsDecode() {
        EmbeddedChannel[] ch = pair(new NoisePair.Recorder(), new NoisePair.Recorder());
        Random random = new Random(2);
        byte[] data = new byte[200_000];
        random.nextBytes(data);
        ch[0].writeOutbound(Unpooled.wrappedBuffer(data));
        ByteBuf wire = Unpooled.buffer();
        ByteBuf b;
        while ((b = ch[0].readOutbound()) != null) {
            wire.writeBytes(b);
            b.release();
        }
        ByteBuf received = Unpooled.buffer();
        while (wire.isReadable()) {
            int piece = Math.min(wire.readableBytes(), 1 + random.nextInt(random.nextBoolean() ? 3 : 40_000));
            ch[1].writeInbound(wire.readRetainedSlice(piece));
            Object o;
            while ((o = ch[1].readInbound()) != null) {
                received.writeBytes((ByteBuf) o);
                ((ByteBuf) o).release();
            }
        }
        wire.release();
        byte[] got = new byte[received.readableBytes()];
        received.readBytes(got);
        received.release();
        assertThat(got).isEqualTo(data);
        ch[0].finishAndReleaseAll();
        ch[1].finishAndReleaseAll();
    }

    @Test
    void aMessageThatDoesNotAuthenticateIsFiredAsAViolationAndClosesTheChannel() {
        NoisePair.Recorder upper = new NoisePair.Recorder();
        EmbeddedChannel[] ch = pair(new NoisePair.Recorder(), upper);
        ch[0].writeOutbound(NoiseHandshakeHandlerTest.text("first"));
        ch[0].writeOutbound(NoiseHandshakeHandlerTest.text("second"));
        ByteBuf first = ch[0].readOutbound();
        ByteBuf second = ch[0].readOutbound();
        second.setByte(5, second.getByte(5) ^ 1);
        ch[1].writeInbound(Unpooled.wrappedBuffer(first, second));
        assertThat(NoiseHandshakeHandlerTest.readText(ch[1])).isEqualTo("first");
        assertThat(upper.exceptions).singleElement().isInstanceOfSatisfying(TransportException.class,
                e -> assertThat(e.kind()).isEqualTo(Kind.PROTOCOL_VIOLATION));
        assertThat(ch[1].isOpen()).isFalse();
        ch[0].finishAndReleaseAll();
        ch[1].finishAndReleaseAll();
    }

    @Test
    void writesBetweenTwoFlushesAreSealedIntoOneMessage() {
        EmbeddedChannel[] ch = pair(new NoisePair.Recorder(), new NoisePair.Recorder());
        ByteBuf header = Unpooled.directBuffer().writeBytes(new byte[] {1, 2, 3});
        ByteBuf frame = Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(new byte[] {4, 5}), Unpooled.wrappedBuffer(new byte[] {6}));
        ChannelFuture first = ch[0].write(header);
        ChannelFuture empty = ch[0].write(Unpooled.EMPTY_BUFFER);
        ChannelFuture second = ch[0].write(frame);
        assertThat(first.isDone()).as("nothing leaves before the flush").isFalse();
        ch[0].flush();
        assertThat(first.isSuccess() && empty.isSuccess() && second.isSuccess()).isTrue();
        ByteBuf wire = ch[0].readOutbound();
        assertThat((Object) ch[0].readOutbound()).as("one message for the turn").isNull();
        assertThat(wire.readableBytes()).isEqualTo(2 + 6 + 16);
        ch[1].writeInbound(wire);
        ByteBuf plain = ch[1].readInbound();
        byte[] got = new byte[plain.readableBytes()];
        plain.readBytes(got);
        plain.release();
        assertThat(got).containsExactly(1, 2, 3, 4, 5, 6);
        ch[0].finishAndReleaseAll();
        ch[1].finishAndReleaseAll();
    }

    @Test
    void aFullMessageGoesDownBeforeTheFlushSoWritabilityFollowsTheWrites() {
        EmbeddedChannel[] ch = pair(new NoisePair.Recorder(), new NoisePair.Recorder());
        long before = ch[0].bytesBeforeUnwritable();
        ChannelFuture big = ch[0].write(Unpooled.wrappedBuffer(new byte[70_000]));
        assertThat(before - ch[0].bytesBeforeUnwritable()).as("the first full message is in the outbound buffer")
                .isEqualTo(2 + 65_535);
        assertThat(big.isDone()).as("its last 4,481 bytes wait for the flush").isFalse();
        ch[0].flush();
        assertThat(big.isSuccess()).isTrue();
        ByteBuf one = ch[0].readOutbound();
        ByteBuf two = ch[0].readOutbound();
        assertThat(one.readableBytes()).isEqualTo(65_537);
        assertThat(two.readableBytes()).isEqualTo(2 + 70_000 - 65_519 + 16);
        one.release();
        two.release();
        ch[0].finishAndReleaseAll();
        ch[1].finishAndReleaseAll();
    }

    @Test
    void writesPendingAtACloseFailAndAreReleasedAndLaterWritesFail() {
        EmbeddedChannel[] ch = pair(new NoisePair.Recorder(), new NoisePair.Recorder());
        ByteBuf pending = Unpooled.directBuffer().writeBytes(new byte[] {1, 2});
        ChannelFuture written = ch[0].write(pending);
        ch[0].close();
        assertThat(written.cause()).isInstanceOfSatisfying(TransportException.class,
                e -> assertThat(e.kind()).isEqualTo(Kind.CLOSED_LOCALLY));
        assertThat(pending.refCnt()).isZero();
        ByteBuf late = Unpooled.directBuffer().writeBytes(new byte[] {3});
        assertThat(ch[0].writeAndFlush(late).cause()).isNotNull();
        assertThat(late.refCnt()).isZero();
        ch[0].finishAndReleaseAll();
        ch[1].finishAndReleaseAll();
    }

    @Test
    void aFrameShorterThanATagIsAViolation() {
        NoisePair.Recorder upper = new NoisePair.Recorder();
        EmbeddedChannel[] ch = pair(new NoisePair.Recorder(), upper);
        ch[1].writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 15}));
        assertThat(upper.exceptions).singleElement().isInstanceOfSatisfying(TransportException.class,
                e -> assertThat(e.kind()).isEqualTo(Kind.PROTOCOL_VIOLATION));
        assertThat(ch[1].isOpen()).isFalse();
        ch[0].finishAndReleaseAll();
        ch[1].finishAndReleaseAll();
    }

    @Test
    void anEmptyMessageAdvancesTheCounterAndFiresNothing() {
        CipherState send = new CipherState(new byte[32]);
        CipherState receive = new CipherState(new byte[32]);
        EmbeddedChannel ch = new EmbeddedChannel(new NoiseTransportCodec(new CipherState(new byte[32]), receive));
        byte[] empty = send.encryptWithAd(new byte[0], new byte[0]);
        byte[] x = send.encryptWithAd(new byte[0], new byte[] {'x'});
        ByteBuf wire = Unpooled.buffer().writeShort(empty.length).writeBytes(empty).writeShort(x.length).writeBytes(x);
        ch.writeInbound(wire);
        assertThat(NoiseHandshakeHandlerTest.readText(ch)).isEqualTo("x");
        assertThat(receive.nonce()).isEqualTo(2);
        ch.finishAndReleaseAll();
    }

    @Test
    void anExhaustedSendCounterClosesTheChannel() {
        CipherState send = new CipherState(new byte[32]);
        send.setNonce(-1L);
        EmbeddedChannel ch = new EmbeddedChannel(new NoiseTransportCodec(send, new CipherState(new byte[32])));
        assertThat(ch.writeAndFlush(NoiseHandshakeHandlerTest.text("x")).cause())
                .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.kind()).isEqualTo(Kind.LIMIT_EXCEEDED));
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    /** Prints codec throughput against raw ChaCha20-Poly1305 for the report; asserts nothing about time. */
    @Test
    void measureThroughputAgainstRawCipher() throws Exception {
        EmbeddedChannel[] ch = pair(new NoisePair.Recorder(), new NoisePair.Recorder());
        byte[] data = new byte[65_519];
        int rounds = 1000;
        long codecNs = 0;
        for (int i = 0; i < rounds * 2; i++) {
            long t0 = System.nanoTime();
            ch[0].writeOutbound(Unpooled.wrappedBuffer(data));
            ByteBuf wire = ch[0].readOutbound();
            ch[1].writeInbound(wire);
            ByteBuf plain = ch[1].readInbound();
            plain.release();
            if (i >= rounds) {
                codecNs += System.nanoTime() - t0;
            }
        }
        Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
        Cipher d = Cipher.getInstance("ChaCha20-Poly1305");
        SecretKeySpec key = new SecretKeySpec(new byte[32], "ChaCha20");
        byte[] out = new byte[data.length + 16];
        byte[] back = new byte[data.length];
        long rawNs = 0;
        for (int i = 0; i < rounds * 2; i++) {
            byte[] nonce = new byte[12];
            nonce[4] = (byte) i;
            nonce[5] = (byte) (i >> 8);
            long t0 = System.nanoTime();
            c.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce));
            c.doFinal(data, 0, data.length, out, 0);
            d.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
            d.doFinal(out, 0, out.length, back, 0);
            if (i >= rounds) {
                rawNs += System.nanoTime() - t0;
            }
        }
        double mb = (double) data.length * rounds / 1e6;
        System.out.printf("Noise transport, 64 KiB messages, encrypt+decrypt: codec %.0f MB/s, raw cipher %.0f MB/s"
                + " (%.0f%%)%n", mb / (codecNs / 1e9), mb / (rawNs / 1e9), 100.0 * rawNs / codecNs);
        assertThat(codecNs).isPositive();
        ch[0].finishAndReleaseAll();
        ch[1].finishAndReleaseAll();
    }
}
