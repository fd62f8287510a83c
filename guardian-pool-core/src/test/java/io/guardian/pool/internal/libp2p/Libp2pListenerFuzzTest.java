package io.guardian.pool.internal.libp2p;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.internal.transport.EventLoops;
import io.guardian.pool.internal.transport.LeakWatch;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@link PeerListener} fed seeded random and mutated libp2p upgrades from raw sockets: garbage
 * after the multistream byte, a valid header then garbage, a valid {@code /noise} agreement then
 * garbage Noise frames, truncations. Each case must end with the socket closed by one side, the
 * listener answering an honest dialer afterwards, no connection left and no buffer leaked.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Libp2pListenerFuzzTest {

    private static final int CASES = Integer.getInteger("guardian.fuzz.libp2p.cases", 400);
    private static final long SEED = Long.getLong("guardian.fuzz.seed", 20261203L);

    @Test
    void randomUpgradesOnlyEverCloseTheConnection() throws Exception {
        PeerIdentity identity = PeerIdentity.generate();
        ExecutorService handlers = Executors.newCachedThreadPool();
        try (LeakWatch leaks = new LeakWatch(); PipelineTailWatch tail = new PipelineTailWatch();
                PeerListener listener = PeerListener.builder(identity)
                        .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                        .protocol(ProtocolConfig.builder().handshakeTimeout(Duration.ofSeconds(2)).build())
                        .streamHandler("/fuzz/echo/1.0.0", Streams::echo)
                        .start()) {
            InetSocketAddress target = listener.listenAddress().toSocketAddress();
            Random random = new Random(SEED);
            for (int i = 0; i < CASES; i++) {
                byte[] bytes = upgradeCase(random);
                try (Socket socket = new Socket()) {
                    socket.connect(target, 2000);
                    socket.setSoTimeout(3000);
                    OutputStream out = socket.getOutputStream();
                    try {
                        out.write(bytes);
                        out.flush();
                    } catch (IOException closedEarly) {
                        // The listener may close before all of it is written: that is an answer too.
                    }
                    // Mostly the dialer then half-closes; one case in 40 stays silent, so the deadline must end it.
                    if (random.nextInt(40) != 0) {
                        socket.shutdownOutput();
                    }
                    drainUntilClosed(socket.getInputStream(), "case " + i + " (seed " + SEED + "): "
                            + ByteBufUtil.hexDump(bytes, 0, Math.min(bytes.length, 64)));
                }
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> listener.connectionCount() == 0);
            assertThat(listener.failedHandshakes()).isPositive();

            Libp2pNode node = new Libp2pNode(Libp2pSettings.defaults(PeerIdentity.generate()), handlers, Runnable::run);
            try (Libp2pDialer dialer = new Libp2pDialer(node, EventLoops.acquire())) {
                Libp2pConnection honest = dialer.dial(identity.peerId(), listener.listenAddress(), Duration.ofSeconds(10))
                        .get(10, TimeUnit.SECONDS);
                assertThat(honest.pingProtocol(Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS)).isPositive();
            }
            assertThat(leaks.collectLeaks()).isEmpty();
            assertThat(tail.unhandled()).as("exceptions or bytes that reached a pipeline's tail").isEmpty();
        } finally {
            handlers.shutdownNow();
        }
    }

    /** Reads until the listener closes; the handshake deadline (2 s) bounds how long that takes. */
    private static void drainUntilClosed(InputStream in, String what) throws IOException {
        byte[] buf = new byte[4096];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
        while (System.nanoTime() < deadline) {
            try {
                if (in.read(buf) < 0) {
                    return;
                }
            } catch (SocketTimeoutException e) {
                // keep waiting until the deadline
            } catch (IOException reset) {
                return;
            }
        }
        throw new AssertionError("listener kept the socket open past its handshake deadline: " + what);
    }

    private static byte[] upgradeCase(Random random) {
        ByteBuf out = Unpooled.buffer();
        try {
            int kind = random.nextInt(5);
            if (kind == 0) {
                out.writeByte(0x13);
                out.writeBytes(randomBytes(random, random.nextInt(64)));
            } else {
                Multistream.write(out, Multistream.HEADER);
                if (kind == 1) {
                    out.writeBytes(randomBytes(random, random.nextInt(64)));
                } else {
                    Multistream.write(out, random.nextInt(4) == 0 ? "/tls/1.0.0" : "/noise");
                    if (kind == 2) {
                        out.writeBytes(randomBytes(random, random.nextInt(200)));
                    } else if (kind == 3) {
                        int length = random.nextInt(4) == 0 ? 0xFFFF : 32;
                        out.writeShort(length);
                        out.writeBytes(randomBytes(random, Math.min(length, random.nextInt(80))));
                    }
                }
            }
            byte[] bytes = ByteBufUtil.getBytes(out);
            if (bytes.length > 1 && random.nextInt(3) == 0) {
                bytes[1 + random.nextInt(bytes.length - 1)] ^= (byte) (1 << random.nextInt(8));
            }
            return bytes;
        } finally {
            out.release();
        }
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }
}
