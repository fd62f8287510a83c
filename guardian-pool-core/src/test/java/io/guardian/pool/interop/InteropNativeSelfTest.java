package io.guardian.pool.interop;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;

/**
 * The go-libp2p and rust-libp2p reference peers, end to end through the harness. Tagged
 * {@code interop-native}: a cold build takes minutes (rust ~3 min on 2 cores), so the default
 * build skips them and {@code -Pinterop-native} runs them alone.
 */
@Tag("interop-native")
class InteropNativeSelfTest {

    @ParameterizedTest
    @EnumSource(value = Lang.class, names = {"GO", "RUST"})
    @Timeout(value = 25, unit = TimeUnit.MINUTES)
    void peerDialsItselfThroughEveryStep(Lang lang) {
        SelfDialCheck.run(lang);
    }
}
