package io.guardian.pool.peer;

import static io.guardian.pool.peer.ConformanceFiles.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MultiaddrTest {

    private static final String PEER = "12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV";
    private static final String RELAY = "QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC";

    @Test
    void componentsExposeNameCodeAndCanonicalValue() {
        Multiaddr addr = Multiaddr.parse("/ip6/0:0:0:0:0:0:0:1/tcp/04001/tls/sni/example.com/ws/ipfs/" + PEER);
        assertThat(addr.components()).containsExactly(
                new Multiaddr.Component("ip6", 41, "::1"),
                new Multiaddr.Component("tcp", 6, "4001"),
                new Multiaddr.Component("tls", 448, ""),
                new Multiaddr.Component("sni", 449, "example.com"),
                new Multiaddr.Component("ws", 477, ""),
                new Multiaddr.Component("p2p", 421, PEER));
        assertThat(addr).hasToString("/ip6/::1/tcp/4001/tls/sni/example.com/ws/p2p/" + PEER);
        assertThatThrownBy(() -> addr.components().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void equalityIsOnTheBinaryForm() {
        Multiaddr p2p = Multiaddr.parse("/ip4/127.0.0.1/tcp/1/p2p/" + RELAY);
        Multiaddr ipfs = Multiaddr.parse("/ip4/127.0.0.1/tcp/1/ipfs/" + RELAY + "/");
        assertThat(ipfs).isEqualTo(p2p).hasSameHashCodeAs(p2p).hasToString(p2p.toString());
        assertThat(p2p).isNotEqualTo(Multiaddr.parse("/ip4/127.0.0.1/tcp/2/p2p/" + RELAY));
    }

    @Test
    void bytesAreCopiedInAndOut() {
        byte[] bytes = hex("047f0000010604d2");
        Multiaddr addr = Multiaddr.fromBytes(bytes);
        bytes[1] = 1;
        addr.toBytes()[2] = 9;
        assertThat(addr).hasToString("/ip4/127.0.0.1/tcp/1234");
    }

    @Test
    void peerIdIsTheTrailingP2pComponentOnly() {
        assertThat(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001/p2p/" + PEER).peerId()).contains(PeerId.parse(PEER));
        assertThat(Multiaddr.parse("/ip4/1.2.3.4/tcp/1/p2p/" + RELAY + "/p2p-circuit/p2p/" + PEER).peerId())
                .contains(PeerId.parse(PEER));
        assertThat(Multiaddr.parse("/p2p/" + PEER + "/tcp/1234").peerId()).isEmpty();
        assertThat(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001").peerId()).isEmpty();
    }

    @Test
    void withPeerIdAppendsOrReplacesTheTrailingP2p() {
        PeerId peer = PeerId.parse(PEER);
        Multiaddr plain = Multiaddr.parse("/ip4/127.0.0.1/tcp/4001");
        assertThat(plain.withPeerId(peer)).hasToString("/ip4/127.0.0.1/tcp/4001/p2p/" + PEER);
        assertThat(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001/p2p/" + RELAY).withPeerId(peer))
                .hasToString("/ip4/127.0.0.1/tcp/4001/p2p/" + PEER);
        assertThat(plain.withPeerId(peer).withoutPeerId()).isEqualTo(plain);
        assertThat(plain.withoutPeerId()).isSameAs(plain);
        assertThatThrownBy(() -> Multiaddr.parse("/p2p/" + PEER).withoutPeerId())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nothing but");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ip4/127.0.0.1/tcp/4001", "/ip6/::1/tcp/4001", "/dns/localhost/tcp/4001",
        "/dns4/localhost/tcp/1", "/dns6/localhost/tcp/65535", "/ip4/127.0.0.1/tcp/4001/p2p/" + PEER})
    void tcpAddressesAreDialable(String text) {
        assertThat(Multiaddr.parse(text).isTcpDialable()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/4001", "/ip4/127.0.0.1/tcp/4001/ws",
        "/ip4/127.0.0.1/tcp/4001/tls", "/dnsaddr/localhost/tcp/1", "/tcp/4001", "/ip4/127.0.0.1",
        "/ip4/127.0.0.1/udp/1/quic-v1", "/unix/tmp/sock", "/ip4/127.0.0.1/tcp/1/p2p/" + PEER + "/p2p-circuit",
        "/p2p/" + PEER, "/ip6zone/lo/ip6/::1/tcp/1"})
    void otherAddressesAreNot(String text) {
        assertThat(Multiaddr.parse(text).isTcpDialable()).isFalse();
    }

    @Test
    void literalIpsBecomeResolvedSocketAddressesWithoutALookup() {
        InetSocketAddress v4 = Multiaddr.parse("/ip4/127.0.0.1/tcp/4001/p2p/" + PEER).toSocketAddress();
        assertThat(v4.isUnresolved()).isFalse();
        assertThat(v4.getAddress()).isInstanceOf(Inet4Address.class);
        assertThat(v4.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(v4.getPort()).isEqualTo(4001);
        InetSocketAddress v6 = Multiaddr.parse("/ip6/::1/tcp/80").toSocketAddress();
        assertThat(v6.getAddress()).isInstanceOf(Inet6Address.class);
        assertThat(v6.getAddress().isLoopbackAddress()).isTrue();
        assertThat(Multiaddr.parse("/ip4/127.0.0.1/tcp/0").toSocketAddress().getPort()).isZero();
    }

    @ParameterizedTest
    @CsvSource({"/dns/localhost/tcp/4001, localhost, 4001", "/dns4/peer.example/tcp/1, peer.example, 1",
        "/dns6/peer.example/tcp/2/p2p/" + PEER + ", peer.example, 2"})
    void dnsNamesStayUnresolvedForTheTransportToResolve(String text, String host, int port) {
        Multiaddr addr = Multiaddr.parse(text);
        InetSocketAddress socket = addr.toSocketAddress();
        assertThat(socket.isUnresolved()).isTrue();
        assertThat(socket.getHostString()).isEqualTo(host);
        assertThat(socket.getPort()).isEqualTo(port);
        assertThat(addr.host()).isEqualTo(host);
        assertThat(addr.port()).isEqualTo(port);
    }

    @Test
    void nonTcpAddressesHaveNoSocketAddressAndTheErrorNamesTheAddress() {
        assertThatThrownBy(() -> Multiaddr.parse("/ip4/127.0.0.1/udp/4001/quic-v1").toSocketAddress())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/ip4/127.0.0.1/udp/4001/quic-v1")
                .hasMessageContaining("not a TCP address");
        assertThatThrownBy(() -> Multiaddr.parse("/dnsaddr/localhost").host())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Multiaddr.parse("/ip4/127.0.0.1/tcp/1/ws").port())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tcpBuildsTheAddressOfASocket() throws Exception {
        assertThat(Multiaddr.tcp(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 4001)))
                .hasToString("/ip4/127.0.0.1/tcp/4001");
        byte[] loopback6 = new byte[16];
        loopback6[15] = 1;
        Multiaddr v6 = Multiaddr.tcp(new InetSocketAddress(InetAddress.getByAddress(loopback6), 80));
        assertThat(v6).hasToString("/ip6/::1/tcp/80");
        assertThat(Multiaddr.tcp(v6.toSocketAddress())).isEqualTo(v6);
        assertThat(Multiaddr.tcp(InetSocketAddress.createUnresolved("localhost", 9))).hasToString("/dns/localhost/tcp/9");
        assertThatThrownBy(() -> Multiaddr.tcp(InetSocketAddress.createUnresolved("a/b", 9)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'/'");
    }

    @Test
    void parseErrorsNameTheWrongPart() {
        assertThatThrownBy(() -> Multiaddr.parse("/ip4/127.0.0.1/tcp/99999"))
                .hasMessageContaining("invalid value \"99999\" for /tcp").hasMessageContaining("0 to 65535");
        assertThatThrownBy(() -> Multiaddr.parse("/ip4/127.0.0.1/quic/1234"))
                .hasMessageContaining("unknown protocol \"1234\" (/quic takes no value)");
        assertThatThrownBy(() -> Multiaddr.parse("/ip4/127.0.0.1/TCP/1")).hasMessageContaining("unknown protocol \"TCP\"");
        assertThatThrownBy(() -> Multiaddr.parse("ip4/127.0.0.1")).hasMessageContaining("must begin with '/'");
        assertThatThrownBy(() -> Multiaddr.parse("/ip6/fe80::1%eth0/tcp/1")).hasMessageContaining("/ip6zone/<zone>");
        assertThatThrownBy(() -> Multiaddr.parse("/ip4/1.2.3.4//tcp/1")).hasMessageContaining("two '/' in a row");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/ip6/1:2:3:4:5:6:7:8:9 | at most eight groups",
        "/ip6/1::2::3 | more than one",
        "/ip6/1:2:3:4:5:6:7 | too few groups",
        "/ip6/1:2:3:4::5:6:7:8 | at least one group",
        "/ip6/12345:: | more than four hex digits",
        "/ip6/1:2: | single ':'",
        "/ip6/:1:2:3:4:5:6:7 | invalid group",
        "/ip6/::1.2.3 | four dot-separated parts",
        "/ip6/1:2:3:4:5:6:7:1.2.3.4 | last 32 bits",
        "/ip6/1.2.3.4 | ",
        "/ip6/g::1 | invalid group",
        "/ip4/1.2.3.256 | 0 to 255",
        "/ip4/1.2.3.4.5 | four dot-separated parts",
        "/ip4/1.2.3.+4 | 0 to 255",
        "/tcp/+80 | 0 to 65535",
        "/dns/ | needs a value",
        "/onion/aaimaq4ygg2iegci:0 | 1 to 65535",
        "/onion/aaimaq4ygg2iegci | <host>:<port>",
        "/onion/aaimaq4ygg2iegc:80 | 16 base32 characters",
        "/onion3/vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd:1:2 | <host>:<port>",
        "/garlic32/aaaa | 32 or at least 35 bytes",
        "/garlic64/AAAA | 516 to 616 characters",
        "/certhash/uEiA | declares a 32-byte digest",
        "/certhash/xAAAA | unsupported multibase prefix",
        "/http-path/%zz | two hex digits",
        "/ipcidr/256 | 0 to 255",
        "/memory/18446744073709551616 | unsigned 64-bit",
        "/memory/-1 | unsigned 64-bit"})
    void malformedValuesAreRejectedWithTheReason(String text, String reason) {
        assertThatThrownBy(() -> Multiaddr.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Invalid multiaddr \"" + text + "\": ")
                .hasMessageContaining(reason == null ? "" : reason);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/ip6/::ffff:1.2.3.4 | /ip6/::ffff:1.2.3.4",
        "/ip6/::FFFF:0102:0304 | /ip6/::ffff:1.2.3.4",
        "/ip6/1:0:0:1:0:0:0:1 | /ip6/1:0:0:1::1",
        "/ip6/1:0:0:0:1:0:0:1 | /ip6/1::1:0:0:1",
        "/ip6/0:1:0:1:0:1:0:1 | /ip6/0:1:0:1:0:1:0:1",
        "/ip6/:: | /ip6/::",
        "/ip6/1:: | /ip6/1::",
        "/ip6/ABCD:EF01::0 | /ip6/abcd:ef01::",
        "/tcp/00080 | /tcp/80",
        "/onion/AAIMAQ4YGG2IEGCI:80 | /onion/aaimaq4ygg2iegci:80",
        "/http-path/a+b%2fc | /http-path/a+b%2Fc",
        "/certhash/f1220c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2"
            + " | /certhash/uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g",
        "/ip6zone/en%0/ip6/fe80::1 | /ip6zone/en%0/ip6/fe80::1",
        "/memory/0 | /memory/0"})
    void printsTheCanonicalFormGoMultiaddrPrints(String input, String canonical) {
        assertThat(Multiaddr.parse(input)).hasToString(canonical);
        assertThat(Multiaddr.parse(canonical)).isEqualTo(Multiaddr.parse(input));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "| empty multiaddr",
        "06 | /tcp value needs 2 bytes but only 0 remain",
        "80 | bad protocol code at byte 0: truncated varint",
        "8000 | not minimally encoded",
        "3500 | invalid /dns value at byte 0: the value must not be empty",
        "3501ff | not valid UTF-8",
        "35012f | must not contain '/'",
        "3580 | bad /dns value length at byte 1",
        "9003046162 | /unix value needs 4 bytes",
        "9003022f61060050 | must be the last component",
        "9003022f2f | must start with '/' and not end with it",
        "bc03000000000000000000000000 | onion port 0",
        "a50300 | invalid /p2p value",
        "d20301ff | invalid /certhash value",
        "e10300 | empty http path",
        "bf031f00000000000000000000000000000000000000000000000000000000000000 | 32 or at least 35 bytes",
        "ffffffffffffffff7f | unknown protocol code 9223372036854775807"})
    void malformedBytesAreRejectedWithTheOffset(String hexValue, String reason) {
        byte[] bytes = hexValue == null ? new byte[0] : hex(hexValue);
        assertThatThrownBy(() -> Multiaddr.fromBytes(bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Invalid multiaddr bytes")
                .hasMessageContaining(reason);
    }
}
