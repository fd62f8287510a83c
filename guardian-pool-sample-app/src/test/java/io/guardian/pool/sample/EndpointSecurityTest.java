package io.guardian.pool.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.peer.PeerId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.client.RestTestClient;
import tools.jackson.databind.JsonNode;

/**
 * The README's Spring Security example for the {@code connectionpool} endpoint ("Running in
 * production", "Endpoint access"), applied to the running sample: its writes (evict,
 * reset-breaker) need the {@code POOL_ADMIN} role, its reads the {@code MONITORING} role, health
 * stays open, and the sample's own API, outside the actuator, is untouched. The chain below is
 * the README's, word for word (a test compares them); only the users are the test's.
 *
 * <p>Spring Security is a test dependency of the sample; this class turns its auto-configuration
 * back on, which the other tests leave off ({@code src/test/resources/application.properties}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
// A context of its own (other properties): closed after the class so that its demo peers and
// workload do not run on beside the shared one for the rest of the module's tests.
@DirtiesContext
@TestPropertySource(properties = "spring.autoconfigure.exclude=")
@Import(EndpointSecurityTest.ReadmeSecurity.class)
class EndpointSecurityTest extends LiveSample {

    private static final String MONITOR = "monitor";
    private static final String ADMIN = "admin";
    private static final String PASSWORD = "test-only-password";

    @Autowired
    OptimizedConnectionPool pool;

    private PeerId peer;

    @BeforeEach
    void peerTracked() {
        peer = peerIdOf("peer-1");
        // The workload dials every demo peer; an action on a peer the pool does not track is a 404.
        await().atMost(Duration.ofSeconds(30)).until(() -> pool.peer(peer).isPresent());
    }

    @Test
    void writesNeedThePoolAdminRole() {
        String resetBreaker = "/actuator/connectionpool/" + peer.toBase58() + "/reset-breaker";

        assertThat(status(HttpMethod.POST, resetBreaker, null)).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(status(HttpMethod.POST, resetBreaker, MONITOR)).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(status(HttpMethod.POST, resetBreaker, "unknown-user"))
                .isEqualTo(HttpStatus.UNAUTHORIZED);

        String body = as(ADMIN).post().uri(resetBreaker).exchange()
                .expectStatus().isOk().returnResult(String.class).getResponseBody();
        JsonNode result = JSON.readTree(body);
        assertThat(result.path("peerId").asString()).isEqualTo(peer.toBase58());
        assertThat(result.path("action").asString()).isEqualTo("reset-breaker");
    }

    @Test
    void anEvictByAnAdminReachesThePoolAndOneWithoutTheRoleDoesNot() {
        String evict = "/actuator/connectionpool/" + peer.toBase58() + "/evict";
        // The peer has a connection an evict closes (now if idle, at release if leased), and
        // nothing else evicts in the sample meanwhile (idle-timeout 300s, no max-lifetime).
        await().atMost(Duration.ofSeconds(30)).until(() -> pool.peer(peer).orElseThrow().open() > 0);
        long evictionsBefore = pool.getStats().evictions();

        assertThat(status(HttpMethod.POST, evict, MONITOR)).isEqualTo(HttpStatus.FORBIDDEN);
        assertThat(status(HttpMethod.POST, evict, null)).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(pool.getStats().evictions()).as("evictions after refused requests").isEqualTo(evictionsBefore);

        assertThat(status(HttpMethod.POST, evict, ADMIN)).isEqualTo(HttpStatus.OK);
        await().atMost(Duration.ofSeconds(30)).until(() -> pool.getStats().evictions() > evictionsBefore);
    }

    @Test
    void readsNeedTheMonitoringRoleAndHealthStaysOpen() {
        assertThat(status(HttpMethod.GET, "/actuator/connectionpool", null)).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(status(HttpMethod.GET, "/actuator/connectionpool", MONITOR)).isEqualTo(HttpStatus.OK);
        assertThat(status(HttpMethod.GET, "/actuator/connectionpool/" + peer.toBase58(), MONITOR))
                .isEqualTo(HttpStatus.OK);
        assertThat(status(HttpMethod.GET, "/actuator/prometheus", null)).isEqualTo(HttpStatus.UNAUTHORIZED);
        assertThat(status(HttpMethod.GET, "/actuator/health", null)).isEqualTo(HttpStatus.OK);
    }

    @Test
    void theChainCoversOnlyTheActuatorNotTheApplicationsOwnApi() {
        assertThat(status(HttpMethod.GET, "/api/peers", null)).isEqualTo(HttpStatus.OK);
    }

    @Test
    void theReadmeShowsThisChain() throws IOException {
        Path readme = null;
        for (Path dir = Path.of("").toAbsolutePath(); dir != null && readme == null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("guardian-pool-sample-app")) && Files.exists(dir.resolve("README.md"))) {
                readme = dir.resolve("README.md");
            }
        }
        assertThat(readme).as("the repository's README.md above %s", Path.of("").toAbsolutePath()).isNotNull();
        Path source = Path.of("src/test/java", getClass().getName().replace('.', '/') + ".java");
        assertThat(chain(Files.readString(source))).as("the chain in %s and in the README", source)
                .isEqualTo(chain(Files.readString(readme))).isNotEmpty();
    }

    /** The lines of the {@code actuator} filter chain bean in a text, without comments and indentation. */
    private static List<String> chain(String text) {
        List<String> lines = new ArrayList<>();
        boolean in = false;
        for (String line : text.split("\n")) {
            String code = line.replaceAll("//.*$", "").trim();
            if (code.startsWith("SecurityFilterChain actuator(")) {
                in = true;
            }
            if (in && !code.isEmpty()) {
                lines.add(code);
                if (code.equals("}")) {
                    break;
                }
            }
        }
        return lines;
    }

    /** The status of a request as {@code user} (password {@link #PASSWORD}), or anonymous when null. */
    private HttpStatus status(HttpMethod method, String path, String user) {
        RestTestClient client = user == null ? http() : as(user);
        return HttpStatus.valueOf(client.method(method).uri(path).exchange()
                .returnResult(String.class).getStatus().value());
    }

    private RestTestClient as(String user) {
        return http().mutate().defaultHeaders(h -> h.setBasicAuth(user, PASSWORD)).build();
    }

    /** The README's chain, and two users of the test's. */
    @TestConfiguration(proxyBeanMethods = false)
    static class ReadmeSecurity {

        @Bean
        SecurityFilterChain actuator(HttpSecurity http) throws Exception {
            return http.securityMatcher(EndpointRequest.toAnyEndpoint())
                    .authorizeHttpRequests(requests -> requests
                            .requestMatchers(EndpointRequest.to("health")).permitAll()
                            .requestMatchers(HttpMethod.POST, "/actuator/connectionpool/**").hasRole("POOL_ADMIN")
                            .anyRequest().hasRole("MONITORING"))
                    .httpBasic(Customizer.withDefaults())
                    // Operators' scripts call the writes with basic authentication, not a browser session.
                    .csrf(csrf -> csrf.ignoringRequestMatchers(EndpointRequest.toAnyEndpoint()))
                    .build();
        }

        @Bean
        InMemoryUserDetailsManager users() {
            return new InMemoryUserDetailsManager(
                    User.withUsername(MONITOR).password("{noop}" + PASSWORD).roles("MONITORING").build(),
                    User.withUsername(ADMIN).password("{noop}" + PASSWORD).roles("MONITORING", "POOL_ADMIN").build());
        }
    }
}
