package io.guardian.pool.internal.libp2p.noise;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.peer.PeerIdentity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded fuzz of the two decoders a peer reaches: random and mutated bytes into a responder's
 * handshake handler, and into a transport codec. Only typed failures, nothing unhandled, no
 * hang (each case is bounded by its input), no leak.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NoiseFuzzTest {

    private static final PeerIdentity A = PeerIdentity.generate();
    private static final PeerIdentity B = PeerIdentity.generate();

    @Test
    void responderFailsTypedOnRandomAndMutatedInput() {
        Random random = new Random(20240601L);
        // Valid messages 1 and 3 of one initiator, to mutate.
        List<byte[]> valid = validInitiatorFrames();
        try (LeakWatch leaks = new LeakWatch()) {
            for (int i = 0; i < 2000; i++) {
                NoisePair p = NoisePair.inline(A, null, List.of("/yamux/1.0.0"), B, List.of("/yamux/1.0.0"));
                ((ByteBuf) p.initiator.readOutbound()).release();
                byte[] input = i % 3 == 0 ? randomBytes(random) : mutate(random, valid);
                int pos = 0;
                while (pos < input.length && p.responder.isOpen()) {
                    int n = Math.min(input.length - pos, 1 + random.nextInt(64));
                    p.responder.writeInbound(Unpooled.copiedBuffer(input, pos, n));
                    pos += n;
                }
                drain(p.responder);
                p.responder.pipeline().fireChannelInactive();
                assertThat(p.responderResult).isDone();
                try {
                    p.responderResult.join();
                } catch (CompletionException e) {
                    assertThat(e.getCause()).as("case %d", i).isInstanceOf(TransportException.class);
                }
                assertThat(p.responderTail.exceptions).as("case %d", i).isEmpty();
                p.close();
            }
            assertThat(leaks.collectLeaks()).isEmpty();
        }
    }

    @Test
    void transportCodecFailsTypedOnRandomAndMutatedInput() {
        Random random = new Random(7L);
        try (LeakWatch leaks = new LeakWatch()) {
            for (int i = 0; i < 2000; i++) {
                NoisePair.Recorder upper = new NoisePair.Recorder();
                EmbeddedChannel[] ch = NoiseTransportCodecTest.pair(new NoisePair.Recorder(), upper);
                byte[] payload = new byte[random.nextInt(300)];
                random.nextBytes(payload);
                // Two flushes, two messages: writes between flushes are sealed together.
                ch[0].writeOutbound(Unpooled.wrappedBuffer(payload));
                ch[0].writeOutbound(Unpooled.wrappedBuffer(payload));
                ByteBuf wire = Unpooled.buffer();
                ByteBuf b;
                while ((b = ch[0].readOutbound()) != null) {
                    wire.writeBytes(b);
                    b.release();
                }
                byte[] bytes = new byte[wire.readableBytes()];
                wire.readBytes(bytes);
                wire.release();
                byte[] input = i % 2 == 0 ? randomBytes(random) : mutate(random, List.of(bytes));
                int pos = 0;
                while (pos < input.length && ch[1].isOpen()) {
                    int n = Math.min(input.length - pos, 1 + random.nextInt(128));
                    ch[1].writeInbound(Unpooled.copiedBuffer(input, pos, n));
                    pos += n;
                }
                drain(ch[1]);
                assertThat(upper.exceptions).as("case %d", i).allSatisfy(e -> assertThat(e)
                        .isInstanceOf(TransportException.class));
                ch[0].finishAndReleaseAll();
                ch[1].finishAndReleaseAll();
            }
            assertThat(leaks.collectLeaks()).isEmpty();
        }
    }

    private static List<byte[]> validInitiatorFrames() {
        NoisePair p = NoisePair.inline(A, null, List.of("/yamux/1.0.0"), B, List.of("/yamux/1.0.0"));
        List<byte[]> frames = new ArrayList<>();
        frames.add(take(p.initiator));
        p.responder.writeInbound(Unpooled.wrappedBuffer(frames.get(0)));
        p.initiator.writeInbound((Object) p.responder.readOutbound());
        frames.add(take(p.initiator));
        p.close();
        return frames;
    }

    private static byte[] take(EmbeddedChannel ch) {
        ByteBuf b = ch.readOutbound();
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    private static byte[] randomBytes(Random random) {
        byte[] b = new byte[random.nextInt(400)];
        random.nextBytes(b);
        if (b.length >= 2 && random.nextBoolean()) {
            // A plausible length prefix, so the fuzz gets past the framing.
            int len = Math.min(b.length - 2, random.nextInt(200));
            b[0] = (byte) (len >> 8);
            b[1] = (byte) len;
        }
        return b;
    }

    private static byte[] mutate(Random random, List<byte[]> frames) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] f : frames) {
            out.writeBytes(f);
        }
        byte[] b = out.toByteArray();
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits && b.length > 0; e++) {
            switch (random.nextInt(4)) {
                case 0:
                    b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                    break;
                case 1:
                    b = java.util.Arrays.copyOf(b, random.nextInt(b.length));
                    break;
                case 2:
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                    break;
                default:
                    byte[] longer = java.util.Arrays.copyOf(b, b.length + random.nextInt(50));
                    b = longer;
                    break;
            }
        }
        return b;
    }

    private static void drain(EmbeddedChannel ch) {
        Object o;
        while ((o = ch.readInbound()) != null) {
            io.netty.util.ReferenceCountUtil.release(o);
        }
        while ((o = ch.readOutbound()) != null) {
            io.netty.util.ReferenceCountUtil.release(o);
        }
    }
}
