package io.guardian.pool.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.PoolConfig;
import io.guardian.pool.breaker.CircuitState;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.peer.PeerIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pieces of the engine checked on their own: backoff arithmetic, breaker, latency averages, loss window. */
@Timeout(10)
class EngineUnitTest {

    private static PoolEngine engine(PoolConfig config, AtomicReference<Double> random) {
        FakeClock clock = new FakeClock();
        return PoolEngine.builder(config).localPeer(PeerIdentity.generate().peerId())
                .connector(new FakeConnector(clock)).clock(clock).scheduler(new ManualScheduler(clock))
                .random(random::get).build();
    }

    @Test
    void retryBackoffIsExponentialWithEqualJitterAndCapped() {
        AtomicReference<Double> random = new AtomicReference<>(0.0);
        PoolConfig config = PoolConfig.builder().initialRetryBackoff(Duration.ofSeconds(1)).backoffMultiplier(3.0)
                .maxRetryBackoff(Duration.ofSeconds(5)).build();
        try (PoolEngine e = engine(config, random)) {
            assertThat(e.dialer().backoffNanos(1)).isEqualTo(500_000_000L);
            assertThat(e.dialer().backoffNanos(2)).isEqualTo(1_500_000_000L);
            assertThat(e.dialer().backoffNanos(3)).isEqualTo(2_500_000_000L); // 9 s capped at 5 s, half of it fixed
            random.set(0.999999);
            assertThat(e.dialer().backoffNanos(1)).isBetween(999_000_000L, 1_000_000_000L);
            assertThat(e.dialer().backoffNanos(5)).isBetween(4_999_000_000L, 5_000_000_000L);
        }
    }

    @Test
    void breakerCountsConsecutiveFailuresOnlyAndSuccessResetsThem() {
        List<ConnectionEvent> events = new ArrayList<>();
        CircuitBreaker b = new CircuitBreaker(PeerIdentity.generate().peerId(), 3, 1_000, 10_000, 2.0, () -> 0.0,
                events::add, state -> { });
        b.onFailure(false, 0);
        b.onFailure(false, 1);
        b.onSuccess(false, 2);
        b.onFailure(false, 3);
        b.onFailure(false, 4);
        assertThat(b.state).isEqualTo(CircuitState.CLOSED);
        b.onFailure(false, 5);
        assertThat(b.state).isEqualTo(CircuitState.OPEN);
        assertThat(b.tryAcquire(1_004)).isEqualTo(CircuitBreaker.Admission.REJECT);
        assertThat(b.tryAcquire(1_005)).isEqualTo(CircuitBreaker.Admission.PROBE);
        assertThat(b.tryAcquire(1_006)).isEqualTo(CircuitBreaker.Admission.REJECT);
        b.releaseProbe(); // the probe's caller gave up: the next one may try
        assertThat(b.tryAcquire(1_007)).isEqualTo(CircuitBreaker.Admission.PROBE);
        b.onFailure(true, 1_008);
        assertThat(b.state).isEqualTo(CircuitState.OPEN);
        assertThat(b.view(new FakeClock()).timeoutMs()).isZero(); // 2_000 ns, shown in ms
        assertThat(b.tryAcquire(1_008 + 2_000)).isEqualTo(CircuitBreaker.Admission.PROBE); // random 0: no jitter
        assertThat(events).extracting(Object::getClass).containsExactly(ConnectionEvent.CircuitBreakerOpen.class,
                ConnectionEvent.CircuitBreakerHalfOpen.class, ConnectionEvent.CircuitBreakerOpen.class,
                ConnectionEvent.CircuitBreakerHalfOpen.class);
    }

    @Test
    void peakEwmaJumpsToASlowSampleAndDecaysTowardsFastOnes() {
        LatencyTracker t = new LatencyTracker();
        t.record(1_000_000, 0);
        t.record(50_000_000, 1_000);
        assertThat(t.peakNanos(1_000)).isEqualTo(50_000_000.0);
        assertThat(t.ewmaMillis()).isCloseTo(1 + 0.3 * 49, org.assertj.core.api.Assertions.within(1e-9));
        t.record(1_000_000, 10_000_000_000L + 1_000); // one decay time constant later
        assertThat(t.peakNanos(10_000_000_000L + 1_000)).isCloseTo(1_000_000 + 49_000_000 / Math.E,
                org.assertj.core.api.Assertions.within(1.0));
        assertThat(t.peakNanos(100_000_000_000L)).isLessThan(1_000_000.0); // no samples: decays towards 0
    }

    @Test
    void lossRateCountsTheLastSixtyFourPings() {
        PeerSlot s = new PeerSlot(PeerIdentity.generate().peerId());
        assertThat(s.lossRate()).isZero();
        s.recordPing(true);
        s.recordPing(false);
        assertThat(s.lossRate()).isEqualTo(0.5);
        for (int i = 0; i < 64; i++) {
            s.recordPing(false);
        }
        assertThat(s.lossRate()).isZero();
        for (int i = 0; i < 16; i++) {
            s.recordPing(true);
        }
        assertThat(s.lossRate()).isEqualTo(0.25);
    }
}
