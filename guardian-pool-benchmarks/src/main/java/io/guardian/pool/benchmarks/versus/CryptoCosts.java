package io.guardian.pool.benchmarks.versus;

import io.guardian.pool.benchmarks.libp2p.CryptoFloorBenchmark;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The crypto floor of the libp2p comparison, timed in the same JVM invocation as the handshakes
 * and transfers it is compared with: {@link CryptoFloorBenchmark}'s operations called in a plain
 * timed loop (warm-up, then as many calls as fit in the measuring time, mean per call). Not API.
 */
final class CryptoCosts {

    private CryptoCosts() {
    }

    /** One operation of {@link CryptoFloorBenchmark}. */
    @FunctionalInterface
    private interface Call {
        Object call() throws Exception;
    }

    /**
     * @param warmupNanos warm-up per operation
     * @param measureNanos measuring time per operation
     * @return {@code x25519GenerateUs}, {@code x25519DhUs}, {@code signUs}, {@code verifyUs} (mean µs
     *     per call of the curve code the stack runs, Bouncy Castle's), {@code handshakeSideUs} (one
     *     Noise XX side: a key generation, three DHs and a verify; our static key and its signature
     *     are made once per identity), the same five with the prefix {@code jdk} for the JDK's
     *     providers,
     *     {@code chachaPolyEncDec4MiBMs} and {@code chachaPolyMBps} (one pass, encrypt or decrypt,
     *     on one core: 4 MiB over half the encrypt-then-decrypt time)
     * @throws Exception if the JDK lacks one of the algorithms
     */
    static ObjectNode measure(long warmupNanos, long measureNanos) throws Exception {
        CryptoFloorBenchmark floor = new CryptoFloorBenchmark();
        floor.setUp();
        double generate = meanMicros(floor::x25519Generate, warmupNanos, measureNanos);
        double dh = meanMicros(floor::x25519Dh, warmupNanos, measureNanos);
        double sign = meanMicros(floor::sign, warmupNanos, measureNanos);
        double verify = meanMicros(floor::verify, warmupNanos, measureNanos);
        double jdkGenerate = meanMicros(floor::jdkX25519Generate, warmupNanos, measureNanos);
        double jdkDh = meanMicros(floor::jdkX25519Dh, warmupNanos, measureNanos);
        double jdkSign = meanMicros(floor::jdkSign, warmupNanos, measureNanos);
        double jdkVerify = meanMicros(floor::jdkVerify, warmupNanos, measureNanos);
        double chacha = meanMicros(floor::chachaPoly4MiB, warmupNanos, measureNanos);
        double bytes = 4.0 * 1024 * 1024;
        return JsonMapper.builder().build().createObjectNode()
                .put("x25519GenerateUs", generate)
                .put("x25519DhUs", dh)
                .put("signUs", sign)
                .put("verifyUs", verify)
                .put("handshakeSideUs", generate + 3 * dh + verify)
                .put("jdkX25519GenerateUs", jdkGenerate)
                .put("jdkX25519DhUs", jdkDh)
                .put("jdkSignUs", jdkSign)
                .put("jdkVerifyUs", jdkVerify)
                .put("jdkHandshakeSideUs", jdkGenerate + 3 * jdkDh + jdkVerify)
                .put("chachaPolyEncDec4MiBMs", chacha / 1e3)
                // bytes per microsecond is MB/s
                .put("chachaPolyMBps", bytes / (chacha / 2));
    }

    private static double meanMicros(Call call, long warmupNanos, long measureNanos) throws Exception {
        Object sink = null;
        long end = System.nanoTime() + warmupNanos;
        while (System.nanoTime() < end) {
            sink = call.call();
        }
        long calls = 0;
        long start = System.nanoTime();
        end = start + measureNanos;
        long now;
        do {
            sink = call.call();
            calls++;
            now = System.nanoTime();
        } while (now < end);
        if (sink == null) {
            throw new IllegalStateException("a crypto operation returned nothing");
        }
        return (now - start) / 1e3 / calls;
    }
}
