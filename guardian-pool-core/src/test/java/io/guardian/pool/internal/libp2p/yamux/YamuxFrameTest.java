package io.guardian.pool.internal.libp2p.yamux;

import static io.guardian.pool.internal.libp2p.yamux.Wire.ACK;
import static io.guardian.pool.internal.libp2p.yamux.Wire.DATA;
import static io.guardian.pool.internal.libp2p.yamux.Wire.FIN;
import static io.guardian.pool.internal.libp2p.yamux.Wire.GO_AWAY;
import static io.guardian.pool.internal.libp2p.yamux.Wire.PING;
import static io.guardian.pool.internal.libp2p.yamux.Wire.RST;
import static io.guardian.pool.internal.libp2p.yamux.Wire.SYN;
import static io.guardian.pool.internal.libp2p.yamux.Wire.WU;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.internal.libp2p.yamux.Wire.Frame;
import io.guardian.pool.internal.libp2p.yamux.Wire.Recorder;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Frame-level behaviour of one session, with the test playing the remote on an EmbeddedChannel. */
@Timeout(30)
class YamuxFrameTest {

    private EmbeddedChannel ch;
    private YamuxSession session;
    private final List<YamuxStream> accepted = new ArrayList<>();
    private final List<Recorder> recorders = new ArrayList<>();
    private boolean acceptAll = true;

    private void start(boolean client, YamuxConfig config) {
        session = new YamuxSession(client, config, s -> {
            if (!acceptAll) {
                return false;
            }
            Recorder r = new Recorder(true);
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

    @AfterEach
    void finish() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void firstDataFrameCarriesSynAndOddIdOnTheClient() throws Exception {
        start(true, YamuxConfig.defaults());
        YamuxStream s = session.openStream();
        assertThat(s.id()).isEqualTo(1);
        assertThat(Wire.written(ch)).as("nothing sent before the first frame").isEmpty();
        CompletableFuture<Void> w = s.write(Unpooled.wrappedBuffer(Wire.bytes(100, 1)));
        s.write(Unpooled.wrappedBuffer(Wire.bytes(5, 2)));
        List<Frame> out = Wire.written(ch);
        assertThat(out).hasSize(2);
        assertThat(out.get(0)).satisfies(f -> {
            assertThat(f.type()).isEqualTo(DATA);
            assertThat(f.flags()).isEqualTo(SYN);
            assertThat(f.stream()).isEqualTo(1);
            assertThat(f.payload()).isEqualTo(Wire.bytes(100, 1));
        });
        assertThat(out.get(1).flags()).as("SYN only once").isZero();
        w.get(1, TimeUnit.SECONDS);
        assertThat(s.state()).isEqualTo(YamuxStream.State.SYN_SENT);
        in(Wire.frame(WU, ACK, 1, 0));
        assertThat(s.state()).isEqualTo(YamuxStream.State.ESTABLISHED);
        assertThat(session.openStream().id()).isEqualTo(3);
    }

    @Test
    void serverUsesEvenIdsAndALargerWindowIsAnnouncedWithSyn() {
        start(false, YamuxConfig.builder().receiveWindow(1024 * 1024).build());
        YamuxStream s = session.openStream();
        assertThat(s.id()).isEqualTo(2);
        List<Frame> out = Wire.written(ch);
        assertThat(out).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo(WU);
            assertThat(f.flags()).isEqualTo(SYN);
            assertThat(f.length()).isEqualTo(768 * 1024);
        });
    }

    @Test
    void inboundSynOnDataIsAcceptedAckedAndItsPayloadDelivered() {
        start(false, YamuxConfig.defaults());
        in(Wire.data(SYN, 1, Wire.bytes(10, 3)));
        assertThat(accepted).hasSize(1);
        assertThat(recorders.get(0).bytes()).isEqualTo(Wire.bytes(10, 3));
        assertThat(Wire.written(ch)).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo(WU);
            assertThat(f.flags()).isEqualTo(ACK);
            assertThat(f.stream()).isEqualTo(1);
            // The listener consumed the 10 bytes before the ACK left, so the credit rides on it.
            assertThat(f.length()).isEqualTo(10);
        });
        assertThat(session.streamCount()).isEqualTo(1);
    }

    @Test
    void inboundSynOnWindowUpdateIsAckedWithTheExtraWindow() {
        start(true, YamuxConfig.builder().receiveWindow(512 * 1024).build());
        in(Wire.frame(WU, SYN, 2, 1000));
        assertThat(accepted).hasSize(1);
        assertThat(Wire.written(ch)).singleElement().satisfies(f -> {
            assertThat(f.flags()).isEqualTo(ACK);
            assertThat(f.length()).isEqualTo(256 * 1024);
        });
    }

    @Test
    void finOnDataDeliversTheDataThenTheClose() {
        start(false, YamuxConfig.defaults());
        in(Wire.data(SYN | FIN, 1, Wire.bytes(7, 1)));
        assertThat(recorders.get(0).events).containsExactly("data:7", "fin");
        assertThat(accepted.get(0).isReadClosed()).isTrue();
        assertThat(accepted.get(0).state()).isEqualTo(YamuxStream.State.REMOTE_CLOSED);
    }

    @Test
    void halfCloseRemoteFirstThenLocalRemovesTheStream() {
        start(false, YamuxConfig.defaults());
        in(Wire.data(SYN, 1, Wire.bytes(3, 1)), Wire.frame(WU, FIN, 1, 0));
        YamuxStream s = accepted.get(0);
        assertThat(recorders.get(0).events).containsExactly("data:3", "fin");
        s.write(Unpooled.wrappedBuffer(Wire.bytes(4, 2)));
        s.closeWrite();
        s.closeWrite();
        List<Frame> out = Wire.written(ch);
        assertThat(out).extracting(Frame::type, Frame::flags).containsExactly(
                org.assertj.core.groups.Tuple.tuple(WU, ACK), org.assertj.core.groups.Tuple.tuple(DATA, 0),
                org.assertj.core.groups.Tuple.tuple(WU, FIN));
        assertThat(out.get(2).length()).as("FIN in its own empty frame").isZero();
        assertThat(s.state()).isEqualTo(YamuxStream.State.CLOSED);
        assertThat(session.streamCount()).isZero();
    }

    @Test
    void halfCloseLocalFirstThenRemoteRemovesTheStream() throws Exception {
        start(true, YamuxConfig.defaults());
        YamuxStream s = session.openStream();
        Recorder r = new Recorder(true);
        s.listener(r);
        CompletableFuture<Void> w = s.write(Unpooled.wrappedBuffer(Wire.bytes(10, 1)));
        s.closeWrite();
        assertThat(s.isWriteClosed()).isTrue();
        assertThatThrownBy(() -> s.write(Unpooled.wrappedBuffer(new byte[1])).get()).hasCauseInstanceOf(
                TransportException.class);
        List<Frame> out = Wire.written(ch);
        assertThat(out).extracting(Frame::flags).containsExactly(SYN, FIN);
        w.get(1, TimeUnit.SECONDS);
        assertThat(s.state()).isEqualTo(YamuxStream.State.LOCAL_CLOSED);
        in(Wire.data(ACK, 1, Wire.bytes(5, 1)), Wire.data(FIN, 1, new byte[0]));
        assertThat(r.events).containsExactly("data:5", "fin");
        assertThat(session.streamCount()).isZero();
    }

    @Test
    void rstOnDataDropsThePayloadAndFailsPendingWrites() {
        start(true, YamuxConfig.defaults());
        YamuxStream s = session.openStream();
        Recorder r = new Recorder(true);
        s.listener(r);
        // More than the window, so part of it stays queued when the RST arrives.
        s.write(Unpooled.wrappedBuffer(Wire.bytes(256 * 1024, 1)));
        CompletableFuture<Void> queued = s.write(Unpooled.wrappedBuffer(Wire.bytes(1000, 2)));
        Wire.written(ch);
        in(Wire.data(ACK | RST, 1, Wire.bytes(50, 1)));
        assertThat(r.events).containsExactly("reset:RESET");
        assertThat(queued).isCompletedExceptionally();
        assertThatThrownBy(queued::get).cause().isInstanceOf(TransportException.class)
                .satisfies(e -> assertThat(((TransportException) e).kind()).isEqualTo(Kind.RESET));
        assertThat(s.isReset()).isTrue();
        assertThat(session.streamCount()).isZero();
        assertThat(Wire.written(ch)).as("no RST answered to a RST").isEmpty();
    }

    @Test
    void rstOnWindowUpdateResetsAndLaterFramesForTheStreamAreIgnored() {
        start(false, YamuxConfig.defaults());
        in(Wire.data(SYN, 1, Wire.bytes(5, 1)), Wire.frame(WU, RST, 1, 0));
        assertThat(recorders.get(0).events).containsExactly("data:5", "reset:RESET");
        Wire.written(ch);
        // go-yamux drains and ignores frames for streams it no longer knows; so do we.
        in(Wire.data(0, 1, Wire.bytes(100, 1)), Wire.frame(WU, 0, 1, 10), Wire.data(0, 9, Wire.bytes(3, 1)));
        assertThat(session.isOpen()).isTrue();
        assertThat(Wire.written(ch)).isEmpty();
    }

    @Test
    void localResetSendsRstAndFailsQueuedWrites() {
        start(true, YamuxConfig.defaults());
        YamuxStream s = session.openStream();
        Recorder r = new Recorder(true);
        s.listener(r);
        s.write(Unpooled.wrappedBuffer(Wire.bytes(256 * 1024 + 10, 1)));
        CompletableFuture<Void> queued = s.write(Unpooled.wrappedBuffer(Wire.bytes(10, 1)));
        Wire.written(ch);
        s.reset();
        s.reset();
        assertThat(Wire.written(ch)).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo(WU);
            assertThat(f.flags()).isEqualTo(RST);
        });
        assertThatThrownBy(queued::get).cause().satisfies(
                e -> assertThat(((TransportException) e).kind()).isEqualTo(Kind.CLOSED_LOCALLY));
        assertThat(r.events).as("own reset is not reported to the listener").isEmpty();
    }

    @Test
    void resetBeforeAnyFrameSendsNothing() {
        start(true, YamuxConfig.defaults());
        YamuxStream s = session.openStream();
        s.reset();
        assertThat(Wire.written(ch)).isEmpty();
        assertThat(session.streamCount()).isZero();
    }

    @Test
    void pingSynIsAnsweredWithAckAndTheSameValue() {
        start(true, YamuxConfig.defaults());
        in(Wire.frame(PING, SYN, 0, 0xFFFF_FFF0L), Wire.frame(PING, 0, 0, 5), Wire.frame(PING, ACK, 0, 77));
        assertThat(Wire.written(ch)).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo(PING);
            assertThat(f.flags()).isEqualTo(ACK);
            assertThat(f.stream()).isZero();
            assertThat(f.length()).isEqualTo(0xFFFF_FFF0L);
        });
        assertThat(session.isOpen()).as("an unsolicited ACK is ignored").isTrue();
    }

    @Test
    void ourPingCompletesOnItsAckAndTimesOutWithout() throws Exception {
        start(true, YamuxConfig.builder().maxOutstandingPings(2).build());
        CompletableFuture<Long> first = session.ping(Duration.ofSeconds(5));
        CompletableFuture<Long> second = session.ping(Duration.ofMillis(100));
        CompletableFuture<Long> third = session.ping(Duration.ofSeconds(5));
        assertThatThrownBy(third::get).cause().satisfies(
                e -> assertThat(((TransportException) e).kind()).isEqualTo(Kind.LIMIT_EXCEEDED));
        List<Frame> out = Wire.written(ch);
        assertThat(out).hasSize(2).allSatisfy(f -> assertThat(f.flags()).isEqualTo(SYN));
        assertThat(out.get(0).length()).isNotEqualTo(out.get(1).length());
        in(Wire.frame(PING, ACK, 0, out.get(0).length()));
        assertThat(first.get(1, TimeUnit.SECONDS)).isNotNegative();
        ch.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThatThrownBy(second::get).cause().satisfies(
                e -> assertThat(((TransportException) e).kind()).isEqualTo(Kind.TIMED_OUT));
    }

    @Test
    void goAwayReceivedStopsNewStreamsButExistingOnesGoOn() {
        start(true, YamuxConfig.defaults());
        YamuxStream s = session.openStream();
        Recorder r = new Recorder(true);
        s.listener(r);
        s.write(Unpooled.wrappedBuffer(Wire.bytes(3, 1)));
        in(Wire.frame(GO_AWAY, 0, 0, 0));
        assertThat(session.goAwayReceived()).isTrue();
        assertThatThrownBy(session::openStream).isInstanceOf(TransportException.class).satisfies(
                e -> assertThat(((TransportException) e).kind()).isEqualTo(Kind.CLOSED_BY_PEER));
        in(Wire.data(ACK, 1, Wire.bytes(4, 1)));
        assertThat(r.events).containsExactly("data:4");
        s.write(Unpooled.wrappedBuffer(Wire.bytes(2, 1)));
        assertThat(Wire.written(ch)).hasSize(2);
    }

    @Test
    void goAwaySentRefusesInboundSynsAndOwnOpens() {
        start(false, YamuxConfig.defaults());
        in(Wire.data(SYN, 1, Wire.bytes(1, 1)));
        session.goAway(0);
        in(Wire.frame(WU, SYN, 3, 0));
        List<Frame> out = Wire.written(ch);
        assertThat(out).extracting(Frame::type, Frame::flags, Frame::stream).containsExactly(
                org.assertj.core.groups.Tuple.tuple(WU, ACK, 1),
                org.assertj.core.groups.Tuple.tuple(GO_AWAY, 0, 0),
                org.assertj.core.groups.Tuple.tuple(WU, RST, 3));
        assertThat(out.get(1).length()).isZero();
        assertThatThrownBy(session::openStream).satisfies(
                e -> assertThat(((TransportException) e).kind()).isEqualTo(Kind.CLOSED_LOCALLY));
        accepted.get(0).write(Unpooled.wrappedBuffer(Wire.bytes(2, 1)));
        assertThat(Wire.written(ch)).singleElement().satisfies(f -> assertThat(f.type()).isEqualTo(DATA));
    }

    @Test
    void goAwayCodesAreSentAsGiven() {
        start(true, YamuxConfig.defaults());
        session.goAway(2);
        assertThat(Wire.written(ch)).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo(GO_AWAY);
            assertThat(f.length()).isEqualTo(2);
        });
        in(Wire.frame(GO_AWAY, 0, 0, 1));
        assertThat(session.goAwayReceived()).isTrue();
    }

    @Test
    void closeSendsGoAwayZeroClosesTheChannelAndResetsStreams() {
        start(false, YamuxConfig.defaults());
        in(Wire.data(SYN, 1, Wire.bytes(1, 1)));
        Wire.written(ch);
        CompletableFuture<Void> w = accepted.get(0).write(Unpooled.wrappedBuffer(new byte[300 * 1024]));
        Wire.written(ch);
        session.close();
        assertThat(Wire.written(ch)).extracting(Frame::type, Frame::length)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(GO_AWAY, 0L));
        assertThat(ch.isOpen()).isFalse();
        assertThat(recorders.get(0).events).containsExactly("data:1", "reset:CLOSED_LOCALLY");
        assertThat(w).isCompletedExceptionally();
        assertThatThrownBy(session::openStream).satisfies(
                e -> assertThat(((TransportException) e).kind()).isEqualTo(Kind.CLOSED_LOCALLY));
    }

    @Test
    void channelInactiveResetsStreamsAsClosedByPeer() {
        start(false, YamuxConfig.defaults());
        in(Wire.data(SYN, 1, Wire.bytes(1, 1)));
        ch.close();
        assertThat(recorders.get(0).resetCause.kind()).isEqualTo(Kind.CLOSED_BY_PEER);
        assertThat(session.isOpen()).isFalse();
    }

    @Test
    void exceptionFromBelowEndsTheSessionWithItsKindAndStopsThere() {
        start(false, YamuxConfig.defaults());
        in(Wire.data(SYN, 1, Wire.bytes(1, 1)));
        ch.pipeline().fireExceptionCaught(new TransportException(Kind.PROTOCOL_VIOLATION, "bad MAC"));
        ch.checkException();
        assertThat(recorders.get(0).resetCause.kind()).isEqualTo(Kind.PROTOCOL_VIOLATION);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void framesSplitByteByByteDecodeTheSame() {
        start(false, YamuxConfig.defaults());
        ByteBuf all = Unpooled.buffer();
        all.writeBytes(Wire.data(SYN, 1, Wire.bytes(40, 1)));
        all.writeBytes(Wire.frame(PING, SYN, 0, 9));
        all.writeBytes(Wire.data(FIN, 1, Wire.bytes(20, 2)));
        while (all.isReadable()) {
            in(all.readRetainedSlice(1));
        }
        all.release();
        assertThat(recorders.get(0).bytes()).hasSize(60);
        assertThat(recorders.get(0).events).containsExactly("data:40", "data:20", "fin");
        assertThat(Wire.written(ch)).extracting(Frame::type).containsExactly(WU, PING);
    }

    @Test
    void dataAfterTheRemotesFinResetsOnlyThatStream() {
        start(false, YamuxConfig.defaults());
        in(Wire.data(SYN | FIN, 1, Wire.bytes(2, 1)), Wire.data(0, 1, Wire.bytes(5, 1)));
        assertThat(recorders.get(0).events).containsExactly("data:2", "fin", "reset:PROTOCOL_VIOLATION");
        assertThat(Wire.written(ch)).extracting(Frame::flags).containsExactly(ACK, RST);
        assertThat(session.isOpen()).isTrue();
    }

    @Test
    void listenerSetLaterGetsWhatArrivedBefore() {
        YamuxStream[] held = new YamuxStream[1];
        session = new YamuxSession(false, YamuxConfig.defaults(), s -> {
            held[0] = s;
            return true;
        });
        ch = new EmbeddedChannel(session);
        in(Wire.data(SYN, 1, Wire.bytes(5, 1)), Wire.data(FIN, 1, Wire.bytes(6, 1)));
        Recorder r = new Recorder(true);
        held[0].listener(r);
        assertThat(r.events).containsExactly("data:5", "data:6", "fin");
        assertThatThrownBy(() -> held[0].listener(new Recorder(true))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void acceptorDecliningResetsTheStreamAndFreesItsBacklogSlot() {
        start(false, YamuxConfig.builder().acceptBacklog(1).build());
        acceptAll = false;
        in(Wire.data(SYN, 1, Wire.bytes(5, 1)));
        assertThat(Wire.written(ch)).singleElement().satisfies(f -> assertThat(f.flags()).isEqualTo(RST));
        assertThat(session.streamCount()).isZero();
        acceptAll = true;
        // Unwritable: the ACK cannot leave, so this stream holds the only backlog slot.
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        in(Wire.frame(WU, SYN, 3, 0));
        assertThat(accepted).hasSize(1);
    }

    @Test
    void writesBeyondMaxBufferedOutboundFailWithLimitExceeded() throws Exception {
        start(true, YamuxConfig.builder().maxBufferedOutbound(64 * 1024).build());
        YamuxStream s = session.openStream();
        for (int i = 0; i < 4; i++) {
            s.write(Unpooled.wrappedBuffer(new byte[64 * 1024]));
        }
        // 256 KiB went out within the window; the queue is empty again.
        CompletableFuture<Void> fits = s.write(Unpooled.wrappedBuffer(new byte[64 * 1024]));
        CompletableFuture<Void> over = s.write(Unpooled.wrappedBuffer(new byte[1]));
        assertThatThrownBy(() -> over.get()).cause().satisfies(
                e -> assertThat(((TransportException) e).kind()).isEqualTo(Kind.LIMIT_EXCEEDED));
        assertThat(fits).isNotDone();
        Wire.written(ch);
        in(Wire.frame(WU, ACK, 1, 64 * 1024));
        Wire.written(ch);
        fits.get(1, TimeUnit.SECONDS);
    }

    @Test
    void outboundStreamsBeyondMaxStreamsFail() {
        start(true, YamuxConfig.builder().maxStreams(2).build());
        session.openStream();
        YamuxStream second = session.openStream();
        assertThatThrownBy(session::openStream).satisfies(
                e -> assertThat(((TransportException) e).kind()).isEqualTo(Kind.LIMIT_EXCEEDED));
        second.reset();
        assertThat(session.openStream().id()).isEqualTo(5);
    }

    @Test
    void writeFuturesFailWhenTheSessionDies() throws ExecutionException, InterruptedException {
        start(true, YamuxConfig.defaults());
        YamuxStream s = session.openStream();
        s.write(Unpooled.wrappedBuffer(new byte[256 * 1024]));
        CompletableFuture<Void> waiting = s.write(Unpooled.wrappedBuffer(new byte[10]));
        Wire.written(ch);
        ch.close();
        assertThatThrownBy(waiting::get).cause().satisfies(
                e -> assertThat(((TransportException) e).kind()).isEqualTo(Kind.CLOSED_BY_PEER));
    }
}
