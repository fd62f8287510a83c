package io.guardian.pool.benchmarks.scale;

import io.guardian.pool.benchmarks.support.LocalPeers;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener JVM for the scale suite: starts N echo peers (one {@code PeerListener} per identity)
 * and serves a line protocol on a loopback control socket to the JVM that launched it
 * ({@link PeerFarms}). Separate JVMs let the peers' sockets use their own open-files limit and
 * keep their heap out of the pool's heap measurement.
 *
 * <p>Control protocol, one line each: the farm names itself ({@code farm <index>}), sends
 * {@code peer <multiaddr>} per peer, then
 * {@code ready}. It answers {@code heap} with {@code heap <empty> <listening> <now>} (bytes in use
 * after full GCs: before any listener was started, after all were started, and now) and
 * {@code stop} by closing every listener and exiting. A closed control socket also stops it, so a
 * crashed parent never leaves a farm behind.
 */
public final class PeerFarm {

    private static final Logger log = LoggerFactory.getLogger(PeerFarm.class);

    private PeerFarm() {
    }

    /**
     * Runs a farm.
     *
     * @param args peer count, the launcher's loopback control port, and this farm's index
     * @throws IOException if the control connection fails
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: PeerFarm <peer-count> <control-port> <farm-index>; got "
                    + args.length + " arguments");
        }
        int count = Integer.parseInt(args[0]);
        int controlPort = Integer.parseInt(args[1]);
        String index = args[2];
        // One listener outside the measurement absorbs the one-time costs (classes, event loops,
        // allocator arenas), so "empty" to "listening" is what N more listeners cost.
        PeerListener fixedCosts = LocalPeers.startEcho(PeerIdentity.generate());
        long empty = HeapMeter.usedAfterGc();
        try (fixedCosts;
                LocalPeers peers = LocalPeers.start(count);
                Socket control = new Socket(InetAddress.getLoopbackAddress(), controlPort)) {
            long listening = HeapMeter.usedAfterGc();
            log.info("peer farm: {} listeners up, heap {} -> {} bytes", count, empty, listening);
            Writer out = new BufferedWriter(new OutputStreamWriter(control.getOutputStream(), StandardCharsets.US_ASCII));
            out.write("farm " + index + "\n");
            for (Multiaddr address : peers.addresses()) {
                out.write("peer " + address + "\n");
            }
            out.write("ready\n");
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(control.getInputStream(),
                    StandardCharsets.US_ASCII));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.equals("heap")) {
                    out.write("heap " + empty + " " + listening + " " + HeapMeter.usedAfterGc() + "\n");
                    out.flush();
                } else if (line.equals("stop")) {
                    break;
                } else {
                    throw new IllegalArgumentException("peer farm: unknown control command '" + line
                            + "'; the launcher speaks heap and stop");
                }
            }
        }
        log.info("peer farm: stopped");
    }
}
