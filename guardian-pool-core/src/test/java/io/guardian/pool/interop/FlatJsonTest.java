package io.guardian.pool.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlatJsonTest {

    @Test
    void readsAnIdentifyLineAsThePeersPrintIt() {
        Map<String, Object> m = FlatJson.parseObject("{\"step\":\"identify\",\"ok\":true,"
                + "\"agentVersion\":\"guardian-interop-go/v0.52.0\",\"protocols\":[\"/ipfs/id/1.0.0\",\"/a\"],"
                + "\"listenAddrs\":[],\"rttMs\":0.153,\"bytes\":4194304,\"neg\":-2,\"exp\":1e3,\"none\":null}");
        assertThat(m.keySet()).containsExactly("step", "ok", "agentVersion", "protocols", "listenAddrs",
                "rttMs", "bytes", "neg", "exp", "none");
        assertThat(m.get("ok")).isEqualTo(true);
        assertThat(m.get("protocols")).isEqualTo(List.of("/ipfs/id/1.0.0", "/a"));
        assertThat(m.get("listenAddrs")).isEqualTo(List.of());
        assertThat(m.get("rttMs")).isEqualTo(0.153);
        assertThat(m.get("bytes")).isEqualTo(4194304L);
        assertThat(m.get("neg")).isEqualTo(-2L);
        assertThat(m.get("exp")).isEqualTo(1000.0);
        assertThat(m).containsEntry("none", null);
    }

    @Test
    void decodesEscapes() {
        Map<String, Object> m = FlatJson.parseObject(" { \"e\" : \"a\\\"b\\\\c\\n\\u00e9\\/\" } ");
        assertThat(m.get("e")).isEqualTo("a\"b\\c\n\u00e9/");
    }

    @Test
    void rejectsWhatIsNotOneObject() {
        for (String bad : new String[] {"", "[]", "{\"a\":1} x", "{\"a\":1,\"a\":2}", "{\"a\":\"x}",
                "{\"a\":tru}", "{a:1}", "{\"a\":1,}", "{\"a\":\"\\q\"}", "{\"a\":\"\u0001\"}", "{\"a\":-}"}) {
            assertThatThrownBy(() -> FlatJson.parseObject(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void boundsNestingAndLength() {
        String deep = "{\"a\":" + "[".repeat(FlatJson.MAX_DEPTH + 1) + "]".repeat(FlatJson.MAX_DEPTH + 1) + "}";
        assertThatThrownBy(() -> FlatJson.parseObject(deep)).hasMessageContaining("nesting");
        String shallow = "{\"a\":" + "[".repeat(FlatJson.MAX_DEPTH - 1) + "]".repeat(FlatJson.MAX_DEPTH - 1) + "}";
        assertThat(FlatJson.parseObject(shallow)).containsKey("a");
        String huge = "{\"a\":\"" + "x".repeat(FlatJson.MAX_LENGTH) + "\"}";
        assertThatThrownBy(() -> FlatJson.parseObject(huge)).hasMessageContaining("exceeds");
    }
}
