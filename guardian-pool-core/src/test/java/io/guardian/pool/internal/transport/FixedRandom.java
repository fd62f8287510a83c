package io.guardian.pool.internal.transport;

import java.security.SecureRandom;
import java.util.Arrays;

/** A "random" source that fills every request with one byte value: fixed nonces for golden tests. */
public final class FixedRandom extends SecureRandom {

    private static final long serialVersionUID = 1L;
    private final byte fill;

    /** @param fill the byte every nonce consists of */
    public FixedRandom(int fill) {
        this.fill = (byte) fill;
    }

    @Override
    public void nextBytes(byte[] bytes) {
        Arrays.fill(bytes, fill);
    }
}
