package io.guardian.pool.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The end-to-end check behind the per-language self tests: a peer's {@code listen} and the same
 * language's {@code dial} against it, through {@code interop/build.sh}, the harness and the full
 * step list. Not API: test harness only.
 */
final class SelfDialCheck {

    /** Deadline for one full dial run; the slowest pair in the cross-check took under 4 s. */
    static final Duration DIAL_TIMEOUT = Duration.ofSeconds(120);
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(30);

    private SelfDialCheck() {
    }

    /**
     * Checks a {@code dial} run of every default step against a listener: all ok, the listener's
     * identify (agent, protocols, listen address), three pings, the three echo sizes, 100 streams,
     * and a refusal naming the protocol.
     */
    @SuppressWarnings("unchecked")
    static void assertFullRun(DialResult result, String agentPrefix, io.guardian.pool.peer.Multiaddr listenAddress,
            String... protocols) {
        assertThat(result.ok()).as("%s", result).isTrue();
        assertThat(result.failures()).isEmpty();
        Map<String, Object> identify = result.steps("identify").get(0);
        assertThat((String) identify.get("agentVersion")).startsWith(agentPrefix);
        assertThat(identify.get("protocolVersion")).isEqualTo("ipfs/0.1.0");
        assertThat((List<Object>) identify.get("protocols")).contains("/ipfs/id/1.0.0", "/ipfs/ping/1.0.0")
                .contains((Object[]) protocols);
        assertThat((List<Object>) identify.get("listenAddrs")).contains(listenAddress.withoutPeerId().toString());
        // js-libp2p reports whole milliseconds, so a loopback ping may read 0.
        assertThat(result.steps("ping")).hasSize(3)
                .allSatisfy(p -> assertThat(((Number) p.get("rttMs")).doubleValue()).isNotNegative());
        assertThat(result.steps("echo")).extracting(e -> ((Number) e.get("bytes")).longValue())
                .containsExactly(1L, 64L * 1024, 4L * 1024 * 1024);
        assertThat(result.steps("concurrent")).singleElement()
                .satisfies(c -> assertThat(((Number) c.get("streams")).intValue()).isEqualTo(100));
        assertThat(result.steps("refused")).singleElement()
                .satisfies(r -> assertThat((String) r.get("error")).contains("/guardian/nope/1.0.0"));
    }

    static void run(Lang lang) {
        String agentPrefix = "guardian-interop-" + lang.id() + "/";
        try (InteropPeer listener = InteropPeer.listen(lang)) {
            assertThat(listener.address().toString())
                    .startsWith("/ip4/127.0.0.1/tcp/")
                    .endsWith("/p2p/" + listener.peerId().toBase58());

            DialResult result = InteropPeer.dial(lang, listener.address(), DIAL_TIMEOUT);

            assertFullRun(result, agentPrefix, listener.address(), "/guardian/echo/1.0.0", "/guardian/reset/1.0.0",
                    "/guardian/close-conn/1.0.0");

            // The listener saw the same run from its side.
            listener.awaitEvent(e -> "connected".equals(e.get("event")), EVENT_TIMEOUT);
            listener.awaitEvent(e -> "identified".equals(e.get("event"))
                    && String.valueOf(e.get("agentVersion")).startsWith(agentPrefix), EVENT_TIMEOUT);
            listener.awaitEvent(e -> "ping".equals(e.get("event")), EVENT_TIMEOUT);
            listener.awaitEvent(e -> "echo".equals(e.get("event"))
                    && Long.valueOf(4L * 1024 * 1024).equals(e.get("bytes")), EVENT_TIMEOUT);

            // The extra steps, alone: close-conn ends the connection, so it runs last.
            DialResult extra = InteropPeer.dial(lang, listener.address(), DIAL_TIMEOUT, "reset", "close-conn");
            assertThat(extra.ok()).as("%s", extra).isTrue();
            assertThat(extra.lines()).extracting(l -> l.get("step")).containsExactly("reset", "close-conn", "done");
            listener.awaitEvent(e -> "reset".equals(e.get("event")), EVENT_TIMEOUT);
            listener.awaitEvent(e -> "close-conn".equals(e.get("event")), EVENT_TIMEOUT);

            listener.close();
            assertThat(listener.isAlive()).as("%s peer still running after stdin closed", lang.id()).isFalse();
        }
    }
}
