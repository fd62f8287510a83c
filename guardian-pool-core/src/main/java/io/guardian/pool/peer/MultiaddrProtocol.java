package io.guardian.pool.peer;

import java.util.HashMap;
import java.util.Map;

/**
 * The multiaddr protocol table ({@code protocols.csv} of the multiformats spec): code, value
 * size and value codec of every protocol this implementation reads and writes. Not API.
 */
enum MultiaddrProtocol {
    IP4(4, 32, "ip4", ValueCodecs.IP4),
    TCP(6, 16, "tcp", ValueCodecs.PORT),
    UDP(273, 16, "udp", ValueCodecs.PORT),
    DCCP(33, 16, "dccp", ValueCodecs.PORT),
    IP6(41, 128, "ip6", ValueCodecs.IP6),
    IP6ZONE(42, Sizes.VARIABLE, "ip6zone", ValueCodecs.NAME),
    IPCIDR(43, 8, "ipcidr", ValueCodecs.IPCIDR),
    DNS(53, Sizes.VARIABLE, "dns", ValueCodecs.NAME),
    DNS4(54, Sizes.VARIABLE, "dns4", ValueCodecs.NAME),
    DNS6(55, Sizes.VARIABLE, "dns6", ValueCodecs.NAME),
    DNSADDR(56, Sizes.VARIABLE, "dnsaddr", ValueCodecs.NAME),
    SCTP(132, 16, "sctp", ValueCodecs.PORT),
    UDT(301, 0, "udt", null),
    UTP(302, 0, "utp", null),
    UNIX(400, Sizes.VARIABLE, "unix", ValueCodecs.UNIX),
    P2P(421, Sizes.VARIABLE, "p2p", ValueCodecs.P2P),
    ONION(444, 96, "onion", ValueCodecs.ONION),
    ONION3(445, 296, "onion3", ValueCodecs.ONION3),
    GARLIC64(446, Sizes.VARIABLE, "garlic64", ValueCodecs.GARLIC64),
    GARLIC32(447, Sizes.VARIABLE, "garlic32", ValueCodecs.GARLIC32),
    TLS(448, 0, "tls", null),
    SNI(449, Sizes.VARIABLE, "sni", ValueCodecs.NAME),
    NOISE(454, 0, "noise", null),
    QUIC(460, 0, "quic", null),
    QUIC_V1(461, 0, "quic-v1", null),
    WEBTRANSPORT(465, 0, "webtransport", null),
    CERTHASH(466, Sizes.VARIABLE, "certhash", ValueCodecs.CERTHASH),
    HTTP(480, 0, "http", null),
    HTTP_PATH(481, Sizes.VARIABLE, "http-path", ValueCodecs.HTTP_PATH),
    HTTPS(443, 0, "https", null),
    WS(477, 0, "ws", null),
    WSS(478, 0, "wss", null),
    P2P_WEBSOCKET_STAR(479, 0, "p2p-websocket-star", null),
    P2P_STARDUST(277, 0, "p2p-stardust", null),
    P2P_WEBRTC_STAR(275, 0, "p2p-webrtc-star", null),
    P2P_WEBRTC_DIRECT(276, 0, "p2p-webrtc-direct", null),
    WEBRTC_DIRECT(280, 0, "webrtc-direct", null),
    WEBRTC(281, 0, "webrtc", null),
    P2P_CIRCUIT(290, 0, "p2p-circuit", null),
    /** The CSV says "V"; go-multiaddr and rust-multiaddr both write a fixed 8-byte u64, as here. */
    MEMORY(777, 64, "memory", ValueCodecs.MEMORY);

    /** Holder for the size marker, usable in the constants above. */
    static final class Sizes {
        /** A varint length precedes the value. */
        static final int VARIABLE = -1;

        private Sizes() {
        }
    }

    private static final Map<String, MultiaddrProtocol> BY_NAME = new HashMap<>();
    private static final Map<Integer, MultiaddrProtocol> BY_CODE = new HashMap<>();

    static {
        for (MultiaddrProtocol p : values()) {
            BY_NAME.put(p.text, p);
            BY_CODE.put(p.code, p);
        }
        // The old name of /p2p/, still accepted on input; always printed as p2p.
        BY_NAME.put("ipfs", P2P);
    }

    final int code;
    /** Value size in bits; 0 for none, {@link Sizes#VARIABLE} for length-prefixed. */
    final int sizeBits;
    final String text;
    final ValueCodec codec;

    MultiaddrProtocol(int code, int sizeBits, String text, ValueCodec codec) {
        this.code = code;
        this.sizeBits = sizeBits;
        this.text = text;
        this.codec = codec;
    }

    /** Whether the value is the whole rest of the text address, slashes included (go: "path"). */
    boolean isPath() {
        return this == UNIX;
    }

    boolean hasValue() {
        return sizeBits != 0;
    }

    static MultiaddrProtocol byName(String name) {
        return BY_NAME.get(name);
    }

    static MultiaddrProtocol byCode(long code) {
        return code > Integer.MAX_VALUE ? null : BY_CODE.get((int) code);
    }
}
