package io.guardian.pool.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's "Configuration reference" table and the generated metadata describe the same
 * {@code guardian.pool.*} properties with the same defaults: every property is a row and every
 * row a property; a fixed default in the metadata is the first word of the row's default cell
 * (which may go on to explain it, "0s (off)"); a property without a fixed default has a cell that
 * says what applies instead. Boot's own {@code management.endpoint.connectionpool.*} properties,
 * which the processor also writes, are Boot's to document.
 */
class ReadmePropertyTableTest {

    /** A row: {@code | `name` | default | meaning |}. */
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9.-]+)` \\| ([^|]+) \\| .+\\|$");
    private static final String SECTION = "## Configuration reference";

    private static Map<String, Map<String, Object>> metadata;
    private static Map<String, String> readme;

    @BeforeAll
    static void read() throws IOException {
        metadata = StarterMetadata.poolProperties();
        Path file = Path.of(System.getProperty("user.dir")).resolve("../README.md").normalize();
        assertThat(file).as("the repository's README, next to this module").exists();
        readme = table(Files.readAllLines(file));
        assertThat(readme).as("rows of the README's configuration table").hasSizeGreaterThanOrEqualTo(30);
    }

    @Test
    void everyPropertyHasARowAndEveryRowAProperty() {
        assertThat(readme.keySet()).containsExactlyInAnyOrderElementsOf(metadata.keySet());
    }

    @Test
    void fixedDefaultsAreTheSame() {
        metadata.forEach((name, p) -> {
            Object fixed = p.get("defaultValue");
            String cell = readme.get(name);
            if (fixed != null && cell != null) {
                String first = cell.split("[ (]", 2)[0];
                assertThat(sameValue(first, fixed)).as("%s: README says '%s', metadata %s", name, cell, fixed).isTrue();
            }
        });
    }

    @Test
    void derivedDefaultsAreExplainedNotLeftBlank() {
        metadata.forEach((name, p) -> {
            String cell = readme.get(name);
            if (p.get("defaultValue") == null && cell != null) {
                assertThat(cell).as(name).isNotBlank().isNotEqualTo("-");
            }
        });
    }

    @Test
    void theComparisonTellsValuesApart() {
        assertThat(sameValue("2.0", 2)).isTrue();
        assertThat(sameValue("1000ms", "1000ms")).isTrue();
        assertThat(sameValue("true", Boolean.TRUE)).isTrue();
        assertThat(sameValue("1s", "1000ms")).isFalse();
        assertThat(sameValue("3", 4)).isFalse();
        assertThat(table(List.of("# x", SECTION, "| property | default | meaning |", "|---|---|---|",
                "| `a.b` | 5s (max) | wait |", "", "## Next", "| `c` | 1 | no |")))
                .containsExactly(Map.entry("guardian.pool.a.b", "5s (max)"));
    }

    /** The rows of the table under {@link #SECTION}, until the next section. */
    private static Map<String, String> table(List<String> lines) {
        Map<String, String> rows = new LinkedHashMap<>();
        boolean in = false;
        for (String line : lines) {
            if (line.startsWith("## ")) {
                in = line.equals(SECTION);
                continue;
            }
            Matcher m = ROW.matcher(line.trim());
            if (in && m.matches()) {
                rows.put("guardian.pool." + m.group(1), m.group(2).trim());
            }
        }
        return rows;
    }

    /** Numbers compare as numbers (2.0 and 2), the rest as text, booleans without case. */
    private static boolean sameValue(String readmeValue, Object metadataValue) {
        if (metadataValue instanceof Number n) {
            try {
                return new BigDecimal(readmeValue).compareTo(new BigDecimal(n.toString())) == 0;
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return readmeValue.toLowerCase(Locale.ROOT).equals(String.valueOf(metadataValue).toLowerCase(Locale.ROOT));
    }
}
