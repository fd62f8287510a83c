package io.guardian.pool.interop;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Our libp2p stack against js-libp2p (the versions pinned in interop/js/package-lock.json), in the
 * default build: Node.js is all it needs, and the first run installs the peer with {@code npm ci}.
 */
class JsInteropTest {

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void jsDialerAgainstOurListener() {
        StackInterop.theirDialerOurListener(Lang.JS);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void ourDialerAgainstJsListener() throws Exception {
        StackInterop.ourDialerTheirListener(Lang.JS);
    }

    @ParameterizedTest
    @CsvSource({"secp256k1, 16Uiu2", "rsa, Qm"})
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void jsPeersWithSecp256k1AndRsaIdentitiesAreAuthenticatedBothWays(String keyType, String peerIdPrefix)
            throws Exception {
        StackInterop.otherKeyType(Lang.JS, keyType, peerIdPrefix);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void jsCloseConnEndsTheConnectionUnderAnOpenStream() throws Exception {
        PeerModes.jsClosesTheConnectionUnderAnOpenStream();
    }
}
