package io.guardian.pool.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class InteropBuildTest {

    @Test
    void findsTheInteropFolderBesideTheCoreModule() {
        Path dir = InteropBuild.interopDir();
        assertThat(dir.getFileName().toString()).isEqualTo("interop");
        assertThat(dir.resolve("go/go.mod")).isRegularFile();
        assertThat(dir.resolve("rust/Cargo.lock")).isRegularFile();
        assertThat(dir.resolve("js/package-lock.json")).isRegularFile();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aMissingToolchainThrowsWithTheScriptsMessage() {
        // Only the system folders on PATH: Go is installed elsewhere here (/usr/local/go). Where a
        // distribution Go sits in /usr/bin this test cannot hide it, and says so by skipping.
        assumeFalse(Files.exists(Path.of("/usr/bin/go")) || Files.exists(Path.of("/bin/go")),
                "a Go toolchain in /usr/bin cannot be hidden from build.sh");
        assertThatThrownBy(() -> InteropBuild.build(Lang.GO, Map.of("PATH", "/usr/bin:/bin")))
                .isInstanceOf(InteropToolchainMissingException.class)
                .hasMessageContaining("Go toolchain (go) is not on PATH")
                .hasMessageContaining("apt-get install golang");
    }
}
