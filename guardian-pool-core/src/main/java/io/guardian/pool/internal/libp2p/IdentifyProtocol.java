package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.peer.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /ipfs/id/1.0.0} (libp2p/specs identify/README.md): the side that opens the stream sends
 * nothing; the other writes one length-prefixed {@code Identify} message and closes. Both sides run
 * on the event loop without blocking. Not API.
 *
 * <p>The answer is read to the remote's FIN, at most {@value IdentifyInfo#MAX_BYTES} bytes in all
 * (go-libp2p may split it into two messages, which are merged), and its public key must be the
 * one Noise authenticated, or the answer is refused as a lie.
 */
final class IdentifyProtocol {

    private IdentifyProtocol() {
    }

    /** Answers: our identify message, then FIN. */
    static void serve(StreamChannel stream, IdentifyInfo ours) {
        byte[] message = ours.encode();
        ByteBuf out = Unpooled.buffer(LengthPrefixed.lengthOfLength(message.length) + message.length);
        LengthPrefixed.write(out, message, 0, message.length);
        stream.writeFromLoop(out);
        stream.close();
    }

    /** Asks the remote who it is. */
    static CompletableFuture<IdentifyInfo> request(Libp2pConnection connection, Duration timeout) {
        PeerId remote = connection.remotePeer();
        return connection.<IdentifyInfo>exchange(IdentifyInfo.PROTOCOL, timeout, "identify of " + remote,
                (stream, result) -> stream.closeWrite(), (stream, result) -> {
                    int available = stream.available();
                    if (available > IdentifyInfo.MAX_BYTES) {
                        throw new TransportException(Kind.LIMIT_EXCEEDED, "identify answer of " + remote
                                + " is larger than " + IdentifyInfo.MAX_BYTES + " bytes");
                    }
                    if (stream.remoteClosed()) {
                        result.complete(parse(stream.poll(available), remote));
                    }
                });
    }

    static IdentifyInfo parse(byte[] bytes, PeerId remote) {
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        IdentifyInfo info = null;
        try {
            while (in.isReadable()) {
                ByteBuf message = LengthPrefixed.read(in, IdentifyInfo.MAX_BYTES, "identify message");
                if (message == null) {
                    throw new TransportException(Kind.PROTOCOL_VIOLATION, "identify answer of " + remote
                            + " ends inside a message");
                }
                byte[] raw = new byte[message.readableBytes()];
                message.readBytes(raw).release();
                info = IdentifyInfo.decode(raw, info);
            }
        } catch (IllegalArgumentException e) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, "identify answer of " + remote + ": "
                    + e.getMessage(), e);
        }
        if (info == null) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, "identify answer of " + remote + " is empty");
        }
        byte[] key = info.publicKey();
        if (key.length > 0) {
            PeerId claimed;
            try {
                claimed = PeerId.fromPublicKey(key);
            } catch (IllegalArgumentException e) {
                throw new TransportException(Kind.PROTOCOL_VIOLATION, "identify answer of " + remote
                        + " carries an unreadable public key: " + e.getMessage(), e);
            }
            if (!claimed.equals(remote)) {
                throw new TransportException(Kind.IDENTITY_MISMATCH, "identify answer of " + remote
                        + " carries the key of " + claimed);
            }
        }
        return info;
    }
}
