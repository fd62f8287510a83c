package io.guardian.pool.internal.transport;

import static io.guardian.pool.internal.transport.Bytes.concat;
import static io.guardian.pool.internal.transport.Bytes.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The frame decoder on its own: framing across reads, and every rule of PROTOCOL.md section 4. */
@Timeout(10)
class FrameDecoderTest {

    private final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(16));

    @AfterEach
    void release() {
        channel.finishAndReleaseAll();
    }

    @Test
    void framesArrivingOneByteAtATimeAreReassembled() {
        byte[] wire = concat(SpecWire.frame(0, SpecWire.ascii("hello")), SpecWire.frame(1, Bytes.repeat(7, 8)));
        for (byte b : wire) {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        Frame data = channel.readInbound();
        Frame ping = channel.readInbound();
        assertThat(data.type()).isEqualTo(Frame.DATA);
        assertThat(data.payload()).isEqualTo(SpecWire.ascii("hello"));
        assertThat(ping.type()).isEqualTo(Frame.PING);
        assertThat(ping.pingPayload()).isEqualTo(0x0707070707070707L);
        assertThat(channel.inboundMessages()).isEmpty();
    }

    @Test
    void severalFramesInOneReadAreAllDelivered() {
        channel.writeInbound(Unpooled.wrappedBuffer(concat(SpecWire.frame(0, new byte[0]),
                SpecWire.frame(3, SpecWire.ascii("bye")), SpecWire.frame(0, Bytes.repeat(1, 16)))));
        assertThat(((Frame) channel.readInbound()).payload()).isEmpty();
        assertThat(((Frame) channel.readInbound()).closeReason()).isEqualTo("bye");
        assertThat(((Frame) channel.readInbound()).payload()).hasSize(16);
    }

    @Test
    void zeroLengthIsRejected() {
        assertThatThrownBy(() -> channel.writeInbound(Unpooled.wrappedBuffer(hex("00000000"))))
                .isInstanceOf(FrameDecoder.FrameViolation.class).hasMessageContaining("length 0");
    }

    @Test
    void lengthOverTheLimitIsRejectedBeforeThePayloadArrives() {
        // 1 + 16 is the largest allowed; 18 is refused from the 4 length bytes alone.
        assertThatThrownBy(() -> channel.writeInbound(Unpooled.wrappedBuffer(hex("00000012"))))
                .isInstanceOf(FrameDecoder.FrameViolation.class).hasMessageContaining("exceeds");
    }

    @Test
    void lengthWithTheTopBitSetIsRejected() {
        assertThatThrownBy(() -> channel.writeInbound(Unpooled.wrappedBuffer(hex("ffffffff00"))))
                .isInstanceOf(FrameDecoder.FrameViolation.class).hasMessageContaining("4294967295");
    }

    @Test
    void unknownTypeIsRejectedAtItsTypeByte() {
        assertThatThrownBy(() -> channel.writeInbound(Unpooled.wrappedBuffer(hex("0000000204"))))
                .isInstanceOf(FrameDecoder.FrameViolation.class).hasMessageContaining("0x04");
    }

    @Test
    void pingOfTheWrongSizeIsRejected() {
        assertThatThrownBy(() -> channel.writeInbound(Unpooled.wrappedBuffer(hex("0000000801"))))
                .isInstanceOf(FrameDecoder.FrameViolation.class).hasMessageContaining("PING payload of 7 bytes");
    }

    @Test
    void pongOfTheWrongSizeIsRejected() {
        assertThatThrownBy(() -> channel.writeInbound(Unpooled.wrappedBuffer(hex("0000000a02"))))
                .isInstanceOf(FrameDecoder.FrameViolation.class).hasMessageContaining("PONG payload of 9 bytes");
    }

    @Test
    void largestAllowedFrameIsAccepted() {
        channel.writeInbound(Unpooled.wrappedBuffer(SpecWire.frame(0, Bytes.repeat(9, 16))));
        assertThat(((Frame) channel.readInbound()).payload()).hasSize(16);
    }

    @Test
    void nothingIsDecodedAfterAViolation() {
        assertThatThrownBy(() -> channel.writeInbound(Unpooled.wrappedBuffer(hex("0000000204"))));
        channel.writeInbound(Unpooled.wrappedBuffer(SpecWire.frame(0, SpecWire.ascii("late"))));
        assertThat(channel.inboundMessages()).isEmpty();
    }

    @Test
    void closeReasonThatIsNotUtf8IsDecodedLeniently() {
        Frame close = new Frame(Frame.CLOSE, hex("ff fe 41 0a"));
        assertThat(close.closeReason()).contains("A").contains("not valid UTF-8").doesNotContain("\n");
    }

    @Test
    void longCloseReasonIsCutOnACharacterBoundary() {
        String reason = "é".repeat(200); // 400 bytes of 2-byte characters
        io.netty.buffer.ByteBuf encoded = Frame.encodeClose(io.netty.buffer.ByteBufAllocator.DEFAULT, reason, 1 << 20);
        try {
            int length = encoded.getInt(0) - 1;
            assertThat(length).isLessThanOrEqualTo(Frame.MAX_CLOSE_REASON).isEven();
        } finally {
            encoded.release();
        }
    }
}
