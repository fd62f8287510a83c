package io.guardian.pool.peer;

import static io.guardian.pool.peer.ConformanceFiles.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerIdentityTest {

    /** RFC 8032 section 7.1, test 1: secret key, public key, and the signature of the empty message. */
    private static final String RFC8032_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private static final String RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private static final String RFC8032_SIGNATURE = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    @TempDir
    Path dir;

    /** Key files as a careful user keeps them, so only the test about sharing sees a warning. */
    private Path writeOwnerOnly(String name, byte[] content) throws Exception {
        Path file = Files.createFile(dir.resolve(name),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return Files.write(file, content);
    }

    @Test
    void aGeneratedKeySignsAndVerifies() {
        PeerIdentity identity = PeerIdentity.generate();
        byte[] data = "guardian-db/1.1 dialer".getBytes(StandardCharsets.US_ASCII);
        byte[] signature = identity.sign(data);
        assertThat(signature).hasSize(64);
        assertThat(PeerIdentity.verify(identity.publicKeyProtobuf(), data, signature)).isTrue();
        assertThat(identity.peerId().isEd25519()).isTrue();
        assertThat(identity.peerId().toBase58()).startsWith("12D3KooW");
        assertThat(identity.peerId()).isEqualTo(PeerId.fromPublicKey(identity.publicKeyProtobuf()));
        assertThat(identity.peerId().publicKeyProtobuf()).hasValueSatisfying(
                k -> assertThat(k).isEqualTo(identity.publicKeyProtobuf()));
    }

    @Test
    void aFlippedBitInDataOrSignatureFailsVerification() {
        PeerIdentity identity = PeerIdentity.generate();
        byte[] data = new byte[100];
        new Random(1).nextBytes(data);
        byte[] signature = identity.sign(data);
        byte[] key = identity.publicKeyProtobuf();
        for (int bit = 0; bit < data.length * 8; bit += 7) {
            byte[] flipped = data.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(PeerIdentity.verify(key, flipped, signature)).as("data bit %d", bit).isFalse();
        }
        for (int bit = 0; bit < signature.length * 8; bit++) {
            byte[] flipped = signature.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(PeerIdentity.verify(key, data, flipped)).as("signature bit %d", bit).isFalse();
        }
        assertThat(PeerIdentity.verify(PeerIdentity.generate().publicKeyProtobuf(), data, signature)).isFalse();
    }

    @Test
    void signaturesAreDeterministicAndMatchRfc8032() {
        PeerIdentity identity = PeerIdentity.fromProtobuf(hex("08011220" + RFC8032_SEED));
        assertThat(hex(identity.publicKeyProtobuf())).isEqualTo("08011220" + RFC8032_PUBLIC);
        assertThat(hex(identity.sign(new byte[0]))).isEqualTo(RFC8032_SIGNATURE);
        assertThat(identity.sign(new byte[] {1, 2})).isEqualTo(identity.sign(new byte[] {1, 2}));
        assertThat(PeerIdentity.verify(hex("08011220" + RFC8032_PUBLIC), new byte[0], hex(RFC8032_SIGNATURE)))
                .isTrue();
    }

    @Test
    void verifyReturnsFalseForAnyMalformedKeyOrSignature() {
        PeerIdentity identity = PeerIdentity.generate();
        byte[] data = {42};
        byte[] signature = identity.sign(data);
        byte[] key = identity.publicKeyProtobuf();
        assertThat(PeerIdentity.verify(key, data, new byte[0])).isFalse();
        assertThat(PeerIdentity.verify(key, data, java.util.Arrays.copyOf(signature, 65))).isFalse();
        assertThat(PeerIdentity.verify(new byte[0], data, signature)).isFalse();
        assertThat(PeerIdentity.verify(hex("0801121f" + "00".repeat(31)), data, signature)).isFalse();
        assertThat(PeerIdentity.verify(hex("08011220" + "ff".repeat(32)), data, signature)).isFalse();
        assertThat(PeerIdentity.verify(hex("0802122103a9a7272a726fa083abf31ba44037f8347fbc5e5d3113d62a7c6bc26752fd8ee1"),
                data, signature)).isFalse();
        assertThat(PeerIdentity.verify(hex("ffffffff"), data, signature)).isFalse();
        Random random = new Random(3);
        for (int i = 0; i < 500; i++) {
            byte[] junkKey = new byte[random.nextInt(40)];
            random.nextBytes(junkKey);
            if (random.nextBoolean() && junkKey.length >= 4) {
                System.arraycopy(hex("08011220"), 0, junkKey, 0, 4);
                junkKey = java.util.Arrays.copyOf(junkKey, 36);
            }
            byte[] junkSignature = new byte[random.nextBoolean() ? 64 : random.nextInt(80)];
            random.nextBytes(junkSignature);
            assertThat(PeerIdentity.verify(junkKey, data, junkSignature)).isFalse();
        }
    }

    @Test
    void fromProtobufAcceptsSeedOnlyAndLegacyFormsAndChecksThePublicHalf() {
        PeerIdentity full = PeerIdentity.fromProtobuf(hex("08011240" + RFC8032_SEED + RFC8032_PUBLIC));
        PeerIdentity seedOnly = PeerIdentity.fromProtobuf(hex("08011220" + RFC8032_SEED));
        PeerIdentity legacy = PeerIdentity.fromProtobuf(hex("08011260" + RFC8032_SEED + RFC8032_PUBLIC + RFC8032_PUBLIC));
        assertThat(seedOnly.peerId()).isEqualTo(full.peerId()).isEqualTo(legacy.peerId());
        String otherPublic = RFC8032_PUBLIC.substring(0, 62) + "1b";
        assertThatThrownBy(() -> PeerIdentity.fromProtobuf(hex("08011240" + RFC8032_SEED + otherPublic)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not match its seed");
        assertThatThrownBy(() -> PeerIdentity.fromProtobuf(hex("08011260" + RFC8032_SEED + RFC8032_PUBLIC + otherPublic)))
                .hasMessageContaining("does not match its seed");
        assertThatThrownBy(() -> PeerIdentity.fromProtobuf(hex("08011221" + RFC8032_SEED + "00")))
                .hasMessageContaining("32 bytes (seed), 64").hasMessageContaining("holds 33");
        assertThatThrownBy(() -> PeerIdentity.fromProtobuf(hex("0802122053dadf1d5a164d6b4acdb15e24aa4c5b1d3461bdbd42abedb0a4404d56ced8fb")))
                .hasMessageContaining("only Ed25519").hasMessageContaining("Secp256k1");
        assertThatThrownBy(() -> PeerIdentity.fromProtobuf(hex("080112")))
                .hasMessageContaining("malformed libp2p private key protobuf");
    }

    @Test
    void thePrivateKeyProtobufRoundTripsInGoLibp2psFormat() {
        PeerIdentity identity = PeerIdentity.generate();
        byte[] protobuf = identity.privateKeyProtobuf();
        assertThat(protobuf).hasSize(68).startsWith(hex("08011240"));
        assertThat(java.util.Arrays.copyOfRange(protobuf, 36, 68))
                .isEqualTo(java.util.Arrays.copyOfRange(identity.publicKeyProtobuf(), 4, 36));
        PeerIdentity again = PeerIdentity.fromProtobuf(protobuf);
        assertThat(again.peerId()).isEqualTo(identity.peerId());
        assertThat(again.sign(new byte[] {7})).isEqualTo(identity.sign(new byte[] {7}));
    }

    @Test
    void toStringShowsThePeerIdAndNoKeyMaterial() {
        PeerIdentity identity = PeerIdentity.fromProtobuf(hex("08011220" + RFC8032_SEED));
        String text = identity.toString();
        assertThat(text).contains(identity.peerId().toBase58());
        assertThat(text.toLowerCase()).doesNotContain(RFC8032_SEED.substring(0, 8));
        assertThat(text).doesNotContain(Base64.getEncoder().encodeToString(hex(RFC8032_SEED)).substring(0, 8));
    }

    @Test
    void saveAndLoadRoundTripWithOwnerOnlyPermissions() throws Exception {
        PeerIdentity identity = PeerIdentity.generate();
        Path file = dir.resolve("identity.key");
        identity.save(file);
        assertThat(Files.readAllBytes(file)).isEqualTo(identity.privateKeyProtobuf());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        PeerIdentity loaded = PeerIdentity.load(file);
        assertThat(loaded.peerId()).isEqualTo(identity.peerId());
        assertThat(loaded.sign(new byte[] {1})).isEqualTo(identity.sign(new byte[] {1}));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void saveReplacesAnExistingFileAndTightensItsPermissions() throws Exception {
        Path file = dir.resolve("identity.key");
        Files.write(file, new byte[] {1, 2, 3});
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        PeerIdentity identity = PeerIdentity.generate();
        identity.save(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PeerIdentity.load(file).peerId()).isEqualTo(identity.peerId());
    }

    @Test
    void loadsAKeyFileWrittenByGoTooling() throws Exception {
        // peerid.tsv, go-key-ed25519 fixture: raw PrivateKey protobuf bytes as kubo stores them.
        Path file = writeOwnerOnly("go.key", hex("08011240e838af14f0a0132f5c5873dda40d24a29e88f71f1de74c8f0c5bc10458214317"
                + "a3b0c32ffed03105c066203f3acaab9992a419d4195b921a75a59406cf5ad97e"));
        assertThat(PeerIdentity.load(file).peerId()).hasToString("12D3KooWLqLxEfJ9nDdEe8Kh8PFvNPQRYDQBwyL7CMM7HhVd5LsX");
    }

    @Test
    void loadingAMissingFileNamesThePathAndSaysWhatToDo() {
        Path file = dir.resolve("missing.key");
        assertThatThrownBy(() -> PeerIdentity.load(file))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("does not exist")
                .hasMessageContaining("PeerIdentity.generate().save(path)");
    }

    @Test
    void loadingADirectoryOrAnEmptyOrHugeFileIsAClearError() throws Exception {
        assertThatThrownBy(() -> PeerIdentity.load(dir)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("is a directory");
        Path empty = writeOwnerOnly("empty.key", new byte[0]);
        assertThatThrownBy(() -> PeerIdentity.load(empty)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(empty.toString()).hasMessageContaining("is empty");
        Path huge = writeOwnerOnly("huge.key", new byte[10_000]);
        assertThatThrownBy(() -> PeerIdentity.load(huge)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10000 bytes");
    }

    @Test
    void loadingAMalformedFileSaysWhatTheFileShouldHold() throws Exception {
        Path garbage = writeOwnerOnly("garbage.key", hex("ff01ff"));
        assertThatThrownBy(() -> PeerIdentity.load(garbage)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(garbage.toString())
                .hasMessageContaining("is not a libp2p Ed25519 private key")
                .hasMessageContaining("raw PrivateKey protobuf bytes");
        PeerIdentity identity = PeerIdentity.generate();
        Path base64 = writeOwnerOnly("base64.key", (Base64.getEncoder().encodeToString(
                identity.privateKeyProtobuf()) + "\n").getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> PeerIdentity.load(base64)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("plain text: decode base64");
        Path rsa = writeOwnerOnly("rsa.key", hex("0800120100"));
        assertThatThrownBy(() -> PeerIdentity.load(rsa)).hasMessageContaining("only Ed25519 identities");
    }

    @Test
    void loadingAKeyFileOthersCanReadOrWriteIsRefusedWithTheChmodThatFixesIt() throws Exception {
        Path file = dir.resolve("shared.key");
        PeerIdentity identity = PeerIdentity.generate();
        identity.save(file);
        for (String mode : List.of("rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "rw-----w-")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
            assertThatThrownBy(() -> PeerIdentity.load(file)).as(mode)
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining(file.toString()).hasMessageContaining(mode)
                    .hasMessageContaining("chmod 600");
        }
        // Owner-only, with or without the owner's execute bit, loads.
        for (String mode : List.of("rw-------", "r--------", "rwx------")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
            assertThat(PeerIdentity.load(file).peerId()).as(mode).isEqualTo(identity.peerId());
        }
    }

    @Test
    void loadingAnUnreadableFileSaysSo() throws Exception {
        assumeTrue(!"root".equals(System.getProperty("user.name")), "root reads any file");
        Path file = dir.resolve("locked.key");
        PeerIdentity.generate().save(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        assertThatThrownBy(() -> PeerIdentity.load(file)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("permission denied");
    }

    @Test
    void savingIntoAMissingDirectoryNamesIt() {
        Path file = dir.resolve("no/such/dir/identity.key");
        assertThatThrownBy(() -> PeerIdentity.generate().save(file)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(file.getParent().toString()).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> PeerIdentity.generate().save(dir)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("is a directory");
    }
}
