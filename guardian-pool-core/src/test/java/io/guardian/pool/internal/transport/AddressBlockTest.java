package io.guardian.pool.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.InvalidSettingException;
import io.guardian.pool.net.InboundLimits;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** CIDR blocks of the allow-list, and the per-address key: IPv4 alone, IPv6 by /64. */
@Timeout(10)
class AddressBlockTest {

    @Test
    void blocksContainTheirAddressesOnly() throws Exception {
        AddressBlock ten = AddressBlock.parse("10.0.0.0/8");
        assertThat(ten.contains(ip("10.255.1.2"))).isTrue();
        assertThat(ten.contains(ip("11.0.0.1"))).isFalse();
        assertThat(ten.contains(ip("::ffff:10.1.1.1"))).as("IPv4-mapped IPv6 counts as IPv4").isTrue();
        AddressBlock one = AddressBlock.parse("127.0.0.5");
        assertThat(one.contains(ip("127.0.0.5"))).isTrue();
        assertThat(one.contains(ip("127.0.0.6"))).isFalse();
        AddressBlock odd = AddressBlock.parse("192.168.1.128/25");
        assertThat(odd.contains(ip("192.168.1.200"))).isTrue();
        assertThat(odd.contains(ip("192.168.1.127"))).isFalse();
        AddressBlock v6 = AddressBlock.parse("fd00::/8");
        assertThat(v6.contains(ip("fdab::1"))).isTrue();
        assertThat(v6.contains(ip("fe80::1"))).isFalse();
        assertThat(v6.contains(ip("10.0.0.1"))).isFalse();
        assertThat(AddressBlock.parse("0.0.0.0/0").contains(ip("8.8.8.8"))).isTrue();
    }

    @Test
    void ipv6AddressesShareTheirSlash64WhileIpv4AddressesStandAlone() throws Exception {
        assertThat(AddressBlock.limitKey(ip("2001:db8:1:2:aaaa::1")))
                .isEqualTo(AddressBlock.limitKey(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")))
                .isNotEqualTo(AddressBlock.limitKey(ip("2001:db8:1:3::1")));
        assertThat(AddressBlock.limitKey(ip("192.0.2.1"))).isNotEqualTo(AddressBlock.limitKey(ip("192.0.2.2")));
        assertThat(AddressBlock.limitKey(ip("::ffff:192.0.2.1"))).isEqualTo(AddressBlock.limitKey(ip("192.0.2.1")));
    }

    @Test
    void anythingButAnIpLiteralIsRefusedWithoutALookUp() {
        for (String bad : new String[] {"localhost", "example.com/8", "10.0.0.0/33", "::/129", "10.0.0.0/x", "", "1.2.3"}) {
            assertThatThrownBy(() -> AddressBlock.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> InboundLimits.builder().allowlistedAddresses(Set.of("localhost")).build())
                .isInstanceOfSatisfying(InvalidSettingException.class,
                        e -> assertThat(e.setting()).isEqualTo("allowlisted-addresses"));
    }

    @Test
    void everyLimitIsValidatedNamingItsSetting() {
        assertThatThrownBy(() -> InboundLimits.builder().maxConnectionsPerAddress(0).build())
                .hasMessageContaining("max-inbound-per-address");
        assertThatThrownBy(() -> InboundLimits.builder().maxPendingPerAddress(0).build())
                .hasMessageContaining("max-pending-per-address");
        assertThatThrownBy(() -> InboundLimits.builder().firstByteTimeout(Duration.ZERO).build())
                .hasMessageContaining("first-byte-timeout");
        assertThatThrownBy(() -> InboundLimits.builder().idleTimeout(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("inbound-idle-timeout");
        InboundLimits defaults = InboundLimits.defaults();
        assertThat(defaults.maxConnectionsPerAddress()).isEqualTo(64);
        assertThat(defaults.maxPendingPerAddress()).isEqualTo(8);
        assertThat(defaults.firstByteTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(defaults.idleTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(defaults.limitLoopback()).isFalse();
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }
}
