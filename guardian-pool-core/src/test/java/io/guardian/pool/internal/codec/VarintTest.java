package io.guardian.pool.internal.codec;

import static io.guardian.pool.peer.ConformanceFiles.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VarintTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
        "0, 00", "1, 01", "127, 7f", "128, 8001", "255, ff01", "300, ac02", "421, a503", "777, 8906",
        "16384, 808001", "9223372036854775807, ffffffffffffffff7f"
    })
    void encodesTheSpecExamplesAndReadsThemBack(long value, String encoded) {
        assertThat(hex(Varint.encode(value))).isEqualTo(encoded);
        assertThat(Varint.length(value)).isEqualTo(encoded.length() / 2);
        ByteBuffer buf = ByteBuffer.wrap(hex(encoded + "ff"));
        assertThat(Varint.read(buf)).isEqualTo(value);
        assertThat(buf.position()).isEqualTo(encoded.length() / 2);
    }

    @Test
    void rejectsATruncatedVarint() {
        assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(hex("8080"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> Varint.read(ByteBuffer.allocate(0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
    }

    @Test
    void rejectsANonMinimalEncodingBecauseItWouldGiveOneNumberTwoForms() {
        assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(hex("8100"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minimal");
    }

    @Test
    void rejectsMoreThanNineBytes() {
        assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(hex("80808080808080808001"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than 9");
    }

    @Test
    void readIntRejectsValuesAboveIntRange() {
        assertThatThrownBy(() -> Varint.readInt(ByteBuffer.wrap(Varint.encode(1L << 31)), "length"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("length 2147483648");
    }

    @Test
    void refusesToEncodeNegativeNumbers() {
        assertThatThrownBy(() -> Varint.encode(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void randomValuesRoundTrip() {
        Random random = new Random(7);
        for (int i = 0; i < 5_000; i++) {
            long value = random.nextLong() >>> random.nextInt(64);
            value &= Long.MAX_VALUE;
            assertThat(Varint.read(ByteBuffer.wrap(Varint.encode(value)))).isEqualTo(value);
        }
    }
}
