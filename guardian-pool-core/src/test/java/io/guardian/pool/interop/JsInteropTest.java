package io.guardian.pool.interop;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void jsCloseConnEndsTheConnectionUnderAnOpenStream() throws Exception {
        PeerModes.jsClosesTheConnectionUnderAnOpenStream();
    }
}
