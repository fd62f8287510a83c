package io.guardian.pool.internal.libp2p.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Timeout;

@ExtendWith(LeakWatch.NoneAfterAll.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NoiseHandshakeHandlerTest {

    private static final String YAMUX = "/yamux/1.0.0";
    private static final String MPLEX = "/mplex/6.7.0";
    private static final PeerIdentity A = PeerIdentity.generate();
    private static final PeerIdentity B = PeerIdentity.generate();

    @Test
    void handshakeAgreesOnTheInitiatorsFirstCommonMuxerAndReplacesItselfWithTheCodec() {
        NoisePair p = NoisePair.inline(A, B.peerId(), List.of(YAMUX, MPLEX), B, List.of(MPLEX, YAMUX));
        p.pump();
        NoiseSecured i = p.initiatorResult.join();
        NoiseSecured r = p.responderResult.join();
        assertThat(i.remotePeer()).isEqualTo(B.peerId());
        assertThat(i.remotePublicKey()).isEqualTo(B.publicKeyProtobuf());
        assertThat(r.remotePeer()).isEqualTo(A.peerId());
        assertThat(i.muxer()).isEqualTo(YAMUX);
        assertThat(r.muxer()).isEqualTo(YAMUX);
        assertThat(p.initiator.pipeline().get("noise")).isInstanceOf(NoiseTransportCodec.class);
        assertThat(p.responder.pipeline().get("noise")).isInstanceOf(NoiseTransportCodec.class);
        assertThat(p.initiator.pipeline().names().indexOf("noise")).isLessThan(p.initiator.pipeline().names()
                .indexOf("tail"));

        p.initiator.writeAndFlush(text("hello"));
        p.responder.writeAndFlush(text("world"));
        p.pump();
        assertThat(readText(p.responder)).isEqualTo("hello");
        assertThat(readText(p.initiator)).isEqualTo("world");
        assertThat(p.initiatorTail.exceptions).isEmpty();
        assertThat(p.responderTail.exceptions).isEmpty();
        p.close();
    }

    @Test
    void wireFollowsTheLibp2pFramingWithAnEmptyFirstPayload() {
        NoisePair p = NoisePair.inline(A, null, List.of(), B, List.of());
        ByteBuf msg1 = p.initiator.readOutbound();
        assertThat(msg1.readableBytes()).isEqualTo(2 + 32);
        assertThat(msg1.getUnsignedShort(0)).isEqualTo(32);
        p.responder.writeInbound(msg1);
        ByteBuf msg2 = p.responder.readOutbound();
        // e (32) + encrypted s (48) + encrypted payload: Ed25519 key protobuf (36 + 2), sig (64 + 2), tag 16.
        assertThat(msg2.getUnsignedShort(0)).isEqualTo(32 + 48 + 38 + 66 + 16).isEqualTo(msg2.readableBytes() - 2);
        p.initiator.writeInbound(msg2);
        p.pump();
        assertThat(p.initiatorResult.join().muxer()).isNull();
        assertThat(p.responderResult.join().muxer()).isNull();
        p.close();
    }

    @Test
    void aMissingListOnEitherSideLeavesTheMuxerToMultistream() {
        for (boolean initiatorHasList : new boolean[] {true, false}) {
            NoisePair p = NoisePair.inline(A, null, initiatorHasList ? List.of(YAMUX) : List.of(), B,
                    initiatorHasList ? List.of() : List.of(YAMUX));
            p.pump();
            assertThat(p.initiatorResult.join().muxer()).isNull();
            assertThat(p.responderResult.join().muxer()).isNull();
            p.close();
        }
    }

    @Test
    void disjointMuxerListsFailTheHandshakeAndCloseTheChannel() {
        NoisePair p = NoisePair.inline(A, null, List.of(YAMUX), B, List.of(MPLEX));
        p.pump();
        TransportException e = NoisePair.failure(p.initiatorResult);
        assertThat(e.kind()).isEqualTo(Kind.PROTOCOL_REFUSED);
        assertThat(e.getMessage()).contains(YAMUX, MPLEX);
        assertThat(p.initiator.isOpen()).isFalse();
        p.responder.close();
        assertThat(NoisePair.failure(p.responderResult).kind()).isEqualTo(Kind.CLOSED_LOCALLY);
        p.close();
    }

    @Test
    void aRemoteOtherThanTheExpectedPeerIsAnIdentityMismatchNamingBoth() {
        PeerId someoneElse = PeerIdentity.generate().peerId();
        NoisePair p = NoisePair.inline(A, someoneElse, List.of(), B, List.of());
        p.pump();
        TransportException e = NoisePair.failure(p.initiatorResult);
        assertThat(e.kind()).isEqualTo(Kind.IDENTITY_MISMATCH);
        assertThat(e.getMessage()).contains(someoneElse.toString(), B.peerId().toString());
        assertThat(p.initiator.isOpen()).isFalse();
        p.close();

        NoisePair q = new NoisePair(NoisePair.of(A), null, List.of(), NoisePair.of(B), someoneElse, List.of(),
                Runnable::run);
        q.pump();
        assertThat(NoisePair.failure(q.responderResult).kind()).isEqualTo(Kind.IDENTITY_MISMATCH);
        q.close();
    }

    @Test
    void aCorruptedByteInAnyHandshakeMessageFailsTheHandshake() {
        for (int message = 1; message <= 3; message++) {
            for (int offset : new int[] {2, 20, 40, -1}) {
                NoisePair p = NoisePair.inline(A, null, List.of(), B, List.of());
                EmbeddedChannel[] senders = {p.initiator, p.responder, p.initiator};
                for (int m = 1; m <= 3; m++) {
                    EmbeddedChannel from = senders[m - 1];
                    EmbeddedChannel to = from == p.initiator ? p.responder : p.initiator;
                    ByteBuf frame = from.readOutbound();
                    if (frame == null) {
                        break;
                    }
                    if (m == message) {
                        int at = offset < 0 ? frame.writerIndex() - 1 : Math.min(offset, frame.writerIndex() - 1);
                        frame.setByte(at, frame.getByte(at) ^ 0x40);
                    }
                    to.writeInbound(frame);
                }
                // Message 1 has no MAC: a corrupted ephemeral key shows when message 2 fails to
                // decrypt at the initiator. Later messages fail where they are read.
                TransportException e = NoisePair.failure(message == 2 || message == 1 ? p.initiatorResult
                        : p.responderResult);
                assertThat(e.kind()).as("message %d offset %d", message, offset)
                        .isIn(Kind.PROTOCOL_VIOLATION, Kind.BAD_SIGNATURE);
                p.close();
            }
        }
    }

    @Test
    void aSignatureOverTheWrongStaticKeyIsRefused() {
        NoiseSigner liar = TestSigners.tampered(NoiseSigner.of(B), data -> {
            byte[] changed = data.clone();
            changed[changed.length - 1] ^= 1;
            return changed;
        });
        NoisePair p = new NoisePair(NoisePair.of(A), null, List.of(), NoisePair.of(liar), null, List.of(),
                Runnable::run);
        p.pump();
        TransportException e = NoisePair.failure(p.initiatorResult);
        assertThat(e.kind()).isEqualTo(Kind.BAD_SIGNATURE);
        assertThat(e.getMessage()).contains(B.peerId().toString());
        p.close();
    }

    @Test
    void aSmallOrderEd25519KeyIsRefusedThoughTheJdkWouldAcceptItsForgedSignature() {
        // With the identity point as key, R = identity and S = 0 verify for any message in the JDK.
        byte[] forged = new byte[64];
        forged[0] = 1;
        NoiseSigner identityPoint = TestSigners.fixed("08011220" + "01" + "00".repeat(31), forged);
        NoisePair p = new NoisePair(NoisePair.of(A), null, List.of(), NoisePair.of(identityPoint), null, List.of(),
                Runnable::run);
        p.pump();
        TransportException e = NoisePair.failure(p.initiatorResult);
        assertThat(e.kind()).isEqualTo(Kind.BAD_SIGNATURE);
        assertThat(e.getMessage()).contains("small order");
        p.close();
    }

    @Test
    void rsaAndEcdsaRemoteIdentitiesAreVerifiedAndNamedByTheirPeerIds() throws Exception {
        for (NoiseSigner remote : new NoiseSigner[] {TestSigners.rsa(2048), TestSigners.ecdsaP256()}) {
            NoisePair p = new NoisePair(NoisePair.of(A), PeerId.fromPublicKey(remote.publicKeyProtobuf()),
                    List.of(YAMUX), NoisePair.of(remote), A.peerId(), List.of(YAMUX), Runnable::run);
            p.pump();
            NoiseSecured s = p.initiatorResult.join();
            assertThat(s.remotePeer().toString()).startsWith("Qm");
            assertThat(s.remotePublicKey()).isEqualTo(remote.publicKeyProtobuf());
            assertThat(p.responderResult.join().remotePeer()).isEqualTo(A.peerId());
            p.close();
        }
    }

    @Test
    void rsaKeysBelow2048BitsAreRefused() throws Exception {
        NoisePair p = new NoisePair(NoisePair.of(A), null, List.of(), NoisePair.of(TestSigners.rsa(1024)), null,
                List.of(), Runnable::run);
        p.pump();
        TransportException e = NoisePair.failure(p.initiatorResult);
        assertThat(e.kind()).isEqualTo(Kind.BAD_SIGNATURE);
        assertThat(e.getMessage()).contains("2048");
        p.close();
    }

    @Test
    void secp256k1RemoteIdentitiesAreVerifiedAndNamedByTheirInlinedPeerIds() {
        NoiseSigner remote = TestSigners.secp256k1(2);
        NoisePair p = new NoisePair(NoisePair.of(A), PeerId.fromPublicKey(remote.publicKeyProtobuf()), List.of(YAMUX),
                NoisePair.of(remote), A.peerId(), List.of(YAMUX), Runnable::run);
        p.pump();
        NoiseSecured s = p.initiatorResult.join();
        assertThat(s.remotePeer().toString()).startsWith("16Uiu2");
        assertThat(s.remotePublicKey()).isEqualTo(remote.publicKeyProtobuf());
        assertThat(p.responderResult.join().remotePeer()).isEqualTo(A.peerId());
        p.close();
    }

    @Test
    void aSecp256k1SignatureOverOtherBytesIsABadSignature() {
        // peerid.tsv, the peer-ids spec's secp256k1 key, with a signature that is not DER at all...
        String key = "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99";
        NoisePair p = new NoisePair(NoisePair.of(A), null, List.of(), NoisePair.of(TestSigners.fixed(key,
                new byte[70])), null, List.of(), Runnable::run);
        p.pump();
        TransportException e = NoisePair.failure(p.initiatorResult);
        assertThat(e.kind()).isEqualTo(Kind.BAD_SIGNATURE);
        assertThat(e.getMessage()).contains("16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY")
                .contains("secp256k1");
        p.close();
        // ...and a well-formed signature by the right key over the wrong bytes.
        NoisePair q = new NoisePair(NoisePair.of(A), null, List.of(), NoisePair.of(TestSigners.tampered(
                TestSigners.secp256k1(3), data -> java.util.Arrays.copyOf(data, data.length + 1))), null, List.of(),
                Runnable::run);
        q.pump();
        assertThat(NoisePair.failure(q.initiatorResult).kind()).isEqualTo(Kind.BAD_SIGNATURE);
        q.close();
    }

    @Test
    void messagesSplitIntoSingleBytesStillComplete() {
        NoisePair p = NoisePair.inline(A, B.peerId(), List.of(YAMUX), B, List.of(YAMUX));
        boolean moved = true;
        while (moved) {
            moved = trickle(p.initiator, p.responder) | trickle(p.responder, p.initiator);
        }
        assertThat(p.initiatorResult.join().muxer()).isEqualTo(YAMUX);
        assertThat(p.responderResult.join().remotePeer()).isEqualTo(A.peerId());
        p.close();
    }

    @Test
    void aTruncatedMessageThenCloseIsClosedByPeer() {
        NoisePair p = NoisePair.inline(A, null, List.of(), B, List.of());
        ByteBuf msg1 = p.initiator.readOutbound();
        p.responder.writeInbound(msg1.readRetainedSlice(20));
        msg1.release();
        assertThat(p.responderResult).isNotDone();
        p.responder.pipeline().fireChannelInactive();
        assertThat(NoisePair.failure(p.responderResult).kind()).isEqualTo(Kind.CLOSED_BY_PEER);
        assertThat(p.responder.isOpen()).isFalse();
        p.close();
    }

    @Test
    void anOversizedFirstMessageIsRefusedFromItsLengthAlone() {
        NoisePair p = NoisePair.inline(A, null, List.of(), B, List.of());
        ((ByteBuf) p.initiator.readOutbound()).release();
        p.responder.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xff, (byte) 0xff}));
        TransportException e = NoisePair.failure(p.responderResult);
        assertThat(e.kind()).isEqualTo(Kind.PROTOCOL_VIOLATION);
        assertThat(e.getMessage()).contains("65535");
        assertThat(p.responder.isOpen()).isFalse();
        p.close();
    }

    @Test
    void closingEitherSideMidHandshakeFailsItsFuture() {
        NoisePair p = NoisePair.inline(A, null, List.of(), B, List.of());
        p.initiator.close();
        assertThat(NoisePair.failure(p.initiatorResult).kind()).isEqualTo(Kind.CLOSED_LOCALLY);
        p.responder.pipeline().fireChannelInactive();
        assertThat(NoisePair.failure(p.responderResult).kind()).isEqualTo(Kind.CLOSED_BY_PEER);
        p.close();
    }

    @Test
    void writesBeforeTheHandshakeCompletesAreRefusedNotSentInTheClear() {
        NoisePair p = NoisePair.inline(A, null, List.of(), B, List.of());
        ((ByteBuf) p.initiator.readOutbound()).release();
        assertThatThrownBy(() -> p.initiator.writeOutbound(text("secret"))).isInstanceOf(IllegalStateException.class);
        assertThat((Object) p.initiator.readOutbound()).isNull();
        p.close();
    }

    @Test
    void transportDataRightBehindMessage3ReachesTheHandlerAddedOnCompletion() {
        NoisePair p = NoisePair.inline(A, null, List.of(YAMUX), B, List.of(YAMUX));
        NoisePair.move(p.initiator, p.responder);
        NoisePair.move(p.responder, p.initiator);
        // The initiator is done and writes at once; message 3 and the data reach the responder in one read.
        p.initiatorResult.join();
        p.initiator.writeAndFlush(text("early"));
        ByteBuf joined = Unpooled.buffer();
        ByteBuf b;
        while ((b = p.initiator.readOutbound()) != null) {
            joined.writeBytes(b);
            b.release();
        }
        StringBuilder upper = new StringBuilder();
        p.responderResult.thenAccept(s -> p.responder.pipeline().addAfter("noise", "upper",
                new io.netty.channel.ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                        upper.append(((ByteBuf) msg).toString(StandardCharsets.UTF_8));
                        ((ByteBuf) msg).release();
                    }
                }));
        p.responder.writeInbound(joined);
        assertThat(upper.toString()).isEqualTo("early");
        p.close();
    }

    @Test
    void cryptoOnAnotherThreadAppliesResultsOnTheEventLoop() throws Exception {
        ExecutorService crypto = Executors.newSingleThreadExecutor();
        try {
            NoisePair p = new NoisePair(NoisePair.of(A), B.peerId(), List.of(YAMUX), NoisePair.of(B), A.peerId(),
                    List.of(YAMUX), crypto);
            Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> {
                p.pump();
                return p.initiatorResult.isDone() && p.responderResult.isDone();
            });
            assertThat(p.initiatorResult.join().muxer()).isEqualTo(YAMUX);
            assertThat(p.responderResult.join().remotePeer()).isEqualTo(A.peerId());
            p.close();
        } finally {
            crypto.shutdownNow();
        }
    }

    /**
     * Prints the CPU cost per side for the report (wall time inside the crypto executor, which
     * runs inline here, so it includes the event-loop work of each step); asserts nothing about time.
     */
    @Test
    void measureHandshakeCostPerSide() {
        long[] spent = new long[2];
        int warmup = 100;
        int rounds = 300;
        for (int i = 0; i < warmup + rounds; i++) {
            boolean counted = i >= warmup;
            NoisePair p = new NoisePair(NoisePair.of(A), B.peerId(), List.of(YAMUX), NoisePair.of(B), A.peerId(),
                    List.of(YAMUX), timed(spent, 0, counted), timed(spent, 1, counted));
            p.pump();
            assertThat(p.initiatorResult.join().muxer()).isEqualTo(YAMUX);
            assertThat(p.responderResult.join().muxer()).isEqualTo(YAMUX);
            p.close();
        }
        System.out.printf("Noise XX handshake per side (mean of %d, static key cached per identity): initiator"
                + " %.2f ms, responder %.2f ms%n", rounds, spent[0] / 1e6 / rounds, spent[1] / 1e6 / rounds);
        assertThat(spent[0]).isPositive();
    }

    private static java.util.concurrent.Executor timed(long[] spent, int side, boolean counted) {
        return r -> {
            long t0 = System.nanoTime();
            r.run();
            if (counted) {
                spent[side] += System.nanoTime() - t0;
            }
        };
    }

    private static boolean trickle(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        ByteBuf b;
        while ((b = from.readOutbound()) != null) {
            moved = true;
            while (b.isReadable()) {
                to.writeInbound(b.readRetainedSlice(1));
            }
            b.release();
        }
        return moved;
    }

    static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    static String readText(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        Object o;
        while ((o = ch.readInbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
