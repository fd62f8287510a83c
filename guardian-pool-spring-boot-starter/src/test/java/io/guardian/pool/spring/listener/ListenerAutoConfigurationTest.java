package io.guardian.pool.spring.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.net.InboundLimits;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.PeerIdentity;
import io.guardian.pool.spring.GuardianPoolAutoConfiguration;
import io.guardian.pool.spring.GuardianPoolProperties;
import io.guardian.pool.spring.GuardianPoolPropertyException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The opt-in listener: when it exists, what answers on it, which limits it gets, and its end with the context. */
@Timeout(60)
class ListenerAutoConfigurationTest {

    private static final String ECHO = "/guardian-test/echo/1.0.0";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(GuardianPoolAutoConfiguration.class))
            .withPropertyValues("guardian.pool.health.enabled=false");

    @Test
    void noPortNoListener() {
        runner.withBean(GuardianPoolHandler.class, () -> (from, message) -> message).run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(PeerListener.class)
                    .doesNotHaveBean(GuardianPoolListenerAttachment.class);
        });
    }

    @Test
    void aPortStartsAListenerAsThePoolsIdentityAnsweringEveryHandlerBeanAndTheContextClosesIt() throws Exception {
        AtomicReference<PeerListener> started = new AtomicReference<>();
        runner.withPropertyValues("guardian.pool.listener.port=0")
                .withBean("upper", GuardianPoolHandler.class, () -> (from, message) ->
                        new String(message, StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8))
                .withBean("echo", GuardianPoolHandler.class, () -> GuardianPoolHandler.of(ECHO, (from, m) -> m))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    PeerListener listener = context.getBean(PeerListener.class);
                    started.set(listener);
                    assertThat(listener.peerId()).isEqualTo(context.getBean(PeerIdentity.class).peerId());
                    assertThat(listener.listenAddress().toString()).startsWith("/ip4/127.0.0.1/tcp/");
                    assertThat(listener.protocols()).contains(PeerListener.DEFAULT_PROTOCOL, ECHO);
                    assertThat(context.getBean(GuardianPoolListenerAttachment.class).attached())
                            .as("shared with the libp2p pool").isTrue();
                    try (OptimizedConnectionPool client = new OptimizedConnectionPool(PoolConfig.defaults())) {
                        try (PeerConnection lease = client.acquire(listener.peerId(), listener.listenAddress())) {
                            assertThat(lease.request("hi".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10)))
                                    .asString(StandardCharsets.UTF_8).isEqualTo("HI");
                        }
                        try (PeerConnection lease = client.acquire(listener.peerId(), listener.listenAddress(), ECHO)) {
                            assertThat(lease.request(new byte[] {7}, Duration.ofSeconds(10))).containsExactly(7);
                        }
                    }
                });
        assertThat(started.get().isOpen()).as("closed with the context").isFalse();
    }

    @Test
    void onTheGuardianTransportTheListenerRunsButIsNotShared() {
        runner.withPropertyValues("guardian.pool.listener.port=0", "guardian.pool.transport=guardian")
                .withBean(GuardianPoolHandler.class, () -> (from, message) -> message).run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(PeerListener.class).isOpen()).isTrue();
                    assertThat(context.getBean(GuardianPoolListenerAttachment.class).attached()).isFalse();
                });
    }

    @Test
    void everyLimitPropertyReachesTheListener() {
        Map<String, String> all = new HashMap<>();
        all.put("port", "0");
        all.put("max-inbound-per-address", "5");
        all.put("max-pending-per-address", "3");
        all.put("first-byte-timeout", "2s");
        all.put("idle-timeout", "90s");
        all.put("limit-loopback", "true");
        all.put("allowlisted-addresses", "10.0.0.0/8,fd00::/8");
        all.put("verification-threads", "3");
        all.put("max-queued-verifications", "40");
        all.put("handshakes-per-second-per-address", "0.5");
        all.put("handshake-burst-per-address", "9");
        all.put("max-buffered-inbound-bytes", "64MB");
        InboundLimits limits = ListenerFactory.limits(bind(all));
        assertThat(limits.maxConnectionsPerAddress()).isEqualTo(5);
        assertThat(limits.maxPendingPerAddress()).isEqualTo(3);
        assertThat(limits.firstByteTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(limits.idleTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(limits.limitLoopback()).isTrue();
        assertThat(limits.allowlistedAddresses()).isEqualTo(Set.of("10.0.0.0/8", "fd00::/8"));
        assertThat(limits.verificationThreads()).isEqualTo(3);
        assertThat(limits.maxQueuedVerifications()).isEqualTo(40);
        assertThat(limits.handshakesPerSecondPerAddress()).isEqualTo(0.5);
        assertThat(limits.handshakeBurstPerAddress()).isEqualTo(9);
        assertThat(limits.maxBufferedInboundBytes()).isEqualTo(64L << 20);
    }

    @Test
    void unsetLimitsAreCoresDefaults() {
        assertThat(ListenerFactory.limits(bind(Map.of("port", "0")))).isEqualTo(InboundLimits.defaults());
    }

    @Test
    void aValueCoreRefusesStopsStartUpNamingTheProperty() {
        for (String[] bad : List.of(new String[] {"max-inbound-per-address", "0"},
                new String[] {"idle-timeout", "-1s"}, new String[] {"handshakes-per-second-per-address", "0"},
                new String[] {"max-buffered-inbound-bytes", "1MB"}, new String[] {"max-inbound-connections", "0"},
                new String[] {"allowlisted-addresses", "not-an-ip"}, new String[] {"bind-address", "localhost"})) {
            runner.withPropertyValues("guardian.pool.listener.port=0", "guardian.pool.listener." + bad[0] + "=" + bad[1])
                    .withBean(GuardianPoolHandler.class, () -> (from, message) -> message).run(context -> {
                        assertThat(context).hasFailed();
                        Throwable cause = context.getStartupFailure();
                        while (cause != null && !(cause instanceof GuardianPoolPropertyException)) {
                            cause = cause.getCause();
                        }
                        assertThat(cause).as(bad[0]).isNotNull();
                        assertThat(((GuardianPoolPropertyException) cause).property())
                                .isEqualTo("guardian.pool.listener." + bad[0]);
                    });
        }
    }

    @Test
    void aPortWithoutAHandlerSaysWhatIsMissing() {
        runner.withPropertyValues("guardian.pool.listener.port=0").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("no handler");
            assertThat(context.getStartupFailure()).hasStackTraceContaining("declare a GuardianPoolHandler bean");
        });
    }

    @Test
    void twoHandlersOfOneProtocolStopStartUpAndCustomizersComeLast() {
        runner.withPropertyValues("guardian.pool.listener.port=0")
                .withBean("a", GuardianPoolHandler.class, () -> GuardianPoolHandler.of(ECHO, (f, m) -> m))
                .withBean("b", GuardianPoolHandler.class, () -> GuardianPoolHandler.of(ECHO, (f, m) -> m))
                .run(context -> assertThat(context.getStartupFailure()).hasStackTraceContaining("two GuardianPoolHandler"
                        + " beans answer " + ECHO));
        runner.withPropertyValues("guardian.pool.listener.port=0")
                .withBean(GuardianPoolListenerCustomizer.class, () -> b -> b.handler("/custom/1.0.0", (f, m) -> m))
                .run(context -> assertThat(context.getBean(PeerListener.class).protocols()).contains("/custom/1.0.0"));
    }

    private static GuardianPoolProperties.Listener bind(Map<String, String> listener) {
        Map<String, String> source = new HashMap<>();
        listener.forEach((k, v) -> source.put("guardian.pool.listener." + k, v));
        return new Binder(new MapConfigurationPropertySource(source)).bind("guardian.pool", GuardianPoolProperties.class)
                .get().listener();
    }
}
