package io.guardian.pool.peer;

import static io.guardian.pool.peer.ConformanceFiles.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every row of every multiaddr conformance file. */
class MultiaddrConformanceTest {

    private static final String QMCG = "QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC";
    private static final String K2K4 = "k2k4r8oqamigqdo6o7hsbfwd45y70oyynp98usk7zmyfrzpqxh1pohl7";
    private static final String D3KOO = "12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV";
    private static final String REJECT = "<rejected>";

    /**
     * The choices documented in {@link Multiaddr}'s Javadoc, row by row of
     * multiaddr-impl-specific.tsv: the canonical text we produce, or {@link #REJECT}.
     */
    private static final Map<String, String> IMPL_SPECIFIC_CHOICES = Map.ofEntries(
            Map.entry("/ipfs/" + K2K4, "/p2p/" + QMCG),
            Map.entry("/p2p/" + K2K4, "/p2p/" + QMCG),
            Map.entry("/p2p/bafzbeigvf25ytwc3akrijfecaotc74udrhcxzh2cx3we5qqnw5vgrei4bm", "/p2p/" + QMCG),
            Map.entry("/p2p/k51qzi5uqu5dhb6l8spkdx7yxafegfkee5by8h7lmjh2ehc2sgg34z7c15vzqs", "/p2p/" + D3KOO),
            Map.entry("/p2p/bafzaajaiaejcalj543iwv2d7pkjt7ykvefrkfu7qjfi6sduakhso4lay6abn2d5u", "/p2p/" + D3KOO),
            Map.entry("/ipfs/" + K2K4 + "/tcp/1234", "/p2p/" + QMCG + "/tcp/1234"),
            Map.entry("/p2p/" + K2K4 + "/tcp/1234", "/p2p/" + QMCG + "/tcp/1234"),
            Map.entry("/ip4/127.0.0.1/tcp/1234/", "/ip4/127.0.0.1/tcp/1234"),
            Map.entry("/ip4/127.0.0.1/ipfs/" + K2K4, "/ip4/127.0.0.1/p2p/" + QMCG),
            Map.entry("/ip4/127.0.0.1/ipfs/" + K2K4 + "/tcp/1234", "/ip4/127.0.0.1/p2p/" + QMCG + "/tcp/1234"),
            Map.entry("/ip4/127.0.0.1/p2p/" + K2K4, "/ip4/127.0.0.1/p2p/" + QMCG),
            Map.entry("/ip4/127.0.0.1/p2p/" + K2K4 + "/tcp/1234", "/ip4/127.0.0.1/p2p/" + QMCG + "/tcp/1234"),
            Map.entry("/unix/a/b/c/d/e", "/unix/a/b/c/d/e"),
            Map.entry("/unix/stdio", "/unix/stdio"),
            Map.entry("/ip4/1.2.3.4/tcp/80/unix/a/b/c/d/e/f", "/ip4/1.2.3.4/tcp/80/unix/a/b/c/d/e/f"),
            Map.entry("/ip4/127.0.0.1/ipfs/" + QMCG + "/tcp/1234/unix/stdio",
                    "/ip4/127.0.0.1/p2p/" + QMCG + "/tcp/1234/unix/stdio"),
            Map.entry("/ip4/127.0.0.1/ipfs/" + K2K4 + "/tcp/1234/unix/stdio",
                    "/ip4/127.0.0.1/p2p/" + QMCG + "/tcp/1234/unix/stdio"),
            Map.entry("/ip4/127.0.0.1/p2p/" + QMCG + "/tcp/1234/unix/stdio",
                    "/ip4/127.0.0.1/p2p/" + QMCG + "/tcp/1234/unix/stdio"),
            Map.entry("/ip4/127.0.0.1/p2p/" + K2K4 + "/tcp/1234/unix/stdio",
                    "/ip4/127.0.0.1/p2p/" + QMCG + "/tcp/1234/unix/stdio"),
            Map.entry("/ip4/0.0.0.0/unix/a/b/c/d", "/ip4/0.0.0.0/unix/a/b/c/d"),
            Map.entry("/unix/a/b/c/d", "/unix/a/b/c/d"),
            Map.entry("/p2p/QmbHVEEepCi7rn7VL7Exxpd2Ci9NNB6ifvqwhsrbRMgQFP/unix/a/b/c",
                    "/p2p/QmbHVEEepCi7rn7VL7Exxpd2Ci9NNB6ifvqwhsrbRMgQFP/unix/a/b/c"),
            Map.entry("/ip4/127.0.0.1/tcp/80/unix/a%2Fb%2Fc%2Fd%2Fe%2Ff", "/ip4/127.0.0.1/tcp/80/unix/a%2Fb%2Fc%2Fd%2Fe%2Ff"),
            Map.entry("/ip6/2001:8a0:7ac5:4201:3ac9:86ff:fe31:7095/tcp/8000/unix/a%2Fb%2Fc%2Fd%2Fe%2Ff",
                    "/ip6/2001:8a0:7ac5:4201:3ac9:86ff:fe31:7095/tcp/8000/unix/a%2Fb%2Fc%2Fd%2Fe%2Ff"),
            Map.entry("/unix/a%2Fb%2Fc%2Fd%2Fe", "/unix/a%2Fb%2Fc%2Fd%2Fe"),
            Map.entry("////////", REJECT),
            Map.entry("/ip4/0.0.0.0/tcp/8000/unix/tmp%2Fp2p.sock", "/ip4/0.0.0.0/tcp/8000/unix/tmp%2Fp2p.sock"),
            Map.entry("", REJECT),
            Map.entry("/", REJECT),
            Map.entry("/p2p/k2jmtxwoe2phm1hbqp0e7nufqf6umvuu2e9qd7ana7h411a0haqj6i2z", REJECT),
            Map.entry("/p2p/bahkqcerat6dnbamijr6wlgrp5kqmkwwqcwr36ty3fmfyelgrlvwblmhqbiea", REJECT));

    @Test
    void conformanceFilesHaveEveryRow() {
        assertThat(ConformanceFiles.lines("multiaddr-valid.txt")).hasSize(165);
        assertThat(ConformanceFiles.tsv("multiaddr-valid.sources.tsv", true)).hasSize(165);
        assertThat(ConformanceFiles.lines("multiaddr-invalid.txt")).hasSize(29);
        assertThat(ConformanceFiles.tsv("multiaddr-invalid.sources.tsv", true)).hasSize(29);
        assertThat(ConformanceFiles.tsv("multiaddr-binary.tsv", false)).hasSize(28);
        assertThat(ConformanceFiles.tsv("multiaddr-binary.sources.tsv", true)).hasSize(28);
        assertThat(ConformanceFiles.tsv("multiaddr-binary-invalid.tsv", true)).hasSize(2);
        assertThat(ConformanceFiles.tsv("multiaddr-binary-other-protocols.tsv", true)).hasSize(24);
        assertThat(ConformanceFiles.tsv("multiaddr-normalize.tsv", true)).hasSize(25);
        assertThat(ConformanceFiles.tsv("multiaddr-derived-roundtrip.tsv", true)).hasSize(165);
        assertThat(ConformanceFiles.tsv("multiaddr-impl-specific.tsv", true)).hasSize(32);
        assertThat(ConformanceFiles.csv("protocols.csv")).hasSize(41);
        assertThat(ConformanceFiles.tsv("protocols.tsv", true)).hasSize(41);
    }

    static Stream<Arguments> valid() {
        return Stream.concat(
                ConformanceFiles.lines("multiaddr-valid.txt").stream().map(s -> Arguments.of("txt", s)),
                ConformanceFiles.tsv("multiaddr-valid.sources.tsv", true).stream().map(r -> Arguments.of("sources", r[0])));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("valid")
    void parsesEveryValidAddressAndRoundTripsIt(String file, String text) {
        Multiaddr addr = Multiaddr.parse(text);
        assertThat(Multiaddr.parse(addr.toString())).isEqualTo(addr).hasToString(addr.toString());
        assertThat(Multiaddr.fromBytes(addr.toBytes())).isEqualTo(addr).hasToString(addr.toString());
    }

    static Stream<Arguments> invalid() {
        return Stream.concat(
                ConformanceFiles.lines("multiaddr-invalid.txt").stream().map(s -> Arguments.of("txt", s)),
                ConformanceFiles.tsv("multiaddr-invalid.sources.tsv", true).stream()
                        .map(r -> Arguments.of("sources", r[0])));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("invalid")
    void rejectsEveryInvalidAddressWithAReason(String file, String text) {
        assertThatThrownBy(() -> Multiaddr.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Invalid multiaddr \"" + text + "\": ")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeGreaterThan(("Invalid multiaddr \"" + text
                        + "\": ").length() + 10));
    }

    static Stream<Arguments> binaryPairs() {
        return Stream.of(
                ConformanceFiles.tsv("multiaddr-binary.tsv", false).stream()
                        .map(r -> Arguments.of("binary", r[0], r[1])),
                ConformanceFiles.tsv("multiaddr-binary.sources.tsv", true).stream()
                        .map(r -> Arguments.of("binary.sources", r[0], r[1])),
                ConformanceFiles.tsv("multiaddr-binary-other-protocols.tsv", true).stream()
                        .map(r -> Arguments.of("other-protocols", r[0], r[1])))
                .flatMap(s -> s);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("binaryPairs")
    void encodesAndDecodesEveryBinaryPairBothWays(String file, String text, String hexValue) {
        assertThat(hex(Multiaddr.parse(text).toBytes())).isEqualTo(hexValue);
        assertThat(Multiaddr.fromBytes(hex(hexValue))).hasToString(text).isEqualTo(Multiaddr.parse(text));
    }

    static Stream<Arguments> invalidBytes() {
        return ConformanceFiles.tsv("multiaddr-binary-invalid.tsv", true).stream()
                .map(r -> Arguments.of(r[0], r[2]));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalidBytes")
    void rejectsEveryInvalidBinaryAddress(String hexValue, String note) {
        assertThatThrownBy(() -> Multiaddr.fromBytes(hex(hexValue)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Invalid multiaddr bytes ");
    }

    static Stream<Arguments> derived() {
        return ConformanceFiles.tsv("multiaddr-derived-roundtrip.tsv", true).stream()
                .map(r -> Arguments.of(r[0], r[1], r[2]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("derived")
    void matchesEveryDerivedRoundTrip(String input, String hexValue, String canonical) {
        Multiaddr addr = Multiaddr.parse(input);
        assertThat(hex(addr.toBytes())).isEqualTo(hexValue);
        assertThat(addr).hasToString(canonical);
        assertThat(Multiaddr.fromBytes(hex(hexValue))).hasToString(canonical).isEqualTo(addr);
        assertThat(Multiaddr.parse(canonical)).isEqualTo(addr);
    }

    static Stream<Arguments> normalize() {
        return ConformanceFiles.tsv("multiaddr-normalize.tsv", true).stream()
                .map(r -> Arguments.of(r[0], r[1], r[2], r[4]));
    }

    /**
     * go rows must match; js rows match too unless the note records how the go model differs
     * ("go-model output differs: X" or "go-model rejects"), which is then what we do.
     */
    @ParameterizedTest(name = "{2}: {0}")
    @MethodSource("normalize")
    void normalisesEveryAddressTheWayGoMultiaddrDoes(String input, String expected, String impl, String note) {
        String ours = expected;
        if (impl.equals("js") && note.contains("go-model output differs: ")) {
            ours = note.substring(note.indexOf("go-model output differs: ") + 25).split("[ ;]")[0];
        } else if (impl.equals("js") && note.contains("go-model rejects")) {
            ours = REJECT;
        } else {
            assertThat(impl).isIn("go", "js");
        }
        assertOutcome(input, ours);
    }

    static Stream<Arguments> implSpecific() {
        return ConformanceFiles.tsv("multiaddr-impl-specific.tsv", true).stream()
                .map(r -> Arguments.of(r[0], r[1]));
    }

    @ParameterizedTest(name = "{0} (upstream {1})")
    @MethodSource("implSpecific")
    void followsTheDocumentedChoiceOnEveryDisputedAddress(String input, String upstreamVerdict) {
        assertThat(IMPL_SPECIFIC_CHOICES).as("documented choice for %s", input).containsKey(input);
        String expected = IMPL_SPECIFIC_CHOICES.get(input);
        assertOutcome(input, expected);
        if (!expected.equals(REJECT) && input.contains("/unix/")) {
            // go semantics: the unix value is the rest of the address, leading '/' kept, escapes literal.
            List<Multiaddr.Component> components = Multiaddr.parse(input).components();
            Multiaddr.Component unix = components.get(components.size() - 1);
            assertThat(unix.protocol()).isEqualTo("unix");
            assertThat(unix.value()).isEqualTo(input.substring(input.indexOf("/unix/") + 5));
        }
    }

    static Stream<Arguments> protocolRows() {
        return Stream.concat(
                ConformanceFiles.csv("protocols.csv").stream().map(r -> Arguments.of("csv", r[0], r[1], r[2])),
                ConformanceFiles.tsv("protocols.tsv", true).stream().map(r -> Arguments.of("tsv", r[0], r[1], r[2])));
    }

    @ParameterizedTest(name = "{0}: {3} = {1}")
    @MethodSource("protocolRows")
    void knowsEveryProtocolOfTheTable(String file, String code, String size, String name) {
        MultiaddrProtocol p = MultiaddrProtocol.byName(name);
        assertThat(p).as(name).isNotNull();
        assertThat(p.code).isEqualTo(Integer.parseInt(code));
        assertThat(MultiaddrProtocol.byCode(p.code)).isSameAs(p);
        if (name.equals("memory")) {
            // Documented divergence: go-multiaddr and rust-multiaddr use a fixed u64.
            assertThat(size).isEqualTo("V");
            assertThat(p.sizeBits).isEqualTo(64);
        } else {
            assertThat(p.sizeBits).isEqualTo(size.equals("V") ? MultiaddrProtocol.Sizes.VARIABLE : Integer.parseInt(size));
        }
        String text = "/" + name + (p.hasValue() ? "/" + SAMPLE_VALUES.get(p.text) : "");
        Multiaddr addr = Multiaddr.parse(text);
        assertThat(addr.components()).hasSize(1);
        assertThat(addr.components().get(0).code()).isEqualTo(p.code);
        assertThat(addr.components().get(0).protocol()).isEqualTo(p.text);
        assertThat(Multiaddr.fromBytes(addr.toBytes())).isEqualTo(addr);
    }

    private static final Map<String, String> SAMPLE_VALUES = Map.ofEntries(
            Map.entry("ip4", "192.0.2.1"), Map.entry("tcp", "80"), Map.entry("udp", "53"), Map.entry("dccp", "9"),
            Map.entry("ip6", "2001:db8::1"), Map.entry("ip6zone", "eth0"), Map.entry("ipcidr", "24"),
            Map.entry("dns", "example.com"), Map.entry("dns4", "example.com"), Map.entry("dns6", "example.com"),
            Map.entry("dnsaddr", "example.com"), Map.entry("sctp", "5000"), Map.entry("unix", "tmp/p2p.sock"),
            Map.entry("p2p", QMCG), Map.entry("onion", "aaimaq4ygg2iegci:80"),
            Map.entry("onion3", "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd:1234"),
            Map.entry("garlic64", ConformanceFiles.tsv("multiaddr-binary-other-protocols.tsv", true).get(2)[0]
                    .substring("/garlic64/".length())),
            Map.entry("garlic32", "566niximlxdzpanmn4qouucvua3k7neniwss47li5r6ugoertzuq"),
            Map.entry("sni", "example.com"), Map.entry("certhash", "uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g"),
            Map.entry("http-path", "a%2Fb"), Map.entry("memory", "18446744073709551615"));

    private static void assertOutcome(String input, String expected) {
        if (expected.equals(REJECT)) {
            assertThatThrownBy(() -> Multiaddr.parse(input))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("Invalid multiaddr \"" + input + "\": ");
            return;
        }
        Multiaddr addr = Multiaddr.parse(input);
        assertThat(addr).hasToString(expected);
        assertThat(Multiaddr.parse(expected)).isEqualTo(addr);
        assertThat(Multiaddr.fromBytes(addr.toBytes())).hasToString(expected);
    }
}
