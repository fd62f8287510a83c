package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.PoolConfig;
import io.guardian.pool.net.ProtocolConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.json.JsonParserFactory;

/**
 * The IDE metadata the configuration processor writes: every setting of core has a property,
 * every property a description, and the defaults it documents are core's own.
 */
class ConfigurationMetadataTest {

    /** Settings whose default core derives from others; the metadata describes them in words. */
    private static final Set<String> DERIVED = Set.of("guardian.pool.circuit-breaker.open-timeout",
            "guardian.pool.circuit-breaker.max-open-timeout", "guardian.pool.circuit-breaker.failure-threshold",
            "guardian.pool.max-retry-backoff", "guardian.pool.handshake.allowed-peers", "guardian.pool.acquire-deadline",
            "guardian.pool.identity.key-file", "guardian.pool.listener.port", "guardian.pool.listener.verification-threads",
            "guardian.pool.listener.max-buffered-inbound-bytes", "guardian.pool.listener.allowlisted-addresses",
            "guardian.pool.listener.allowlisted-peers", "guardian.pool.reusable-stream-protocols");

    /** {@link ProtocolConfig}'s components and the handshake properties that carry them. */
    private static final Map<String, String> HANDSHAKE = Map.of("version", "protocol-version",
            "maxClockSkew", "max-clock-skew", "acceptPlainHandshake", "accept-plain", "allowedPeers", "allowed-peers",
            "maxFrameSize", "max-frame-size", "handshakeTimeout", "timeout",
            "pingAnswersPerSecond", "ping-answers-per-second");

    private static Map<String, Map<String, Object>> properties;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void readMetadata() throws IOException {
        URL ours = Collections.list(ConfigurationMetadataTest.class.getClassLoader()
                .getResources("META-INF/spring-configuration-metadata.json")).stream()
                .filter(url -> read(url).contains("\"guardian.pool\"")).findFirst()
                .orElseThrow(() -> new AssertionError("the configuration processor wrote no metadata for guardian.pool"));
        Map<String, Object> metadata = JsonParserFactory.getJsonParser().parseMap(read(ours));
        properties = ((List<Map<String, Object>>) metadata.get("properties")).stream()
                .collect(Collectors.toMap(p -> (String) p.get("name"), p -> p));
    }

    @Test
    void everyPoolSettingHasAProperty() {
        // PoolConfig.toString names every setting in kebab case (the protocol last, as a record of
        // its own): a setting added to core fails here until it has a property.
        String text = PoolConfig.defaults().toString();
        Matcher m = Pattern.compile("[\\[ ]([a-z.-]+)=").matcher(text.substring(0, text.indexOf(", protocol=")));
        List<String> missing = new ArrayList<>();
        int settings = 0;
        while (m.find()) {
            settings++;
            if (!properties.containsKey("guardian.pool." + m.group(1))) {
                missing.add(m.group(1));
            }
        }
        assertThat(settings).isGreaterThanOrEqualTo(20);
        assertThat(missing).isEmpty();
        assertThat(Arrays.stream(ProtocolConfig.class.getRecordComponents()).map(c -> c.getName()))
                .containsExactlyInAnyOrderElementsOf(HANDSHAKE.keySet());
        assertThat(HANDSHAKE.values()).allSatisfy(s -> assertThat(properties.keySet())
                .contains("guardian.pool.handshake." + s));
        assertThat(List.of("identity.key-file", "health.enabled", "health.down-on-open-circuit", "metrics.per-peer",
                "shutdown.grace-period", "endpoint.max-peers"))
                .allSatisfy(s -> assertThat(properties.keySet()).contains("guardian.pool." + s));
    }

    @Test
    void everyPropertyHasADescription() {
        assertThat(properties.values()).allSatisfy(p -> assertThat((String) p.get("description"))
                .as("%s", p.get("name")).isNotBlank().doesNotContain("{@"));
    }

    @Test
    void everyFixedDefaultIsDocumented() {
        assertThat(properties.values()).filteredOn(p -> !DERIVED.contains((String) p.get("name")))
                .allSatisfy(p -> assertThat(p.get("defaultValue")).as("%s", p.get("name")).isNotNull());
    }

    @Test
    void theDocumentedDefaultsAreCoresDefaults() {
        Map<String, Object> documented = new HashMap<>();
        properties.values().stream().filter(p -> p.get("defaultValue") != null)
                .forEach(p -> documented.put((String) p.get("name"), p.get("defaultValue")));
        GuardianPoolProperties bound = new Binder(new MapConfigurationPropertySource(documented))
                .bind("guardian.pool", GuardianPoolProperties.class).get();
        assertThat(bound.maxConnectionsPerPeer()).as("the documented values were bound").isNotNull();
        assertThat(PoolConfigFactory.create(bound, Stream.empty())).isEqualTo(PoolConfig.defaults());
    }

    private static String read(URL url) {
        try (InputStream in = url.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + url, e);
        }
    }
}
