package io.guardian.pool.reliability;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Checks what an echo listener sent back for an intact frame stream (PROTOCOL.md section 4): only
 * DATA, PONG and CLOSE frames; the DATA payloads in order, as a prefix of the DATA sent before the
 * first CLOSE (the listener may close before every reply is out); each PONG carrying the 8 bytes
 * of a PING that was sent.
 */
final class EchoCheck {

    private static final int DATA = 0;
    private static final int PING = 1;
    private static final int PONG = 2;
    private static final int CLOSE = 3;

    private EchoCheck() {
    }

    /** @return {@code null} if the answer is right, else what is wrong */
    static String check(byte[] sent, byte[] received) {
        List<byte[]> expectedData = new ArrayList<>();
        List<byte[]> pings = new ArrayList<>();
        for (int[] f : parse(sent)) {
            byte[] payload = Arrays.copyOfRange(sent, f[1], f[1] + f[2]);
            if (f[0] == CLOSE) {
                break;
            }
            if (f[0] == DATA) {
                expectedData.add(payload);
            } else if (f[0] == PING) {
                pings.add(payload);
            }
        }
        int data = 0;
        for (int[] f : parse(received)) {
            byte[] payload = Arrays.copyOfRange(received, f[1], f[1] + f[2]);
            switch (f[0]) {
                case DATA:
                    if (data >= expectedData.size() || !Arrays.equals(payload, expectedData.get(data))) {
                        return "DATA reply " + data + " is not the echo of DATA " + data + " sent";
                    }
                    data++;
                    break;
                case PONG:
                    if (pings.stream().noneMatch(p -> Arrays.equals(p, payload))) {
                        return "a PONG carried bytes no PING had";
                    }
                    break;
                case CLOSE:
                    break;
                default:
                    return "the listener sent a frame of type " + f[0];
            }
        }
        return null;
    }

    /** Complete frames as {type, payload offset, payload length}; a trailing partial frame is ignored. */
    private static List<int[]> parse(byte[] bytes) {
        List<int[]> frames = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(bytes);
        while (in.remaining() >= 5) {
            long length = Integer.toUnsignedLong(in.getInt(in.position()));
            if (length == 0 || length > in.remaining() - 4) {
                break;
            }
            int type = in.get(in.position() + 4) & 0xff;
            frames.add(new int[] {type, in.position() + 5, (int) length - 1});
            in.position(in.position() + 4 + (int) length);
        }
        return frames;
    }
}
