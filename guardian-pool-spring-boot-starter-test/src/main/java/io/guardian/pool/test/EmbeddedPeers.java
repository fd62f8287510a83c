package io.guardian.pool.test;

import io.guardian.pool.PeerAddress;
import io.guardian.pool.net.MessageHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Real peers on loopback for a test class, as a JUnit Jupiter extension:
 *
 * <pre>{@code
 * @SpringBootTest
 * class InventoryClientTest {
 *
 *     @RegisterExtension
 *     static final EmbeddedPeers peers = EmbeddedPeers.echo(2);
 *
 *     @DynamicPropertySource
 *     static void peerAddresses(DynamicPropertyRegistry registry) {
 *         registry.add("inventory.peers", peers::addressList);
 *     }
 *
 *     @Test
 *     void fallsBackWhenAPeerIsDown(@Autowired OptimizedConnectionPool pool) {
 *         peers.get(0).stop();
 *         // ... exercise the application ...
 *         CircuitBreakerAwait.awaitOpen(pool, peers.get(0).id(), Duration.ofSeconds(10));
 *     }
 * }
 * }</pre>
 *
 * <p>Lifecycle: the peers start when first asked for (so a {@code @DynamicPropertySource}
 * supplier may read their addresses before or after this extension's callbacks) or before the
 * class's first test, whichever comes first, and are closed after its last test. Each test
 * starts with every peer running: a peer a test stopped is started again, on the same port with
 * the same PeerId, before the next test. Registered on an instance field instead of a static
 * one, the peers live for one test each.
 *
 * <p>Every peer answers the guardian-db protocol and libp2p on one port; the handler given here
 * serves both. Thread-safe.
 */
public final class EmbeddedPeers implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback,
        AfterAllCallback, AutoCloseable {

    /** Most peers one extension starts: each holds a listening socket and a key pair. */
    public static final int MAX_PEERS = 256;

    private final int count;
    private final MessageHandler handler;
    /** Guarded by this; empty until started. */
    private final List<EmbeddedPeer> peers = new ArrayList<>();
    /** Guarded by this. */
    private boolean classScoped;
    /** Guarded by this. */
    private boolean closed;

    private EmbeddedPeers(int count, MessageHandler handler) {
        if (count < 1 || count > MAX_PEERS) {
            throw new IllegalArgumentException("count must be between 1 and " + MAX_PEERS + ", was " + count);
        }
        this.count = count;
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    /**
     * Peers that answer every request with the request itself.
     *
     * @param count how many, 1 to {@value #MAX_PEERS}
     * @return the extension, to register with {@code @RegisterExtension}
     */
    public static EmbeddedPeers echo(int count) {
        return new EmbeddedPeers(count, (from, message) -> message);
    }

    /**
     * Peers that answer with {@code handler} (on both transports); a {@code null} reply sends
     * nothing, an exception closes the caller's connection.
     *
     * @param count how many, 1 to {@value #MAX_PEERS}
     * @param handler called once per request, off the network threads; shared by all the peers
     * @return the extension, to register with {@code @RegisterExtension}
     */
    public static EmbeddedPeers answering(int count, MessageHandler handler) {
        return new EmbeddedPeers(count, handler);
    }

    /**
     * One peer, started if it was not.
     *
     * @param index 0 to {@code size() - 1}
     * @return the peer
     * @throws IndexOutOfBoundsException for another index
     * @throws IllegalStateException after {@link #close()}
     */
    public EmbeddedPeer get(int index) {
        return all().get(index);
    }

    /**
     * Every peer, started if they were not.
     *
     * @return the peers, in a fixed order
     * @throws IllegalStateException after {@link #close()}
     */
    public synchronized List<EmbeddedPeer> all() {
        if (closed) {
            throw new IllegalStateException("these embedded peers were closed after their tests");
        }
        if (peers.isEmpty()) {
            for (int i = 0; i < count; i++) {
                EmbeddedPeer peer = new EmbeddedPeer(handler);
                peers.add(peer);
                peer.start();
            }
        }
        return List.copyOf(peers);
    }

    /**
     * How many peers this extension runs.
     *
     * @return the count given when it was made
     */
    public int size() {
        return count;
    }

    /**
     * Every peer's id and address, for {@code OptimizedConnectionPool.acquireAny}.
     *
     * @return the candidates, in the order of {@link #all()}
     */
    public List<PeerAddress> peerAddresses() {
        return all().stream().map(EmbeddedPeer::peerAddress).toList();
    }

    /**
     * Every peer's address, comma-separated: the form Spring binds to a {@code List<String>} or
     * {@code List<Multiaddr>}-style property.
     *
     * @return e.g. {@code /ip4/127.0.0.1/tcp/41234/p2p/12D3KooW...,/ip4/127.0.0.1/tcp/41235/p2p/12D3KooW...}
     */
    public String addressList() {
        return all().stream().map(p -> p.address().toString()).collect(Collectors.joining(","));
    }

    /** Starts the peers for a class's tests (static registration). */
    @Override
    public void beforeAll(ExtensionContext context) {
        synchronized (this) {
            classScoped = true;
        }
        all();
    }

    /** Gives each test every peer running: restarts those an earlier test stopped. */
    @Override
    public void beforeEach(ExtensionContext context) {
        for (EmbeddedPeer peer : all()) {
            peer.start();
        }
    }

    /** Closes per-test peers (instance registration); class-wide ones stay for the next test. */
    @Override
    public void afterEach(ExtensionContext context) {
        boolean perTest;
        synchronized (this) {
            perTest = !classScoped;
        }
        if (perTest) {
            close();
        }
    }

    /** Closes the class's peers. */
    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    /** Stops every peer for good. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        for (EmbeddedPeer peer : peers) {
            peer.close();
        }
    }

    @Override
    public synchronized String toString() {
        return "EmbeddedPeers" + (peers.isEmpty() ? "[" + count + " not started]" : peers);
    }
}
