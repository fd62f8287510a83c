package io.guardian.pool.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.peer.Multiaddr;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The js-libp2p reference peer, end to end through the harness. In the default build: Node and
 * npm are cheap to install (.ci/run does), unlike the Go and Rust toolchains.
 */
class InteropJsSelfTest {

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void jsPeerDialsItselfThroughEveryStep() {
        SelfDialCheck.run(Lang.JS);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aStepSubsetRunsAloneAndADeadTargetFailsFast() {
        Multiaddr gone;
        try (InteropPeer listener = InteropPeer.listen(Lang.JS)) {
            DialResult subset = InteropPeer.dial(Lang.JS, listener.address(), SelfDialCheck.DIAL_TIMEOUT, "identify", "refused");
            assertThat(subset.ok()).as("%s", subset).isTrue();
            assertThat(subset.lines()).extracting(l -> l.get("step")).containsExactly("identify", "refused", "done");
            gone = listener.address();
        }
        // Nothing listens there any more: the dial must fail fast, and say so, not hang.
        DialResult failed = InteropPeer.dial(Lang.JS, gone, Duration.ofSeconds(60), "identify");
        assertThat(failed.timedOut()).isFalse();
        assertThat(failed.ok()).isFalse();
        assertThat(failed.exitCode()).isNotZero();
        assertThat(failed.steps("connect")).singleElement().satisfies(c -> assertThat(c.get("ok")).isEqualTo(false));
    }
}
