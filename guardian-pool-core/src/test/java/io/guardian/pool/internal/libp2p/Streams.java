package io.guardian.pool.internal.libp2p;

import io.guardian.pool.net.P2pStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;

/** What the libp2p tests do with a stream: echo it, or read it to the end. */
public final class Streams {

    private static final Duration T = Duration.ofSeconds(30);

    private Streams() {
    }

    /** A raw echo handler: copies every byte back until the remote half-closes, then half-closes. */
    public static void echo(P2pStream stream) {
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = stream.read(buf, 0, buf.length, T)) >= 0) {
            stream.write(Arrays.copyOf(buf, n));
        }
        stream.closeWrite();
    }

    /** @return every byte the remote sends until it half-closes */
    public static byte[] readAll(P2pStream stream) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = stream.read(buf, 0, buf.length, T)) >= 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }
}
