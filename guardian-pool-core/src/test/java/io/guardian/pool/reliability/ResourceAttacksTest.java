package io.guardian.pool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.libp2p.Libp2pConnection;
import io.guardian.pool.internal.libp2p.Libp2pDialer;
import io.guardian.pool.internal.libp2p.Libp2pNode;
import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.internal.libp2p.StreamChannel;
import io.guardian.pool.internal.transport.Bytes;
import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.internal.transport.LeakWatch;
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
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15, items 2 and 3: the listener-wide budget for buffered inbound bytes on both wire
 * stacks, and the per-address rate of new connections. Attackers use 127.0.0.2 and up, the honest
 * dialer 127.0.0.1; each memory attack runs once against a budget and once against a budget too
 * large to matter (what the attack would hold without one). Figures:
 * {@code target/reliability/resource-attacks.json|txt}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ResourceAttacksTest extends ListenerAttackFixture {

    private static final Figures FIGURES = Figures.forRun(ResourceAttacksTest.class, Size.current());
    private static final int MIB = 1 << 20;
    private static final int HONEST = 20;
    private static final String FILL = "/guardian-test/fill/1.0.0";
    private static LeakWatch leaks;
    /** Per run: the fill handlers block on it (a stream nobody reads), and the handler threads are the run's own. */
    private CountDownLatch releaseFillers;
    private ExecutorService handlers;

    @BeforeAll
    static void watchLeaks() {
        leaks = new LeakWatch();
    }

    @AfterAll
    static void writeFiguresAndCheckLeaks() {
        FIGURES.writeCheckingLeaks("resource-attacks", leaks);
    }

    @AfterEach
    void stopTheRunsHandlers() {
        stopHandlers();
    }

    /** Lets blocked fill handlers return and waits for the run's handler threads to end. */
    private void stopHandlers() {
        if (handlers != null) {
            releaseFillers.countDown();
            handlers.shutdown();
            try {
                assertThat(handlers.awaitTermination(10, TimeUnit.SECONDS)).as("handler threads ended").isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private PeerListener start(InboundLimits.Builder limits) {
        baseline = ProcessProbe.baseline();
        releaseFillers = new CountDownLatch(1);
        handlers = Executors.newCachedThreadPool();
        CountDownLatch fillers = releaseFillers;
        listener = PeerListener.builder(TestKeys.identity(TestKeys.A_PRIVATE))
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handler((from, message) -> message)
                .streamHandler(FILL, stream -> fillers.await(2, TimeUnit.MINUTES)) // never reads
                .handlerExecutor(handlers).inboundLimits(limits.build()).start();
        peaks = new PeakSampler();
        return listener;
    }

    // ---- item 2: guardian-db ------------------------------------------------------------------

    @Test
    void unfinishedLargeFramesOfManySessionsStayWithinTheBudgetAndHonestRequestsGoOn() throws Exception {
        int sessions = 64;
        Figures f = FIGURES.section("guardianDbUnfinishedFrames").put("sessions", sessions)
                .put("announcedFrameBytes", MIB).put("sentOfEachFrame", MIB / 2);
        unfinishedFrames(sessions, 16L * MIB, f.section("budget16MiB"));
        closeEverything0();
        unfinishedFrames(sessions, 1L << 30, f.section("budget1GiBAsIfNone"));
    }

    private void unfinishedFrames(int sessions, long budget, Figures f) throws Exception {
        start(InboundLimits.builder().maxBufferedInboundBytes(budget));
        for (int i = 0; i < sessions; i++) {
            Socket socket = connectFrom(2 + i / 16, listener);
            attackers.add(socket);
            assertThat(throwawaySession(socket, PeerIdentity.generate())).isTrue();
            try {
                socket.getOutputStream().write(Bytes.concat(SpecWire.u32(1L + MIB), new byte[] {0}, new byte[MIB / 2]));
            } catch (IOException closedAlready) {
                // Refused: the budget at work.
            }
        }
        long expectedHeld = Math.min(sessions, budget / 2 / MIB);
        await().atMost(Duration.ofSeconds(20)).until(() -> listener.stats().bufferedBytes()
                + listener.stats().refusedMemory() * MIB >= (long) sessions * MIB);
        ListenerStats during = listener.stats();
        int held = listener.sessions().size();
        int honestSmall = honestRequests(1024);
        boolean honestLarge = honestRequest(MIB / 2);
        ListenerStats after = listener.stats();
        peaks.report(f);
        f.put("budgetBytes", budget).put("sessionsHoldingAFrame", held).put("bufferedBytes", during.bufferedBytes())
                .put("peakBufferedBytes", after.peakBufferedBytes()).put("refusedMemory", during.refusedMemory())
                .put("honestSmallSucceeded", honestSmall + " of " + HONEST)
                .put("honest512KiBDuringAttack", honestLarge ? "served" : "refused (bulk half full)");
        assertThat(honestSmall).as("honest 1 KiB requests during the attack").isEqualTo(HONEST);
        assertThat(during.bufferedBytes()).isEqualTo(expectedHeld * MIB);
        assertThat(after.peakBufferedBytes()).isLessThanOrEqualTo(budget);
        assertThat(during.refusedMemory()).isEqualTo(sessions - expectedHeld);
        closeAttackers();
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.stats().bufferedBytes() == 0);
        beforeAndAfter(f);
        assertThat(honestRequest(MIB / 2)).as("a 512 KiB request once the attack is gone").isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> listener.stats().bufferedBytes() == 0);
    }

    // ---- item 2: libp2p -----------------------------------------------------------------------

    @Test
    void yamuxStreamsFilledUpToTheirWindowStayWithinTheBudgetAndHonestStreamsGoOn() throws Exception {
        int connections = 16;
        int streamsEach = 4;
        Figures f = FIGURES.section("libp2pFilledWindows").put("connections", connections)
                .put("streamsPerConnection", streamsEach).put("bytesPerStream", 255 * 1024);
        filledWindows(connections, streamsEach, 8L * MIB, f.section("budget8MiB"));
        closeEverything0();
        filledWindows(connections, streamsEach, 1L << 30, f.section("budget1GiBAsIfNone"));
    }

    private void filledWindows(int connections, int streamsEach, long budget, Figures f) throws Exception {
        start(InboundLimits.builder().maxBufferedInboundBytes(budget));
        EventLoops loops = EventLoops.acquire();
        List<Libp2pDialer> dialers = new ArrayList<>();
        try {
            // The whole 256 KiB window but for 1 KiB: multistream-select's lines ride in it too, and a
            // write that does not fit waits for credit the filler never gives.
            byte[] window = new byte[255 * 1024];
            new Random(Size.SEED).nextBytes(window);
            for (int c = 0; c < connections; c++) {
                Libp2pDialer dialer = new Libp2pDialer(new Libp2pNode(Libp2pSettings.defaults(PeerIdentity.generate()),
                        Runnable::run, Runnable::run), loops);
                dialers.add(dialer);
                Libp2pConnection connection = dialer.dial(listener.peerId(), listener.listenAddress(),
                        Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
                for (int s = 0; s < streamsEach; s++) {
                    StreamChannel stream = connection.openStream(FILL);
                    try {
                        stream.write(window);
                    } catch (RuntimeException reset) {
                        // Reset by the listener: the budget at work.
                    }
                }
            }
            long wanted = (long) connections * streamsEach * window.length;
            AtomicLong previous = new AtomicLong(-1);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300))
                    .until(() -> settled(listener, previous)
                            && listener.stats().bufferedBytes() >= Math.min(wanted, budget / 2) - window.length);
            ListenerStats during = listener.stats();
            int honest = honestLibp2pRequests(loops, 1024);
            ListenerStats after = listener.stats();
            peaks.report(f);
            f.put("budgetBytes", budget).put("wantedBytes", wanted).put("bufferedBytes", during.bufferedBytes())
                    .put("peakBufferedBytes", after.peakBufferedBytes()).put("streamsReset", during.refusedMemory())
                    .put("honestSucceeded", honest + " of " + HONEST);
            assertThat(honest).as("honest libp2p requests during the attack").isEqualTo(HONEST);
            assertThat(after.peakBufferedBytes()).isLessThanOrEqualTo(budget);
            if (wanted > budget) {
                assertThat(during.refusedMemory()).as("streams reset for want of budget").isPositive();
            } else {
                assertThat(during.bufferedBytes()).as("everything the attackers sent, and their multistream lines")
                        .isBetween(wanted, wanted + 64L * 1024);
            }
        } finally {
            dialers.forEach(Libp2pDialer::close);
            loops.release();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.stats().connections() == 0
                && listener.stats().bufferedBytes() == 0);
        stopHandlers();
        beforeAndAfter(f);
    }

    /** Threads and descriptors before the listener started and once the attack's sockets are closed. */
    private void beforeAndAfter(Figures f) {
        ProcessProbe end = ProcessProbe.now();
        f.put("threadsBefore", baseline.threads.size()).put("threadsAfter", end.threads.size())
                .put("fdsBefore", baseline.fileDescriptors).put("fdsAfter", end.fileDescriptors);
    }

    /** Whether the budget's reading equals the previous one: the attackers' bytes have all arrived or been refused. */
    private static boolean settled(PeerListener listener, AtomicLong previous) {
        long now = listener.stats().bufferedBytes() + listener.stats().refusedMemory();
        return previous.getAndSet(now) == now;
    }

    private int honestLibp2pRequests(EventLoops loops, int size) {
        int ok = 0;
        byte[] message = new byte[size];
        try (Libp2pDialer dialer = new Libp2pDialer(new Libp2pNode(Libp2pSettings.defaults(PeerIdentity.generate()),
                Runnable::run, Runnable::run), loops)) {
            Libp2pConnection connection = dialer.dial(listener.peerId(), listener.listenAddress(),
                    Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < HONEST; i++) {
                try {
                    StreamChannel stream = connection.openStream(PeerListener.DEFAULT_PROTOCOL);
                    message[0] = (byte) i;
                    stream.writeMessage(message);
                    if (Arrays.equals(stream.readMessage(size, Duration.ofSeconds(5)), message)) {
                        ok++;
                    }
                    stream.close();
                } catch (RuntimeException failed) {
                    // Counted as a failure.
                }
            }
        } catch (Exception dialFailed) {
            return ok;
        }
        return ok;
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Test reuse: closes this run's listener and sockets so a second run starts clean. */
    private void closeEverything0() {
        closeAttackers();
        peaks.close();
        listener.close();
        stopHandlers();
    }

    /** Honest guardian-db/1.1 dials from 127.0.0.1, one request of {@code size} bytes each. */
    private int honestRequests(int size) {
        int ok = 0;
        for (int i = 0; i < HONEST; i++) {
            if (honestRequest(size)) {
                ok++;
            }
        }
        return ok;
    }

    private boolean honestRequest(int size) {
        byte[] message = new byte[size];
        message[0] = 42;
        try (Socket socket = RawHandshake.dial11(listener.listenAddress().port())) {
            socket.getOutputStream().write(SpecWire.frame(0, message));
            byte[] reply = SpecWire.read(socket.getInputStream(), 5 + size);
            return Arrays.equals(reply, SpecWire.frame(0, message));
        } catch (IOException | AssertionError e) {
            return false;
        }
    }
}
