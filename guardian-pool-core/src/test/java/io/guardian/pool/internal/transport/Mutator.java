package io.guardian.pool.internal.transport;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;

/** Seeded mutations of wire messages: bit flips, byte changes, cuts, insertions, boundary lengths. */
public final class Mutator {

    private static final long[] BOUNDARIES = {0, 1, 2, 15, 16, 99, 100, 101, 1023, 1024, 1025, 0x7fff, 0xffff,
        0x7fff_ffffL, 0xffff_ffffL, 9, 8, 10};

    private final Random random;

    public Mutator(Random random) {
        this.random = random;
    }

    /** Applies one to three random mutations. */
    public byte[] mutate(byte[] input) {
        byte[] out = input;
        int count = 1 + random.nextInt(3);
        for (int i = 0; i < count; i++) {
            out = mutateOnce(out);
        }
        return out;
    }

    private byte[] mutateOnce(byte[] in) {
        if (in.length == 0) {
            return randomBytes(1 + random.nextInt(16));
        }
        byte[] out = in.clone();
        int at = random.nextInt(in.length);
        switch (random.nextInt(7)) {
            case 0:
                out[at] ^= (byte) (1 << random.nextInt(8));
                return out;
            case 1:
                out[at] = (byte) random.nextInt(256);
                return out;
            case 2:
                return Arrays.copyOf(in, at);
            case 3:
                return Bytes.concat(Arrays.copyOf(in, at), randomBytes(1 + random.nextInt(8)),
                        Arrays.copyOfRange(in, at, in.length));
            case 4:
                return Bytes.concat(Arrays.copyOf(in, at),
                        Arrays.copyOfRange(in, Math.min(in.length, at + 1 + random.nextInt(8)), in.length));
            case 5:
                return Bytes.concat(in, Arrays.copyOfRange(in, at, Math.min(in.length, at + 1 + random.nextInt(32))));
            default:
                long boundary = BOUNDARIES[random.nextInt(BOUNDARIES.length)];
                int width = random.nextBoolean() ? 2 : 4;
                for (int i = 0; i < width && at + i < out.length; i++) {
                    out[at + i] = (byte) (boundary >>> (8 * (width - 1 - i)));
                }
                return out;
        }
    }

    public byte[] randomBytes(int length) {
        byte[] out = new byte[length];
        random.nextBytes(out);
        return out;
    }

    /** A plausible frame stream: 1-6 valid DATA, PING, PONG or CLOSE frames. */
    public byte[] frames() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = 1 + random.nextInt(6);
        for (int i = 0; i < count; i++) {
            int type = random.nextInt(10) < 6 ? 0 : 1 + random.nextInt(3);
            byte[] payload = type == 1 || type == 2 ? randomBytes(8)
                    : type == 3 ? SpecWire.ascii("bye " + i) : randomBytes(random.nextInt(64));
            out.writeBytes(SpecWire.frame(type, payload));
        }
        return out.toByteArray();
    }

    public boolean chance(double probability) {
        return random.nextDouble() < probability;
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }
}
