package io.guardian.pool.internal.transport;

import io.guardian.pool.internal.transport.TransportException.Kind;
import io.guardian.pool.net.ProtocolVersion;
import io.guardian.pool.peer.PeerId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;

/**
 * The guardian-db handshake messages, byte for byte (PROTOCOL.md sections 2 and 3): pure encoding
 * and parsing with no I/O, no clock and no randomness of its own, so that golden tests can pin
 * every byte. The Netty handlers ({@link DialerHandshake}, {@link ListenerHandshake}) drive it.
 * Not API.
 */
final class HandshakeCodec {

    /** Length of both protocol strings, {@code guardian-db/1.0} and {@code guardian-db/1.1}. */
    static final int PROTOCOL_LENGTH = 15;
    /** Size of the dialer and listener nonces in 1.1. */
    static final int NONCE_LENGTH = 32;
    /** Size of the u64 Unix-seconds timestamp. */
    static final int TIMESTAMP_LENGTH = 8;
    /** Largest HELLO-ACK payload N (PROTOCOL.md: 1 ≤ N ≤ 1024). */
    static final int MAX_ACK_LENGTH = 1024;
    /** The confirmation both sides send last. */
    static final byte[] CONFIRMATION = "HANDSHAKE_OK".getBytes(StandardCharsets.US_ASCII);
    /** libp2p {@code PublicKey} protobuf header of an Ed25519 key: type=1, 32-byte data. */
    static final byte[] ED25519_KEY_HEADER = {0x08, 0x01, 0x12, 0x20};
    /** An Ed25519 {@code PublicKey} protobuf: header plus the 32-byte key. */
    static final int ED25519_KEY_PROTOBUF_LENGTH = ED25519_KEY_HEADER.length + 32;
    /** An Ed25519 signature. */
    static final int SIGNATURE_LENGTH = 64;
    /**
     * The only AUTH payload length we accept: one Ed25519 key protobuf plus one signature. Other key
     * types cannot authenticate (the PeerId must embed the key), so any other N is malformed.
     */
    static final int AUTH_LENGTH = ED25519_KEY_PROTOBUF_LENGTH + SIGNATURE_LENGTH;
    /** Domain separation prefix of the dialer's signed transcript. */
    static final byte[] DIALER_CONTEXT = "guardian-db/1.1 dialer".getBytes(StandardCharsets.US_ASCII);
    /** Domain separation prefix of the listener's signed transcript. */
    static final byte[] LISTENER_CONTEXT = "guardian-db/1.1 listener".getBytes(StandardCharsets.US_ASCII);

    private HandshakeCodec() {
    }

    /**
     * A handshake rule the other side broke, typed by the transport's own {@link Kind}; the handler
     * turns it into its side's reaction (the dialer fails its dial with a {@link TransportException}
     * of that kind, the listener counts it).
     */
    static final class Violation extends Exception {
        private static final long serialVersionUID = 1L;
        private final Kind kind;

        Violation(Kind kind, String detail) {
            // No stack trace: strangers can trigger these at will, and the detail says it all.
            super(detail, null, false, false);
            this.kind = kind;
        }

        Kind kind() {
            return kind;
        }
    }

    /** A complete, valid HELLO as the listener saw it. */
    record Hello(ProtocolVersion version, long timestamp, byte[] nonce, byte[] bytes) {
    }

    /** A complete, valid HELLO-ACK as the dialer saw it. */
    record HelloAck(long timestamp, byte[] nonce, byte[] bytes) {
    }

    /** An AUTH-D or AUTH-L message, split into its key and signature. */
    record Auth(byte[] publicKeyProtobuf, byte[] signature, byte[] bytes) {
    }

    /**
     * Encodes HELLO: u16 15, protocol, target PeerId bytes, u64 timestamp, then (1.1) the nonce.
     *
     * @param nonce 32 bytes for 1.1, {@code null} for 1.0
     */
    static byte[] hello(ProtocolVersion version, PeerId target, long timestampSeconds, byte[] nonce) {
        byte[] id = target.toBytes();
        ByteBuffer out = ByteBuffer.allocate(2 + PROTOCOL_LENGTH + id.length + TIMESTAMP_LENGTH
                + nonceLength(version, nonce));
        out.putShort((short) PROTOCOL_LENGTH).put(version.wireBytes()).put(id).putLong(timestampSeconds);
        putNonce(out, version, nonce);
        return out.array();
    }

    /**
     * Encodes HELLO-ACK: u16 N, protocol, our PeerId bytes, u64 timestamp, then (1.1) the nonce.
     *
     * @param nonce 32 bytes for 1.1, {@code null} for 1.0 (a 1.0 listener sends no extensions)
     */
    static byte[] helloAck(ProtocolVersion version, PeerId self, long timestampSeconds, byte[] nonce) {
        byte[] id = self.toBytes();
        int n = PROTOCOL_LENGTH + id.length + TIMESTAMP_LENGTH + nonceLength(version, nonce);
        ByteBuffer out = ByteBuffer.allocate(2 + n);
        out.putShort((short) n).put(version.wireBytes()).put(id).putLong(timestampSeconds);
        putNonce(out, version, nonce);
        return out.array();
    }

    /** Encodes AUTH-D or AUTH-L: u16 N, key protobuf, signature. */
    static byte[] auth(byte[] publicKeyProtobuf, byte[] signature) {
        ByteBuffer out = ByteBuffer.allocate(2 + publicKeyProtobuf.length + signature.length);
        out.putShort((short) (publicKeyProtobuf.length + signature.length)).put(publicKeyProtobuf).put(signature);
        return out.array();
    }

    /** {@code "guardian-db/1.1 dialer" || HELLO || HELLO-ACK}: what AUTH-D signs. */
    static byte[] dialerTranscript(byte[] hello, byte[] helloAck) {
        return concat(DIALER_CONTEXT, hello, helloAck);
    }

    /** {@code "guardian-db/1.1 listener" || HELLO || HELLO-ACK || AUTH-D}: what AUTH-L signs. */
    static byte[] listenerTranscript(byte[] hello, byte[] helloAck, byte[] authD) {
        return concat(LISTENER_CONTEXT, hello, helloAck, authD);
    }

    /**
     * Judges a HELLO once it is complete, and not before: its length follows from the protocol
     * string ({@code guardian-db/1.0} means no nonce, anything else is read as 1.1) and the
     * listener's own PeerId, and every field is checked on the whole message, the PeerId in
     * constant time. So a stranger who knows only our address learns nothing from when we close:
     * not which protocols we accept, not how much of a guessed PeerId was right (checking it byte
     * by byte as it arrived gave it away a byte at a time).
     *
     * @param in the bytes received so far, from the first byte of the connection; not consumed
     * @param self the listener's PeerId (the only target it accepts)
     * @param acceptPlain whether {@code guardian-db/1.0} is acceptable
     * @return the HELLO once complete, or {@code null} while more bytes are needed
     * @throws Violation PROTOCOL_REFUSED, IDENTITY_MISMATCH, CLOCK_SKEW
     */
    static Hello scanHello(ByteBuffer in, PeerId self, boolean acceptPlain, long nowSeconds, Duration maxSkew)
            throws Violation {
        int start = in.position();
        int available = in.remaining();
        if (available < 2 + PROTOCOL_LENGTH) {
            return null;
        }
        ProtocolVersion version = protocolAt(in, start + 2);
        byte[] id = self.toBytes();
        int total = 2 + PROTOCOL_LENGTH + id.length + TIMESTAMP_LENGTH
                + (version == ProtocolVersion.V1_0 ? 0 : NONCE_LENGTH);
        if (available < total) {
            return null;
        }
        int protocolLength = Short.toUnsignedInt(in.getShort(start));
        int idStart = start + 2 + PROTOCOL_LENGTH;
        byte[] target = new byte[id.length];
        in.get(idStart, target);
        // Every check runs whichever fails, so the time to judge does not say which one did.
        boolean targetOk = MessageDigest.isEqual(target, id);
        long timestamp = in.getLong(idStart + id.length);
        boolean skewOk = withinSkew(timestamp, nowSeconds, maxSkew);
        if (protocolLength != PROTOCOL_LENGTH) {
            throw new Violation(Kind.PROTOCOL_REFUSED, "protocol length " + protocolLength + ", expected 15");
        }
        if (version == null) {
            throw new Violation(Kind.PROTOCOL_REFUSED, "unknown protocol " + printable(in, start + 2, PROTOCOL_LENGTH));
        }
        if (version == ProtocolVersion.V1_0 && !acceptPlain) {
            throw new Violation(Kind.PROTOCOL_REFUSED,
                    "guardian-db/1.0 offered but this listener requires guardian-db/1.1");
        }
        if (!targetOk) {
            throw new Violation(Kind.IDENTITY_MISMATCH, "HELLO targets another PeerId");
        }
        if (!skewOk) {
            checkSkew(timestamp, nowSeconds, maxSkew, "dialer");
        }
        byte[] nonce = null;
        if (version == ProtocolVersion.V1_1) {
            nonce = new byte[NONCE_LENGTH];
            in.get(idStart + id.length + TIMESTAMP_LENGTH, nonce);
        }
        byte[] bytes = new byte[total];
        in.get(start, bytes);
        return new Hello(version, timestamp, nonce, bytes);
    }

    /**
     * Parses a complete HELLO-ACK (prefix included), checking PROTOCOL.md's dialer rules in order:
     * protocol, listener PeerId, timestamp, and for 1.1 exactly one 32-byte nonce as extension.
     *
     * @throws Violation PROTOCOL_REFUSED, IDENTITY_MISMATCH, CLOCK_SKEW, PROTOCOL_VIOLATION
     */
    static HelloAck parseHelloAck(byte[] message, ProtocolVersion sent, PeerId dialed, long nowSeconds,
            Duration maxSkew) throws Violation {
        ByteBuffer in = ByteBuffer.wrap(message);
        int n = Short.toUnsignedInt(in.getShort());
        if (n != message.length - 2) {
            throw new IllegalArgumentException("caller must pass exactly one HELLO-ACK");
        }
        if (n < PROTOCOL_LENGTH) {
            throw new Violation(Kind.PROTOCOL_VIOLATION, "HELLO-ACK of " + n + " bytes is too short for the protocol");
        }
        ProtocolVersion version = protocolAt(in, 2);
        if (version != sent) {
            throw new Violation(Kind.PROTOCOL_REFUSED, "listener answered " + printable(in, 2, PROTOCOL_LENGTH)
                    + " to " + sent.wireName());
        }
        in.position(2 + PROTOCOL_LENGTH);
        byte[] expected = dialed.toBytes();
        if (!startsWith(in, expected)) {
            PeerId presented;
            try {
                presented = PeerId.readFrom(in);
            } catch (IllegalArgumentException e) {
                throw new Violation(Kind.PROTOCOL_VIOLATION, "HELLO-ACK carries no valid PeerId: " + e.getMessage());
            }
            throw new Violation(Kind.IDENTITY_MISMATCH, "listener presented PeerId " + presented);
        }
        in.position(in.position() + expected.length);
        if (in.remaining() < TIMESTAMP_LENGTH) {
            throw new Violation(Kind.PROTOCOL_VIOLATION, "HELLO-ACK ends before its timestamp");
        }
        long timestamp = in.getLong();
        checkSkew(timestamp, nowSeconds, maxSkew, "listener");
        byte[] nonce = null;
        if (sent == ProtocolVersion.V1_1) {
            if (in.remaining() != NONCE_LENGTH) {
                throw new Violation(Kind.PROTOCOL_VIOLATION, "guardian-db/1.1 HELLO-ACK must end with exactly a "
                        + NONCE_LENGTH + "-byte nonce, found " + in.remaining() + " bytes");
            }
            nonce = new byte[NONCE_LENGTH];
            in.get(nonce);
        }
        // guardian-db/1.0: whatever follows the timestamp is extensions, ignored (PROTOCOL.md 2).
        return new HelloAck(timestamp, nonce, message);
    }

    /**
     * Checks an AUTH message's length prefix as soon as it arrives, before waiting for N bytes.
     *
     * @throws Violation PROTOCOL_VIOLATION unless N is {@link #AUTH_LENGTH}
     */
    static void checkAuthLength(int n) throws Violation {
        if (n != AUTH_LENGTH) {
            throw new Violation(Kind.PROTOCOL_VIOLATION, "AUTH of " + n + " bytes; an Ed25519 key and signature take "
                    + AUTH_LENGTH);
        }
    }

    /**
     * Splits a complete AUTH message (prefix included) and checks the key is an Ed25519 key.
     *
     * @throws Violation PROTOCOL_VIOLATION
     */
    static Auth parseAuth(byte[] message) throws Violation {
        checkAuthLength(Short.toUnsignedInt(ByteBuffer.wrap(message).getShort()));
        byte[] key = Arrays.copyOfRange(message, 2, 2 + ED25519_KEY_PROTOBUF_LENGTH);
        if (!Arrays.equals(key, 0, ED25519_KEY_HEADER.length, ED25519_KEY_HEADER, 0, ED25519_KEY_HEADER.length)) {
            throw new Violation(Kind.PROTOCOL_VIOLATION, "AUTH key is not an Ed25519 libp2p PublicKey");
        }
        byte[] signature = Arrays.copyOfRange(message, 2 + ED25519_KEY_PROTOBUF_LENGTH, message.length);
        return new Auth(key, signature, message);
    }

    /**
     * Whether {@code timestamp} (u64 seconds, read as a signed long) is within {@code maxSkew} of now.
     */
    static boolean withinSkew(long timestamp, long nowSeconds, Duration maxSkew) {
        // A u64 above 2^63 reads negative: certainly out of skew. Both values are then < 2^63.
        return timestamp >= 0 && Math.abs(timestamp - nowSeconds) <= maxSkew.getSeconds();
    }

    private static void checkSkew(long timestamp, long nowSeconds, Duration maxSkew, String who) throws Violation {
        if (!withinSkew(timestamp, nowSeconds, maxSkew)) {
            throw new Violation(Kind.CLOCK_SKEW, who + " timestamp " + Long.toUnsignedString(timestamp)
                    + " is more than " + maxSkew.getSeconds() + " s from our clock (" + nowSeconds
                    + "); check both clocks or raise max-clock-skew");
        }
    }

    private static ProtocolVersion protocolAt(ByteBuffer in, int index) {
        for (ProtocolVersion v : ProtocolVersion.values()) {
            byte[] wire = v.wireBytes();
            if (wire.length != PROTOCOL_LENGTH) {
                continue; // LIBP2P is no HELLO protocol string
            }
            boolean match = true;
            for (int i = 0; i < PROTOCOL_LENGTH && match; i++) {
                match = in.get(index + i) == wire[i];
            }
            if (match) {
                return v;
            }
        }
        return null;
    }

    private static boolean startsWith(ByteBuffer in, byte[] prefix) {
        if (in.remaining() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (in.get(in.position() + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Renders untrusted bytes for a log line: printable ASCII kept, everything else as {@code \xNN}. */
    static String printable(ByteBuffer in, int index, int length) {
        StringBuilder text = new StringBuilder("\"");
        for (int i = 0; i < length; i++) {
            int b = in.get(index + i) & 0xff;
            if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
                text.append((char) b);
            } else {
                text.append(String.format("\\x%02x", b));
            }
        }
        return text.append('"').toString();
    }

    private static int nonceLength(ProtocolVersion version, byte[] nonce) {
        if (version == ProtocolVersion.V1_1) {
            if (nonce == null || nonce.length != NONCE_LENGTH) {
                throw new IllegalArgumentException("guardian-db/1.1 needs a " + NONCE_LENGTH + "-byte nonce");
            }
            return NONCE_LENGTH;
        }
        if (nonce != null) {
            throw new IllegalArgumentException("guardian-db/1.0 carries no nonce");
        }
        return 0;
    }

    private static void putNonce(ByteBuffer out, ProtocolVersion version, byte[] nonce) {
        if (version == ProtocolVersion.V1_1) {
            out.put(nonce);
        }
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] out = new byte[length];
        int offset = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, offset, part.length);
            offset += part.length;
        }
        return out;
    }
}
