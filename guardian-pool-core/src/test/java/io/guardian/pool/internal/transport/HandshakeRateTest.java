package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-address token buckets of new connections, on a clock the test moves. */
@Timeout(10)
class HandshakeRateTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    @Test
    void aBurstThenTheRatePerAddressAndOtherAddressesAreUntouched() throws Exception {
        HandshakeRate rate = new HandshakeRate(2.0, 5, 100, clock::get);
        Object a = AddressBlock.limitKey(InetAddress.getByName("10.0.0.1"));
        Object b = AddressBlock.limitKey(InetAddress.getByName("10.0.0.2"));
        for (int i = 0; i < 5; i++) {
            assertThat(rate.tryAcquire(a)).isTrue();
        }
        assertThat(rate.tryAcquire(a)).isFalse();
        assertThat(rate.tryAcquire(b)).as("another address has its own bucket").isTrue();
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(499));
        assertThat(rate.tryAcquire(a)).as("0.998 of a token after 499 ms").isFalse();
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(2));
        assertThat(rate.tryAcquire(a)).isTrue();
        assertThat(rate.tryAcquire(a)).isFalse();
        clock.addAndGet(TimeUnit.SECONDS.toNanos(60));
        for (int i = 0; i < 5; i++) {
            assertThat(rate.tryAcquire(a)).as("refilled to the burst, not beyond").isTrue();
        }
        assertThat(rate.tryAcquire(a)).isFalse();
    }

    @Test
    void ipv6AddressesOfOneSlash64ShareABucket() throws Exception {
        HandshakeRate rate = new HandshakeRate(1.0, 2, 100, clock::get);
        assertThat(rate.tryAcquire(AddressBlock.limitKey(InetAddress.getByName("2001:db8:1:2::1")))).isTrue();
        assertThat(rate.tryAcquire(AddressBlock.limitKey(InetAddress.getByName("2001:db8:1:2:ffff::9")))).isTrue();
        assertThat(rate.tryAcquire(AddressBlock.limitKey(InetAddress.getByName("2001:db8:1:2:abcd::1")))).isFalse();
        assertThat(rate.tryAcquire(AddressBlock.limitKey(InetAddress.getByName("2001:db8:1:3::1"))))
                .as("the next /64").isTrue();
    }

    @Test
    void theTableStaysBoundedAndForgetsRefilledBuckets() throws Exception {
        HandshakeRate rate = new HandshakeRate(1.0, 2, 4, clock::get);
        for (int i = 0; i < 4; i++) {
            assertThat(rate.tryAcquire(AddressBlock.limitKey(InetAddress.getByName("10.0.1." + i)))).isTrue();
        }
        Object busy = AddressBlock.limitKey(InetAddress.getByName("10.0.2.1"));
        // Table full of active addresses: a new one is let through untracked (the other caps hold it).
        for (int i = 0; i < 10; i++) {
            assertThat(rate.tryAcquire(busy)).isTrue();
        }
        assertThat(rate.tracked()).isEqualTo(4);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(3));
        assertThat(rate.tryAcquire(busy)).isTrue();
        assertThat(rate.tracked()).as("the refilled buckets were swept, the new address is tracked").isEqualTo(1);
        assertThat(rate.tryAcquire(busy)).isTrue();
        assertThat(rate.tryAcquire(busy)).isFalse();
    }
}
