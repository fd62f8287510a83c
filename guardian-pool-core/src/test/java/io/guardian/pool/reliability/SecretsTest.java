package io.guardian.pool.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerConnection;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.Transport;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerIdentity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Private keys stay private: key files are written owner-only (also when they replace a file
 * others could read), and a full start-up from key files, traffic, failures and shutdown log
 * nothing, at any level down to TRACE, and throw nothing, that contains the key in any text form
 * ({@link KeyMaterial}). The Actuator side is checked in the starter's reliability tests.
 *
 * <p>Figures: {@code target/reliability/secrets.json|txt}.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SecretsTest {

    private static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    private static final Figures FIGURES = Figures.forRun(SecretsTest.class, Size.current());

    @TempDir
    Path dir;

    @AfterAll
    static void writeFigures() {
        FIGURES.write("secrets");
    }

    @Test
    void keyFilesAreWrittenOwnerOnlyEvenWhenTheyReplaceAFileOthersCouldRead() throws Exception {
        Path file = dir.resolve("node.key");
        PeerIdentity first = PeerIdentity.generate();
        first.save(file);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(OWNER_ONLY);

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        PeerIdentity second = PeerIdentity.generate();
        second.save(file);
        assertThat(Files.getPosixFilePermissions(file)).as("a replaced key file").isEqualTo(OWNER_ONLY);
        assertThat(PeerIdentity.load(file).peerId()).isEqualTo(second.peerId());
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no temporary copy of the key left behind")
                    .containsExactly("node.key");
        }
        FIGURES.section("keyFile").put("permissions", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(file))).put("afterReplacingA644File", "rw-------");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void fullStartUpFromKeyFilesTrafficFailuresAndShutdownNeverRevealAPrivateKey(Transport transport) throws Exception {
        Path listenerKey = dir.resolve("listener.key");
        Path poolKey = dir.resolve("pool.key");
        PeerIdentity.generate().save(listenerKey);
        PeerIdentity.generate().save(poolKey);
        List<String> texts = new ArrayList<>();
        PeerIdentity listenerIdentity;
        PeerIdentity poolIdentity;
        int lines;
        boolean sawStart;
        try (LogCapture logs = LogCapture.everything("io.guardian", "io.netty")) {
            // A key file others can read: loading it is refused, and the refusal must not quote the key.
            Files.setPosixFilePermissions(listenerKey, PosixFilePermissions.fromString("rw-r--r--"));
            assertThatThrownBy(() -> PeerIdentity.load(listenerKey)).hasMessageContaining("chmod 600")
                    .satisfies(e -> texts.add(stackTrace(e)));
            Files.setPosixFilePermissions(listenerKey, OWNER_ONLY);
            listenerIdentity = PeerIdentity.load(listenerKey);
            poolIdentity = PeerIdentity.load(poolKey);
            texts.add(listenerIdentity.toString());
            texts.add(poolIdentity.toString());
            texts.addAll(badKeyFileMessages(listenerIdentity));

            try (PeerListener listener = PeerListener.builder(listenerIdentity)
                    .bind(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).handler((from, message) -> message).start();
                    OptimizedConnectionPool pool = new OptimizedConnectionPool(PoolConfig.builder()
                            .transport(transport).maxRetryAttempts(0).connectionTimeout(Duration.ofSeconds(2)).build(), poolIdentity)) {
                try (PeerConnection lease = pool.acquire(listener.peerId(), listener.listenAddress())) {
                    lease.request("hello".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
                }
                // The same address dialed as another peer: a failed handshake, logged and thrown.
                PeerIdentity someoneElse = PeerIdentity.generate();
                Multiaddr wrong = listener.listenAddress().withoutPeerId();
                assertThatThrownBy(() -> pool.acquire(someoneElse.peerId(), wrong)).isInstanceOfSatisfying(
                        GuardianPoolException.class, e -> texts.add(stackTrace(e)));
                texts.add(pool.checkHealth().toString());
                texts.add(pool.getStats().toString());
                texts.add(pool.peers().toString());
                texts.add(pool.config().toString());
                texts.add(pool.toString());
                texts.add(listener.toString());
                texts.add(listener.sessions().toString());
            }
            texts.addAll(logs.lines());
            lines = logs.lines().size();
            sawStart = logs.lines().stream().anyMatch(l -> l.contains("Listening as"));
        }
        KeyMaterial listenerSecret = KeyMaterial.of(listenerIdentity);
        KeyMaterial poolSecret = KeyMaterial.of(poolIdentity);
        List<String> leaks = new ArrayList<>();
        for (String text : texts) {
            for (KeyMaterial secret : List.of(listenerSecret, poolSecret)) {
                List<String> found = secret.foundIn(text);
                if (!found.isEmpty()) {
                    leaks.add(found + " in: " + text.substring(0, Math.min(200, text.length())));
                }
            }
        }
        FIGURES.section("logsAndMessages" + (transport == Transport.GUARDIAN ? "" : "Libp2p")).put("logLinesCaptured", lines).put("textsScanned", texts.size())
                .put("keyFormsPerIdentity", listenerSecret.formCount()).put("keyFound", leaks.size());
        assertThat(sawStart).as("the capture saw the start-up (TRACE and up)").isTrue();
        assertThat(leaks).as("private key material in logs, messages or toString()").isEmpty();
    }

    @Test
    void theScanFindsTheKeyInsideLongerTextsInEveryEncodingItChecks() {
        PeerIdentity identity = PeerIdentity.generate();
        KeyMaterial secret = KeyMaterial.of(identity);
        byte[] protobuf = identity.privateKeyProtobuf();
        for (int prefix = 0; prefix < 3; prefix++) {
            byte[] blob = new byte[prefix + protobuf.length + 5];
            System.arraycopy(protobuf, 0, blob, prefix, protobuf.length);
            assertThat(secret.foundIn("key=" + Base64.getEncoder().encodeToString(blob) + ";")).isNotEmpty();
            assertThat(secret.foundIn(Base64.getUrlEncoder().encodeToString(blob))).isNotEmpty();
        }
        assertThat(secret.foundIn("seed " + HexFormat.of().formatHex(protobuf, 4, 36) + " end")).isNotEmpty();
        assertThat(secret.foundIn(java.util.Arrays.toString(protobuf))).isNotEmpty();
        assertThat(secret.foundIn(identity.peerId() + " " + HexFormat.of().formatHex(identity.publicKeyProtobuf())))
                .as("the public key and the PeerId are not secret").isEmpty();
    }

    /** What loading broken or mis-encoded key files says: it must explain, not quote the key. */
    private List<String> badKeyFileMessages(PeerIdentity identity) throws Exception {
        byte[] protobuf = identity.privateKeyProtobuf();
        List<String> messages = new ArrayList<>();
        byte[] wrongPublicHalf = protobuf.clone();
        wrongPublicHalf[wrongPublicHalf.length - 1] ^= 1;
        List<byte[]> broken = List.of(wrongPublicHalf,
                HexFormat.of().formatHex(protobuf).getBytes(StandardCharsets.US_ASCII),
                Base64.getEncoder().encode(protobuf),
                java.util.Arrays.copyOf(protobuf, 40));
        for (int i = 0; i < broken.size(); i++) {
            Path file = dir.resolve("broken-" + i + ".key");
            Files.write(file, broken.get(i));
            Files.setPosixFilePermissions(file, OWNER_ONLY);
            try {
                PeerIdentity.load(file);
                messages.add("loaded broken key " + i + " without complaint");
            } catch (RuntimeException e) {
                messages.add(stackTrace(e));
            }
        }
        return messages.stream().filter(m -> !m.isEmpty()).collect(Collectors.toList());
    }

    private static String stackTrace(Throwable e) {
        java.io.StringWriter out = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(out));
        return out.toString();
    }
}
