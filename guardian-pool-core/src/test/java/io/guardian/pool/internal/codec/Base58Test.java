package io.guardian.pool.internal.codec;

import static io.guardian.pool.peer.ConformanceFiles.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.peer.ConformanceFiles;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class Base58Test {

    static Stream<Arguments> pairs() {
        return Stream.concat(
                ConformanceFiles.tsv("base58.tsv", false).stream().map(r -> Arguments.of("base58.tsv", r[0], r[1])),
                ConformanceFiles.tsv("base58.sources.tsv", true).stream()
                        .map(r -> Arguments.of("base58.sources.tsv", r[0], r[1])));
    }

    @Test
    void conformanceFilesHaveEveryRow() {
        assertThat(ConformanceFiles.tsv("base58.tsv", false)).hasSize(24);
        assertThat(ConformanceFiles.tsv("base58.sources.tsv", true)).hasSize(24);
        assertThat(ConformanceFiles.lines("base58-invalid.txt")).hasSize(3);
    }

    @ParameterizedTest(name = "{0}: {1} <-> {2}")
    @MethodSource("pairs")
    void encodesAndDecodesEveryVectorPair(String file, String hexValue, String base58) {
        assertThat(Base58.encode(hex(hexValue))).isEqualTo(base58);
        assertThat(hex(Base58.decode(base58))).isEqualTo(hexValue);
    }

    static List<String> invalid() {
        return ConformanceFiles.lines("base58-invalid.txt");
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void rejectsEveryInvalidVectorNamingTheCharacter(String text) {
        assertThatThrownBy(() -> Base58.decode(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid base58btc character");
    }

    @Test
    void rejectsCharactersOutsideAscii() {
        assertThatThrownBy(() -> Base58.decode("2g\u00e9")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at index 2");
    }

    @Test
    void randomBytesRoundTrip() {
        Random random = new Random(58);
        for (int i = 0; i < 2_000; i++) {
            byte[] data = new byte[random.nextInt(70)];
            random.nextBytes(data);
            if (random.nextInt(4) == 0 && data.length > 2) {
                data[0] = 0;
                data[1] = 0;
            }
            assertThat(Base58.decode(Base58.encode(data))).isEqualTo(data);
        }
    }
}
