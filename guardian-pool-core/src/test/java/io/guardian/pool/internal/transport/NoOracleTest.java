package io.guardian.pool.internal.transport;

import static io.guardian.pool.internal.transport.Bytes.hex;
import static io.guardian.pool.internal.transport.RawHandshake.ACK_11_LENGTH;
import static io.guardian.pool.internal.transport.RawHandshake.authD;
import static io.guardian.pool.internal.transport.RawHandshake.hello11;
import static io.guardian.pool.internal.transport.RawHandshake.nonce;
import static io.guardian.pool.internal.transport.RawHandshake.now;
import static io.guardian.pool.internal.transport.SpecWire.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 15, "the listener reveals its PeerId": a stranger who knows only the listener's address
 * must learn nothing from how and when it is refused. A wrong protocol, a foreign target PeerId, a
 * skewed clock, a key off the allow-list and a bad signature all end in a close without a byte,
 * the same time after the judged message; and a HELLO is never judged before it is whole. The
 * attacker dials from 127.0.0.2.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
@ExtendWith(LeakWatch.NoneAfterAll.class)
class NoOracleTest {

    private static final InetAddress ATTACKER = loopback(2);
    private static final int ROUNDS = 12;
    private static PeerListener listener;

    @BeforeAll
    static void start() {
        TestLogging.quiet();
        // B is allowed, C is not: C's correct signature is refused by the allow-list, B's forged one by the check.
        listener = PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE))
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handler((from, message) -> message)
                .allowedPeers(Set.of(TestKeys.identity(TestKeys.B_PRIVATE).peerId()))
                .start();
    }

    @AfterAll
    static void stop() {
        listener.close();
    }

    /** An attack: writes its messages and returns the last one, after which the close is timed. */
    private interface Attempt {
        byte[] play(InputStream in, OutputStream out) throws IOException;
    }

    @Test
    void everyRefusalClosesWithoutAByteTheSameTimeAfterTheJudgedMessage() throws Exception {
        Map<String, Attempt> attempts = new LinkedHashMap<>();
        attempts.put("unknown protocol", (in, out) -> SpecWire.hello(SpecWire.ascii("guardian-db/2.0"),
                hex(TestKeys.A_PEER_ID), now(), nonce()));
        attempts.put("foreign target PeerId", (in, out) -> SpecWire.hello(SpecWire.V11, hex(TestKeys.B_PEER_ID),
                now(), nonce()));
        attempts.put("clock skew", (in, out) -> hello11(now() - 3600, nonce()));
        attempts.put("key off the allow-list", (in, out) -> {
            byte[] hello = hello11(now(), nonce());
            out.write(hello);
            byte[] ack = read(in, ACK_11_LENGTH);
            return authD(TestKeys.C_PRIVATE, TestKeys.C_PUBLIC, hello, ack);
        });
        attempts.put("bad signature", (in, out) -> {
            byte[] hello = hello11(now(), nonce());
            out.write(hello);
            byte[] ack = read(in, ACK_11_LENGTH);
            byte[] forged = authD(TestKeys.B_PRIVATE, TestKeys.B_PUBLIC, hello, ack);
            forged[forged.length - 1] ^= 1;
            return forged;
        });
        Map<String, List<Long>> micros = new LinkedHashMap<>();
        attempts.keySet().forEach(name -> micros.put(name, new ArrayList<>()));
        long failedBefore = listener.failedHandshakes();
        // Interleaved rounds: whatever else the machine does falls on every kind alike.
        for (int round = 0; round < ROUNDS; round++) {
            for (Map.Entry<String, Attempt> attempt : attempts.entrySet()) {
                micros.get(attempt.getKey()).add(closeAfterMicros(attempt.getValue()));
            }
        }
        long floor = TimeUnit.MILLISECONDS.toMicros(ListenerHandshake.REJECT_DELAY_MILLIS);
        Map<String, Long> medians = new LinkedHashMap<>();
        micros.forEach((name, samples) -> {
            assertThat(samples).as(name + ": no refusal closes before the uniform delay (µs)")
                    .allSatisfy(us -> assertThat(us).isGreaterThanOrEqualTo(floor - 1000));
            medians.put(name, median(samples));
        });
        System.out.println("NoOracleTest median close after the refused message (µs): " + medians);
        long spread = Collections.max(medians.values()) - Collections.min(medians.values());
        assertThat(spread).as("spread of the median close times %s (µs)", medians).isLessThan(5_000);
        assertThat(listener.failedHandshakes() - failedBefore).isEqualTo((long) ROUNDS * attempts.size());
    }

    @Test
    void aHelloIsNeverJudgedBeforeItIsWholeSoARightAndAWrongPrefixLookAlike() throws Exception {
        byte[] right = hello11(now(), nonce());
        byte[] wrong = SpecWire.hello(SpecWire.V11, hex(TestKeys.B_PEER_ID), now(), nonce());
        for (int cut : new int[] {2 + 15 + 6, 2 + 15 + 38, right.length - 1}) {
            for (byte[] hello : List.of(right, wrong)) {
                try (Socket socket = attackerSocket()) {
                    socket.getOutputStream().write(Arrays.copyOf(hello, cut));
                    socket.setSoTimeout(150);
                    assertThatThrownBy(() -> socket.getInputStream().read()).as("open after %d bytes", cut)
                            .isInstanceOf(SocketTimeoutException.class);
                }
            }
        }
    }

    private static long closeAfterMicros(Attempt attempt) throws IOException {
        try (Socket socket = attackerSocket()) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] last = attempt.play(in, out);
            // Timed from before the write: a test thread descheduled after it must not shorten the figure.
            long start = System.nanoTime();
            out.write(last);
            out.flush();
            int b;
            try {
                b = in.read();
            } catch (SocketException reset) {
                b = -1;
            }
            long took = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
            assertThat(b).as("the listener answered a refused message").isEqualTo(-1);
            return took;
        }
    }

    private static Socket attackerSocket() throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(ATTACKER, 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.listenAddress().port()), 5000);
        socket.setSoTimeout(5000);
        socket.setTcpNoDelay(true);
        return socket;
    }

    private static long median(List<Long> samples) {
        List<Long> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
