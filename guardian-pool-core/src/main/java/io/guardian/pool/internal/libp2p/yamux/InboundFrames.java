package io.guardian.pool.internal.libp2p.yamux;

import static io.guardian.pool.internal.libp2p.yamux.YamuxFrames.FLAG_ACK;
import static io.guardian.pool.internal.libp2p.yamux.YamuxFrames.FLAG_RST;
import static io.guardian.pool.internal.libp2p.yamux.YamuxFrames.FLAG_SYN;

import io.guardian.pool.internal.transport.PingAnswerBudget;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies decoded frames to a {@link YamuxSession}: opens inbound streams, routes Data and
 * WindowUpdates, answers Pings, records GoAway. Confined to the event loop. Not API.
 *
 * <p>Decisions where the spec is silent, each following a reference implementation:
 * <ul>
 *   <li>Frames for unknown streams (already closed or reset here, or never opened) are ignored and
 *       a Data payload is skipped without buffering, as go-yamux does ("likely we sent a RST",
 *       session.go {@code handleStreamMessage} drains it with {@code io.CopyN(io.Discard, ...)}).
 *   <li>Data or WindowUpdate on stream 0 is a protocol error (js-libp2p-yamux: "Invalid frame
 *       type"); Ping and GoAway ignore their stream id (go-yamux never reads it).
 *   <li>A SYN on an id of our own parity, or on id 0, is a protocol error (go, js: "both endpoints
 *       are clients"; rust: "invalid stream id"); a SYN for a live id is one too (go
 *       {@code ErrDuplicateStream}, rust "stream already exists").
 *   <li>Refused SYNs (after our GoAway, past maxStreams or the accept backlog, or declined by the
 *       acceptor) get WindowUpdate|RST with length 0, as go and js send them.
 *   <li>A Ping with SYN is answered with ACK and the same value; with ACK it completes our ping;
 *       with neither it is ignored (go treats anything without SYN as a response). Beyond
 *       {@link YamuxConfig#pingAnswersPerSecond()} (after a burst of 32) a Ping is dropped
 *       unanswered, as go-yamux drops a reply when its {@code PingBacklog} is full.
 * </ul>
 */
final class InboundFrames implements YamuxDecoder.Sink {

    private static final Logger LOG = LoggerFactory.getLogger(InboundFrames.class);

    private final YamuxSession session;
    /** A remote flooding Pings gets {@code pingAnswersPerSecond} ACKs, not one each. */
    private final PingAnswerBudget pingAnswers;

    InboundFrames(YamuxSession session) {
        this.session = session;
        this.pingAnswers = new PingAnswerBudget(session.config().pingAnswersPerSecond());
    }

    @Override
    public boolean dataHeader(int flags, int streamId, long length) {
        YamuxStream stream = route(YamuxFrames.TYPE_DATA, flags, streamId, length);
        if (stream == null || (flags & FLAG_RST) != 0) {
            // The payload is of no use: unknown stream, refused stream, or one being reset.
            return false;
        }
        return stream.admitData(length);
    }

    @Override
    public void data(int flags, int streamId, ByteBuf payload) {
        YamuxStream stream = session.streams().get(streamId);
        if (stream == null) {
            // Reset by this side between the header and the payload.
            payload.release();
            return;
        }
        stream.onData(payload);
        stream.onFlags(flags, 0);
    }

    @Override
    public void dataSkipped(int flags, int streamId) {
        YamuxStream stream = session.streams().get(streamId);
        if (stream != null) {
            stream.onFlags(flags, 0);
        }
    }

    @Override
    public void windowUpdate(int flags, int streamId, long delta) {
        YamuxStream stream = route(YamuxFrames.TYPE_WINDOW_UPDATE, flags, streamId, delta);
        if (stream != null) {
            stream.onFlags(flags, delta);
        }
    }

    @Override
    public void ping(int flags, long opaque) {
        if ((flags & FLAG_SYN) != 0) {
            if (!pingAnswers.tryAnswer()) {
                LOG.debug("Not answering a yamux Ping: over pingAnswersPerSecond ({} dropped so far)",
                        pingAnswers.dropped());
                return;
            }
            session.writeControl(YamuxFrames.header(session.alloc(), YamuxFrames.TYPE_PING, FLAG_ACK, 0, opaque),
                    true);
        } else if ((flags & FLAG_ACK) != 0) {
            session.pings().onAck(opaque);
        }
    }

    @Override
    public void goAway(long code) {
        session.remoteGoAway(code);
    }

    @Override
    public boolean paused() {
        return session.readPaused();
    }

    /** Opens the stream a SYN asks for, then finds the frame's stream; {@code null} when unknown. */
    private YamuxStream route(int type, int flags, int streamId, long length) {
        if (streamId == 0) {
            throw violation("stream frame on stream 0", type, flags, streamId, length);
        }
        if ((flags & FLAG_SYN) != 0) {
            openInbound(type, flags, streamId, length);
        }
        YamuxStream stream = session.streams().get(streamId);
        if (stream == null && LOG.isTraceEnabled()) {
            LOG.trace("yamux frame for unknown stream ignored: {}",
                    YamuxFrames.describe(type, flags, streamId, length));
        }
        return stream;
    }

    private void openInbound(int type, int flags, int streamId, long length) {
        boolean remoteParity = session.client() == ((streamId & 1) == 0);
        if (!remoteParity) {
            throw violation("SYN for a stream id of this side's parity", type, flags, streamId, length);
        }
        if (session.streams().get(streamId) != null) {
            throw violation("SYN for a stream that is already open", type, flags, streamId, length);
        }
        String refusal = null;
        if (session.goAwaySent()) {
            refusal = "this side sent GoAway";
        } else if (session.streams().inbound() >= session.config().maxStreams()) {
            refusal = "maxStreams (" + session.config().maxStreams() + ") inbound streams open";
        } else if (session.streams().unacked() >= session.config().acceptBacklog()) {
            refusal = "acceptBacklog (" + session.config().acceptBacklog() + ") streams not yet acknowledged";
        }
        if (refusal == null) {
            YamuxStream stream = new YamuxStream(session, streamId, false, session.config());
            session.streams().add(stream);
            boolean accepted;
            try {
                accepted = session.acceptor().accept(stream);
            } catch (RuntimeException e) {
                LOG.debug("yamux acceptor threw for {}; refusing it", stream, e);
                accepted = false;
            }
            if (accepted) {
                stream.accepted();
                return;
            }
            refusal = "the acceptor declined it";
            stream.terminate(new TransportException(Kind.CLOSED_LOCALLY, stream + " refused"), false, false);
        }
        LOG.debug("yamux stream {} refused: {}", Integer.toUnsignedLong(streamId), refusal);
        session.writeControl(YamuxFrames.header(session.alloc(), YamuxFrames.TYPE_WINDOW_UPDATE, FLAG_RST, streamId,
                0), true);
    }

    private static TransportException violation(String what, int type, int flags, int streamId, long length) {
        return new TransportException(Kind.PROTOCOL_VIOLATION, what + ": "
                + YamuxFrames.describe(type, flags, streamId, length));
    }
}
