package io.guardian.pool.peer;

import static io.guardian.pool.peer.ConformanceFiles.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.internal.codec.Base58;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PeerIdTest {

    private static final String ED25519_ID = "12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV";
    private static final String ED25519_KEY = "080112202d3de6d16ae87f7a933fe1552162a2d3f04951e90e8051e4ee2c18f002dd0fb4";
    private static final String SHA256_ID = "QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC";

    @Test
    void equalityIsOnTheBinaryFormWhateverTheTextItCameFrom() {
        PeerId a = PeerId.parse(ED25519_ID);
        PeerId b = PeerId.parse("k51qzi5uqu5dhb6l8spkdx7yxafegfkee5by8h7lmjh2ehc2sgg34z7c15vzqs");
        PeerId c = PeerId.fromPublicKey(hex(ED25519_KEY));
        assertThat(a).isEqualTo(b).isEqualTo(c).hasSameHashCodeAs(b).hasSameHashCodeAs(c);
        assertThat(a).isNotEqualTo(PeerId.parse(SHA256_ID)).isNotEqualTo(ED25519_ID);
        Set<PeerId> set = new HashSet<>(Set.of(a, PeerId.parse(SHA256_ID)));
        assertThat(set).contains(b).hasSize(2);
    }

    @Test
    void toStringRoundTripsThroughParse() {
        PeerId id = PeerId.parse("bafzbeigvf25ytwc3akrijfecaotc74udrhcxzh2cx3we5qqnw5vgrei4bm");
        assertThat(id).hasToString(SHA256_ID);
        assertThat(PeerId.parse(id.toString())).isEqualTo(id);
    }

    @Test
    void identityIdsCarryTheirKeyAndHashedOnesDoNot() {
        PeerId ed = PeerId.parse(ED25519_ID);
        assertThat(ed.isEd25519()).isTrue();
        assertThat(ed.publicKeyProtobuf()).hasValueSatisfying(k -> assertThat(hex(k)).isEqualTo(ED25519_KEY));
        PeerId hashed = PeerId.parse(SHA256_ID);
        assertThat(hashed.isEd25519()).isFalse();
        assertThat(hashed.publicKeyProtobuf()).isEmpty();
        PeerId secp = PeerId.parse("16Uiu2HAkutTMoTzDw1tCvSRtu6YoixJwS46S1ZFxW8hSx9fWHiPs");
        assertThat(secp.isEd25519()).isFalse();
        assertThat(secp.publicKeyProtobuf()).isPresent();
    }

    @Test
    void anIdentityIdWhoseDigestIsNoKeyIsValidButCarriesNoKey() {
        PeerId id = PeerId.fromBytes(hex("0003010203"));
        assertThat(id.publicKeyProtobuf()).isEmpty();
        assertThat(id.isEd25519()).isFalse();
    }

    @Test
    void returnedArraysAreCopies() {
        PeerId id = PeerId.parse(ED25519_ID);
        id.toBytes()[5] ^= 1;
        id.publicKeyProtobuf().orElseThrow()[5] ^= 1;
        assertThat(id).hasToString(ED25519_ID);
        assertThat(hex(id.publicKeyProtobuf().orElseThrow())).isEqualTo(ED25519_KEY);
        byte[] input = PeerId.parse(SHA256_ID).toBytes();
        PeerId fromInput = PeerId.fromBytes(input);
        input[4] ^= 1;
        assertThat(fromInput).hasToString(SHA256_ID);
    }

    @Test
    void readFromConsumesExactlyThePeerIdAndLeavesWhatFollows() {
        byte[] id = PeerId.parse(ED25519_ID).toBytes();
        ByteBuffer buf = ByteBuffer.allocate(3 + id.length + 8);
        buf.put(new byte[] {1, 2, 3}).put(id).putLong(1_700_000_000L).flip();
        buf.position(3);
        assertThat(PeerId.readFrom(buf)).hasToString(ED25519_ID);
        assertThat(buf.position()).isEqualTo(3 + id.length);
        assertThat(buf.getLong()).isEqualTo(1_700_000_000L);
    }

    @Test
    void readFromRejectsATruncatedPeerId() {
        byte[] id = PeerId.parse(ED25519_ID).toBytes();
        ByteBuffer truncated = ByteBuffer.wrap(id, 0, id.length - 1);
        assertThatThrownBy(() -> PeerId.readFrom(truncated)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("36-byte digest but only 35");
        assertThatThrownBy(() -> PeerId.readFrom(ByteBuffer.allocate(0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncated varint");
        assertThatThrownBy(() -> PeerId.readFrom(ByteBuffer.wrap(hex("1300"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("code 0x13");
    }

    @Test
    void fromBytesRejectsAnythingButOneSupportedMultihash() {
        assertThatThrownBy(() -> PeerId.fromBytes(new byte[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Invalid PeerId bytes");
        assertThatThrownBy(() -> PeerId.fromBytes(hex("1210" + "00".repeat(16))))
                .hasMessageContaining("sha2-256 multihash digest must be 32 bytes, got 16");
        assertThatThrownBy(() -> PeerId.fromBytes(hex("002b" + "00".repeat(43))))
                .hasMessageContaining("1 to 42 bytes");
        assertThatThrownBy(() -> PeerId.fromBytes(hex("0000"))).hasMessageContaining("1 to 42 bytes");
        assertThatThrownBy(() -> PeerId.fromBytes(hex("1220" + "00".repeat(33)))).hasMessageContaining("follow");
        assertThatThrownBy(() -> PeerId.fromBytes(hex("1340" + "00".repeat(64)))).hasMessageContaining("code 0x13 is not a PeerId hash");
    }

    @Test
    void parseRejectsEmptyAndOverlongTextAndNamesTheCharacter() {
        assertThatThrownBy(() -> PeerId.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> PeerId.parse("1".repeat(300))).hasMessageContaining("longer than any PeerId");
        assertThatThrownBy(() -> PeerId.parse("12D3KooW0")).hasMessageContaining("invalid base58btc character '0'");
    }

    @Test
    void fromPublicKeyRejectsMalformedProtobufs() {
        assertThatThrownBy(() -> PeerId.fromPublicKey(hex("0801"))).hasMessageContaining("missing the Data");
        assertThatThrownBy(() -> PeerId.fromPublicKey(hex("1200"))).hasMessageContaining("missing the Type");
        assertThatThrownBy(() -> PeerId.fromPublicKey(hex("0801121f" + "00".repeat(31))))
                .hasMessageContaining("Ed25519 public key is 32 bytes");
        assertThatThrownBy(() -> PeerId.fromPublicKey(hex("08011221" + "00".repeat(32))))
                .hasMessageContaining("33 bytes but only 32");
        assertThatThrownBy(() -> PeerId.fromPublicKey(hex("0809120100"))).hasMessageContaining("unknown key type 9");
    }

    @Test
    void fromPublicKeyHashesTheDeterministicEncodingLikeGoLibp2p() {
        // Same key with the fields swapped and an unknown field: go-libp2p unmarshals and
        // re-marshals before hashing, so the id is the same.
        String data = ED25519_KEY.substring(4);
        PeerId reordered = PeerId.fromPublicKey(hex(data + "0801" + "1801"));
        assertThat(reordered).hasToString(ED25519_ID);
    }

    @Test
    void randomIdsRoundTripThroughEveryForm() {
        Random random = new Random(42);
        for (int i = 0; i < 1_000; i++) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            byte[] protobuf = new byte[36];
            System.arraycopy(hex("08011220"), 0, protobuf, 0, 4);
            System.arraycopy(key, 0, protobuf, 4, 32);
            PeerId id = random.nextBoolean() ? PeerId.fromPublicKey(protobuf)
                    : PeerId.fromBytes(hex("1220" + hex(key)));
            assertThat(PeerId.parse(id.toBase58())).isEqualTo(id);
            assertThat(PeerId.parse(id.toCid())).isEqualTo(id);
            assertThat(PeerId.parse("z" + Base58.encode(hex("0172" + hex(id.toBytes()))))).isEqualTo(id);
            assertThat(PeerId.fromBytes(id.toBytes())).isEqualTo(id);
            assertThat(PeerId.readFrom(ByteBuffer.wrap(id.toBytes()))).isEqualTo(id);
        }
    }
}
