package io.guardian.pool.internal.codec;

import static io.guardian.pool.peer.ConformanceFiles.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MultibaseTest {

    /** RFC 4648 section 10 vectors, lowercased and unpadded as multibase writes them. */
    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource({"'', ''", "f, my", "fo, mzxq", "foo, mzxw6", "foob, mzxw6yq", "fooba, mzxw6ytb",
        "foobar, mzxw6ytboi"})
    void base32MatchesRfc4648(String plain, String encoded) {
        byte[] bytes = plain.getBytes(StandardCharsets.US_ASCII);
        assertThat(Base32.encode(bytes)).isEqualTo(encoded);
        assertThat(Base32.decode(encoded)).isEqualTo(bytes);
        assertThat(Multibase.decode("b" + encoded)).isEqualTo(bytes);
    }

    @Test
    void base32RejectsImpossibleLengthsAndForeignCharacters() {
        assertThatThrownBy(() -> Base32.decode("mzx")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> Base32.decode("mz1q")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'1' at index 2");
        assertThatThrownBy(() -> Base32.decode("MZXQ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decodesTheLibp2pKeyCidOfAPeerIdInEveryCommonBase() {
        // 12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV as CIDv1 libp2p-key (peerid-parse.tsv).
        byte[] cid = hex("01720024080112202d3de6d16ae87f7a933fe1552162a2d3f04951e90e8051e4ee2c18f002dd0fb4");
        assertThat(Multibase.decode("bafzaajaiaejcalj543iwv2d7pkjt7ykvefrkfu7qjfi6sduakhso4lay6abn2d5u")).isEqualTo(cid);
        assertThat(Multibase.decode("k51qzi5uqu5dhb6l8spkdx7yxafegfkee5by8h7lmjh2ehc2sgg34z7c15vzqs")).isEqualTo(cid);
        assertThat(Multibase.encodeBase36(cid)).isEqualTo("k51qzi5uqu5dhb6l8spkdx7yxafegfkee5by8h7lmjh2ehc2sgg34z7c15vzqs");
        assertThat(Multibase.encodeBase32(cid)).isEqualTo("bafzaajaiaejcalj543iwv2d7pkjt7ykvefrkfu7qjfi6sduakhso4lay6abn2d5u");
        assertThat(Multibase.decode("z" + Base58.encode(cid))).isEqualTo(cid);
        assertThat(Multibase.decode("f" + hex(cid))).isEqualTo(cid);
        assertThat(Multibase.decode("F" + hex(cid).toUpperCase())).isEqualTo(cid);
        assertThat(Multibase.decode("B" + Base32.encode(cid).toUpperCase())).isEqualTo(cid);
        assertThat(Multibase.decode("K" + Multibase.encodeBase36(cid).substring(1).toUpperCase())).isEqualTo(cid);
        assertThat(Multibase.decode(Multibase.encodeBase64Url(cid))).isEqualTo(cid);
        assertThat(Multibase.decode("m" + java.util.Base64.getEncoder().withoutPadding().encodeToString(cid)))
                .isEqualTo(cid);
        assertThat(Multibase.decode("M" + java.util.Base64.getEncoder().encodeToString(cid))).isEqualTo(cid);
    }

    @Test
    void decodesTheCerthashOfTheMultiaddrVectors() {
        assertThat(hex(Multibase.decode("uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g")))
                .isEqualTo("1220c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2");
    }

    @Test
    void rejectsUnknownPrefixesAndBadCharactersWithTheReason() {
        assertThatThrownBy(() -> Multibase.decode("?unknownmultibase"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unsupported multibase prefix '?'");
        assertThatThrownBy(() -> Multibase.decode("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> Multibase.decode("k2k4r8oqamigqdo6o7hsbfwd45y70oyynp98usk7zmyfrzpqxh1pohl-"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid base36 character '-'");
        assertThatThrownBy(() -> Multibase.decode("fabc")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("odd");
        assertThatThrownBy(() -> Multibase.decode("fABCD")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Multibase.decode("uAA==")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'='");
        assertThatThrownBy(() -> Multibase.decode("MAA")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 4");
        assertThatThrownBy(() -> Multibase.decode("Bmzxq")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void randomBytesRoundTripThroughEveryEncoder() {
        Random random = new Random(32);
        for (int i = 0; i < 2_000; i++) {
            byte[] data = new byte[random.nextInt(60)];
            random.nextBytes(data);
            if (data.length > 0 && random.nextBoolean()) {
                data[0] = 0;
            }
            assertThat(Multibase.decode(Multibase.encodeBase32(data))).isEqualTo(data);
            assertThat(Multibase.decode(Multibase.encodeBase36(data))).isEqualTo(data);
            assertThat(Multibase.decode(Multibase.encodeBase64Url(data))).isEqualTo(data);
        }
    }

    @Test
    void multihashReadsExactlyOneHashAndRejectsShortDigests() {
        byte[] sha = Multihash.sha256("hello".getBytes(StandardCharsets.US_ASCII));
        assertThat(hex(sha)).isEqualTo("12202cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assertThat(Multihash.code(sha)).isEqualTo(Multihash.SHA2_256);
        assertThat(Multihash.digest(sha)).hasSize(32);
        Multihash.validate(sha);
        assertThatThrownBy(() -> Multihash.validate(hex("1221" + hex(sha).substring(4))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("33-byte digest");
        assertThatThrownBy(() -> Multihash.validate(hex(hex(sha) + "00")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("follow");
    }

    @Test
    void cidParsesVersionOneOnlyAndNamesTheProblem() {
        Cid cid = Cid.parse("bafzbeigvf25ytwc3akrijfecaotc74udrhcxzh2cx3we5qqnw5vgrei4bm");
        assertThat(cid.codec()).isEqualTo(Cid.LIBP2P_KEY);
        assertThat(hex(cid.multihash()))
                .isEqualTo("1220d52ebb89d85b02a284948203a62ff28389c57c9f42beec4ec20db76a68911c0b");
        assertThat(cid.toBase32()).isEqualTo("bafzbeigvf25ytwc3akrijfecaotc74udrhcxzh2cx3we5qqnw5vgrei4bm");
        assertThatThrownBy(() -> Cid.parse("f02721220" + "00".repeat(32)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version 2");
        assertThatThrownBy(() -> Cid.parse("f1220" + "00".repeat(32)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CIDv0");
    }
}
