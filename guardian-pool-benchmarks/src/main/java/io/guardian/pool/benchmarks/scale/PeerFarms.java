package io.guardian.pool.benchmarks.scale;

import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Launches and drives {@link PeerFarm} JVMs: as many as the open-files limit requires for the
 * requested peer count (two descriptors per peer on the listener side). Not API.
 */
final class PeerFarms implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerFarms.class);

    /** Heap of each farm JVM; 5,000 listeners with a connection each need far less. */
    private static final String FARM_HEAP = "-Xmx1g";

    private final List<Farm> farms;
    private final PeerId[] ids;
    private final Multiaddr[] addresses;

    private PeerFarms(List<Farm> farms, List<Multiaddr> all) {
        this.farms = farms;
        this.addresses = all.toArray(Multiaddr[]::new);
        this.ids = new PeerId[addresses.length];
        for (int i = 0; i < ids.length; i++) {
            Multiaddr address = addresses[i];
            ids[i] = address.peerId().orElseThrow(() -> new IllegalStateException(
                    "a peer farm reported " + address + ", which lacks the /p2p/<id> suffix listeners announce"));
        }
    }

    /**
     * Starts farm JVMs for {@code peers} peers and waits until every peer listens.
     *
     * @param peers how many peers in all
     * @param timeout bound on the start-up (identity generation dominates it)
     * @return the running farms; close them
     * @throws IOException if a JVM cannot be launched or its control connection fails
     */
    static PeerFarms start(int peers, Duration timeout) throws IOException {
        int perJvm = FileLimits.peersPerListenerJvm();
        int jvms = (peers + perJvm - 1) / perJvm;
        log.info("starting {} peers in {} listener JVM(s) (open-files limit {}, at most {} peers each)", peers, jvms,
                FileLimits.limit(), perJvm);
        List<Farm> farms = new ArrayList<>(jvms);
        List<Multiaddr> all = new ArrayList<>(peers);
        try (ServerSocket control = new ServerSocket(0, jvms, InetAddress.getLoopbackAddress())) {
            control.setSoTimeout((int) timeout.toMillis());
            try {
                for (int i = 0; i < jvms; i++) {
                    int count = peers / jvms + (i < peers % jvms ? 1 : 0);
                    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                            FARM_HEAP, "-cp", System.getProperty("java.class.path"), PeerFarm.class.getName(),
                            Integer.toString(count), Integer.toString(control.getLocalPort()), Integer.toString(i))
                            .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                            .redirectError(ProcessBuilder.Redirect.INHERIT)
                            .start();
                    farms.add(new Farm(process));
                }
                for (int i = 0; i < jvms; i++) {
                    // Farms connect in whatever order they come up; each names itself first.
                    Socket socket = control.accept();
                    socket.setSoTimeout((int) timeout.toMillis());
                    Farm farm = farms.get(identify(socket, jvms));
                    farm.attach(socket);
                }
                for (Farm farm : farms) {
                    all.addAll(farm.readPeers());
                }
            } catch (IOException | RuntimeException e) {
                farms.forEach(Farm::close);
                throw e;
            }
        }
        if (all.size() != peers) {
            farms.forEach(Farm::close);
            throw new IllegalStateException("peer farms announced " + all.size() + " peers, expected " + peers);
        }
        return new PeerFarms(farms, all);
    }

    /** Reads the farm's first line, {@code farm <index>}, and returns the index. */
    private static int identify(Socket socket, int jvms) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = socket.getInputStream().read(); c != '\n'; c = socket.getInputStream().read()) {
            if (c < 0) {
                throw new IOException("a peer farm closed its control connection before naming itself; see its log above");
            }
            line.append((char) c);
        }
        String text = line.toString();
        int index = text.startsWith("farm ") ? Integer.parseInt(text.substring("farm ".length())) : -1;
        if (index < 0 || index >= jvms) {
            throw new IOException("a peer farm introduced itself as '" + text + "', expected 'farm <0.." + (jvms - 1) + ">'");
        }
        return index;
    }

    /** @return peer ids, index-aligned with {@link #addresses()} */
    PeerId[] ids() {
        return ids;
    }

    /** @return listen addresses, each ending in {@code /p2p/<id>} */
    Multiaddr[] addresses() {
        return addresses;
    }

    /** @return how many listener JVMs serve the peers */
    int jvms() {
        return farms.size();
    }

    /**
     * CPU time the farm JVMs have used so far (the kernel counts it in 10 ms ticks).
     *
     * @return nanoseconds, summed over the farms
     */
    long cpuNanos() {
        long sum = 0;
        for (Farm farm : farms) {
            sum += farm.process.toHandle().info().totalCpuDuration().map(java.time.Duration::toNanos).orElseThrow(
                    () -> new IllegalStateException("the OS does not report the CPU time of peer farm pid "
                            + farm.process.pid()));
        }
        return sum;
    }

    /**
     * Heap in use after GC, summed over the farms: before their listeners started, once they
     * listened, and now.
     *
     * @return {@code {empty, listening, now}} in bytes
     * @throws IOException if a farm does not answer
     */
    long[] heap() throws IOException {
        long[] sum = new long[3];
        for (Farm farm : farms) {
            long[] one = farm.heap();
            for (int i = 0; i < 3; i++) {
                sum[i] += one[i];
            }
        }
        return sum;
    }

    /** Stops every farm (all at once: each closes thousands of listeners) and waits for the JVMs to exit. */
    @Override
    public void close() {
        farms.forEach(Farm::requestStop);
        farms.forEach(Farm::close);
    }

    /** One farm JVM and its control connection. */
    private static final class Farm implements AutoCloseable {

        private final Process process;
        private Socket socket;
        private BufferedReader in;
        private Writer out;

        Farm(Process process) {
            this.process = process;
        }

        void attach(Socket control) throws IOException {
            socket = control;
            in = new BufferedReader(new InputStreamReader(control.getInputStream(), StandardCharsets.US_ASCII));
            out = new BufferedWriter(new OutputStreamWriter(control.getOutputStream(), StandardCharsets.US_ASCII));
        }

        List<Multiaddr> readPeers() throws IOException {
            List<Multiaddr> peers = new ArrayList<>();
            for (String line = in.readLine(); !"ready".equals(line); line = in.readLine()) {
                if (line == null || !line.startsWith("peer ")) {
                    throw new IOException("peer farm sent '" + line + "' before 'ready'; see its log above");
                }
                peers.add(Multiaddr.parse(line.substring("peer ".length())));
            }
            return peers;
        }

        long[] heap() throws IOException {
            out.write("heap\n");
            out.flush();
            String line = in.readLine();
            if (line == null || !line.startsWith("heap ")) {
                throw new IOException("peer farm answered '" + line + "' to heap; see its log above");
            }
            String[] parts = line.split(" ");
            return new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2]), Long.parseLong(parts[3])};
        }

        void requestStop() {
            try {
                if (out != null && !socket.isOutputShutdown()) {
                    out.write("stop\n");
                    out.flush();
                    socket.shutdownOutput();
                }
            } catch (IOException e) {
                log.debug("peer farm control connection already gone: {}", e.getMessage());
            }
        }

        @Override
        public void close() {
            requestStop();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    log.warn("peer farm pid {} did not stop within 60 s; killing it", process.pid());
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            } finally {
                if (socket != null) {
                    try {
                        socket.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException("closing a peer farm control socket failed", e);
                    }
                }
            }
        }
    }
}
