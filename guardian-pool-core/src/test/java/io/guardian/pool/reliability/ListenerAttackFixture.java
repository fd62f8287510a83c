package io.guardian.pool.reliability;

import io.guardian.pool.net.PeerListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * What the attack tests on a real {@link PeerListener} share: the attackers' raw sockets, the
 * listener under attack, the peaks sampled while it is attacked and the process baseline taken
 * before it started; all of it closed after each test (a subclass's own {@code @AfterEach} runs
 * first).
 */
abstract class ListenerAttackFixture {

    final List<Socket> attackers = new ArrayList<>();
    PeerListener listener;
    PeakSampler peaks;
    ProcessProbe baseline;

    @AfterEach
    void closeAttackersAndListener() {
        closeAttackers();
        if (peaks != null) {
            peaks.close();
        }
        if (listener != null) {
            listener.close();
        }
    }

    /** Closes every attacker socket opened so far (the listener may have closed them already). */
    void closeAttackers() {
        for (Socket socket : attackers) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing a socket the listener already closed.
            }
        }
        attackers.clear();
    }

    /** A socket from 127.0.0.{@code lastOctet} to {@code listener}: another loopback host, as far as per-address limits tell. */
    static Socket connectFrom(int lastOctet, PeerListener listener) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) lastOctet}), 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.listenAddress().port()), 5000);
        socket.setSoTimeout(5000);
        return socket;
    }
}
