package io.guardian.pool.internal.libp2p;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.peer.Multiaddr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** multistream-select messages, the uvarint length prefix and identify's protobuf, byte for byte. */
class MultistreamTest {

    @Test
    void headerAndNaAreTheBytesSeenOnTheWire() {
        ByteBuf out = Unpooled.buffer();
        Multistream.write(out, Multistream.HEADER);
        Multistream.write(out, "/noise");
        Multistream.write(out, Multistream.NA);
        assertThat(ByteBufUtil.hexDump(out)).isEqualTo("13" + hex("/multistream/1.0.0\n") + "07" + hex("/noise\n")
                + "036e610a");
        assertThat(Multistream.read(out)).isEqualTo(Multistream.HEADER);
        assertThat(Multistream.read(out)).isEqualTo("/noise");
        assertThat(Multistream.read(out)).isEqualTo("na");
        assertThat(Multistream.read(out)).isNull();
        out.release();
    }

    @Test
    void incompleteMessageLeavesTheBufferAsItWas() {
        ByteBuf whole = Unpooled.buffer();
        Multistream.write(whole, "/yamux/1.0.0");
        for (int cut = 0; cut < whole.readableBytes(); cut++) {
            ByteBuf part = whole.copy(0, cut);
            assertThat(Multistream.read(part)).isNull();
            assertThat(part.readerIndex()).isZero();
            part.release();
        }
        whole.release();
    }

    @Test
    void refusesOversizedMissingNewlineNonMinimalAndBadUtf8() {
        assertViolation(new byte[] {(byte) 0x81, 0x08}, Kind.PROTOCOL_VIOLATION); // 1025 > 1024
        assertViolation(new byte[] {0x02, 'a', 'b'}, Kind.PROTOCOL_VIOLATION);
        assertViolation(new byte[] {(byte) 0x82, 0x00, 'a', '\n'}, Kind.PROTOCOL_VIOLATION);
        assertViolation(new byte[] {0x03, (byte) 0xC3, 0x28, '\n'}, Kind.PROTOCOL_VIOLATION);
        assertViolation(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01},
                Kind.PROTOCOL_VIOLATION);
    }

    @Test
    void otherMultistreamVersionIsRefusedByName() {
        assertThatThrownBy(() -> Multistream.requireHeader("/multistream/2.0.0"))
                .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.kind()).isEqualTo(Kind.PROTOCOL_REFUSED))
                .hasMessageContaining("/multistream/2.0.0");
    }

    @Test
    void seededRandomBytesOnlyEverFailTyped() {
        Random random = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = new byte[random.nextInt(40)];
            random.nextBytes(bytes);
            if (bytes.length > 0 && random.nextBoolean()) {
                bytes[0] = (byte) random.nextInt(0x20);
            }
            ByteBuf in = Unpooled.wrappedBuffer(bytes);
            try {
                while (Multistream.read(in) != null) {
                    // keep reading
                }
            } catch (TransportException e) {
                assertThat(e.kind()).isIn(Kind.PROTOCOL_VIOLATION);
            } finally {
                in.release();
            }
        }
    }

    @Test
    void lengthPrefixBoundsTheLengthBeforeWaitingForTheBytes() {
        ByteBuf in = Unpooled.buffer();
        LengthPrefixed.writeLength(in, 5_000_000);
        assertThatThrownBy(() -> LengthPrefixed.read(in, 4 * 1024 * 1024, "message"))
                .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.kind()).isEqualTo(Kind.LIMIT_EXCEEDED));
        in.release();
        for (int n : new int[] {0, 1, 127, 128, 16_383, 16_384, 4 * 1024 * 1024}) {
            ByteBuf b = Unpooled.buffer();
            LengthPrefixed.writeLength(b, n);
            assertThat(b.readableBytes()).isEqualTo(LengthPrefixed.lengthOfLength(n));
            assertThat(LengthPrefixed.readLength(b, Integer.MAX_VALUE, "x")).isEqualTo(n);
            b.release();
        }
    }

    @Test
    void identifyRoundTripsAndMergesSplitMessages() {
        IdentifyInfo info = new IdentifyInfo(new byte[] {8, 1, 18, 0}, List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001")),
                List.of("/ipfs/id/1.0.0", "/a/1"), Multiaddr.parse("/ip4/127.0.0.1/tcp/5555"), "ipfs/0.1.0", "agent/1");
        assertThat(IdentifyInfo.decode(info.encode(), null)).isEqualTo(info);
        IdentifyInfo second = new IdentifyInfo(null, List.of(), List.of("/b/1"), null, null, "agent/2");
        IdentifyInfo merged = IdentifyInfo.decode(second.encode(), IdentifyInfo.decode(info.encode(), null));
        assertThat(merged.protocols()).containsExactly("/ipfs/id/1.0.0", "/a/1", "/b/1");
        assertThat(merged.agentVersion()).isEqualTo("agent/2");
        assertThat(merged.listenAddrs()).hasSize(1);
    }

    @Test
    void identifySkipsUnknownFieldsAndAddressesWeCannotParse() {
        byte[] message = new io.guardian.pool.internal.codec.Protobuf.Writer()
                .bytes(2, new byte[] {(byte) 0xcc, 0x03, 0x01}) // an address in an unknown protocol
                .bytes(8, new byte[] {1, 2, 3}) // signedPeerRecord
                .string(6, "js-libp2p/3.3.11")
                .toByteArray();
        IdentifyInfo decoded = IdentifyInfo.decode(message, null);
        assertThat(decoded.listenAddrs()).isEmpty();
        assertThat(decoded.agentVersion()).isEqualTo("js-libp2p/3.3.11");
    }

    private static void assertViolation(byte[] bytes, Kind kind) {
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        try {
            assertThatThrownBy(() -> Multistream.read(in))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.kind()).isEqualTo(kind));
        } finally {
            in.release();
        }
    }

    private static String hex(String s) {
        return ByteBufUtil.hexDump(s.getBytes(StandardCharsets.UTF_8));
    }
}
