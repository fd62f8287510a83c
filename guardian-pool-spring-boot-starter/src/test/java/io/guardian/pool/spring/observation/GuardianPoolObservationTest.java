package io.guardian.pool.spring.observation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolInstrumentation;
import io.guardian.pool.Transport;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import io.guardian.pool.spring.GuardianPoolAutoConfiguration;
import io.guardian.pool.spring.LoopbackPeers;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The starter's observations over a real pool dialing loopback peers on both transports, with
 * Micrometer's test registry (which also validates each observation's life cycle): a dial and a
 * request are observed with their key values and the caller's observation as parent, a failed
 * dial is an error observation, warm acquires are not observed, Boot's
 * {@code management.observations.enable.guardian.pool=false} switches them off, and a
 * convention bean replaces the default.
 */
@Timeout(60)
class GuardianPoolObservationTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final LoopbackPeers peers = new LoopbackPeers();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ObservationAutoConfiguration.class,
                    GuardianPoolAutoConfiguration.class))
            .withBean(ObservationRegistry.class, TestObservationRegistry::create)
            .withPropertyValues("guardian.pool.health.enabled=false");

    @AfterEach
    void stopPeers() {
        peers.close();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aDialAndARequestAreObservedUnderTheCallersObservationAndAWarmAcquireIsNot(Transport transport) {
        LoopbackPeers.Peer peer = peers.start();
        runner.withPropertyValues("guardian.pool.transport=" + transport).run(context -> {
            TestObservationRegistry registry = (TestObservationRegistry) context.getBean(ObservationRegistry.class);
            OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
            Observation caller = Observation.createNotStarted("caller", registry);
            caller.observe(() -> {
                try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
                    assertThat(lease.request(bytes("hello"), WAIT)).isEqualTo(bytes("hello"));
                }
            });
            String tp = transport.name().toLowerCase();
            TestObservationRegistryAssert.assertThat(registry)
                    .hasNumberOfObservationsWithNameEqualTo("guardian.pool.dial", 1)
                    .hasNumberOfObservationsWithNameEqualTo("guardian.pool.request", 1)
                    .forAllObservationsWithNameEqualTo("guardian.pool.dial", dial -> dial
                            .doesNotHaveError()
                            .hasContextualNameEqualTo("dial " + tp)
                            .hasLowCardinalityKeyValue("pool", "guardianPool")
                            .hasLowCardinalityKeyValue("transport", tp)
                            .hasLowCardinalityKeyValue("outcome", "success")
                            .hasLowCardinalityKeyValue("error", "none")
                            .hasHighCardinalityKeyValue("peer.id", peer.id().toBase58())
                            .hasHighCardinalityKeyValue("peer.address", peer.address().toString())
                            .hasParentObservationEqualTo(caller))
                    .forAllObservationsWithNameEqualTo("guardian.pool.request", request -> request
                            .doesNotHaveError()
                            .hasLowCardinalityKeyValue("protocol", pool.config().defaultProtocol())
                            .hasLowCardinalityKeyValue("operation", "request")
                            .hasLowCardinalityKeyValue("transport", tp)
                            .hasLowCardinalityKeyValue("outcome", "success")
                            .hasHighCardinalityKeyValue("peer.id", peer.id().toBase58())
                            .hasParentObservationEqualTo(caller));
            TestObservationRegistryAssert.assertThat(registry).hasObservationWithNameEqualTo("guardian.pool.dial")
                    .that().hasBeenStarted().hasBeenStopped();
            TestObservationRegistryAssert.assertThat(registry).hasObservationWithNameEqualTo("guardian.pool.request")
                    .that().hasBeenStarted().hasBeenStopped();

            // Warm acquires (the idle connection, or a stream on it) are not observed; the send is.
            for (int i = 0; i < 5; i++) {
                try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
                    lease.send(bytes("x"));
                    lease.receive(WAIT);
                }
            }
            assertThat(pool.getStats().connectionsReused()).isGreaterThanOrEqualTo(5);
            TestObservationRegistryAssert.assertThat(registry)
                    .hasNumberOfObservationsWithNameEqualTo("guardian.pool.dial", 1)
                    .hasNumberOfObservationsWithNameEqualTo("guardian.pool.request", 11)
                    .hasNumberOfObservationsWithNameEqualTo("caller", 1);
        });
    }

    @Test
    void aFailedDialIsAnErrorObservation() throws Exception {
        Multiaddr refused = refusingAddress();
        runner.withPropertyValues("guardian.pool.transport=GUARDIAN", "guardian.pool.max-retry-attempts=0")
                .run(context -> {
                    TestObservationRegistry registry = (TestObservationRegistry) context.getBean(ObservationRegistry.class);
                    OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
                    Throwable thrown = catchThrowable(() -> pool.acquire(refusedPeer(refused), refused));
                    assertThat(thrown).isInstanceOf(ConnectionFailedException.class);
                    TestObservationRegistryAssert.assertThat(registry)
                            .hasNumberOfObservationsWithNameEqualTo("guardian.pool.dial", 1)
                            .forAllObservationsWithNameEqualTo("guardian.pool.dial", dial -> dial
                                    .hasError()
                                    .hasLowCardinalityKeyValue("outcome", "failure")
                                    .hasLowCardinalityKeyValue("error", thrown.getClass().getSimpleName()))
                            .hasNumberOfObservationsWithNameEqualTo("guardian.pool.request", 0);
                });
    }

    @Test
    void bootsSwitchTurnsThemOff() {
        LoopbackPeers.Peer peer = peers.start();
        runner.withPropertyValues("management.observations.enable.guardian.pool=false").run(context -> {
            TestObservationRegistry registry = (TestObservationRegistry) context.getBean(ObservationRegistry.class);
            OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
            try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
                assertThat(lease.request(bytes("hello"), WAIT)).isEqualTo(bytes("hello"));
            }
            Observation.createNotStarted("other", registry).observe(() -> { });
            TestObservationRegistryAssert.assertThat(registry)
                    .hasNumberOfObservationsWithNameEqualTo("guardian.pool.dial", 0)
                    .hasNumberOfObservationsWithNameEqualTo("guardian.pool.request", 0)
                    .hasNumberOfObservationsWithNameEqualTo("other", 1);
        });
    }

    @Test
    void aConventionBeanReplacesTheDefault() {
        LoopbackPeers.Peer peer = peers.start();
        runner.withBean(GuardianPoolRequestObservationConvention.class, () -> new DefaultGuardianPoolRequestObservationConvention() {
            @Override
            public KeyValues getLowCardinalityKeyValues(GuardianPoolRequestContext context) {
                return super.getLowCardinalityKeyValues(context).and("tenant", "blue");
            }
        }).run(context -> {
            TestObservationRegistry registry = (TestObservationRegistry) context.getBean(ObservationRegistry.class);
            OptimizedConnectionPool pool = context.getBean(OptimizedConnectionPool.class);
            try (PeerConnection lease = pool.acquire(peer.id(), peer.address())) {
                lease.request(bytes("hello"), WAIT);
            }
            TestObservationRegistryAssert.assertThat(registry)
                    .forAllObservationsWithNameEqualTo("guardian.pool.request", request -> request
                            .hasLowCardinalityKeyValue("tenant", "blue").hasLowCardinalityKeyValue("pool", "guardianPool"));
        });
    }

    @Test
    void withoutARegistryThereIsNoInstrumentation() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(GuardianPoolAutoConfiguration.class))
                .withPropertyValues("guardian.pool.health.enabled=false").run(context -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(PoolInstrumentation.class)
                            .doesNotHaveBean(GuardianPoolObservations.class).hasSingleBean(OptimizedConnectionPool.class);
                });
    }

    @Test
    void anApplicationsOwnPoolsGetTheirInstrumentationByName() {
        LoopbackPeers.Peer peer = peers.start();
        runner.run(context -> {
            TestObservationRegistry registry = (TestObservationRegistry) context.getBean(ObservationRegistry.class);
            GuardianPoolObservations observations = context.getBean(GuardianPoolObservations.class);
            try (OptimizedConnectionPool mine = new OptimizedConnectionPool(
                    context.getBean(OptimizedConnectionPool.class).config(), PeerIdentity.generate(),
                    observations.forPool("replicas"));
                    PeerConnection lease = mine.acquire(peer.id(), peer.address())) {
                lease.request(bytes("hello"), WAIT);
            }
            TestObservationRegistryAssert.assertThat(registry)
                    .forAllObservationsWithNameEqualTo("guardian.pool.dial",
                            dial -> dial.hasLowCardinalityKeyValue("pool", "replicas"));
        });
    }

    @Test
    void withPoolsOfTheApplicationsOwnThereIsNoInstrumentationForTheStartersPool() {
        runner.withBean("replicas", OptimizedConnectionPool.class,
                () -> new OptimizedConnectionPool(io.guardian.pool.PoolConfig.defaults())).run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(GuardianPoolObservations.class)
                            .doesNotHaveBean(PoolInstrumentation.class);
                    assertThat(context.getBeansOfType(OptimizedConnectionPool.class)).containsOnlyKeys("replicas");
                });
    }

    private static io.guardian.pool.peer.PeerId refusedPeer(Multiaddr address) {
        return io.guardian.pool.peer.PeerId.parse(address.toString().substring(address.toString().lastIndexOf('/') + 1));
    }

    /** A loopback port closed again at once: a dial there is refused. */
    private static Multiaddr refusingAddress() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return Multiaddr.parse("/ip4/127.0.0.1/tcp/" + s.getLocalPort() + "/p2p/"
                    + PeerIdentity.generate().peerId().toBase58());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
