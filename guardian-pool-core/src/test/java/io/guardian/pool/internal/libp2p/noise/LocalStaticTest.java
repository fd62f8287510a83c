package io.guardian.pool.internal.libp2p.noise;

import static org.assertj.core.api.Assertions.assertThat;

import io.guardian.pool.peer.PeerIdentity;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cached static key carries its public half, which handshakes use instead of recomputing it. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LocalStaticTest {

    @Test
    void theKeptPublicKeyIsThePrivateKeysAndTheSignatureCoversIt() {
        PeerIdentity identity = PeerIdentity.generate();
        LocalStatic local = LocalStatic.of(identity);
        assertThat(local.publicKey()).isEqualTo(X25519.publicOf(local.privateKey()));
        assertThat(PeerIdentity.verify(identity.publicKeyProtobuf(), LocalStatic.signedData(local.publicKey()),
                local.signature())).isTrue();
        assertThat(LocalStatic.of(identity)).as("one static key per identity").isSameAs(local);
    }

    @Test
    void aHandshakeGivenThePublicKeySendsTheSameStaticKeyAsOneThatComputesIt() {
        byte[] staticPrivate = X25519.generatePrivate();
        for (boolean given : new boolean[] {true, false}) {
            HandshakeState initiator = given
                    ? new HandshakeState(true, new byte[0], staticPrivate, X25519.publicOf(staticPrivate), null)
                    : new HandshakeState(true, new byte[0], staticPrivate, null);
            HandshakeState responder = new HandshakeState(false, new byte[0], X25519.generatePrivate(), null);
            byte[] m1 = initiator.writeMessage(new byte[0]);
            responder.readMessage(m1, 0, m1.length);
            byte[] m2 = responder.writeMessage(new byte[0]);
            initiator.readMessage(m2, 0, m2.length);
            byte[] m3 = initiator.writeMessage(new byte[0]);
            responder.readMessage(m3, 0, m3.length);
            assertThat(responder.remoteStaticPublic()).as("given=%s", given).isEqualTo(X25519.publicOf(staticPrivate));
            assertThat(initiator.handshakeHash()).isEqualTo(responder.handshakeHash());
        }
    }
}
