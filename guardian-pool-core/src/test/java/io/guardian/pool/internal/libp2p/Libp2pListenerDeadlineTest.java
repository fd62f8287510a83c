package io.guardian.pool.internal.libp2p;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.net.PeerListener;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One deadline, counted from accept, bounds a listener's whole inbound handshake: a libp2p dialer
 * that waits before its first byte does not get a second {@code handshake-timeout} for its upgrade.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Libp2pListenerDeadlineTest {

    @Test
    void aLateLibp2pDialerGetsOnlyWhatIsLeftOfTheDeadlineFromAccept() throws Exception {
        Duration timeout = Duration.ofMillis(1500);
        try (PeerListener listener = PeerListener.builder(PeerIdentity.generate())
                .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .protocol(ProtocolConfig.builder().handshakeTimeout(timeout).build())
                .streamHandler("/t/1.0.0", Streams::echo)
                .start();
                Socket socket = new Socket()) {
            long accepted = System.nanoTime();
            socket.connect(listener.listenAddress().toSocketAddress(), 2000);
            InputStream in = socket.getInputStream();
            // Stay silent for 1 s: the listener speaks only after the dialer, so this read times out.
            socket.setSoTimeout(1000);
            assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
            ByteBuf hello = Unpooled.buffer();
            Multistream.write(hello, Multistream.HEADER);
            Multistream.write(hello, "/noise");
            socket.getOutputStream().write(ByteBufUtil.getBytes(hello));
            hello.release();
            // The listener answers the header and /noise, then waits for Noise message 1, which never comes.
            socket.setSoTimeout(5000);
            byte[] buf = new byte[256];
            while (in.read(buf) >= 0) {
                // its multistream answer; read until it closes
            }
            long closedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - accepted);
            assertThat(closedAfter).as("ms from accept to close").isBetween(1000L, timeout.toMillis() + 400);
        }
    }
}
