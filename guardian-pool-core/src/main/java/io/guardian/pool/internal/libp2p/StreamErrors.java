package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.net.StreamException;
import io.guardian.pool.peer.PeerId;

/** How a stream's transport failures reach its callers: as {@link StreamException}s. Not API. */
final class StreamErrors {

    private StreamErrors() {
    }

    /**
     * Maps a transport failure to the public exception, naming the stream unless the message
     * names its peer already.
     *
     * @param e the failure
     * @param remote the stream's peer
     * @param stream the stream, described for the message
     * @return the exception to throw
     */
    static StreamException toPublic(TransportException e, PeerId remote, String stream) {
        StreamException.Reason reason = switch (e.kind()) {
            case TIMED_OUT -> StreamException.Reason.TIMED_OUT;
            case RESET -> StreamException.Reason.RESET;
            case PROTOCOL_REFUSED -> StreamException.Reason.PROTOCOL_REFUSED;
            case PROTOCOL_VIOLATION, BAD_SIGNATURE, IDENTITY_MISMATCH, UNSUPPORTED_KEY ->
                    StreamException.Reason.PROTOCOL_VIOLATION;
            case LIMIT_EXCEEDED -> StreamException.Reason.LIMIT_EXCEEDED;
            default -> StreamException.Reason.CLOSED;
        };
        String message = e.getMessage();
        return new StreamException(reason, message.contains(remote.toString()) ? message : message + " (" + stream + ")", e);
    }
}
