package io.guardian.pool.peer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads the conformance vectors kept in
 * {@code src/test/resources/conformance}, so the tests stand alone.
 */
public final class ConformanceFiles {

    private ConformanceFiles() {
    }

    /**
     * @param name file name under {@code conformance/}
     * @param hasHeader whether the first non-comment line is a header to skip
     * @return the rows, each split on tabs; a field written {@code ""} is the empty string
     */
    public static List<String[]> tsv(String name, boolean hasHeader) {
        List<String[]> rows = new ArrayList<>();
        boolean skipHeader = hasHeader;
        for (String line : rawLines(name)) {
            if (line.startsWith("#")) {
                continue;
            }
            if (skipHeader) {
                skipHeader = false;
                continue;
            }
            String[] fields = line.split("\t", -1);
            rows.add(Arrays.stream(fields).map(ConformanceFiles::unquote).toArray(String[]::new));
        }
        return rows;
    }

    /**
     * @param name a one-value-per-line file under {@code conformance/}, without header
     * @return the values; a line {@code ""} is the empty string
     */
    public static List<String> lines(String name) {
        List<String> out = new ArrayList<>();
        for (String line : rawLines(name)) {
            out.add(unquote(line));
        }
        return out;
    }

    /**
     * @param name a CSV file with a header; fields are trimmed
     * @return the rows
     */
    public static List<String[]> csv(String name) {
        List<String[]> rows = new ArrayList<>();
        List<String> lines = rawLines(name);
        for (String line : lines.subList(1, lines.size())) {
            rows.add(Arrays.stream(line.split(",", -1)).map(String::strip).toArray(String[]::new));
        }
        return rows;
    }

    public static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static String unquote(String field) {
        return "\"\"".equals(field) ? "" : field;
    }

    private static List<String> rawLines(String name) {
        InputStream in = ConformanceFiles.class.getResourceAsStream("/conformance/" + name);
        if (in == null) {
            throw new IllegalStateException("conformance/" + name + " is missing from the test resources");
        }
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isEmpty()) {
                    lines.add(line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }
}
