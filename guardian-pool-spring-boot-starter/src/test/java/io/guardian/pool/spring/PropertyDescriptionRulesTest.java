package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The descriptions in the generated metadata follow Spring Boot's rules, so the IDE shows ours
 * like Boot's own. From the reference's "Creating Your Own Starter, Configuration Keys":
 * <ol>
 *   <li>do not start the description by "The" or "A";
 *   <li>for {@code boolean} types, start it with "Whether" or "Enable";
 *   <li>for collection-based types, start it with "Comma-separated list";
 *   <li>use {@code Duration} rather than {@code long} (here: every time-like property is a
 *       {@code Duration});
 *   <li>do not provide the default value in the description unless it has to be determined at
 *       runtime (here: a property whose metadata has a fixed default says nothing about its
 *       default, and one without a fixed default says what applies when it is unset);
 *   <li>only plain text in the Javadoc that becomes the description (no Javadoc tags, no HTML);
 * </ol>
 * and from the "Metadata Format" appendix: a short paragraph whose last line ends with a period.
 * Two house rules keep them readable: the first letter is a capital, and the first sentence, the
 * summary an IDE shows first, is at most 200 characters.
 */
class PropertyDescriptionRulesTest {

    private static final Pattern TIME_LIKE = Pattern.compile(".*(timeout|interval|backoff|period|lifetime|skew"
            + "|budget|deadline|detection-threshold)$");

    private static Map<String, Map<String, Object>> properties;

    @BeforeAll
    static void readMetadata() {
        properties = StarterMetadata.poolProperties();
        assertThat(properties).hasSizeGreaterThanOrEqualTo(30);
    }

    @Test
    void noDescriptionStartsWithTheOrA() {
        assertThat(violations((name, p, d) -> d.startsWith("The ") || d.startsWith("A "))).isEmpty();
    }

    @Test
    void booleanDescriptionsStartWithWhetherOrEnable() {
        assertThat(violations((name, p, d) -> isBoolean(p) && !(d.startsWith("Whether") || d.startsWith("Enable"))))
                .isEmpty();
    }

    @Test
    void collectionDescriptionsStartWithCommaSeparatedList() {
        assertThat(violations((name, p, d) -> isCollection(p) && !d.startsWith("Comma-separated list"))).isEmpty();
    }

    @Test
    void timesAreDurations() {
        assertThat(violations((name, p, d) -> TIME_LIKE.matcher(name).matches()
                && !"java.time.Duration".equals(p.get("type")))).isEmpty();
    }

    @Test
    void aFixedDefaultIsNotRepeatedAndADerivedOneIsExplained() {
        assertThat(violations((name, p, d) -> p.get("defaultValue") != null
                && d.toLowerCase(java.util.Locale.ROOT).contains("default"))).as("fixed defaults mentioned").isEmpty();
        assertThat(violations((name, p, d) -> p.get("defaultValue") == null
                && !(d.contains("by default") || d.contains("unset") || d.contains("Unset") || d.contains("empty"))))
                .as("derived defaults not explained").isEmpty();
    }

    @Test
    void descriptionsArePlainText() {
        assertThat(violations((name, p, d) -> d.contains("{@") || d.contains("@param") || d.matches("(?s).*</?[a-z]+>.*")))
                .isEmpty();
    }

    @Test
    void descriptionsStartWithACapitalAndEndWithAPeriod() {
        assertThat(violations((name, p, d) -> !Character.isUpperCase(d.charAt(0)) || !d.endsWith("."))).isEmpty();
    }

    @Test
    void theFirstSentenceIsAShortSummary() {
        assertThat(violations((name, p, d) -> firstSentence(d).length() > 200)).isEmpty();
    }

    @Test
    void theRulesCatchWhatTheyAreFor() {
        // The checks themselves: each flags a description that breaks its rule.
        assertThat(firstSentence("Cap on one wait. More text.")).isEqualTo("Cap on one wait.");
        Map<String, Object> bool = Map.of("type", "java.lang.Boolean");
        Map<String, Object> list = Map.of("type", "java.util.List<java.lang.String>");
        assertThat(isBoolean(bool)).isTrue();
        assertThat(isCollection(list)).isTrue();
        assertThat(isCollection(bool)).isFalse();
        assertThat(TIME_LIKE.matcher("guardian.pool.handshake.timeout").matches()).isTrue();
        assertThat(TIME_LIKE.matcher("guardian.pool.circuit-breaker.failure-threshold").matches()).isFalse();
    }

    /** A rule broken by a property: name, metadata entry and description. */
    @FunctionalInterface
    private interface Rule {
        boolean broken(String name, Map<String, Object> property, String description);
    }

    private static List<String> violations(Rule rule) {
        List<String> broken = new ArrayList<>();
        properties.forEach((name, p) -> {
            String d = String.valueOf(p.get("description"));
            if (d.isBlank() || rule.broken(name, p, d)) {
                broken.add(name + ": " + d);
            }
        });
        return broken;
    }

    private static boolean isBoolean(Map<String, Object> p) {
        return "java.lang.Boolean".equals(p.get("type")) || "boolean".equals(p.get("type"));
    }

    private static boolean isCollection(Map<String, Object> p) {
        String type = String.valueOf(p.get("type"));
        return type.startsWith("java.util.List") || type.startsWith("java.util.Set")
                || type.startsWith("java.util.Collection") || type.endsWith("[]");
    }

    private static String firstSentence(String d) {
        int end = d.indexOf(". ");
        return end < 0 ? d : d.substring(0, end + 1);
    }
}
