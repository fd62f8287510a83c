package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.Unpooled;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /ipfs/ping/1.0.0} (libp2p/specs ping/ping.md): the dialer sends 32 random bytes, the
 * listener echoes them, both on one stream. Both sides run on the event loop without blocking.
 * Not API.
 */
final class PingProtocol {

    /** The protocol id. */
    static final String PROTOCOL = "/ipfs/ping/1.0.0";
    static final int SIZE = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private PingProtocol() {
    }

    /** Answers: echoes every 32 bytes as they arrive until the remote closes. */
    static void serve(StreamChannel stream) {
        stream.onChange(() -> {
            try {
                byte[] chunk;
                while ((chunk = stream.poll(SIZE)) != null) {
                    stream.writeFromLoop(Unpooled.wrappedBuffer(chunk));
                }
                if (stream.remoteClosed()) {
                    stream.close();
                }
            } catch (RuntimeException e) {
                // The stream failed; it is already reset and released.
            }
        });
    }

    /**
     * Pings once on a new stream.
     *
     * @return the round trip in nanoseconds; fails with a {@link TransportException}
     */
    static CompletableFuture<Long> ping(Libp2pConnection connection, Duration timeout) {
        byte[] payload = new byte[SIZE];
        RANDOM.nextBytes(payload);
        long[] started = new long[1];
        return connection.<Long>exchange(PROTOCOL, timeout, "ping to " + connection.remotePeer(), (stream, result) -> {
            started[0] = System.nanoTime();
            stream.writeAsync(Unpooled.wrappedBuffer(payload.clone())).whenComplete((ok, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                }
            });
        }, (stream, result) -> {
            byte[] echo = stream.poll(SIZE);
            if (echo != null) {
                long rtt = System.nanoTime() - started[0];
                if (!Arrays.equals(echo, payload)) {
                    throw new TransportException(Kind.PROTOCOL_VIOLATION, connection.remotePeer()
                            + " answered a ping with other bytes");
                }
                result.complete(rtt);
            } else if (stream.remoteClosed()) {
                throw new TransportException(Kind.CLOSED_BY_PEER, connection.remotePeer()
                        + " closed the ping stream without answering");
            }
        });
    }
}
