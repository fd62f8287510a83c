package io.guardian.pool.internal.libp2p.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.internal.transport.TransportException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The cacophony vector for Noise_XX_25519_ChaChaPoly_SHA256: every message, both roles,
 * byte-exact, and the handshake hash.
 */
class NoiseVectorTest {

    private static final NoiseVector VECTOR = NoiseVector.load("noise-xx-25519-chachapoly-sha256.json");

    @Test
    void vectorFileHasTheHandshakeAndThreeTransportMessages() {
        assertThat(VECTOR.messages).hasSize(6);
        assertThat(VECTOR.fields).containsKeys("init_static", "resp_static", "init_ephemeral", "resp_ephemeral",
                "init_prologue", "resp_prologue", "handshake_hash");
    }

    @Test
    void bothRolesProduceAndAcceptEveryMessageOfTheVector() {
        HandshakeState init = new HandshakeState(true, VECTOR.field("init_prologue"), VECTOR.field("init_static"),
                VECTOR.field("init_ephemeral"));
        HandshakeState resp = new HandshakeState(false, VECTOR.field("resp_prologue"), VECTOR.field("resp_static"),
                VECTOR.field("resp_ephemeral"));
        for (int i = 0; i < 3; i++) {
            byte[] payload = VECTOR.messages.get(i)[0];
            byte[] ciphertext = VECTOR.messages.get(i)[1];
            HandshakeState writer = i % 2 == 0 ? init : resp;
            HandshakeState reader = i % 2 == 0 ? resp : init;
            assertThat(hex(writer.writeMessage(payload))).as("handshake message %d", i + 1).isEqualTo(hex(ciphertext));
            assertThat(hex(reader.readMessage(ciphertext, 0, ciphertext.length))).isEqualTo(hex(payload));
        }
        assertThat(init.isComplete()).isTrue();
        assertThat(resp.isComplete()).isTrue();
        assertThat(hex(init.handshakeHash())).isEqualTo(hex(VECTOR.field("handshake_hash")));
        assertThat(hex(resp.handshakeHash())).isEqualTo(hex(VECTOR.field("handshake_hash")));
        assertThat(init.remoteStaticPublic()).isEqualTo(resp.localStaticPublic());
        assertThat(resp.remoteStaticPublic()).isEqualTo(init.localStaticPublic());

        CipherState[] i = init.split();
        CipherState[] r = resp.split();
        byte[] empty = new byte[0];
        for (int m = 3; m < VECTOR.messages.size(); m++) {
            byte[] payload = VECTOR.messages.get(m)[0];
            byte[] ciphertext = VECTOR.messages.get(m)[1];
            // Cacophony keeps alternating after the handshake: XX ends with the initiator's
            // message 3, so transport message 4 is the responder's, 5 the initiator's.
            boolean fromInitiator = m % 2 == 0;
            CipherState send = fromInitiator ? i[0] : r[0];
            CipherState receive = fromInitiator ? r[1] : i[1];
            assertThat(hex(send.encryptWithAd(empty, payload))).as("transport message %d", m + 1)
                    .isEqualTo(hex(ciphertext));
            assertThat(hex(receive.decryptWithAd(empty, ciphertext))).isEqualTo(hex(payload));
        }
    }

    @Test
    void aFlippedBitInAnyEncryptedHandshakeMessageIsAProtocolViolation() {
        for (int msg = 1; msg < 3; msg++) {
            byte[] ciphertext = VECTOR.messages.get(msg)[1];
            for (int bit = 0; bit < ciphertext.length * 8; bit += 13) {
                HandshakeState init = new HandshakeState(true, VECTOR.field("init_prologue"),
                        VECTOR.field("init_static"), VECTOR.field("init_ephemeral"));
                HandshakeState resp = new HandshakeState(false, VECTOR.field("resp_prologue"),
                        VECTOR.field("resp_static"), VECTOR.field("resp_ephemeral"));
                for (int i = 0; i < msg; i++) {
                    byte[] c = (i % 2 == 0 ? init : resp).writeMessage(VECTOR.messages.get(i)[0]);
                    (i % 2 == 0 ? resp : init).readMessage(c, 0, c.length);
                }
                byte[] bad = ciphertext.clone();
                bad[bit / 8] ^= (byte) (1 << (bit % 8));
                HandshakeState reader = msg % 2 == 0 ? resp : init;
                assertThatThrownBy(() -> reader.readMessage(bad, 0, bad.length))
                        .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.kind())
                                .isIn(TransportException.Kind.PROTOCOL_VIOLATION, TransportException.Kind.BAD_SIGNATURE));
            }
        }
    }

    @Test
    void nonceExhaustionRefusesToEncryptOrDecrypt() {
        CipherState c = new CipherState(new byte[32]);
        c.setNonce(-2L);
        byte[] m = c.encryptWithAd(new byte[0], new byte[] {1});
        assertThat(c.nonce()).isEqualTo(-1L);
        assertThatThrownBy(() -> c.encryptWithAd(new byte[0], new byte[] {1}))
                .isInstanceOfSatisfying(TransportException.class,
                        e -> assertThat(e.kind()).isEqualTo(TransportException.Kind.LIMIT_EXCEEDED));
        CipherState d = new CipherState(new byte[32]);
        d.setNonce(-2L);
        assertThat(d.decryptWithAd(new byte[0], m)).containsExactly(1);
        assertThatThrownBy(() -> d.decryptWithAd(new byte[0], m))
                .isInstanceOfSatisfying(TransportException.class,
                        e -> assertThat(e.kind()).isEqualTo(TransportException.Kind.LIMIT_EXCEEDED));
    }

    @Test
    void theNonceIsFourZeroBytesThenTheLittleEndianCounter() throws Exception {
        byte[] key = new byte[32];
        key[0] = 7;
        CipherState c = new CipherState(key);
        c.setNonce(0x0102030405060708L);
        byte[] ad = {9, 9};
        byte[] actual = c.encryptWithAd(ad, new byte[] {1, 2, 3});
        javax.crypto.Cipher jdk = javax.crypto.Cipher.getInstance("ChaCha20-Poly1305");
        byte[] nonce = HexFormat.of().parseHex("000000000807060504030201");
        jdk.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(key, "ChaCha20"),
                new javax.crypto.spec.IvParameterSpec(nonce));
        jdk.updateAAD(ad);
        assertThat(hex(actual)).isEqualTo(hex(jdk.doFinal(new byte[] {1, 2, 3})));
        assertThat(c.nonce()).isEqualTo(0x0102030405060709L);
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
