package io.guardian.pool.internal.transport;

import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The dialer's side of the handshake (PROTOCOL.md sections 2 and 3) as a state machine on the event
 * loop: HELLO, then HELLO-ACK checked (protocol, PeerId, skew, N), then for 1.1 AUTH-D signed off
 * the loop and AUTH-L checked (key is the dialed PeerId's, signature verified off the loop), then
 * {@code HANDSHAKE_OK} both ways. Every wait for the listener has the read deadline
 * {@link ProtocolConfig#handshakeTimeout()}; the caller bounds the whole setup separately.
 *
 * <p>Bytes that arrive while it is our turn to speak are a protocol error (MALFORMED): a correct
 * listener cannot have produced them yet. The only bytes accepted early are those after the
 * listener's final {@code HANDSHAKE_OK}, which are frames and go to the frame decoder. Not API.
 *
 * <p>Every failure is a {@link TransportException} whose message names the protocol, the peer and
 * the address: a broken rule carries the {@link Kind} of its {@link HandshakeCodec.Violation}
 * ({@code PROTOCOL_REFUSED}, {@code IDENTITY_MISMATCH}, {@code CLOCK_SKEW}, {@code PROTOCOL_VIOLATION},
 * {@code BAD_SIGNATURE}); a listener that goes quiet is {@link Kind#HANDSHAKE_TIMED_OUT}, one that
 * hangs up {@link Kind#CLOSED_BY_PEER}. The pool turns these into its public exceptions.
 */
final class DialerHandshake extends HandshakeHandler {

    /** Receives the outcome exactly once, on the event loop. */
    interface Outcome {
        void succeeded(NettyFramedConnection connection);

        void failed(TransportException failure);
    }

    private enum State { AWAIT_ACK, SIGNING, AWAIT_AUTH, VERIFYING, AWAIT_OK }

    private final PeerIdentity local;
    private final ProtocolConfig config;
    private final Clock clock;
    private final SecureRandom random;
    private final PeerId peer;
    private final Multiaddr address;
    private final Outcome outcome;
    private final ProtocolVersion version;
    private State state = State.AWAIT_ACK;
    private byte[] hello;
    private byte[] helloAck;
    private byte[] authD;
    private long helloSentAt;
    private long rttNanos;

    DialerHandshake(PeerIdentity local, ProtocolConfig config, Clock clock, SecureRandom random, Executor offload,
            PeerId peer, Multiaddr address, Outcome outcome) {
        super(offload);
        this.local = local;
        this.config = config;
        this.clock = clock;
        this.random = random;
        this.peer = peer;
        this.address = address;
        this.outcome = outcome;
        this.version = config.version();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        byte[] nonce = null;
        if (version == ProtocolVersion.V1_1) {
            nonce = new byte[HandshakeCodec.NONCE_LENGTH];
            random.nextBytes(nonce);
        }
        hello = HandshakeCodec.hello(version, peer, clock.instant().getEpochSecond(), nonce);
        armDeadline(config.handshakeTimeout().toNanos());
        helloSentAt = System.nanoTime();
        ctx.writeAndFlush(Unpooled.wrappedBuffer(hello), ctx.voidPromise());
        super.channelActive(ctx);
    }

    @Override
    void step(ByteBuf in) throws HandshakeCodec.Violation {
        switch (state) {
            case AWAIT_ACK:
                readAck(in);
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

    private void readAck(ByteBuf in) throws HandshakeCodec.Violation {
        if (in.readableBytes() < 2) {
            return;
        }
        int n = in.getUnsignedShort(in.readerIndex());
        if (n < 1 || n > HandshakeCodec.MAX_ACK_LENGTH) {
            throw new HandshakeCodec.Violation(Kind.PROTOCOL_VIOLATION, "HELLO-ACK length " + n + " outside 1.."
                    + HandshakeCodec.MAX_ACK_LENGTH);
        }
        if (in.readableBytes() < 2 + n) {
            return;
        }
        rttNanos = System.nanoTime() - helloSentAt;
        helloAck = new byte[2 + n];
        in.readBytes(helloAck);
        HandshakeCodec.parseHelloAck(helloAck, version, peer, clock.instant().getEpochSecond(),
                config.maxClockSkew());
        if (in.isReadable()) {
            throw outOfTurn(in);
        }
        disarmDeadline();
        if (version == ProtocolVersion.V1_0) {
            confirm();
            return;
        }
        state = State.SIGNING;
        byte[] transcript = HandshakeCodec.dialerTranscript(hello, helloAck);
        offload(() -> local.sign(transcript), signature -> {
            authD = HandshakeCodec.auth(local.publicKeyProtobuf(), signature);
            state = State.AWAIT_AUTH;
            armDeadline(config.handshakeTimeout().toNanos());
            context().writeAndFlush(Unpooled.wrappedBuffer(authD), context().voidPromise());
        });
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
        HandshakeCodec.Auth authL = HandshakeCodec.parseAuth(message);
        PeerId keyOwner;
        try {
            keyOwner = PeerId.fromPublicKey(authL.publicKeyProtobuf());
        } catch (IllegalArgumentException e) {
            throw new HandshakeCodec.Violation(Kind.PROTOCOL_VIOLATION, "AUTH-L key is not a valid libp2p key: "
                    + e.getMessage());
        }
        if (!keyOwner.equals(peer)) {
            throw new HandshakeCodec.Violation(Kind.IDENTITY_MISMATCH, "listener authenticated as " + keyOwner
                    + ", not as the dialed PeerId (impersonation or wrong address)");
        }
        disarmDeadline();
        state = State.VERIFYING;
        byte[] transcript = HandshakeCodec.listenerTranscript(hello, helloAck, authD);
        offload(() -> verify(authL, transcript), valid -> {
            if (valid) {
                confirm();
            } else {
                violated(new HandshakeCodec.Violation(Kind.BAD_SIGNATURE,
                        "AUTH-L signature does not verify over this session's transcript"));
            }
        });
    }

    /** A key that decodes to no curve point cannot have signed anything: a bad signature, not a crash. */
    static boolean verify(HandshakeCodec.Auth auth, byte[] transcript) {
        try {
            return PeerIdentity.verify(auth.publicKeyProtobuf(), transcript, auth.signature());
        } catch (RuntimeException invalidKey) {
            return false;
        }
    }

    private void confirm() {
        state = State.AWAIT_OK;
        armDeadline(config.handshakeTimeout().toNanos());
        context().writeAndFlush(Unpooled.wrappedBuffer(HandshakeCodec.CONFIRMATION), context().voidPromise());
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
        if (!finish()) {
            return;
        }
        ChannelHandlerContext ctx = context();
        NettyFramedConnection connection = new NettyFramedConnection(ctx.channel(), peer, address, version,
                rttNanos, config.maxFrameSize(), config.pingAnswersPerSecond());
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.addAfter(ctx.name(), "frames", new FrameDecoder(config.maxFrameSize()));
        pipeline.addAfter("frames", "connection", connection);
        // Removing this decoder passes bytes already received after HANDSHAKE_OK to "frames".
        pipeline.remove(this);
        outcome.succeeded(connection);
    }

    private HandshakeCodec.Violation outOfTurn(ByteBuf in) {
        return new HandshakeCodec.Violation(Kind.PROTOCOL_VIOLATION, in.readableBytes()
                + " unexpected byte(s) from the listener while waiting to send our next message");
    }

    @Override
    void violated(HandshakeCodec.Violation violation) {
        fail(new TransportException(violation.kind(), describe() + violation.getMessage()));
    }

    @Override
    void ended(Throwable cause) {
        if (cause == null || cause instanceof IOException) {
            String detail = cause == null ? "the listener closed the connection"
                    : "connection lost: " + cause.getMessage();
            fail(new TransportException(Kind.CLOSED_BY_PEER, describe() + detail + " (" + stateName() + ")",
                    cause));
        } else {
            fail(new TransportException(Kind.CLOSED_LOCALLY, describe() + "unexpected local error while "
                    + stateName(), cause));
        }
    }

    @Override
    void timedOut() {
        fail(new TransportException(Kind.HANDSHAKE_TIMED_OUT, describe() + "no answer within handshake-timeout "
                + config.handshakeTimeout().toMillis() + " ms (" + stateName() + ")"));
    }

    @Override
    void overloaded(RejectedExecutionException cause) {
        fail(new TransportException(Kind.LIMIT_EXCEEDED, describe() + "too many handshakes in progress in this JVM "
                + "(the Ed25519 offload queue is full); retry later", cause));
    }

    private void fail(TransportException failure) {
        if (finish()) {
            context().close();
            outcome.failed(failure);
        }
    }

    private String stateName() {
        switch (state) {
            case AWAIT_ACK:
                return "waiting for HELLO-ACK";
            case AWAIT_AUTH:
                return "waiting for AUTH-L";
            case AWAIT_OK:
                return "waiting for HANDSHAKE_OK";
            case SIGNING:
                return "signing AUTH-D";
            default:
                return "verifying AUTH-L";
        }
    }

    private String describe() {
        return version.wireName() + " handshake with " + peer + " at " + address + " failed: ";
    }
}
