package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Two EmbeddedChannels, an initiator and a responder, each with a Noise handshake handler named
 * "noise" and an exception recorder behind it, and a pump that moves bytes between them.
 */
final class NoisePair {

    final EmbeddedChannel initiator = new EmbeddedChannel();
    final EmbeddedChannel responder = new EmbeddedChannel();
    final CompletableFuture<NoiseSecured> initiatorResult = new CompletableFuture<>();
    final CompletableFuture<NoiseSecured> responderResult = new CompletableFuture<>();
    final Recorder initiatorTail = new Recorder();
    final Recorder responderTail = new Recorder();

    /** Records what reaches the end of a pipeline, so nothing is "unhandled". */
    static final class Recorder extends ChannelInboundHandlerAdapter {
        final List<Throwable> exceptions = new ArrayList<>();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exceptions.add(cause);
        }
    }

    static Supplier<LocalStatic> of(PeerIdentity identity) {
        return () -> LocalStatic.of(identity);
    }

    static Supplier<LocalStatic> of(NoiseSigner signer) {
        LocalStatic fixed = LocalStatic.create(signer, X25519.generatePrivate());
        return () -> fixed;
    }

    NoisePair(Supplier<LocalStatic> initiatorKey, PeerId expected, List<String> initiatorMuxers,
            Supplier<LocalStatic> responderKey, PeerId responderExpects, List<String> responderMuxers,
            Executor crypto) {
        this(initiatorKey, expected, initiatorMuxers, responderKey, responderExpects, responderMuxers, crypto, crypto);
    }

    NoisePair(Supplier<LocalStatic> initiatorKey, PeerId expected, List<String> initiatorMuxers,
            Supplier<LocalStatic> responderKey, PeerId responderExpects, List<String> responderMuxers,
            Executor initiatorCrypto, Executor responderCrypto) {
        // The responder first, so message 1 (sent when the initiator's handler is added) has a reader.
        responder.pipeline().addLast("noise", new NoiseHandshakeHandler(false, responderKey, responderExpects,
                responderMuxers, responderCrypto, responderResult));
        responder.pipeline().addLast("tail", responderTail);
        initiator.pipeline().addLast("noise", new NoiseHandshakeHandler(true, initiatorKey, expected,
                initiatorMuxers, initiatorCrypto, initiatorResult));
        initiator.pipeline().addLast("tail", initiatorTail);
    }

    static NoisePair inline(PeerIdentity a, PeerId expected, List<String> aMuxers, PeerIdentity b, List<String> bMuxers) {
        return new NoisePair(of(a), expected, aMuxers, of(b), null, bMuxers, Runnable::run);
    }

    /** Moves bytes both ways until neither side has anything more to send. */
    void pump() {
        boolean moved = true;
        while (moved) {
            moved = move(initiator, responder) | move(responder, initiator);
            initiator.runPendingTasks();
            responder.runPendingTasks();
        }
    }

    static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        ByteBuf b;
        while ((b = from.readOutbound()) != null) {
            moved = true;
            if (to.isOpen()) {
                to.writeInbound(b);
            } else {
                b.release();
            }
        }
        return moved;
    }

    static TransportException failure(CompletableFuture<?> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof TransportException) {
                return (TransportException) e.getCause();
            }
            throw new AssertionError("not a TransportException", e.getCause());
        }
        throw new AssertionError("the handshake succeeded");
    }

    void close() {
        initiator.finishAndReleaseAll();
        responder.finishAndReleaseAll();
    }
}
