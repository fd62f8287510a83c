package io.guardian.pool.reliability;

import static io.guardian.pool.internal.transport.RawHandshake.ACK_11_LENGTH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.libp2p.Libp2pConnection;
import io.guardian.pool.internal.libp2p.Libp2pDialer;
import io.guardian.pool.internal.libp2p.Libp2pNode;
import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.internal.transport.NettyConnector;
import io.guardian.pool.internal.transport.RawHandshake;
import io.guardian.pool.internal.transport.SpecWire;
import io.guardian.pool.internal.transport.TestKeys;
import io.guardian.pool.net.InboundLimits;
import io.guardian.pool.net.ListenerStats;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15, item 1: one machine must not lock honest dialers out of a {@link PeerListener}. Each
 * attack runs from its own loopback address (127.0.0.2 and up) against a listener that applies the
 * per-address limits to loopback, while an honest dialer on 127.0.0.1 keeps completing real
 * guardian-db/1.1 handshakes; every honest dial must succeed, the attacker's hold must be bounded
 * and released by the deadlines, and threads and file descriptors must come back.
 *
 * <p>Figures: {@code target/reliability/inbound-attacks.json|txt}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class InboundAttacksTest extends ListenerAttackFixture {

    private static final Figures FIGURES = Figures.forRun(InboundAttacksTest.class, Size.current());
    private static final int HONEST_DIALS = 20;
    private static LeakWatch leaks;

    @BeforeAll
    static void watchLeaks() {
        leaks = new LeakWatch();
    }

    @AfterAll
    static void writeFiguresAndCheckLeaks() {
        FIGURES.writeCheckingLeaks("inbound-attacks", leaks);
    }

    /** Listener A, loopback limited like any address, short deadlines so the test runs in seconds. */
    private PeerListener start(UnaryOperator<InboundLimits.Builder> limits, UnaryOperator<PeerListener.Builder> more) {
        baseline = ProcessProbe.baseline();
        // The handshake rate is lifted here: these attacks measure the slot caps and deadlines
        // (ResourceAttacksTest measures the rate).
        InboundLimits.Builder l = InboundLimits.builder().limitLoopback(true).maxPendingPerAddress(8)
                .maxConnectionsPerAddress(32).firstByteTimeout(Duration.ofSeconds(1)).idleTimeout(Duration.ofSeconds(2))
                .handshakesPerSecondPerAddress(100_000).handshakeBurstPerAddress(100_000);
        listener = more.apply(PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE))
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handler((from, message) -> message)
                .protocol(ProtocolConfig.builder().handshakeTimeout(Duration.ofSeconds(2)).build())
                .inboundLimits(limits.apply(l).build())).start();
        peaks = new PeakSampler();
        return listener;
    }

    @Test
    void silentSocketsFromOneAddressHoldEightSlotsForOneSecondAndLockNobodyOut() throws Exception {
        start(l -> l, b -> b);
        int attempts = 256;
        for (int i = 0; i < attempts; i++) {
            attackers.add(connectFrom(2));
        }
        int honest = honestDials();
        ListenerStats during = listener.stats();
        ProcessProbe peak = ProcessProbe.now();
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.stats().pendingHandshakes() == 0);
        ListenerStats after = listener.stats();
        report("silentSockets", attempts, honest, during, after, peak);
        assertThat(honest).as("honest dials that succeeded during the attack").isEqualTo(HONEST_DIALS);
        assertThat(during.refusedPendingPerAddress()).isGreaterThanOrEqualTo(attempts - 2L * 8);
        assertThat(after.firstByteTimeouts()).isBetween(8L, 16L);
        assertThat(after.handshakeTimeouts()).as("counted as first-byte timeouts only").isZero();
    }

    @Test
    void helloThenStallIsBoundedPerAddressAndClearedByTheHandshakeDeadline() throws Exception {
        start(l -> l, b -> b);
        int attempts = 200;
        byte[] partial = Arrays.copyOf(RawHandshake.hello11(RawHandshake.now(), RawHandshake.nonce()), 40);
        for (int i = 0; i < attempts; i++) {
            Socket socket = connectFrom(3);
            attackers.add(socket);
            try {
                socket.getOutputStream().write(partial);
            } catch (IOException refusedAlready) {
                // Closed on arrival: the per-address limit at work.
            }
        }
        int honest = honestDials();
        ListenerStats during = listener.stats();
        ProcessProbe peak = ProcessProbe.now();
        await().atMost(Duration.ofSeconds(6)).until(() -> listener.stats().pendingHandshakes() == 0);
        ListenerStats after = listener.stats();
        report("helloThenStall", attempts, honest, during, after, peak);
        assertThat(honest).isEqualTo(HONEST_DIALS);
        assertThat(during.refusedPendingPerAddress()).isGreaterThanOrEqualTo(attempts - 2L * 8);
        assertThat(after.handshakeTimeouts()).isGreaterThanOrEqualTo(8);
        assertThat(after.idleClosed()).as("the handshake deadline, not the idle timeout").isZero();
    }

    @Test
    void sessionsOfThrowawayIdentitiesAreCappedPerAddressAndClosedWhenIdle() throws Exception {
        start(l -> l, b -> b);
        int attempts = 100;
        int established = 0;
        for (int i = 0; i < attempts; i++) {
            Socket socket = connectFrom(4);
            attackers.add(socket);
            if (throwawaySession(socket, PeerIdentity.generate())) {
                established++;
            }
        }
        int honest = honestDials();
        ListenerStats during = listener.stats();
        ProcessProbe peak = ProcessProbe.now();
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.stats().connections() == 0);
        ListenerStats after = listener.stats();
        report("throwawayIdentities", attempts, honest, during, after, peak);
        FIGURES.section("throwawayIdentities").put("attackerSessionsEstablished", established);
        assertThat(honest).isEqualTo(HONEST_DIALS);
        assertThat(established).as("sessions one address could open").isEqualTo(32);
        assertThat(during.refusedPerAddress()).isEqualTo(attempts - 32L);
        assertThat(after.idleClosed()).as("silent sessions closed by the idle timeout").isGreaterThanOrEqualTo(32);
        assertThat(listener.sessions()).isEmpty();
    }

    @Test
    void allowlistedAddressesAndPeersBypassTheCapsAndTheIdleTimeout() throws Exception {
        PeerIdentity b = TestKeys.identity(TestKeys.B_PRIVATE);
        start(l -> l.maxConnectionsPerAddress(4).allowlistedAddresses(Set.of("127.0.0.5/32"))
                .allowlistedPeers(Set.of(b.peerId())), x -> x.maxInboundPerPeer(1));
        for (int i = 0; i < 10; i++) {
            attackers.add(connectFrom(5));
            attackers.add(connectFrom(6));
        }
        // Refusals and admissions are counted as the event loops get to each socket: wait for both.
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.stats().refusedPerAddress() >= 6
                && listener.stats().connections() >= 14);
        assertThat(listener.stats().refusedPerAddress()).isEqualTo(6);
        assertThat(listener.stats().connections()).as("10 allow-listed and 4 others").isEqualTo(14);
        closeAttackers();
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.stats().connections() == 0);
        // B is allow-listed: three sessions despite max-inbound-per-peer 1, and silence does not close them.
        for (int i = 0; i < 3; i++) {
            attackers.add(RawHandshake.dial11(listener.listenAddress().port()));
        }
        long idleBefore = listener.stats().idleClosed();
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> listener.sessions().size() == 3);
        assertThat(listener.stats().idleClosed()).isEqualTo(idleBefore);
        assertThat(listener.stats().refusedPerPeer()).isZero();
    }

    @Test
    void anIdleLibp2pConnectionIsClosedByTheListenerToo() throws Exception {
        start(l -> l.idleTimeout(Duration.ofSeconds(1)), b -> b);
        EventLoops loops = EventLoops.acquire();
        Libp2pNode node = new Libp2pNode(Libp2pSettings.defaults(PeerIdentity.generate()), Runnable::run, Runnable::run);
        try (Libp2pDialer dialer = new Libp2pDialer(node, loops)) {
            Libp2pConnection connection = dialer.dial(listener.peerId(), listener.listenAddress(), Duration.ofSeconds(5))
                    .get(10, TimeUnit.SECONDS);
            connection.identify().get(10, TimeUnit.SECONDS);
            assertThat(listener.sessions()).hasSize(1);
            await().atMost(Duration.ofSeconds(5)).until(() -> !connection.isOpen());
            assertThat(listener.stats().idleClosed()).isEqualTo(1);
        } finally {
            loops.release();
        }
    }

    @Test
    void forcedSignatureChecksQueueOnTheListenersOwnExecutorWhileDialsGoOn() throws Exception {
        start(l -> l.verificationThreads(1).maxQueuedVerifications(16), b -> b);
        int attackerThreads = 8;
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder attempts = new LongAdder();
        ExecutorService attack = Executors.newFixedThreadPool(attackerThreads);
        // The pool's side: outgoing dials of this JVM to another listener verify on the shared offload executor.
        try (PeerListener other = PeerListener.builder(PeerIdentity.generate())
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handler((from, message) -> message).start();
                NettyConnector connector = new NettyConnector(PeerIdentity.generate(), ProtocolConfig.defaults())) {
            Distribution quiet = outgoingDials(connector, other, 10);
            for (int t = 0; t < attackerThreads; t++) {
                int octet = 10 + t;
                attack.execute(() -> {
                    PeerIdentity junk = PeerIdentity.generate();
                    while (!stop.get()) {
                        try (Socket socket = connectFrom(octet)) {
                            junkSignatureHandshake(socket, junk);
                        } catch (IOException | RuntimeException refused) {
                            // Refused on arrival or closed after the check: the attacker goes on.
                        }
                        attempts.increment();
                    }
                });
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.stats().failedHandshakes() >= 200);
            int honest = honestDials();
            Distribution during = outgoingDials(connector, other, 10);
            ListenerStats stats = listener.stats();
            ProcessProbe peak = ProcessProbe.now();
            stop.set(true);
            attack.shutdown();
            assertThat(attack.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
            report("forcedSignatureChecks", (int) attempts.sum(), honest, stats, listener.stats(), peak);
            Figures f = FIGURES.section("forcedSignatureChecks").put("attackerThreads", attackerThreads)
                    .put("verificationThreads", 1).put("maxQueuedVerifications", 16);
            quiet.summary(f.section("outgoingDialBeforeAttack"));
            during.summary(f.section("outgoingDialDuringAttack"));
            assertThat(honest).isEqualTo(HONEST_DIALS);
            assertThat(during.count()).as("outgoing dials that succeeded during the attack").isEqualTo(10);
            assertThat(stats.failedHandshakes()).isGreaterThanOrEqualTo(200);
            assertThat(ProcessProbe.guardianThreads()).as("one verification thread per listener (two here), not one"
                    + " per attacker").filteredOn(name -> name.startsWith("guardian-verify")).hasSizeLessThanOrEqualTo(2);
        } finally {
            stop.set(true);
            attack.shutdownNow();
        }
    }

    @Test
    void aFullVerificationQueueRefusesAtOnceAndCountsIt() throws Exception {
        start(l -> l.verificationThreads(1).maxQueuedVerifications(1), b -> b);
        PeerIdentity junk = PeerIdentity.generate();
        List<Socket> ready = new ArrayList<>();
        List<byte[]> authDs = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            Socket socket = connectFrom(20 + i / 7); // 7 per address: under max-pending-per-address
            attackers.add(socket);
            socket.getOutputStream().write(RawHandshake.hello11(RawHandshake.now(), RawHandshake.nonce()));
            SpecWire.read(socket.getInputStream(), ACK_11_LENGTH);
            ready.add(socket);
            authDs.add(SpecWire.auth(junk.publicKeyProtobuf(), new byte[64]));
        }
        // All 21 checks asked for at once: one runs, one waits, the rest are refused without queueing.
        for (int i = 0; i < ready.size(); i++) {
            ready.get(i).getOutputStream().write(authDs.get(i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.stats().failedHandshakes() == 21);
        ListenerStats stats = listener.stats();
        FIGURES.section("fullVerificationQueue").put("simultaneousChecks", 21)
                .put("refusedByTheQueue", stats.verificationsRefused());
        assertThat(stats.verificationsRefused()).isPositive().isLessThanOrEqualTo(19);
        assertThat(honestDials()).as("honest dials once the burst is over").isEqualTo(HONEST_DIALS);
    }

    /** Dials {@code count} times (each closed again); the distribution holds the successful ones. */
    private static Distribution outgoingDials(NettyConnector connector, PeerListener target, int count) {
        Distribution took = new Distribution();
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            try {
                connector.connect(target.peerId(), target.listenAddress(), Duration.ofSeconds(5))
                        .get(10, TimeUnit.SECONDS).close("done");
                took.add(System.nanoTime() - start);
            } catch (Exception failed) {
                // Not added: the count tells.
            }
        }
        return took;
    }

    /** A valid HELLO, then AUTH-D with a well-formed key and a junk signature: a free check for us to make. */
    private static void junkSignatureHandshake(Socket socket, PeerIdentity key) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] hello = RawHandshake.hello11(RawHandshake.now(), RawHandshake.nonce());
        out.write(hello);
        SpecWire.read(in, ACK_11_LENGTH);
        out.write(SpecWire.auth(key.publicKeyProtobuf(), new byte[64]));
        SpecWire.drainToEof(in);
    }

    /** Honest guardian-db/1.1 dials from 127.0.0.1 (key B), each closed again; returns how many succeeded. */
    private int honestDials() {
        int ok = 0;
        for (int i = 0; i < HONEST_DIALS; i++) {
            try (Socket socket = RawHandshake.dial11(listener.listenAddress().port())) {
                ok++;
            } catch (IOException | AssertionError e) {
                // Counted as a failure: the figure the test asserts.
            }
        }
        return ok;
    }

    private void report(String name, int attempts, int honest, ListenerStats during, ListenerStats after,
            ProcessProbe peak) {
        closeAttackers();
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.stats().connections() == 0);
        ProcessProbe end = ProcessProbe.now();
        peaks.report(FIGURES.section(name));
        FIGURES.section(name).put("attackerConnectionAttempts", attempts)
                .put("honestDials", HONEST_DIALS).put("honestSucceeded", honest)
                .put("statsDuringAttack", during.toString()).put("statsAfterDeadlines", after.toString())
                .put("threadsBefore", baseline.threads.size()).put("threadsAtPeak", peak.threads.size())
                .put("threadsAfter", end.threads.size())
                .put("fdsBefore", baseline.fileDescriptors).put("fdsAtPeak", peak.fileDescriptors)
                .put("fdsAfter", end.fileDescriptors);
    }

    private Socket connectFrom(int lastOctet) throws IOException {
        return connectFrom(lastOctet, listener);
    }
}
