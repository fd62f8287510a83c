package io.guardian.pool.internal.libp2p.yamux;

import static io.guardian.pool.internal.libp2p.yamux.Wire.ACK;
import static io.guardian.pool.internal.libp2p.yamux.Wire.DATA;
import static io.guardian.pool.internal.libp2p.yamux.Wire.GO_AWAY;
import static io.guardian.pool.internal.libp2p.yamux.Wire.PING;
import static io.guardian.pool.internal.libp2p.yamux.Wire.RST;
import static io.guardian.pool.internal.libp2p.yamux.Wire.SYN;
import static io.guardian.pool.internal.libp2p.yamux.Wire.WU;
import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.internal.libp2p.yamux.Wire.Frame;
import io.guardian.pool.internal.libp2p.yamux.Wire.Recorder;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Flow control, backlog and stream limits, the writability rule and every protocol error. */
@Timeout(30)
class YamuxLimitsTest {

    private EmbeddedChannel ch;
    private YamuxSession session;
    private final List<YamuxStream> accepted = new ArrayList<>();
    private final List<Recorder> recorders = new ArrayList<>();

    private void start(boolean client, YamuxConfig config, boolean consume) {
        session = new YamuxSession(client, config, s -> {
            Recorder r = new Recorder(consume);
            s.listener(r);
            accepted.add(s);
            recorders.add(r);
            return true;
        });
        ch = new EmbeddedChannel(session);
    }

    private void in(ByteBuf... frames) {
        for (ByteBuf f : frames) {
            ch.writeInbound(f);
        }
    }

    private void writable(boolean writable) {
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
        ch.runPendingTasks();
    }

    @AfterEach
    void finish() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void writerStopsAtTheWindowUntilTheRemoteReturnsCredit() throws Exception {
        start(true, YamuxConfig.defaults(), true);
        YamuxStream s = session.openStream();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            writes.add(s.write(Unpooled.wrappedBuffer(new byte[64 * 1024])));
        }
        List<Frame> out = Wire.written(ch);
        assertThat(out.stream().mapToInt(f -> f.payload().length).sum()).isEqualTo(256 * 1024);
        assertThat(out).allSatisfy(f -> assertThat(f.payload().length).isLessThanOrEqualTo(16 * 1024));
        assertThat(writes.subList(0, 4)).allSatisfy(w -> assertThat(w).isCompleted());
        assertThat(writes.get(4)).as("blocked at 256 KiB").isNotDone();
        in(Wire.frame(WU, ACK, 1, 32 * 1024));
        assertThat(Wire.written(ch).stream().mapToInt(f -> f.payload().length).sum()).isEqualTo(32 * 1024);
        assertThat(writes.get(4)).isNotDone();
        in(Wire.frame(WU, 0, 1, 32 * 1024));
        Wire.written(ch);
        writes.get(4).get(1, TimeUnit.SECONDS);
    }

    @Test
    void readerReturnsCreditOnlyWhenItConsumes() {
        start(false, YamuxConfig.defaults(), false);
        in(Wire.data(SYN, 1, new byte[100 * 1024]), Wire.data(0, 1, new byte[156 * 1024]));
        assertThat(Wire.written(ch)).extracting(Frame::length).containsExactly(0L);
        // The window is used up: one more byte is an overrun.
        YamuxStream s = accepted.get(0);
        s.consumed(100 * 1024);
        assertThat(Wire.written(ch)).as("below half the window: no update yet").isEmpty();
        s.consumed(28 * 1024);
        assertThat(Wire.written(ch)).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo(WU);
            assertThat(f.length()).isEqualTo(128 * 1024);
        });
        in(Wire.data(0, 1, new byte[128 * 1024]));
        assertThat(session.isOpen()).isTrue();
        assertThat(recorders.get(0).bytes()).hasSize(384 * 1024);
    }

    @Test
    void streamsShareTheWireRoundRobin() {
        start(true, YamuxConfig.defaults(), true);
        YamuxStream a = session.openStream();
        YamuxStream b = session.openStream();
        writable(false);
        a.write(Unpooled.wrappedBuffer(new byte[64 * 1024]));
        b.write(Unpooled.wrappedBuffer(new byte[64 * 1024]));
        writable(true);
        List<Integer> order = Wire.written(ch).stream().map(Frame::stream).toList();
        assertThat(order).containsExactly(1, 3, 1, 3, 1, 3, 1, 3);
    }

    @Test
    void acceptBacklogAndMaxStreamsOverflowAreReset() {
        start(false, YamuxConfig.builder().acceptBacklog(3).maxStreams(5).build(), true);
        writable(false);
        // Unwritable: ACKs cannot leave, so the SYNs stay unacknowledged.
        for (int id = 1; id <= 9; id += 2) {
            in(Wire.frame(WU, SYN, id, 0));
        }
        assertThat(accepted).hasSize(3);
        assertThat(Wire.written(ch)).extracting(Frame::flags, Frame::stream).containsExactly(
                org.assertj.core.groups.Tuple.tuple(RST, 7), org.assertj.core.groups.Tuple.tuple(RST, 9));
        writable(true);
        assertThat(Wire.written(ch)).extracting(Frame::flags).containsExactly(ACK, ACK, ACK);
        for (int id = 11; id <= 15; id += 2) {
            in(Wire.frame(WU, SYN, id, 0));
        }
        assertThat(accepted).hasSize(5);
        assertThat(Wire.written(ch)).extracting(Frame::flags, Frame::stream).containsExactly(
                org.assertj.core.groups.Tuple.tuple(ACK, 11), org.assertj.core.groups.Tuple.tuple(ACK, 13),
                org.assertj.core.groups.Tuple.tuple(RST, 15));
    }

    @Test
    void aPeerThatFloodsPingsWithoutReadingIsStoppedAndResumed() {
        // Answers unlimited by rate here: this is about the writability rule (the budget is tested below).
        start(true, YamuxConfig.builder().maxUnwritableControlFrames(100).pingAnswersPerSecond(1_000_000).build(),
                true);
        YamuxStream s = session.openStream();
        s.write(Unpooled.wrappedBuffer(new byte[1000]));
        Wire.written(ch);
        writable(false);
        CompletableFuture<Void> held = s.write(Unpooled.wrappedBuffer(new byte[1000]));
        ByteBuf flood = Unpooled.buffer();
        for (int i = 0; i < 1000; i++) {
            flood.writeBytes(Wire.frame(PING, SYN, 0, i));
        }
        in(flood);
        assertThat(ch.config().isAutoRead()).isFalse();
        List<Frame> out = Wire.written(ch);
        assertThat(out).as("bounded replies, no data while unwritable").hasSize(100)
                .allSatisfy(f -> assertThat(f.type()).isEqualTo(PING));
        assertThat(held).isNotDone();
        writable(true);
        assertThat(ch.config().isAutoRead()).isTrue();
        List<Frame> rest = Wire.written(ch);
        assertThat(rest.stream().filter(f -> f.type() == PING).count()).isEqualTo(900);
        assertThat(rest.stream().filter(f -> f.type() == DATA).count()).isEqualTo(1);
        assertThat(held).isCompleted();
    }

    @Test
    void aPingFloodOnAConnectionWeDialedGetsTheBurstOfAnswersAndNoMore() {
        start(true, YamuxConfig.defaults(), true);
        ByteBuf flood = Unpooled.buffer();
        for (int i = 0; i < 1000; i++) {
            flood.writeBytes(Wire.frame(PING, SYN, 0, i));
        }
        in(flood);
        List<Frame> out = Wire.written(ch);
        // The flood arrives within microseconds: only the burst is answered, in order, the rest dropped.
        assertThat(out).hasSize(io.guardian.pool.internal.transport.PingAnswerBudget.BURST)
                .allSatisfy(f -> assertThat(f.flags()).isEqualTo(ACK));
        assertThat(out.get(0).length()).isZero();
        assertThat(session.isOpen()).as("dropping answers is no reason to close").isTrue();
        assertThat(ch.config().isAutoRead()).isTrue();
    }

    @Test
    void theAcceptBacklogHoldsOnAConnectionWeDialedToo() {
        // client = we dialed: the listener opens streams with even ids.
        start(true, YamuxConfig.builder().acceptBacklog(3).maxStreams(5).build(), true);
        writable(false);
        for (int id = 2; id <= 10; id += 2) {
            in(Wire.frame(WU, SYN, id, 0));
        }
        assertThat(accepted).hasSize(3);
        assertThat(Wire.written(ch)).extracting(Frame::flags, Frame::stream).containsExactly(
                org.assertj.core.groups.Tuple.tuple(RST, 8), org.assertj.core.groups.Tuple.tuple(RST, 10));
        writable(true);
        assertThat(Wire.written(ch)).extracting(Frame::flags).containsExactly(ACK, ACK, ACK);
    }

    @Test
    void aChannelUnwritableBeyondTheWriteTimeoutFailsTheSession() {
        start(false, YamuxConfig.builder().writeTimeout(java.time.Duration.ofSeconds(2)).build(), true);
        in(Wire.frame(WU, SYN, 1, 0));
        writable(false);
        ch.advanceTimeBy(3, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(recorders.get(0).resetCause.kind()).isEqualTo(Kind.TIMED_OUT);
        assertThat(ch.isOpen()).isFalse();
    }

    static Stream<Arguments> violations() {
        return Stream.of(
                Arguments.of("version 1", (Supplier<ByteBuf>) () -> {
                    ByteBuf b = Wire.frame(PING, SYN, 0, 1);
                    b.setByte(0, 1);
                    return b;
                }),
                Arguments.of("type 4", (Supplier<ByteBuf>) () -> Wire.frame(4, 0, 0, 0)),
                Arguments.of("window overrun", (Supplier<ByteBuf>) () -> Wire.data(0, 1, new byte[256 * 1024 - 9])),
                Arguments.of("Data longer than any window", (Supplier<ByteBuf>) () -> Wire.frame(DATA, 0, 1, 1L << 31)),
                Arguments.of("window update overflow", (Supplier<ByteBuf>) () -> Wire.frame(WU, 0, 2, 0xFFFF_FFFFL)),
                Arguments.of("SYN of our parity", (Supplier<ByteBuf>) () -> Wire.frame(WU, SYN, 4, 0)),
                Arguments.of("duplicate SYN", (Supplier<ByteBuf>) () -> Wire.frame(WU, SYN, 1, 0)),
                Arguments.of("Data on stream 0", (Supplier<ByteBuf>) () -> Wire.data(0, 0, new byte[1])),
                Arguments.of("WindowUpdate on stream 0", (Supplier<ByteBuf>) () -> Wire.frame(WU, 0, 0, 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("violations")
    void protocolErrorsSendGoAwayOneAndCloseAndResetEveryStream(String name, Supplier<ByteBuf> bad) {
        start(false, YamuxConfig.defaults(), false);
        // Stream 1 (theirs) with 10 bytes of its window used; stream 2 (ours) opened and sent on.
        in(Wire.data(SYN, 1, new byte[10]));
        YamuxStream ours = session.openStream();
        Recorder r = new Recorder(true);
        ours.listener(r);
        ours.write(Unpooled.wrappedBuffer(new byte[1]));
        Wire.written(ch);
        in(bad.get());
        assertThat(Wire.written(ch)).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo(GO_AWAY);
            assertThat(f.length()).isEqualTo(1);
        });
        assertThat(ch.isOpen()).isFalse();
        assertThat(recorders.get(0).resetCause.kind()).isEqualTo(Kind.PROTOCOL_VIOLATION);
        assertThat(r.resetCause.kind()).isEqualTo(Kind.PROTOCOL_VIOLATION);
        assertThat(session.isOpen()).isFalse();
    }
}
