package io.guardian.pool.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.guardian.pool.internal.codec.Base32;
import io.guardian.pool.internal.codec.Base58;
import io.guardian.pool.internal.codec.Multibase;
import io.guardian.pool.internal.codec.Multihash;
import io.guardian.pool.internal.codec.Varint;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random round trips: addresses built from random values (written in varied but valid
 * text forms) must encode to the bytes computed here independently, and parse/print and
 * encode/decode must be identities; random and mutated bytes must never fail with anything but
 * {@link IllegalArgumentException}.
 */
class MultiaddrRandomTest {

    private static final long SEED = 20_240_611L;
    private static final MultiaddrProtocol[] PROTOCOLS = MultiaddrProtocol.values();

    /** A generated component: its text value and the binary value it must encode to. */
    private record Value(String text, byte[] bytes) {
    }

    @Test
    void randomValidAddressesRoundTripThroughTextAndBytes() {
        Random random = new Random(SEED);
        for (int i = 0; i < 2_000; i++) {
            StringBuilder text = new StringBuilder();
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            int count = 1 + random.nextInt(6);
            for (int c = 0; c < count; c++) {
                MultiaddrProtocol p = PROTOCOLS[random.nextInt(PROTOCOLS.length)];
                if (p == MultiaddrProtocol.UNIX && c < count - 1) {
                    p = MultiaddrProtocol.TCP; // unix takes the rest of the address, so only last
                }
                Value value = p.hasValue() ? value(p, random) : null;
                text.append('/').append(p == MultiaddrProtocol.P2P && random.nextBoolean() ? "ipfs" : p.text);
                Varint.write(p.code, expected);
                if (value != null) {
                    text.append(p.isPath() ? "" : "/").append(value.text);
                    if (p.sizeBits == MultiaddrProtocol.Sizes.VARIABLE) {
                        Varint.write(value.bytes.length, expected);
                    }
                    expected.write(value.bytes, 0, value.bytes.length);
                }
            }
            if (random.nextInt(10) == 0) {
                text.append('/');
            }
            Multiaddr addr;
            try {
                addr = Multiaddr.parse(text.toString());
            } catch (IllegalArgumentException e) {
                throw new AssertionError("generated address #" + i + " was rejected", e);
            }
            assertThat(addr.toBytes()).as("binary form of %s", text).isEqualTo(expected.toByteArray());
            Multiaddr reparsed = Multiaddr.parse(addr.toString());
            assertThat(reparsed).isEqualTo(addr);
            assertThat(reparsed.toString()).isEqualTo(addr.toString());
            Multiaddr decoded = Multiaddr.fromBytes(addr.toBytes());
            assertThat(decoded).isEqualTo(addr).hasSameHashCodeAs(addr);
            assertThat(decoded.toString()).isEqualTo(addr.toString());
            assertThat(decoded.components()).isEqualTo(addr.components()).hasSize(count);
        }
    }

    @Test
    void randomBytesNeverFailWithAnythingButIllegalArgumentException() {
        Random random = new Random(SEED + 1);
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = new byte[random.nextInt(48)];
            random.nextBytes(bytes);
            if (bytes.length > 0 && random.nextBoolean()) {
                // Steer the first byte to a known protocol code so decoding gets past the start.
                byte[] code = Varint.encode(PROTOCOLS[random.nextInt(PROTOCOLS.length)].code);
                System.arraycopy(code, 0, bytes, 0, Math.min(code.length, bytes.length));
            }
            accepted += decodeSafely(bytes);
        }
        assertThat(accepted).as("some random inputs decode").isPositive();
    }

    @Test
    void mutatedValidAddressesNeverFailWithAnythingButIllegalArgumentException() {
        Random random = new Random(SEED + 2);
        List<byte[]> seeds = new ArrayList<>();
        for (String line : ConformanceFiles.lines("multiaddr-valid.txt")) {
            seeds.add(Multiaddr.parse(line).toBytes());
        }
        for (String[] row : ConformanceFiles.tsv("multiaddr-binary-other-protocols.tsv", true)) {
            seeds.add(ConformanceFiles.hex(row[1]));
        }
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = seeds.get(random.nextInt(seeds.size())).clone();
            switch (random.nextInt(3)) {
                case 0 -> bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
                case 1 -> bytes = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length));
                default -> bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            }
            decodeSafely(bytes);
        }
    }

    @Test
    void randomTextNeverFailsWithAnythingButIllegalArgumentException() {
        Random random = new Random(SEED + 3);
        String alphabet = "/ip4/ip6/tcp/udp/dns/p2p/unix/0123456789.:abcdefQmk%-_~+=";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            int length = random.nextInt(40);
            for (int j = 0; j < length; j++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            try {
                Multiaddr addr = Multiaddr.parse(sb.toString());
                assertThat(Multiaddr.parse(addr.toString())).isEqualTo(addr);
            } catch (IllegalArgumentException expected) {
                assertThat(expected.getMessage()).startsWith("Invalid multiaddr \"");
            } catch (RuntimeException e) {
                fail("parse(\"" + sb + "\") threw " + e, e);
            }
        }
    }

    /** @return 1 if the bytes decoded; any accepted address must round-trip both ways */
    private static int decodeSafely(byte[] bytes) {
        try {
            Multiaddr addr = Multiaddr.fromBytes(bytes);
            assertThat(Multiaddr.fromBytes(addr.toBytes())).isEqualTo(addr);
            assertThat(Multiaddr.parse(addr.toString())).as("text of %s", addr).isEqualTo(addr);
            return 1;
        } catch (IllegalArgumentException expected) {
            assertThat(expected.getMessage()).startsWith("Invalid multiaddr bytes");
            return 0;
        } catch (RuntimeException e) {
            fail("fromBytes(" + ConformanceFiles.hex(bytes) + ") threw " + e, e);
            return 0;
        }
    }

    private static Value value(MultiaddrProtocol p, Random random) {
        switch (p) {
            case IP4: {
                byte[] b = bytes(random, 4);
                return new Value(IpText.formatIpv4(b, 0), b);
            }
            case IP6:
                return ip6(random);
            case TCP:
            case UDP:
            case DCCP:
            case SCTP: {
                int port = random.nextInt(65536);
                String text = random.nextInt(8) == 0 ? "00" + port : Integer.toString(port);
                return new Value(text, new byte[] {(byte) (port >>> 8), (byte) port});
            }
            case IPCIDR: {
                int bits = random.nextInt(256);
                return new Value(Integer.toString(bits), new byte[] {(byte) bits});
            }
            case IP6ZONE:
            case DNS:
            case DNS4:
            case DNS6:
            case DNSADDR:
            case SNI: {
                String name = name(random, "abcdefghijklmnopqrstuvwxyz0123456789-.%\u00e9\u4e16");
                return new Value(name, name.getBytes(StandardCharsets.UTF_8));
            }
            case UNIX: {
                String path = "/" + name(random, "abcxyz019._-") + (random.nextBoolean() ? "/" + name(random, "ab.%") : "");
                return new Value(path, path.getBytes(StandardCharsets.UTF_8));
            }
            case P2P:
                return p2p(random);
            case ONION:
            case ONION3: {
                int hostBytes = p == MultiaddrProtocol.ONION ? 10 : 35;
                byte[] host = bytes(random, hostBytes);
                int port = 1 + random.nextInt(65535);
                String hostText = Base32.encode(host);
                return new Value((random.nextBoolean() ? hostText.toUpperCase(Locale.ROOT) : hostText) + ":" + port,
                        ByteBuffer.allocate(hostBytes + 2).put(host).putShort((short) port).array());
            }
            case GARLIC64: {
                byte[] b = bytes(random, 386 + random.nextInt(77));
                return new Value(Base64.getEncoder().encodeToString(b).replace('+', '-').replace('/', '~'), b);
            }
            case GARLIC32: {
                byte[] b = bytes(random, random.nextBoolean() ? 32 : 35 + random.nextInt(20));
                return new Value(Base32.encode(b), b);
            }
            case CERTHASH: {
                byte[] mh = Multihash.sha256(bytes(random, 16));
                String text = switch (random.nextInt(3)) {
                    case 0 -> Multibase.encodeBase64Url(mh);
                    case 1 -> Multibase.encodeBase32(mh);
                    default -> "z" + Base58.encode(mh);
                };
                return new Value(text, mh);
            }
            case HTTP_PATH: {
                byte[] b = bytes(random, 1 + random.nextInt(12));
                StringBuilder sb = new StringBuilder();
                for (byte x : b) {
                    int c = x & 0xFF;
                    if (Character.isLetterOrDigit(c) && c < 128 && random.nextBoolean()) {
                        sb.append((char) c);
                    } else if (c == ' ') {
                        sb.append('+');
                    } else {
                        sb.append(String.format(random.nextBoolean() ? "%%%02X" : "%%%02x", c));
                    }
                }
                return new Value(sb.toString(), b);
            }
            case MEMORY: {
                long n = random.nextLong();
                return new Value(Long.toUnsignedString(n), ByteBuffer.allocate(8).putLong(n).array());
            }
            default:
                throw new IllegalStateException("no generator for " + p);
        }
    }

    private static Value ip6(Random random) {
        byte[] b = bytes(random, 16);
        int zeros = random.nextInt(8);
        int start = random.nextInt(8 - zeros + 1);
        java.util.Arrays.fill(b, 2 * start, 2 * (start + zeros), (byte) 0);
        StringBuilder sb = new StringBuilder();
        int groups = random.nextInt(5) == 0 ? 6 : 8;
        for (int g = 0; g < groups; g++) {
            if (g > 0) {
                sb.append(':');
            }
            int v = ((b[2 * g] & 0xFF) << 8) | (b[2 * g + 1] & 0xFF);
            String hex = random.nextBoolean() ? String.format("%04x", v) : Integer.toHexString(v);
            sb.append(random.nextBoolean() ? hex.toUpperCase(Locale.ROOT) : hex);
        }
        if (groups == 6) {
            sb.append(':').append(IpText.formatIpv4(b, 12));
        }
        return new Value(sb.toString(), b);
    }

    private static Value p2p(Random random) {
        byte[] multihash;
        if (random.nextBoolean()) {
            byte[] key = ByteBuffer.allocate(36).put(new byte[] {8, 1, 18, 32}).put(bytes(random, 32)).array();
            multihash = Multihash.encode(Multihash.IDENTITY, key);
        } else {
            multihash = Multihash.sha256(bytes(random, 8));
        }
        PeerId id = PeerId.fromBytes(multihash);
        return new Value(random.nextBoolean() ? id.toBase58() : id.toCid(), multihash);
    }

    private static String name(Random random, String alphabet) {
        StringBuilder sb = new StringBuilder();
        int length = 1 + random.nextInt(20);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
