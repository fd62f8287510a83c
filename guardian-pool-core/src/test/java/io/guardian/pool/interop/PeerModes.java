package io.guardian.pool.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.libp2p.Libp2pConnection;
import io.guardian.pool.internal.libp2p.Libp2pDialer;
import io.guardian.pool.internal.libp2p.Libp2pNode;
import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.internal.libp2p.StreamChannel;
import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.net.StreamException;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The reference listeners' connection-ending modes (interop/README.md, "Listener modes"), proven
 * against our bare libp2p stack, without the pool: go's connection manager trims the least
 * valuable connection, rust's idle timeout closes a connection with no open stream (and only
 * then), js's close-conn ends the connection while another stream is in use. The pool tests
 * ({@link PoolInteropBase}) rely on exactly these behaviours, so when one of those fails, this
 * tells whether the peer or the pool changed.
 */
final class PeerModes {

    static final String ECHO = StackInterop.ECHO;
    static final Duration T = Duration.ofSeconds(30);

    private PeerModes() {
    }

    /** One of our nodes, with its own identity, dialing the peer. */
    private static final class Dialer implements AutoCloseable {
        final ExecutorService threads = Executors.newCachedThreadPool();
        final EventLoops loops = EventLoops.acquire();
        final PeerIdentity identity = PeerIdentity.generate();
        final Libp2pDialer dialer;

        Dialer() {
            Libp2pNode node = new Libp2pNode(Libp2pSettings.defaults(identity), threads, loops.offload());
            dialer = new Libp2pDialer(node, loops);
        }

        Libp2pConnection dial(InteropPeer peer) throws Exception {
            return dialer.dial(peer.peerId(), peer.address(), T).get(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            dialer.close();
            loops.release();
            threads.shutdownNow();
        }
    }

    /** Opens an echo stream and proves it answers, leaving it open. */
    private static StreamChannel openEcho(Libp2pConnection connection, byte fill) {
        StreamChannel stream = connection.openStream(ECHO);
        byte[] message = new byte[16];
        Arrays.fill(message, fill);
        stream.writeMessage(message);
        assertThat(stream.readMessage(1024, T)).isEqualTo(message);
        return stream;
    }

    /** Asserts that a stream whose connection has closed fails typed on write. */
    private static void assertEnded(StreamChannel stream) {
        assertThatThrownBy(() -> stream.writeMessage(new byte[] {1})).isInstanceOfSatisfying(StreamException.class,
                e -> assertThat(e.reason()).isIn(StreamException.Reason.CLOSED, StreamException.Reason.RESET));
    }

    /**
     * go, {@code --conn-low 1 --conn-high 2 --conn-grace 1s --conn-silence 250ms}: with two peers
     * connected past their grace period the manager closes the one with fewer open streams (go
     * sorts equal-valued peers by stream count), here ours holding one echo stream against a
     * neighbour holding three; the neighbour keeps its connection.
     */
    static void goTrimsTheLeastBusyConnection() throws Exception {
        try (LeakWatch leaks = new LeakWatch()) {
            try (InteropPeer peer = InteropPeer.listen(Lang.GO, goTrimFlags());
                    Dialer us = new Dialer(); Dialer neighbour = new Dialer()) {
                Libp2pConnection ours = us.dial(peer);
                StreamChannel held = openEcho(ours, (byte) 1);
                Libp2pConnection theirs = neighbour.dial(peer);
                List<StreamChannel> busy = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    busy.add(openEcho(theirs, (byte) (10 + i)));
                }
                ours.closeFuture().get(30, TimeUnit.SECONDS);
                peer.awaitEvent(e -> "disconnected".equals(e.get("event"))
                        && us.identity.peerId().toString().equals(e.get("peer")), T);
                assertEnded(held);
                assertThat(theirs.isOpen()).as("the busier neighbour is kept").isTrue();
                for (StreamChannel s : busy) {
                    byte[] again = {42};
                    s.writeMessage(again);
                    assertThat(s.readMessage(16, T)).isEqualTo(again);
                }
            }
            assertThat(leaks.collectLeaks()).isEmpty();
        }
    }

    /** The go listener flags {@link #goTrimsTheLeastBusyConnection} and the pool test use. */
    static String[] goTrimFlags() {
        return new String[] {"--conn-low", "1", "--conn-high", "2", "--conn-grace", "1s", "--conn-silence", "250ms"};
    }

    /**
     * rust, {@code --idle-timeout-ms 500}: an open stream keeps the connection (rust-libp2p counts
     * negotiated streams as keeping it alive) well past the timeout; once the stream ends the
     * connection closes with {@code KeepAliveTimeout}.
     */
    static void rustClosesAnIdleConnection() throws Exception {
        try (LeakWatch leaks = new LeakWatch()) {
            try (InteropPeer peer = InteropPeer.listen(Lang.RUST, "--idle-timeout-ms", "500");
                    Dialer us = new Dialer()) {
                Libp2pConnection connection = us.dial(peer);
                StreamChannel held = openEcho(connection, (byte) 1);
                // Four timeouts with a stream open: the connection must stay open throughout.
                await("a held stream keeps the connection").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                        .pollInterval(Duration.ofMillis(100)).until(connection::isOpen);
                byte[] again = {7};
                held.writeMessage(again);
                assertThat(held.readMessage(16, T)).isEqualTo(again);
                held.closeWrite();
                assertThat(held.read(new byte[1], 0, 1, T)).isEqualTo(-1);
                held.close();
                connection.closeFuture().get(30, TimeUnit.SECONDS);
                assertThat(String.valueOf(peer.awaitEvent(e -> "disconnected".equals(e.get("event")), T).get("error")))
                        .contains("KeepAliveTimeout");
            }
            assertThat(leaks.collectLeaks()).isEmpty();
        }
    }

    /**
     * js: one byte on close-conn ends the whole connection even while an echo stream is open and
     * in use; the echo stream fails typed.
     */
    static void jsClosesTheConnectionUnderAnOpenStream() throws Exception {
        try (LeakWatch leaks = new LeakWatch()) {
            try (InteropPeer peer = InteropPeer.listen(Lang.JS); Dialer us = new Dialer()) {
                Libp2pConnection connection = us.dial(peer);
                StreamChannel held = openEcho(connection, (byte) 1);
                StreamChannel closer = connection.openStream("/guardian/close-conn/1.0.0");
                closer.write(new byte[] {1});
                connection.closeFuture().get(30, TimeUnit.SECONDS);
                peer.awaitEvent(e -> "close-conn".equals(e.get("event")), T);
                assertEnded(held);
            }
            assertThat(leaks.collectLeaks()).isEmpty();
        }
    }
}
