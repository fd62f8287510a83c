package io.guardian.pool.benchmarks.endtoend;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Helpers shared by the end-to-end benchmarks. Not API. */
final class EndToEnd {

    private EndToEnd() {
    }

    /**
     * A request payload of the given size with a recognisable, non-zero pattern, so a reply that
     * is not the echo would be noticed when checking by hand.
     */
    static byte[] message(int size) {
        byte[] message = new byte[size];
        for (int i = 0; i < size; i++) {
            message[i] = (byte) ('a' + i % 26);
        }
        return message;
    }

    /** Reads exactly {@code into.length} bytes or fails: a short echo would void the measurement. */
    static void readFully(InputStream in, byte[] into) throws IOException {
        int read = in.readNBytes(into, 0, into.length);
        if (read != into.length) {
            throw new EOFException("echo server closed after " + read + " of " + into.length
                    + " bytes; the floor measurement is void, check the server log above");
        }
    }

    /** Fails when a reply is not the echo of the request, so a broken peer cannot look fast. */
    static void checkEcho(byte[] request, byte[] reply) {
        if (!Arrays.equals(request, reply)) {
            throw new IllegalStateException("reply of " + reply.length + " bytes is not the echo of the "
                    + request.length + "-byte request; the peer under test is broken");
        }
    }
}
