package io.guardian.pool.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;

/**
 * The operations artifacts in {@code docs/} against what the sample really exports: the Grafana
 * dashboard ({@code docs/grafana/guardian-pool-dashboard.json}) and the Prometheus alert rules
 * ({@code docs/prometheus/guardian-pool-alerts.yml}) may name only metrics, and select only
 * labels, found in a scrape of {@code /actuator/prometheus}; a renamed meter or tag fails here.
 * The rules also pass {@code promtool check rules} and their unit tests
 * ({@code promtool test rules guardian-pool-alerts.test.yml}), whose input series must use real
 * names too; the dashboard's queries pass promtool's PromQL parser, and a real Prometheus server
 * scraping the sample returns series for each of them. Per-peer meters are switched on so that their panels and rules are checked as well.
 *
 * <p>Labels Prometheus or the application add at scrape time ({@code instance}, {@code job},
 * {@code application} from {@code management.metrics.tags.application}) are allowed without being
 * in the scrape, and so is {@code pool}, the tag the starter puts on every pool meter.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
// A context of its own (other properties): closed after the class so that its demo peers and
// workload do not run on beside the shared one for the rest of the module's tests.
@DirtiesContext
@TestPropertySource(properties = "guardian.pool.metrics.per-peer=true")
class OpsArtifactsTest extends LiveSample {

    private static final String PROMTOOL = System.getProperty("sample.promtool", "/usr/bin/promtool");
    private static final String PROMETHEUS = System.getProperty("sample.prometheus", "/usr/bin/prometheus");
    /** Labels that are not in the application's scrape but on the stored series. */
    private static final Set<String> ADDED_LABELS = Set.of("instance", "job", "application", "pool");
    /** Labels every dashboard query filters on, with the template variable it is filtered by. */
    private static final Map<String, String> FILTERS = Map.of(
            "application", "$application", "instance", "$instance", "pool", "$pool");
    private static final Pattern SELECTOR = Pattern.compile("\\b(guardian_pool_[A-Za-z0-9_]+)\\b(\\s*\\{([^}]*)})?");
    private static final Pattern MATCHER = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");
    private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");
    private static final Pattern SAMPLE = Pattern.compile("^([A-Za-z_:][A-Za-z0-9_:]*)(\\{(.*)})?\\s");

    /** Each guardian_pool_* sample name in the scrape, with the label names it carries. */
    private Map<String, Set<String>> exported;

    @BeforeEach
    void scrape() {
        // Per-peer series appear once the pool tracks a peer (the workload dials all of them).
        exported = await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(250))
                .until(this::scrapedSeries, m -> m.containsKey("guardian_pool_peer_health_score")
                        && m.containsKey("guardian_pool_acquire_seconds_bucket"));
    }

    @Test
    void dashboardQueriesNameOnlyExportedMetricsAndFilterOnPoolInstanceAndApplication() throws IOException {
        JsonNode dashboard = JSON.readTree(Files.readString(docs("grafana/guardian-pool-dashboard.json")));
        assertThat(dashboard.path("uid").asString()).isEqualTo("guardian-pool");

        List<String> variables = new ArrayList<>();
        for (JsonNode v : dashboard.path("templating").path("list")) {
            variables.add(v.path("name").asString());
            if ("query".equals(v.path("type").asString())) {
                String query = v.path("query").asString();
                assertThat(query).as("variable %s", v.path("name")).startsWith("label_values(");
                assertNamesAndLabels("variable " + v.path("name").asString(), query);
            }
        }
        assertThat(variables).containsExactly("datasource", "application", "instance", "pool");

        Set<Integer> ids = new HashSet<>();
        int queries = 0;
        Set<String> metricsShown = new TreeSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(ids.add(panel.path("id").asInt())).as("panel id %s unique", panel.path("id")).isTrue();
            if ("row".equals(panel.path("type").asString())) {
                continue;
            }
            String title = panel.path("title").asString();
            assertThat(panel.path("description").asString()).as("description of %s", title).isNotBlank();
            assertThat(panel.path("targets")).as("queries of %s", title).isNotEmpty();
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asString();
                metricsShown.addAll(assertNamesAndLabels(title, expr));
                Matcher selector = SELECTOR.matcher(expr);
                while (selector.find()) {
                    Map<String, String> matchers = matchers(selector.group(3));
                    FILTERS.forEach((label, variable) -> assertThat(matchers)
                            .as("panel '%s': %s filters on %s", title, selector.group(1), label)
                            .containsEntry(label, variable));
                }
                queries++;
            }
        }
        assertThat(queries).isGreaterThanOrEqualTo(20);
        // Every family the starter exports (per-peer included) is on the dashboard somewhere: a
        // new meter needs a panel.
        assertThat(metricsShown).as("families on the dashboard").containsAll(families());
    }

    @Test
    void dashboardQueriesAreValidPromQl(@TempDir Path dir) throws Exception {
        JsonNode dashboard = JSON.readTree(Files.readString(docs("grafana/guardian-pool-dashboard.json")));
        // promtool parses PromQL only in rule files: each panel query becomes a recording rule,
        // with Grafana's variables replaced as Grafana would (all values, a rate window).
        List<Map<String, String>> rules = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asString()
                        .replace("$__rate_interval", "1m")
                        .replaceAll("\\$(application|instance|pool)\\b", ".*");
                assertThat(expr).as("query of '%s' after substitution", panel.path("title")).doesNotContain("$");
                rules.add(Map.of("record", "dashboard:query" + rules.size(), "expr", expr));
            }
        }
        Path file = dir.resolve("dashboard-queries.yml");
        Files.writeString(file, new Yaml().dump(Map.of("groups", List.of(Map.of("name", "dashboard", "rules", rules)))));
        assertThat(promtool(dir, "check", "rules", file.getFileName().toString()))
                .contains("SUCCESS: " + rules.size() + " rules found");
    }

    @Test
    void dashboardQueriesReturnSeriesFromARealPrometheusScrapingTheSample(@TempDir Path dir) throws Exception {
        Path binary = Path.of(PROMETHEUS);
        if (!Files.isExecutable(binary)) {
            fail(PROMETHEUS + " is missing: this test needs Debian's prometheus package "
                    + "(apt-get install -y prometheus; run-tests.sh installs it)");
        }
        JsonNode dashboard = JSON.readTree(Files.readString(docs("grafana/guardian-pool-dashboard.json")));
        try (LocalPrometheus prometheus = new LocalPrometheus(binary, dir, "127.0.0.1:" + port,
                "/actuator/prometheus")) {
            // Enough scrapes (one a second) for the rates over the 15 s window below.
            await("five scrapes of the sample").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> prometheus.query("count_over_time(up{job=\"sample\"}[1m]) >= 5").size() > 0);
            for (JsonNode panel : dashboard.path("panels")) {
                for (JsonNode target : panel.path("targets")) {
                    // Grafana's rate window with a 1 s scrape interval is 4 intervals; 15 s is safe.
                    String expr = target.path("expr").asString().replace("$__rate_interval", "15s")
                            .replaceAll("\\$(application|instance|pool)\\b", ".*");
                    if (expr.matches("(?s).*>\\s*0\\s*$")) {
                        // Shows only what is wrong (failures, open breakers): empty on a healthy
                        // sample, but Prometheus must accept it.
                        prometheus.query(expr);
                        continue;
                    }
                    await("series for '" + panel.path("title").asString() + "': " + expr)
                            .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                            .until(() -> prometheus.query(expr).size() > 0);
                }
            }
        }
    }

    @Test
    void alertRulesNameOnlyExportedMetricsAndEachSaysHowLongWhoAndWhatToDo() throws IOException {
        Map<String, Object> file = new Yaml().load(Files.readString(docs("prometheus/guardian-pool-alerts.yml")));
        List<String> alerts = new ArrayList<>();
        for (Map<String, Object> group : list(file.get("groups"))) {
            for (Map<String, Object> rule : list(group.get("rules"))) {
                String alert = (String) rule.get("alert");
                assertThat(alert).as("every rule is an alert (no recording rules)").isNotBlank();
                alerts.add(alert);
                assertNamesAndLabels(alert, (String) rule.get("expr"));
                assertThat(rule.get("for")).as("%s for:", alert).asString().matches("\\d+[smh]");
                Map<?, ?> labels = (Map<?, ?>) rule.get("labels");
                assertThat(labels.get("severity")).as("%s severity", alert).isIn("warning", "critical");
                Map<?, ?> annotations = (Map<?, ?>) rule.get("annotations");
                assertThat((String) annotations.get("summary")).as("%s summary", alert).contains("{{ $labels.pool }}");
                assertThat((String) annotations.get("description")).as("%s description", alert).hasSizeGreaterThan(80);
            }
        }
        assertThat(alerts).contains("GuardianPoolCircuitBreakerOpen", "GuardianPoolExhausted",
                "GuardianPoolAcquireFailureRatioHigh", "GuardianPoolAcquireLatencyHigh", "GuardianPoolPeersUnhealthy",
                "GuardianPoolNearGlobalLimit", "GuardianPoolLeakSuspected", "GuardianPoolPeerCircuitBreakerOpen",
                "GuardianPoolPeerHealthDegraded");

        // The unit tests' input series are real series too: a stale name there would test nothing.
        Map<String, Object> tests = new Yaml().load(Files.readString(docs("prometheus/guardian-pool-alerts.test.yml")));
        int series = 0;
        for (Map<String, Object> test : list(tests.get("tests"))) {
            for (Map<String, Object> input : list(test.get("input_series"))) {
                assertNamesAndLabels("test '" + test.get("name") + "'", (String) input.get("series"));
                series++;
            }
        }
        assertThat(series).isGreaterThanOrEqualTo(20);
    }

    @Test
    void alertRulesPassPromtoolCheckAndTheirUnitTests() throws Exception {
        Path dir = docs("prometheus");
        assertThat(promtool(dir, "check", "rules", "guardian-pool-alerts.yml")).contains("SUCCESS: 9 rules found");
        assertThat(promtool(dir, "test", "rules", "guardian-pool-alerts.test.yml")).contains("SUCCESS");
    }

    /**
     * Asserts that {@code expr} names at least one metric, only metrics the scrape has, and
     * selects or groups only by labels those metrics carry (or Prometheus adds).
     *
     * @return the metric families it names
     */
    private Set<String> assertNamesAndLabels(String where, String expr) {
        Set<String> names = new TreeSet<>();
        Set<String> labels = new TreeSet<>(ADDED_LABELS);
        Matcher selector = SELECTOR.matcher(expr);
        while (selector.find()) {
            String name = selector.group(1);
            assertThat(exported).as("%s: metric %s in %s is not in the scrape", where, name, expr).containsKey(name);
            names.add(family(name));
            labels.addAll(exported.get(name));
            Set<String> allowed = new HashSet<>(exported.get(name));
            allowed.addAll(ADDED_LABELS);
            assertThat(allowed).as("%s: labels selected on %s in %s", where, name, expr)
                    .containsAll(matchers(selector.group(3)).keySet());
        }
        assertThat(names).as("%s names a guardian_pool metric: %s", where, expr).isNotEmpty();
        Matcher grouping = GROUPING.matcher(expr);
        while (grouping.find()) {
            for (String label : grouping.group(1).split(",")) {
                assertThat(labels).as("%s: grouping label in %s", where, expr).contains(label.trim());
            }
        }
        return names;
    }

    /** The scrape's families: sample names less the histogram suffixes Prometheus adds. */
    private Set<String> families() {
        Set<String> families = new TreeSet<>();
        exported.keySet().forEach(name -> families.add(family(name)));
        return families;
    }

    private String family(String sample) {
        for (String suffix : List.of("_bucket", "_count", "_sum", "_max")) {
            if (sample.endsWith(suffix)) {
                String base = sample.substring(0, sample.length() - suffix.length());
                if (exported.containsKey(base + "_bucket")) {
                    return base;
                }
            }
        }
        return sample;
    }

    private Map<String, Set<String>> scrapedSeries() {
        String scrape = http().get().uri("/actuator/prometheus")
                .accept(MediaType.parseMediaType("text/plain;version=0.0.4"))
                .exchange().expectStatus().isOk().returnResult(String.class).getResponseBody();
        Map<String, Set<String>> series = new TreeMap<>();
        scrape.lines().filter(l -> l.startsWith("guardian_pool_")).forEach(line -> {
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.find()).as("sample line %s", line).isTrue();
            series.computeIfAbsent(m.group(1), k -> new TreeSet<>()).addAll(matchers(m.group(3)).keySet());
        });
        return series;
    }

    /** Label name to value of a selector's or sample's braces; empty without braces. */
    private static Map<String, String> matchers(String braces) {
        Map<String, String> out = new TreeMap<>();
        if (braces != null) {
            Matcher m = MATCHER.matcher(braces);
            while (m.find()) {
                out.put(m.group(1), m.group(3));
            }
        }
        return out;
    }

    private static String promtool(Path dir, String... args) throws Exception {
        if (!Files.isExecutable(Path.of(PROMTOOL))) {
            fail(PROMTOOL + " is missing: this test needs Debian's prometheus package for promtool "
                    + "(apt-get install -y prometheus; run-tests.sh installs it)");
        }
        List<String> command = new ArrayList<>(List.of(PROMTOOL));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = readAll(p.getInputStream());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("promtool %s finished", String.join(" ", args)).isTrue();
        assertThat(p.exitValue()).as("promtool %s exit code; output:%n%s", String.join(" ", args), out).isZero();
        return out;
    }

    /** A file under the repository's docs/, found from the module's working directory upwards. */
    private static Path docs(String relative) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("docs").resolve(relative);
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("docs/" + relative + " not found above " + Path.of("").toAbsolutePath());
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object yaml) {
        assertThat(yaml).isInstanceOf(List.class);
        return (List<Map<String, Object>>) yaml;
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
