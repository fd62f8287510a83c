package io.guardian.pool.peer;

import static io.guardian.pool.peer.ConformanceFiles.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every row of peerid.tsv, peerid-parse.tsv and peerid-invalid(.sources).{txt,tsv}. */
class PeerIdConformanceTest {

    @Test
    void conformanceFilesHaveEveryRow() {
        assertThat(ConformanceFiles.tsv("peerid.tsv", true)).hasSize(23);
        assertThat(ConformanceFiles.tsv("peerid-parse.tsv", true)).hasSize(17);
        assertThat(ConformanceFiles.lines("peerid-invalid.txt")).hasSize(7);
        assertThat(ConformanceFiles.tsv("peerid-invalid.sources.tsv", true)).hasSize(7);
    }

    static Stream<Arguments> keys() {
        return ConformanceFiles.tsv("peerid.tsv", true).stream()
                .map(r -> Arguments.of(r[0], r[1], r[2], r[3], r[4]));
    }

    @ParameterizedTest(name = "{0} {3}")
    @MethodSource("keys")
    void derivesThePeerIdOfEveryPublicKey(String kind, String publicKey, String privateKey, String base58, String cid) {
        PeerId id = PeerId.fromPublicKey(hex(publicKey));
        assertThat(id.toBase58()).isEqualTo(base58);
        assertThat(id.toString()).isEqualTo(base58);
        assertThat(id.toCid()).isEqualTo(cid);
        assertThat(PeerId.parse(base58)).isEqualTo(id);
        assertThat(PeerId.parse(cid)).isEqualTo(id);
        boolean inlined = hex(publicKey).length <= 42;
        assertThat(id.publicKeyProtobuf().map(ConformanceFiles::hex))
                .isEqualTo(inlined ? Optional.of(publicKey) : Optional.empty());
        assertThat(id.isEd25519()).isEqualTo(kind.equals("ed25519"));
    }

    @ParameterizedTest(name = "{0} {3}")
    @MethodSource("keys")
    void derivesThePeerIdOfEveryEd25519PrivateKey(String kind, String publicKey, String privateKey, String base58,
            String cid) {
        if (!kind.equals("ed25519") || privateKey.isEmpty()) {
            // Other key types cannot be identities here; rows without a private key only have
            // the public half, checked above. Assert the row is what we think it is.
            assertThat(kind.equals("ed25519") ? privateKey : kind).isIn("", "rsa", "ecdsa", "secp256k1");
            if (!privateKey.isEmpty()) {
                assertThatThrownBy(() -> PeerIdentity.fromProtobuf(hex(privateKey)))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only Ed25519");
            }
            return;
        }
        PeerIdentity identity = PeerIdentity.fromProtobuf(hex(privateKey));
        assertThat(identity.peerId().toBase58()).isEqualTo(base58);
        assertThat(hex(identity.publicKeyProtobuf())).isEqualTo(publicKey);
    }

    static Stream<Arguments> encodings() {
        return ConformanceFiles.tsv("peerid-parse.tsv", true).stream()
                .map(r -> Arguments.of(r[0], r[1], r[2], r[3]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("encodings")
    void parsesEveryEncodingToTheCanonicalForms(String input, String base58, String cid, String multihash) {
        PeerId id = PeerId.parse(input);
        assertThat(id.toBase58()).isEqualTo(base58);
        assertThat(id.toCid()).isEqualTo(cid);
        assertThat(hex(id.toBytes())).isEqualTo(multihash);
        assertThat(PeerId.fromBytes(hex(multihash))).isEqualTo(id).hasSameHashCodeAs(id);
    }

    static Stream<Arguments> invalid() {
        return Stream.concat(
                ConformanceFiles.lines("peerid-invalid.txt").stream().map(s -> Arguments.of("txt", s, "")),
                ConformanceFiles.tsv("peerid-invalid.sources.tsv", true).stream()
                        .map(r -> Arguments.of("sources", r[0], r[2])));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("invalid")
    void rejectsEveryInvalidPeerIdWithAReason(String file, String input, String note) {
        assertThatThrownBy(() -> PeerId.parse(input))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Invalid PeerId \"" + input + "\": ")
                .satisfies(e -> assertThat(e.getMessage().length()).isGreaterThan(("Invalid PeerId \"" + input
                        + "\": ").length() + 5));
    }

    @Test
    void invalidPeerIdMessagesNameTheProblem() {
        assertThatThrownBy(() -> PeerId.parse("bafkreifoybygix7fh3r3g5rqle3wcnhqldgdg4shzf4k3ulyw3gn7mabt4"))
                .hasMessageContaining("CID codec 0x55 is not libp2p-key");
        assertThatThrownBy(() -> PeerId.parse("k2jmtxwoe2phm1hbqp0e7nufqf6umvuu2e9qd7ana7h411a0haqj6i2z"))
                .hasMessageContaining("CID codec 0x70");
        assertThatThrownBy(() -> PeerId.parse("?unknownmultibase")).hasMessageContaining("unsupported multibase prefix");
        assertThatThrownBy(() -> PeerId.parse("QmxoHT6iViN5xAjoz1VZ553cL31U9F94ht3QvWR1FrEbZY"))
                .hasMessageContaining("33-byte digest");
        assertThatThrownBy(() -> PeerId.parse("k2k4r8oqamigqdo6o7hsbfwd45y70oyynp98usk7zmyfrzpqxh1pohl-"))
                .hasMessageContaining("invalid base36 character '-'");
    }
}
