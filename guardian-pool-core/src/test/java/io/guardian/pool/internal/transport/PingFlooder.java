package io.guardian.pool.internal.transport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A hostile guardian-db listener's script for the flood tests: it completes an honest 1.1
 * handshake as listener A of {@link TestKeys}, then writes PINGs as fast as the dialer takes them
 * and never reads again.
 */
public final class PingFlooder {

    /** One PING frame: u32 length 9, type 0x01, u64 payload. */
    public static final int PING_BYTES = 4 + 1 + 8;

    private PingFlooder() {
    }

    /** @return {@code count} PING frames back to back */
    public static byte[] pings(int count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            out.writeBytes(SpecWire.frame(0x01, SpecWire.u64(i)));
        }
        return out.toByteArray();
    }

    /**
     * @param stop set to end the flood
     * @param written counts the bytes the flood wrote
     * @return the script: handshake, then PINGs in chunks of 1,000 until {@code stop} or the dialer closes
     */
    public static RawServer.Script script(AtomicBoolean stop, AtomicLong written) {
        byte[] chunk = pings(1_000);
        return (socket, in, out) -> {
            RawHandshake.listen11(in, out);
            try {
                while (!stop.get()) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
            } catch (IOException closed) {
                // The dialer gave up on us (write stall), or the test ended.
            }
        };
    }
}
