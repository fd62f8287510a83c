package io.guardian.pool.internal.transport;

import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The listener's side of the handshake (PROTOCOL.md sections 2 and 3): checks HELLO (protocol,
 * target PeerId, skew) as its bytes arrive, answers HELLO-ACK, then for 1.1 checks AUTH-D (Ed25519
 * key, allow-list, signature; verification and our own signature run off the loop), applies the
 * per-peer cap and answers AUTH-L; finally takes the dialer's {@code HANDSHAKE_OK} and answers its
 * own. Any failure closes the socket without a word: a stranger learns nothing about why.
 *
 * <p>No oracle: HELLO is judged whole (see {@link HandshakeCodec#scanHello}), and every rejection
 * of a message the dialer sent (wrong protocol, foreign target PeerId, clock skew, malformed AUTH,
 * a key off the allow-list, a bad signature) closes the socket {@value #REJECT_DELAY_MILLIS} ms
 * after that message arrived, not sooner: the cheap checks and the signature check then look the
 * same from outside, in bytes (none) and in time. The delay is longer than a verification takes
 * (about 1.5 ms); only when the verification queue is so backed up that it takes longer does a
 * bad signature close later. Reading stops meanwhile, and the pending-handshake slot is given back
 * at once.
 *
 * <p>One deadline ({@code handshake-timeout}) bounds the whole handshake, not each read, so a
 * dialer trickling one byte at a time cannot hold a pending-handshake slot for longer. Bytes that
 * arrive while it is our turn to speak are a protocol error, including frames sent before our
 * {@code HANDSHAKE_OK}. Not API.
 */
final class ListenerHandshake extends HandshakeHandler {

    private enum State { AWAIT_HELLO, AWAIT_AUTH, CRYPTO, AWAIT_OK }

    /** How long after the judged message a rejection closes the socket; see the class comment. */
    static final long REJECT_DELAY_MILLIS = 20;

    private final ListenerEngine engine;
    private final PeerId self;
    private State state = State.AWAIT_HELLO;
    private ProtocolVersion version;
    private byte[] hello;
    private byte[] helloAck;
    private PeerId dialer;
    /** When the bytes being judged arrived: rejections close {@link #REJECT_DELAY_MILLIS} after it. */
    private long judgedFrom;

    ListenerHandshake(ListenerEngine engine) {
        super(engine.offload());
        this.engine = engine;
        this.self = engine.settings().identity().peerId();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        armDeadline(engine.settings().protocol().handshakeTimeout().toNanos());
        super.channelActive(ctx);
    }

    @Override
    void step(ByteBuf in) throws HandshakeCodec.Violation {
        judgedFrom = System.nanoTime();
        switch (state) {
            case AWAIT_HELLO:
                readHello(in);
                break;
            case AWAIT_AUTH:
                readAuth(in);
                break;
            case AWAIT_OK:
                readOk(in);
                break;
            default:
                throw outOfTurn(in);
        }
    }

    private void readHello(ByteBuf in) throws HandshakeCodec.Violation {
        ListenerSettings settings = engine.settings();
        HandshakeCodec.Hello parsed = HandshakeCodec.scanHello(in.nioBuffer(in.readerIndex(), in.readableBytes()),
                self, engine.plainAllowed(), settings.clock().instant().getEpochSecond(),
                settings.protocol().maxClockSkew());
        if (parsed == null) {
            return;
        }
        in.skipBytes(parsed.bytes().length);
        if (in.isReadable()) {
            throw outOfTurn(in);
        }
        version = parsed.version();
        hello = parsed.bytes();
        byte[] nonce = null;
        if (version == ProtocolVersion.V1_1) {
            nonce = new byte[HandshakeCodec.NONCE_LENGTH];
            settings.random().nextBytes(nonce);
        }
        helloAck = HandshakeCodec.helloAck(version, self, settings.clock().instant().getEpochSecond(), nonce);
        state = version == ProtocolVersion.V1_1 ? State.AWAIT_AUTH : State.AWAIT_OK;
        context().writeAndFlush(Unpooled.wrappedBuffer(helloAck), context().voidPromise());
    }

    private void readAuth(ByteBuf in) throws HandshakeCodec.Violation {
        if (in.readableBytes() < 2) {
            return;
        }
        HandshakeCodec.checkAuthLength(in.getUnsignedShort(in.readerIndex()));
        if (in.readableBytes() < 2 + HandshakeCodec.AUTH_LENGTH) {
            return;
        }
        byte[] message = new byte[2 + HandshakeCodec.AUTH_LENGTH];
        in.readBytes(message);
        if (in.isReadable()) {
            throw outOfTurn(in);
        }
        HandshakeCodec.Auth authD = HandshakeCodec.parseAuth(message);
        try {
            dialer = PeerId.fromPublicKey(authD.publicKeyProtobuf());
        } catch (IllegalArgumentException e) {
            throw new HandshakeCodec.Violation(Kind.PROTOCOL_VIOLATION, "AUTH-D key is not a valid libp2p key: "
                    + e.getMessage());
        }
        // The allow-list before the (costly) signature check: rejecting either way says nothing more.
        if (!engine.allowed(dialer)) {
            throw new HandshakeCodec.Violation(Kind.IDENTITY_MISMATCH, "dialer " + dialer
                    + " is not on the allow-list");
        }
        state = State.CRYPTO;
        byte[] dialerTranscript = HandshakeCodec.dialerTranscript(hello, helloAck);
        byte[] listenerTranscript = HandshakeCodec.listenerTranscript(hello, helloAck, message);
        // Verify and sign in one off-loop task: one hop instead of two on the common, valid path.
        offload(() -> DialerHandshake.verify(authD, dialerTranscript)
                ? engine.settings().identity().sign(listenerTranscript) : null, signature -> {
                    if (signature == null) {
                        violated(new HandshakeCodec.Violation(Kind.BAD_SIGNATURE, "AUTH-D signature of " + dialer
                                + " does not verify over this session's transcript"));
                    } else if (!engine.reservePeer(dialer, context().channel())) {
                        violated(new HandshakeCodec.Violation(Kind.LIMIT_EXCEEDED, "dialer " + dialer
                                + " already holds max-inbound-per-peer connections"));
                    } else {
                        state = State.AWAIT_OK;
                        byte[] authL = HandshakeCodec.auth(engine.settings().identity().publicKeyProtobuf(),
                                signature);
                        context().writeAndFlush(Unpooled.wrappedBuffer(authL), context().voidPromise());
                    }
                });
    }

    private void readOk(ByteBuf in) throws HandshakeCodec.Violation {
        int length = HandshakeCodec.CONFIRMATION.length;
        if (in.readableBytes() < length) {
            return;
        }
        byte[] confirmation = new byte[length];
        in.readBytes(confirmation);
        if (!Arrays.equals(confirmation, HandshakeCodec.CONFIRMATION)) {
            throw new HandshakeCodec.Violation(Kind.PROTOCOL_VIOLATION, "expected HANDSHAKE_OK, got "
                    + HandshakeCodec.printable(java.nio.ByteBuffer.wrap(confirmation), 0, length));
        }
        if (in.isReadable()) {
            throw outOfTurn(in);
        }
        if (!finish()) {
            return;
        }
        ChannelHandlerContext ctx = context();
        engine.handshakeEnded(ctx.channel(), null);
        // Register the session before confirming: once the dialer has our HANDSHAKE_OK it may act
        // (and a close() of the listener may run), and the session must already be visible.
        engine.established(ctx, this, version, dialer);
        ctx.channel().writeAndFlush(Unpooled.wrappedBuffer(HandshakeCodec.CONFIRMATION));
    }

    private HandshakeCodec.Violation outOfTurn(ByteBuf in) {
        return new HandshakeCodec.Violation(Kind.PROTOCOL_VIOLATION, in.readableBytes()
                + " unexpected byte(s) from the dialer before our answer");
    }

    @Override
    void violated(HandshakeCodec.Violation violation) {
        fail(violation.kind(), violation.getMessage(), null);
        // A message was judged and refused: close at the same time after it, whatever the reason.
        long wait = judgedFrom + TimeUnit.MILLISECONDS.toNanos(REJECT_DELAY_MILLIS) - System.nanoTime();
        Channel channel = context().channel();
        if (wait <= 0 || !channel.isActive()) {
            channel.close();
        } else {
            channel.config().setAutoRead(false);
            context().executor().schedule(() -> channel.close(), wait, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    void ended(Throwable cause) {
        if (cause == null || cause instanceof IOException) {
            failNow(Kind.CLOSED_BY_PEER, cause == null ? "dialer closed the connection" : cause.getMessage(), null);
        } else {
            failNow(Kind.CLOSED_LOCALLY, "unexpected local error", cause);
        }
    }

    /** No byte within {@code first-byte-timeout} (see {@link ProtocolSniffer}). */
    void firstByteLate() {
        if (finished()) {
            return;
        }
        engine.firstByteTimedOut(context().channel());
        failNow(Kind.HANDSHAKE_TIMED_OUT, "no byte within first-byte-timeout", null);
    }

    @Override
    void timedOut() {
        failNow(Kind.HANDSHAKE_TIMED_OUT, "handshake not complete within handshake-timeout", null);
    }

    @Override
    void overloaded(RejectedExecutionException cause) {
        failNow(Kind.LIMIT_EXCEEDED, "signature verification queue full (max-queued-verifications)", null);
    }

    /** Ends the handshake as failed and counts it; the caller closes the socket (at once or later). */
    private void fail(Kind kind, String detail, Throwable cause) {
        if (finish()) {
            // Count before closing: whoever sees the close may look at the counters at once.
            engine.handshakeEnded(context().channel(), kind);
            engine.logRejected(context().channel(), kind, detail, cause);
        }
    }

    private void failNow(Kind kind, String detail, Throwable cause) {
        fail(kind, detail, cause);
        context().close();
    }
}
