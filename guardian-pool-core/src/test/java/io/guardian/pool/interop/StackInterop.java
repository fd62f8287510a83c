package io.guardian.pool.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.libp2p.IdentifyInfo;
import io.guardian.pool.internal.libp2p.Libp2pConnection;
import io.guardian.pool.internal.libp2p.Libp2pDialer;
import io.guardian.pool.internal.libp2p.Libp2pNode;
import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.internal.libp2p.StreamChannel;
import io.guardian.pool.internal.libp2p.Streams;
import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.StreamException;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Our libp2p stack against a reference implementation, both directions: their dialer against our
 * {@link PeerListener}, and our dialer against their listener. What the issue asks of interop:
 * identify both ways (each side sees the other's agent and protocols), ping both ways, echo of
 * 1 B, 64 KiB and 4 MiB (past the 256 KiB window), 100 concurrent streams on one connection, a
 * refused protocol named in a typed error, the peer resetting a stream and closing the whole
 * connection mid-use (typed errors, nothing leaked).
 */
final class StackInterop {

    static final String ECHO = "/guardian/echo/1.0.0";
    static final Duration T = Duration.ofSeconds(30);

    private StackInterop() {
    }

    /** A listener that answers what the peers' {@code dial} contract exercises. */
    static PeerListener ourListener(PeerIdentity identity) {
        return PeerListener.builder(identity)
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .handler((from, message) -> message)
                .streamHandler(ECHO, Streams::echo)
                .start();
    }

    static void theirDialerOurListener(Lang lang) {
        PeerIdentity identity = PeerIdentity.generate();
        try (LeakWatch leaks = new LeakWatch(); PeerListener listener = ourListener(identity)) {
            DialResult result = InteropPeer.dial(lang, listener.listenAddress(), Duration.ofMinutes(2));
            SelfDialCheck.assertFullRun(result, "guardian-pool/", listener.listenAddress(), ECHO,
                    PeerListener.DEFAULT_PROTOCOL);
            await("the listener drops the finished dialer's connection").atMost(T)
                    .until(() -> listener.connectionCount() == 0);
            assertThat(listener.failedHandshakes()).isZero();
            listener.close();
            assertThat(leaks.collectLeaks()).isEmpty();
        }
    }

    @SuppressWarnings("unchecked")
    static void ourDialerTheirListener(Lang lang) throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        EventLoops loops = EventLoops.acquire();
        Libp2pNode node = new Libp2pNode(Libp2pSettings.defaults(PeerIdentity.generate()), threads, loops.offload());
        node.handle(ECHO, Streams::echo);
        try (LeakWatch leaks = new LeakWatch(); InteropPeer peer = InteropPeer.listen(lang);
                Libp2pDialer dialer = new Libp2pDialer(node, loops)) {
            Libp2pConnection connection = dialer.dial(peer.peerId(), peer.address(), T).get(30, TimeUnit.SECONDS);
            assertThat(connection.remotePeer()).isEqualTo(peer.peerId());

            // identify both ways
            IdentifyInfo theirs = connection.identify().get(30, TimeUnit.SECONDS);
            assertThat(theirs.agentVersion()).startsWith("guardian-interop-" + lang.id() + "/");
            assertThat(theirs.protocols()).contains(ECHO, "/guardian/reset/1.0.0", "/guardian/close-conn/1.0.0",
                    "/ipfs/id/1.0.0", "/ipfs/ping/1.0.0");
            assertThat(theirs.listenAddrs()).contains(peer.address().withoutPeerId());
            Map<String, Object> seen = peer.awaitEvent(e -> "identified".equals(e.get("event")), T);
            assertThat((String) seen.get("agentVersion")).startsWith("guardian-pool/");
            assertThat((List<Object>) seen.get("protocols")).contains(ECHO, "/ipfs/id/1.0.0", "/ipfs/ping/1.0.0");

            // ping both ways
            Map<String, Object> theirPing = peer.awaitEvent(e -> "ping".equals(e.get("event"))
                    || "ping-failed".equals(e.get("event")), T);
            assertThat(theirPing.get("event")).as("%s", theirPing).isEqualTo("ping");
            assertThat(connection.ping(T).get(30, TimeUnit.SECONDS)).isPositive();
            assertThat(connection.pingProtocol(T).get(30, TimeUnit.SECONDS)).isPositive();

            // echo across the window
            Random random = new Random(lang.ordinal());
            for (int size : new int[] {1, 64 * 1024, 4 * 1024 * 1024}) {
                byte[] payload = new byte[size];
                random.nextBytes(payload);
                assertThat(echoOnce(connection, payload, threads)).as("echo of %d bytes", size).isEqualTo(payload);
            }

            // 100 streams at once
            List<CompletableFuture<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                byte[] payload = new byte[1024];
                random.nextBytes(payload);
                results.add(CompletableFuture.supplyAsync(
                        () -> Arrays.equals(echoOnce(connection, payload, null), payload), threads));
            }
            for (CompletableFuture<Boolean> r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS)).isTrue();
            }

            // refused, reset, connection closed mid-use
            StreamChannel refused = connection.openStream("/guardian/nope/1.0.0");
            refused.write(new byte[] {1});
            assertThatThrownBy(() -> refused.read(new byte[1], 0, 1, T))
                    .isInstanceOfSatisfying(StreamException.class,
                            e -> assertThat(e.reason()).isEqualTo(StreamException.Reason.PROTOCOL_REFUSED))
                    .hasMessageContaining("/guardian/nope/1.0.0");
            StreamChannel reset = connection.openStream("/guardian/reset/1.0.0");
            reset.write(new byte[] {1});
            // go and rust send RST alone; js-libp2p may send FIN first, so the read can see a clean end
            // before the RST arrives. Either way the stream must end up reset.
            try {
                assertThat(reset.read(new byte[1], 0, 1, T)).isEqualTo(-1);
            } catch (StreamException e) {
                assertThat(e.reason()).isIn(StreamException.Reason.RESET, StreamException.Reason.CLOSED);
            }
            await("the reset reaches the stream").atMost(T).until(() -> !reset.isOpen());
            assertThat(connection.pingProtocol(T).get(30, TimeUnit.SECONDS)).as("connection survives a reset stream")
                    .isPositive();
            StreamChannel doomed = connection.openStream("/guardian/close-conn/1.0.0");
            doomed.write(new byte[] {1});
            // go drops the connection; js closes it gracefully, ending each stream with a FIN first.
            try {
                assertThat(doomed.read(new byte[1], 0, 1, T)).isEqualTo(-1);
            } catch (StreamException e) {
                assertThat(e.reason()).isIn(StreamException.Reason.CLOSED, StreamException.Reason.RESET);
            }
            connection.closeFuture().get(30, TimeUnit.SECONDS);
            assertThat(connection.isOpen()).isFalse();
            assertThatThrownBy(() -> doomed.write(new byte[] {2})).isInstanceOfSatisfying(StreamException.class,
                    e -> assertThat(e.reason()).isIn(StreamException.Reason.CLOSED, StreamException.Reason.RESET));
            assertThatThrownBy(() -> connection.openStream(ECHO).write(new byte[] {3}))
                    .isInstanceOf(RuntimeException.class);
            await("no channel left").atMost(T).until(() -> dialer.openChannels() == 0);
            dialer.close();
            assertThat(leaks.collectLeaks()).isEmpty();
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * A peer whose identity is not Ed25519 ({@code keyType}: secp256k1, rsa or ecdsa; the peer's
     * {@code --key-type}), both directions: our dialer verifies its listener's Noise signature and
     * PeerId, and our listener verifies its dialer's; identify and an echo then run on each.
     */
    static void otherKeyType(Lang lang, String keyType, String peerIdPrefix) throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        EventLoops loops = EventLoops.acquire();
        Libp2pNode node = new Libp2pNode(Libp2pSettings.defaults(PeerIdentity.generate()), threads, loops.offload());
        try (LeakWatch leaks = new LeakWatch(); InteropPeer peer = InteropPeer.listen(lang, "--key-type", keyType);
                Libp2pDialer dialer = new Libp2pDialer(node, loops)) {
            assertThat(peer.peerId().toBase58()).startsWith(peerIdPrefix);
            Libp2pConnection connection = dialer.dial(peer.peerId(), peer.address(), T).get(30, TimeUnit.SECONDS);
            assertThat(connection.remotePeer()).isEqualTo(peer.peerId());
            assertThat(connection.identify().get(30, TimeUnit.SECONDS).agentVersion())
                    .startsWith("guardian-interop-" + lang.id() + "/");
            byte[] payload = new byte[64 * 1024];
            new Random(keyType.hashCode()).nextBytes(payload);
            assertThat(echoOnce(connection, payload, threads)).isEqualTo(payload);
            connection.close();
            await("no channel left").atMost(T).until(() -> dialer.openChannels() == 0);
            dialer.close();
            assertThat(leaks.collectLeaks()).isEmpty();
        } finally {
            threads.shutdownNow();
        }
        Set<PeerId> dialers = ConcurrentHashMap.newKeySet();
        try (PeerListener listener = PeerListener.builder(PeerIdentity.generate())
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .streamHandler(ECHO, stream -> {
                    dialers.add(stream.remotePeer());
                    Streams.echo(stream);
                })
                .start()) {
            DialResult result = InteropPeer.dial(lang, listener.listenAddress(), Duration.ofMinutes(2),
                    List.of("--key-type", keyType), "identify", "echo");
            assertThat(result.ok()).as("%s", result).isTrue();
            assertThat(result.steps("echo")).hasSize(3);
            assertThat(dialers).singleElement().satisfies(id -> assertThat(id.toBase58()).startsWith(peerIdPrefix));
            assertThat(listener.failedHandshakes()).isZero();
        }
    }

    private static byte[] echoOnce(Libp2pConnection connection, byte[] payload, ExecutorService readers) {
        try (StreamChannel stream = connection.openStream(ECHO)) {
            CompletableFuture<byte[]> back = readers == null ? null
                    : CompletableFuture.supplyAsync(() -> Streams.readAll(stream), readers);
            stream.write(payload);
            stream.closeWrite();
            return back == null ? Streams.readAll(stream) : back.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("echo of " + payload.length + " bytes failed", e);
        }
    }
}
