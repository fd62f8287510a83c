package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the libp2p Noise XX handshake on a channel once multistream-select has agreed on
 * {@code /noise}, then replaces itself with a {@link NoiseTransportCodec}. Not API.
 *
 * <p>Threads: Netty calls it on the channel's event loop; the X25519, signing and verification
 * work runs on the {@code crypto} executor ({@code Runnable::run} runs it inline), one step at
 * a time since XX is lockstep, and its result is applied back on the event loop. Bytes that
 * arrive meanwhile are kept, up to {@link #MAX_PENDING}.
 *
 * <p>Outcome, always on the event loop: on success the codec takes this handler's name and
 * place, {@code result} completes with a {@link NoiseSecured}, and only then are bytes that
 * followed the last handshake message in the same read (the initiator may send transport data
 * right behind message 3) passed to the codec. A dependent stage registered on {@code result}
 * before completion runs synchronously inside {@code complete}, so it can add the muxer behind
 * the codec before those bytes are decoded. On failure {@code result} completes exceptionally
 * with a {@link TransportException} and the channel is closed. No timer: the caller bounds the
 * whole upgrade; closing the channel fails the future.
 */
public final class NoiseHandshakeHandler extends ChannelDuplexHandler {

    /** Largest first message accepted: the 32-byte ephemeral key and a payload libp2p leaves empty. */
    static final int MAX_MESSAGE_1 = 32 + 1024;
    /** When the message awaiting the remote's answer went out (event loop), or 0. */
    private long awaitingSince;
    /** That message's round trip, once the answer arrived (event loop; read by the step after). */
    private volatile long rttNanos;

    /** Bytes kept while a step computes, beyond which the peer is flooding a handshake. */
    static final int MAX_PENDING = 1 << 20;
    /** Bound on the local muxer list, as on the remote's. */
    private static final int MAX_LOCAL_MUXERS = NoisePayload.MAX_MUXERS;
    private static final byte[] EMPTY = new byte[0];
    private static final Logger LOG = LoggerFactory.getLogger(NoiseHandshakeHandler.class);

    private final boolean initiator;
    private final Supplier<LocalStatic> localStatic;
    private final PeerId expectedRemote;
    private final List<String> localMuxers;
    private final Executor crypto;
    private final CompletableFuture<NoiseSecured> result;

    private ChannelHandlerContext ctx;
    /** Inbound bytes not yet consumed; null when none. */
    private ByteBuf pending;
    private boolean started;
    private boolean busy;
    private boolean processing;
    /** Set once the outcome is decided (success, failure or removal): nothing more happens. */
    private boolean terminal;
    /** Handshake messages read so far (initiator: 0 or 1; responder: 0 to 2). */
    private int read;
    /** Owned by whichever thread runs the current step; steps are ordered by the executor hand-offs. */
    private HandshakeState state;
    private LocalStatic local;

    /**
     * @param initiator whether this side dialed (it sends message 1)
     * @param local this node's identity
     * @param expectedRemote the PeerId the remote must prove, or {@code null} to accept anyone
     * @param localMuxers muxers offered inside the handshake, preferred first (e.g.
     *     {@code ["/yamux/1.0.0"]}); empty to negotiate one afterwards
     * @param crypto where DH, signing and verification run; {@code Runnable::run} runs them inline
     * @param result completed on the event loop with the outcome
     */
    public NoiseHandshakeHandler(boolean initiator, PeerIdentity local, PeerId expectedRemote,
            List<String> localMuxers, Executor crypto, CompletableFuture<NoiseSecured> result) {
        this(initiator, cachedStatic(local), expectedRemote, localMuxers, crypto, result);
    }

    /** For tests: any signer (RSA, ECDSA) and a given static key source. */
    NoiseHandshakeHandler(boolean initiator, Supplier<LocalStatic> localStatic, PeerId expectedRemote,
            List<String> localMuxers, Executor crypto, CompletableFuture<NoiseSecured> result) {
        this.initiator = initiator;
        this.localStatic = Objects.requireNonNull(localStatic, "local identity");
        this.expectedRemote = expectedRemote;
        this.localMuxers = List.copyOf(localMuxers);
        if (this.localMuxers.size() > MAX_LOCAL_MUXERS || this.localMuxers.stream()
                .anyMatch(m -> m.isEmpty() || m.getBytes(StandardCharsets.UTF_8).length > NoisePayload.MAX_MUXER_LENGTH)) {
            throw new IllegalArgumentException("at most " + MAX_LOCAL_MUXERS + " muxers of 1 to "
                    + NoisePayload.MAX_MUXER_LENGTH + " bytes each, got " + this.localMuxers);
        }
        this.crypto = Objects.requireNonNull(crypto, "crypto executor");
        this.result = Objects.requireNonNull(result, "result");
    }

    private static Supplier<LocalStatic> cachedStatic(PeerIdentity local) {
        Objects.requireNonNull(local, "local identity");
        return () -> LocalStatic.of(local);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (initiator && ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
        if (initiator) {
            start();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (terminal) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof ByteBuf)) {
            ReferenceCountUtil.release(msg);
            fail(new TransportException(Kind.PROTOCOL_VIOLATION, "unexpected " + msg.getClass().getName()
                    + " during the Noise handshake"));
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        try {
            if (pending == null) {
                pending = ctx.alloc().heapBuffer(Math.max(in.readableBytes(), 256));
            }
            if (pending.readableBytes() + in.readableBytes() > MAX_PENDING) {
                fail(new TransportException(Kind.LIMIT_EXCEEDED, "more than " + MAX_PENDING
                        + " bytes arrived before the Noise handshake could consume them"));
                return;
            }
            pending.writeBytes(in);
        } finally {
            in.release();
        }
        process();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(new TransportException(Kind.CLOSED_BY_PEER, "the connection closed during the Noise handshake"));
        ctx.fireChannelInactive();
    }

    /** Handshake failures are ours to report through {@code result}; nothing travels further. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TransportException) {
            fail((TransportException) cause);
        } else if (cause instanceof IOException) {
            fail(new TransportException(Kind.CLOSED_BY_PEER, "the connection failed during the Noise handshake: "
                    + cause.getMessage(), cause));
        } else {
            fail(new TransportException(Kind.PROTOCOL_VIOLATION, "the Noise handshake failed: " + cause, cause));
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        fail(new TransportException(Kind.CLOSED_LOCALLY, "the connection was closed locally during the Noise"
                + " handshake"));
        ctx.close(promise);
    }

    /** Nothing may leave in the clear before the transport keys exist. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ReferenceCountUtil.release(msg);
        promise.setFailure(new IllegalStateException("cannot write before the Noise handshake has completed"));
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (!terminal) {
            terminal = true;
            result.completeExceptionally(new TransportException(Kind.CLOSED_LOCALLY,
                    "the Noise handshake handler was removed before the handshake completed"));
        }
        releasePending();
    }

    private void start() {
        if (started || terminal) {
            return;
        }
        started = true;
        compute(() -> {
            local = localStatic.get();
            state = new HandshakeState(true, EMPTY, local.privateKey(), local.publicKey(), null);
            return HandshakeStep.send(state.writeMessage(EMPTY));
        });
    }

    /** Starts the next step if a whole message is buffered and none is computing. */
    private void process() {
        if (processing) {
            return;
        }
        processing = true;
        try {
            while (!busy && !terminal && awaitingMessage() && pending != null && pending.readableBytes() >= 2) {
                int length = pending.getUnsignedShort(pending.readerIndex());
                int max = !initiator && read == 0 ? MAX_MESSAGE_1 : NoiseTransportCodec.MAX_MESSAGE;
                if (length > max) {
                    fail(new TransportException(Kind.PROTOCOL_VIOLATION, "Noise handshake message " + messageNumber()
                            + " announces " + length + " bytes, more than the " + max + " it may have"));
                    return;
                }
                if (pending.readableBytes() < 2 + length) {
                    return;
                }
                pending.skipBytes(2);
                if (awaitingSince != 0) {
                    rttNanos = System.nanoTime() - awaitingSince;
                    awaitingSince = 0;
                }
                byte[] message = new byte[length];
                pending.readBytes(message);
                read++;
                compute(stepFor(message));
            }
        } finally {
            processing = false;
        }
    }

    private boolean awaitingMessage() {
        // The initiator reads message 2 once message 1 is out; the responder reads 1, then 3.
        return initiator ? started && read == 0 : read < 2;
    }

    private int messageNumber() {
        return initiator ? 2 : read == 0 ? 1 : 3;
    }

    private Callable<HandshakeStep> stepFor(byte[] message) {
        if (!initiator && read == 1) {
            return () -> {
                local = localStatic.get();
                state = new HandshakeState(false, EMPTY, local.privateKey(), local.publicKey(), null);
                state.readMessage(message, 0, message.length);
                return HandshakeStep.send(state.writeMessage(payload()));
            };
        }
        if (initiator) {
            return () -> {
                RemoteIdentity.Verified remote = verified(state.readMessage(message, 0, message.length));
                String muxer = chooseMuxer(localMuxers, remote.muxers());
                byte[] out = state.writeMessage(payload());
                return HandshakeStep.done(out, new NoiseSecured(remote.peerId(), remote.identityKey(), muxer, rttNanos), state.split());
            };
        }
        return () -> {
            RemoteIdentity.Verified remote = verified(state.readMessage(message, 0, message.length));
            String muxer = chooseMuxer(remote.muxers(), localMuxers);
            return HandshakeStep.done(null, new NoiseSecured(remote.peerId(), remote.identityKey(), muxer, rttNanos), state.split());
        };
    }

    private byte[] payload() {
        return new NoisePayload(local.identityKey(), local.signature(), List.of(), localMuxers).encode();
    }

    private RemoteIdentity.Verified verified(byte[] payload) {
        RemoteIdentity.Verified remote = RemoteIdentity.verify(payload, state.remoteStaticPublic());
        if (expectedRemote != null && !expectedRemote.equals(remote.peerId())) {
            throw new TransportException(Kind.IDENTITY_MISMATCH, "expected peer " + expectedRemote
                    + " but the remote proved it is " + remote.peerId());
        }
        return remote;
    }

    /**
     * The first of the initiator's muxers that the responder offered; null when either sent no
     * list (negotiate after the handshake).
     */
    static String chooseMuxer(List<String> initiatorMuxers, List<String> responderMuxers) {
        if (initiatorMuxers.isEmpty() || responderMuxers.isEmpty()) {
            return null;
        }
        for (String muxer : initiatorMuxers) {
            if (responderMuxers.contains(muxer)) {
                return muxer;
            }
        }
        throw new TransportException(Kind.PROTOCOL_REFUSED, "no stream muxer in common: the initiator offered "
                + initiatorMuxers + ", the responder " + responderMuxers);
    }

    private void compute(Callable<HandshakeStep> work) {
        busy = true;
        EventExecutor loop = ctx.executor();
        try {
            crypto.execute(() -> {
                HandshakeStep step;
                try {
                    step = work.call();
                } catch (TransportException e) {
                    step = HandshakeStep.failed(e);
                } catch (Exception | Error e) {
                    step = HandshakeStep.failed(new TransportException(Kind.PROTOCOL_VIOLATION, "the Noise handshake failed: "
                            + e, e));
                }
                HandshakeStep done = step;
                if (loop.inEventLoop()) {
                    apply(done);
                } else {
                    try {
                        loop.execute(() -> apply(done));
                    } catch (RejectedExecutionException e) {
                        // The event loop is shutting down; the channel goes with it.
                        LOG.debug("Noise handshake step dropped: the event loop is shut down");
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            busy = false;
            fail(new TransportException(Kind.CLOSED_LOCALLY, "the crypto executor refused the Noise handshake work",
                    e));
        }
    }

    private void apply(HandshakeStep step) {
        if (terminal) {
            return;
        }
        busy = false;
        if (step.failure != null) {
            fail(step.failure);
            return;
        }
        if (step.out != null) {
            ByteBuf frame = ctx.alloc().buffer(2 + step.out.length);
            frame.writeShort(step.out.length).writeBytes(step.out);
            if (step.secured == null) {
                awaitingSince = System.nanoTime(); // the remote answers this one: a round trip starts
            }
            ctx.writeAndFlush(frame).addListener(f -> {
                if (!f.isSuccess()) {
                    fail(new TransportException(Kind.CLOSED_BY_PEER, "could not send a Noise handshake message: "
                            + f.cause(), f.cause()));
                }
            });
        }
        if (step.secured != null) {
            finish(step);
        } else {
            process();
        }
    }

    private void finish(HandshakeStep step) {
        terminal = true;
        ByteBuf leftover = pending;
        pending = null;
        NoiseTransportCodec codec = new NoiseTransportCodec(step.ciphers[0], step.ciphers[1]);
        ctx.pipeline().replace(this, ctx.name(), codec);
        LOG.debug("Noise handshake with {} complete, muxer {}", step.secured.remotePeer(), step.secured.muxer());
        result.complete(step.secured);
        ChannelHandlerContext codecCtx = ctx.pipeline().context(codec);
        if (leftover == null || !leftover.isReadable() || codecCtx == null) {
            ReferenceCountUtil.release(leftover);
            return;
        }
        try {
            codec.channelRead(codecCtx, leftover);
            codec.channelReadComplete(codecCtx);
        } catch (Exception e) {
            codecCtx.fireExceptionCaught(e);
        }
    }

    private void fail(TransportException e) {
        if (terminal) {
            return;
        }
        terminal = true;
        releasePending();
        LOG.debug("Noise handshake on {} failed: {}", ctx.channel(), e.getMessage());
        result.completeExceptionally(e);
        ctx.close();
    }

    private void releasePending() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
