package io.guardian.pool.interop;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Our libp2p stack against go-libp2p and rust-libp2p (pinned by interop/go/go.sum and
 * interop/rust/Cargo.lock), both directions. Tagged {@code interop-native}: the peers need the Go
 * and Rust toolchains and minutes of cold build, so {@code -Pinterop-native} runs them, as
 * {@code .ci/run} does after the main build.
 */
@Tag("interop-native")
class NativeInteropTest {

    @ParameterizedTest
    @EnumSource(value = Lang.class, names = {"GO", "RUST"})
    @Timeout(value = 25, unit = TimeUnit.MINUTES)
    void theirDialerAgainstOurListener(Lang lang) {
        StackInterop.theirDialerOurListener(lang);
    }

    @ParameterizedTest
    @EnumSource(value = Lang.class, names = {"GO", "RUST"})
    @Timeout(value = 25, unit = TimeUnit.MINUTES)
    void ourDialerAgainstTheirListener(Lang lang) throws Exception {
        StackInterop.ourDialerTheirListener(lang);
    }

    @ParameterizedTest
    @CsvSource({"secp256k1, 16Uiu2", "rsa, Qm", "ecdsa, Qm"})
    @Timeout(value = 25, unit = TimeUnit.MINUTES)
    void goPeersWithSecp256k1RsaAndEcdsaIdentitiesAreAuthenticatedBothWays(String keyType, String peerIdPrefix)
            throws Exception {
        StackInterop.otherKeyType(Lang.GO, keyType, peerIdPrefix);
    }

    @Test
    @Timeout(value = 25, unit = TimeUnit.MINUTES)
    void rustPeersWithSecp256k1IdentitiesAreAuthenticatedBothWays() throws Exception {
        StackInterop.otherKeyType(Lang.RUST, "secp256k1", "16Uiu2");
    }

    @Test
    @Timeout(value = 25, unit = TimeUnit.MINUTES)
    void goConnectionManagerTrimsTheLeastBusyConnection() throws Exception {
        PeerModes.goTrimsTheLeastBusyConnection();
    }

    @Test
    @Timeout(value = 25, unit = TimeUnit.MINUTES)
    void rustIdleTimeoutClosesOnlyAConnectionWithoutStreams() throws Exception {
        PeerModes.rustClosesAnIdleConnection();
    }
}
