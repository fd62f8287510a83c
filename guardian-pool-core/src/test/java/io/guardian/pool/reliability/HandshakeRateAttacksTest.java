package io.guardian.pool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.RawHandshake;
import io.guardian.pool.internal.transport.TestKeys;
import io.guardian.pool.net.InboundLimits;
import io.guardian.pool.net.ListenerStats;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15, item 3 (the per-address rate of handshake attempts) and the IPv6 /64 grouping on a
 * real IPv6 socket. The attacker opens and abandons handshakes from 127.0.0.2 as fast as one
 * thread can; the honest dialer on 127.0.0.1 keeps completing guardian-db/1.1 handshakes. Figures:
 * {@code target/reliability/handshake-rate-attacks.json|txt}.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class HandshakeRateAttacksTest extends ListenerAttackFixture {

    private static final Figures FIGURES = Figures.forRun(HandshakeRateAttacksTest.class, Size.current());
    private static final int HONEST = 20;
    private static final long ATTACK_MILLIS = 3000;
    private static LeakWatch leaks;

    @BeforeAll
    static void watchLeaks() {
        leaks = new LeakWatch();
    }

    @AfterAll
    static void writeFiguresAndCheckLeaks() {
        FIGURES.writeCheckingLeaks("handshake-rate-attacks", leaks);
    }

    private void start(String bind, InboundLimits.Builder limits) {
        ProcessProbe.baseline();
        listener = PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE)).bind(Multiaddr.parse(bind))
                .handler((from, message) -> message).inboundLimits(limits.limitLoopback(true).build()).start();
    }

    @Test
    void oneAddressOpeningAndAbandoningHandshakesGetsItsBurstThenTheRateWhileHonestDialsSucceed() throws Exception {
        // The defaults: 2 a second after a burst of 128 per address.
        start("/ip4/127.0.0.1/tcp/0", InboundLimits.builder());
        byte[] partialHello = Arrays.copyOf(RawHandshake.hello11(RawHandshake.now(), RawHandshake.nonce()), 40);
        long started = System.nanoTime();
        ExecutorService attacker = Executors.newSingleThreadExecutor();
        int attempts;
        int honest;
        try {
            Future<Integer> attack = attacker.submit(() -> abandonHandshakes(2, partialHello));
            await().atMost(Duration.ofSeconds(5)).until(() -> listener.stats().refusedHandshakeRate() > 0);
            honest = honestDials();
            attempts = attack.get(30, TimeUnit.SECONDS);
        } finally {
            attacker.shutdownNow();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        int total = attempts;
        await().atMost(Duration.ofSeconds(10)).until(() -> ended(listener.stats()) == total);
        ListenerStats stats = listener.stats();
        long admitted = attempts - stats.refusedOnArrival();
        double allowed = InboundLimits.DEFAULT_HANDSHAKE_BURST_PER_ADDRESS
                + InboundLimits.DEFAULT_HANDSHAKES_PER_SECOND_PER_ADDRESS * seconds;
        FIGURES.section("abandonedHandshakes").put("attackSeconds", Math.round(seconds * 10) / 10.0)
                .put("attempts", attempts).put("attemptsPerSecond", Math.round(attempts / seconds))
                .put("admitted", admitted).put("refusedHandshakeRate", stats.refusedHandshakeRate())
                .put("allowedByBurstAndRate", Math.round(allowed)).put("honestSucceeded", honest + " of " + HONEST)
                .put("stats", stats.toString());
        assertThat(honest).as("honest dials from 127.0.0.1 during the attack").isEqualTo(HONEST);
        assertThat(attempts).as("the attacker outpaced the burst").isGreaterThan(2 * (int) allowed);
        assertThat(admitted).as("sockets the attacker got past the rate").isLessThanOrEqualTo((long) allowed + 1);
        assertThat(stats.refusedHandshakeRate()).isGreaterThanOrEqualTo(attempts - (long) allowed - 1);
    }

    @Test
    void anAllowlistedAddressIsNotRateLimited() throws Exception {
        start("/ip4/127.0.0.1/tcp/0", InboundLimits.builder().handshakesPerSecondPerAddress(1).handshakeBurstPerAddress(2)
                .allowlistedAddresses(Set.of("127.0.0.3")));
        byte[] partialHello = Arrays.copyOf(RawHandshake.hello11(RawHandshake.now(), RawHandshake.nonce()), 40);
        int attempts = 0;
        for (int i = 0; i < 50; i++) {
            attempts += attempt(3, partialHello) ? 1 : 0;
        }
        int finalAttempts = attempts;
        await().atMost(Duration.ofSeconds(10)).until(() -> ended(listener.stats()) == finalAttempts);
        // 127.0.0.4 is not on the list: its burst of 2, then 1 a second.
        assertThat(listener.stats().refusedHandshakeRate()).isZero();
        for (int i = 0; i < 10; i++) {
            attempt(4, partialHello);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.stats().refusedHandshakeRate() >= 7);
    }

    @Test
    void ipv6DialersAreCountedByTheirSlash64() throws Exception {
        assumeTrue(ipv6Loopback(), "no IPv6 loopback on this machine");
        int cap = 4;
        try (LogCapture logs = LogCapture.everything("io.guardian.pool.internal.transport")) {
            start("/ip6/::1/tcp/0", InboundLimits.builder().maxConnectionsPerAddress(cap).maxPendingPerAddress(cap));
            for (int i = 0; i < cap + 3; i++) {
                Socket socket = new Socket();
                attackers.add(socket);
                socket.connect(new InetSocketAddress(InetAddress.getByName("::1"), listener.listenAddress().port()), 5000);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> listener.stats().refusedPerAddress() == 3);
            assertThat(listener.stats().connections()).isEqualTo(cap);
            // ::1 is counted under its /64, the key any other address of ::/64 would share.
            assertThat(logs.lines()).anyMatch(line -> line.contains("max-inbound-per-address " + cap
                    + " reached for 0:0:0:0:0:0:0:0/64"));
            FIGURES.section("ipv6").put("connectionsFromLoopbackV6", cap + 3).put("refusedPerAddress", 3)
                    .put("limitKey", "0:0:0:0:0:0:0:0/64");
        }
    }

    /** Every abandoned attempt ends once: refused on arrival, or admitted and then a failed handshake. */
    private static long ended(ListenerStats s) {
        return s.refusedOnArrival() + s.failedHandshakes();
    }

    /** Opens, sends part of a HELLO and closes, from 127.0.0.{octet}, for {@link #ATTACK_MILLIS}. */
    private int abandonHandshakes(int octet, byte[] partialHello) throws IOException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ATTACK_MILLIS);
        int attempts = 0;
        while (System.nanoTime() - end < 0) {
            if (attempt(octet, partialHello)) {
                attempts++;
            }
        }
        return attempts;
    }

    private boolean attempt(int octet, byte[] partialHello) throws IOException {
        try (Socket socket = connectFrom(octet, listener)) {
            socket.setSoLinger(true, 0);
            try {
                socket.getOutputStream().write(partialHello);
            } catch (IOException refusedAlready) {
                // Closed on arrival.
            }
            return true;
        }
    }

    private int honestDials() {
        int ok = 0;
        for (int i = 0; i < HONEST; i++) {
            try (Socket socket = RawHandshake.dial11(listener.listenAddress().port())) {
                ok++;
            } catch (IOException | AssertionError e) {
                // Counted as a failure.
            }
        }
        return ok;
    }

    private static boolean ipv6Loopback() {
        try (ServerSocket probe = new ServerSocket()) {
            InetAddress v6 = InetAddress.getByName("::1");
            probe.bind(new InetSocketAddress(v6, 0));
            return v6 instanceof Inet6Address;
        } catch (IOException e) {
            return false;
        }
    }
}
