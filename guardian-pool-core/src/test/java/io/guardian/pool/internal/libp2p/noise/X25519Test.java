package io.guardian.pool.internal.libp2p.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.internal.transport.TransportException;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.HexFormat;
import java.util.Random;
import javax.crypto.KeyAgreement;
import org.junit.jupiter.api.Test;

/**
 * Our X25519 against RFC 7748's vectors and, over seeded random inputs, against the JDK's own
 * {@code XDH} implementation: the arithmetic underneath may change, the function may not.
 */
class X25519Test {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void rfc7748DiffieHellmanVector() {
        // RFC 7748 section 6.1.
        byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bob = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        assertThat(HEX.formatHex(X25519.publicOf(alice)))
                .isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assertThat(HEX.formatHex(X25519.publicOf(bob)))
                .isEqualTo("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assertThat(HEX.formatHex(X25519.dh(alice, X25519.publicOf(bob)))).isEqualTo(shared);
        assertThat(HEX.formatHex(X25519.dh(bob, X25519.publicOf(alice)))).isEqualTo(shared);
    }

    @Test
    void rfc7748ScalarMultiplicationVector() {
        // RFC 7748 section 5.2, first vector: the scalar is clamped and the u-coordinate's top bit masked.
        byte[] scalar = HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        byte[] u = HEX.parseHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
        assertThat(HEX.formatHex(X25519.dh(scalar, u)))
                .isEqualTo("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
    }

    @Test
    void aSmallOrderPointIsRefusedAsATypedError() {
        byte[] key = X25519.generatePrivate();
        byte[] zero = new byte[32];
        byte[] one = new byte[32];
        one[0] = 1;
        for (byte[] point : new byte[][] {zero, one}) {
            assertThatThrownBy(() -> X25519.dh(key, point))
                    .isInstanceOf(TransportException.class)
                    .hasMessageContaining("small order");
        }
    }

    @Test
    void aKeyOfTheWrongLengthIsAnArgumentError() {
        assertThatThrownBy(() -> X25519.dh(new byte[31], new byte[32])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> X25519.publicOf(new byte[33])).isInstanceOf(IllegalArgumentException.class);
    }

    /** Random keys, and remote u-coordinates with the top bit set or at or above p, as the JDK computes them. */
    @Test
    void agreesWithTheJdkOnSeededRandomInputs() throws Exception {
        Random random = new Random(0x25519L);
        for (int i = 0; i < 200; i++) {
            byte[] k = new byte[32];
            random.nextBytes(k);
            byte[] u;
            if (i % 3 == 0) {
                u = X25519.publicOf(X25519.generatePrivate());
            } else {
                u = new byte[32];
                random.nextBytes(u);
                if (i % 3 == 2) {
                    // p + n for n in 2..17 (n = 0 and 1 are the small-order points 0 and 1), top bit set on purpose.
                    u = HEX.parseHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
                    u[0] = (byte) (0xed + 2 + random.nextInt(16));
                }
            }
            assertThat(HEX.formatHex(X25519.dh(k, u))).as("case %d", i).isEqualTo(HEX.formatHex(jdk(k, u)));
            assertThat(X25519.publicOf(k)).as("public key, case %d", i).isEqualTo(jdk(k, basePoint()));
        }
    }

    private static byte[] basePoint() {
        byte[] nine = new byte[32];
        nine[0] = 9;
        return nine;
    }

    private static byte[] jdk(byte[] k, byte[] u) throws Exception {
        byte[] bigEndian = new byte[32];
        for (int i = 0; i < 32; i++) {
            bigEndian[i] = u[31 - i];
        }
        bigEndian[0] &= 0x7f;
        KeyFactory factory = KeyFactory.getInstance("XDH");
        KeyAgreement agreement = KeyAgreement.getInstance("XDH");
        agreement.init(factory.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, k)));
        agreement.doPhase(factory.generatePublic(
                new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, bigEndian))), true);
        return agreement.generateSecret();
    }
}
