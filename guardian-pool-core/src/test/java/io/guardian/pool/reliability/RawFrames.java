package io.guardian.pool.reliability;

import io.guardian.pool.internal.transport.SpecWire;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;

/** Reading PROTOCOL.md section 4 frames on a raw socket, for hostile peers that answer selectively. */
final class RawFrames {

    static final int DATA = 0;
    static final int PING = 1;
    static final int PONG = 2;
    static final int CLOSE = 3;

    /** One frame: its type and payload. */
    record Frame(int type, byte[] payload) {
    }

    private RawFrames() {
    }

    /**
     * Reads the next frame.
     *
     * @return the frame, or {@code null} when the other side closed (EOF or reset)
     */
    static Frame next(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        try {
            long length = Integer.toUnsignedLong(data.readInt());
            if (length == 0 || length > (1 << 20) + 1) {
                throw new IOException("the dialer sent a frame of length " + length);
            }
            int type = data.readUnsignedByte();
            byte[] payload = SpecWire.read(in, (int) length - 1);
            return new Frame(type, payload);
        } catch (EOFException | SocketException closed) {
            return null;
        }
    }
}
