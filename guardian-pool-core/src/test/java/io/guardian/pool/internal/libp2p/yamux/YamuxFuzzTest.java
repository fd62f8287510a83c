package io.guardian.pool.internal.libp2p.yamux;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.Mutator;
import io.guardian.pool.internal.transport.TransportException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seeded decoder fuzz: random and mutated frame sequences, fed in random splits to a session whose
 * listeners and acceptor behave randomly. Every case must end with the session open or closed by a
 * typed failure, nothing reaching the pipeline's tail, and no buffer leaked. Replay a run with
 * {@code -Dguardian.fuzz.seed=S}.
 */
@Timeout(120)
class YamuxFuzzTest {

    private static final Logger LOG = LoggerFactory.getLogger(YamuxFuzzTest.class);
    private static final long SEED = Long.getLong("guardian.fuzz.seed", 0x7961_6d75_7846_757aL);
    private static final int CASES = 3000;

    @Test
    void randomAndMutatedFramesEndInTypedFailuresWithoutLeaks() {
        Random random = new Random(SEED);
        Mutator mutator = new Mutator(random);
        AtomicInteger untyped = new AtomicInteger();
        int closed = 0;
        long start = System.nanoTime();
        try (LeakWatch leaks = new LeakWatch()) {
            for (int i = 0; i < CASES; i++) {
                boolean client = random.nextBoolean();
                byte[] input = frames(random, client);
                if (random.nextInt(4) != 0) {
                    input = mutator.mutate(input);
                }
                if (runCase(random, client, input, untyped)) {
                    closed++;
                }
            }
            assertThat(untyped.get()).as("listeners saw only TransportExceptions").isZero();
            assertThat(leaks.collectLeaks()).as("leaks (seed %d)", SEED).isEmpty();
        }
        LOG.info("yamux fuzz: {} cases with seed {}, {} ended the session, {} ms", CASES, SEED, closed,
                (System.nanoTime() - start) / 1_000_000);
    }

    private static boolean runCase(Random random, boolean client, byte[] input, AtomicInteger untyped) {
        YamuxConfig config = YamuxConfig.builder().maxStreams(1 + random.nextInt(8))
                .acceptBacklog(1 + random.nextInt(8)).maxFrameData(1024).build();
        YamuxSession session = new YamuxSession(client, config, s -> {
            if (random.nextInt(5) == 0) {
                return false;
            }
            boolean consume = random.nextBoolean();
            s.listener(new StreamListener() {
                @Override
                public void onData(YamuxStream st, ByteBuf data) {
                    int n = data.readableBytes();
                    if (random.nextInt(10) == 0) {
                        st.write(data);
                    } else {
                        data.release();
                    }
                    if (consume) {
                        st.consumed(n);
                    }
                    if (random.nextInt(20) == 0) {
                        st.reset();
                    }
                }

                @Override
                public void onRemoteClose(YamuxStream st) {
                    st.closeWrite();
                }

                @Override
                public void onReset(YamuxStream st, TransportException cause) {
                    if (cause.kind() == null) {
                        untyped.incrementAndGet();
                    }
                }
            });
            return true;
        });
        EmbeddedChannel ch = new EmbeddedChannel(session);
        if (random.nextBoolean()) {
            YamuxStream own = session.openStream();
            own.write(Unpooled.wrappedBuffer(new byte[random.nextInt(3000)]));
        }
        int at = 0;
        while (at < input.length && ch.isOpen()) {
            int n = Math.min(input.length - at, 1 + random.nextInt(64));
            ByteBuf piece = ByteBufAllocator.DEFAULT.buffer(n);
            piece.writeBytes(input, at, n);
            at += n;
            ch.writeInbound(piece);
            if (random.nextInt(8) == 0 && ch.isOpen()) {
                ch.unsafe().outboundBuffer().setUserDefinedWritability(1, random.nextBoolean());
            }
        }
        ch.checkException();
        boolean ended = !ch.isOpen();
        List<Wire.Frame> out = Wire.written(ch);
        if (ended && !out.isEmpty() && out.get(out.size() - 1).type() == Wire.GO_AWAY) {
            assertThat(out.get(out.size() - 1).length()).isIn(0L, 1L);
        }
        ch.finishAndReleaseAll();
        return ended;
    }

    /** A plausible sequence: stream frames with every flag mix on a few ids, pings, GoAways. */
    private static byte[] frames(Random random, boolean client) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = 1 + random.nextInt(12);
        int remoteBase = client ? 2 : 1;
        for (int i = 0; i < count; i++) {
            int type = random.nextInt(10) < 7 ? random.nextInt(2) : 2 + random.nextInt(2);
            int flags = random.nextInt(16);
            int id = type >= 2 ? 0 : remoteBase + 2 * random.nextInt(6) - (random.nextInt(10) == 0 ? 1 : 0);
            int payload = type == 0 ? random.nextInt(600) : 0;
            long length = type == 0 ? payload : random.nextInt(10) == 0 ? random.nextInt() & 0xFFFF_FFFFL
                    : random.nextInt(100_000);
            ByteBuf f = Wire.frame(type, flags, id, length);
            byte[] header = new byte[12];
            f.readBytes(header);
            f.release();
            out.writeBytes(header);
            byte[] body = new byte[payload];
            random.nextBytes(body);
            out.writeBytes(body);
        }
        return out.toByteArray();
    }
}
