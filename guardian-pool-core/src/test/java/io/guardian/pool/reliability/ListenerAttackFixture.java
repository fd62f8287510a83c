package io.guardian.pool.reliability;

import static io.guardian.pool.internal.transport.RawHandshake.ACK_11_LENGTH;
import static io.guardian.pool.internal.transport.RawHandshake.AUTH_LENGTH;

import io.guardian.pool.internal.transport.Bytes;
import io.guardian.pool.internal.transport.RawHandshake;
import io.guardian.pool.internal.transport.SpecWire;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.PeerIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
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

    /** A full 1.1 handshake with a fresh key: what a stranger with free identities can do. */
    static boolean throwawaySession(Socket socket, PeerIdentity identity) {
        try {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] hello = RawHandshake.hello11(RawHandshake.now(), RawHandshake.nonce());
            out.write(hello);
            byte[] ack = SpecWire.read(in, ACK_11_LENGTH);
            out.write(SpecWire.auth(identity.publicKeyProtobuf(),
                    identity.sign(Bytes.concat(SpecWire.ascii("guardian-db/1.1 dialer"), hello, ack))));
            SpecWire.read(in, AUTH_LENGTH);
            out.write(SpecWire.OK);
            return Arrays.equals(SpecWire.read(in, 12), SpecWire.OK);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
