package io.guardian.pool.internal.libp2p.noise;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import java.util.Arrays;

/**
 * The Noise {@code HandshakeState} (spec rev 34, section 5.3) for the one pattern libp2p uses,
 * {@code Noise_XX_25519_ChaChaPoly_SHA256}:
 *
 * <pre>
 *   -&gt; e
 *   &lt;- e, ee, s, es
 *   -&gt; s, se
 * </pre>
 *
 * Not API; not thread-safe, but it may move between threads between messages (the handshake
 * handler hands it to a crypto executor and back, which orders the accesses).
 *
 * <p>Each side calls {@link #writeMessage} and {@link #readMessage} alternately in pattern order
 * (initiator: write, read, write; responder: read, write, read); after the third message
 * {@link #split()} gives the transport ciphers.
 */
public final class HandshakeState {

    /** The protocol name; 32 bytes, so it is h and ck as it stands. */
    public static final String PROTOCOL_NAME = "Noise_XX_25519_ChaChaPoly_SHA256";

    private static final int DH_LENGTH = X25519.KEY_LENGTH;
    private static final int TAG = CipherState.TAG_LENGTH;

    private final boolean initiator;
    private final SymmetricState symmetric;
    private final byte[] staticPrivate;
    private final byte[] staticPublic;
    private final byte[] ephemeralPrivate;
    private byte[] ephemeralPublic;
    private byte[] remoteEphemeral;
    private byte[] remoteStatic;
    /** Index of the next message of the pattern, 0 to 3 (3 = done). */
    private int next;

    /**
     * @param initiator whether this side sends the first message
     * @param prologue bytes both sides must agree on (libp2p: empty); mixed into h
     * @param staticPrivate this side's raw X25519 static private key
     * @param ephemeralPrivate the raw ephemeral private key to use, for test vectors; {@code null}
     *     draws a fresh one (always, outside tests)
     */
    public HandshakeState(boolean initiator, byte[] prologue, byte[] staticPrivate, byte[] ephemeralPrivate) {
        this(initiator, prologue, staticPrivate, X25519.publicOf(checkKey(staticPrivate)), ephemeralPrivate);
    }

    /**
     * As {@link #HandshakeState(boolean, byte[], byte[], byte[])} with the static public key given
     * rather than computed: a long-lived static key ({@link LocalStatic}) has it already, and
     * computing it costs an X25519 scalar multiplication per handshake.
     *
     * @param staticPublic the raw X25519 public key of {@code staticPrivate}; the caller vouches
     *     that it matches (a mismatch makes the remote's DH fail, not ours)
     */
    HandshakeState(boolean initiator, byte[] prologue, byte[] staticPrivate, byte[] staticPublic,
            byte[] ephemeralPrivate) {
        checkKey(staticPrivate);
        checkKey(staticPublic);
        if (ephemeralPrivate != null) {
            checkKey(ephemeralPrivate);
        }
        this.initiator = initiator;
        this.symmetric = new SymmetricState(PROTOCOL_NAME);
        this.symmetric.mixHash(prologue);
        this.staticPrivate = staticPrivate.clone();
        this.staticPublic = staticPublic.clone();
        this.ephemeralPrivate = ephemeralPrivate == null ? X25519.generatePrivate() : ephemeralPrivate.clone();
    }

    private static byte[] checkKey(byte[] key) {
        if (key.length != DH_LENGTH) {
            throw new IllegalArgumentException("X25519 keys are 32 bytes, got " + key.length);
        }
        return key;
    }

    /**
     * Writes the next message of this side.
     *
     * @param payload the payload to carry (encrypted once a key exists, i.e. in messages 2 and 3)
     * @return the whole Noise message, without the libp2p length prefix
     * @throws IllegalStateException if it is the remote's turn or the handshake is over
     */
    public byte[] writeMessage(byte[] payload) {
        requireTurn(true);
        byte[] out;
        switch (next) {
            case 0: {
                // -> e
                ephemeralPublic = X25519.publicOf(ephemeralPrivate);
                symmetric.mixHash(ephemeralPublic);
                out = concat(ephemeralPublic, symmetric.encryptAndHash(payload));
                break;
            }
            case 1: {
                // <- e, ee, s, es
                ephemeralPublic = X25519.publicOf(ephemeralPrivate);
                symmetric.mixHash(ephemeralPublic);
                symmetric.mixKey(X25519.dh(ephemeralPrivate, remoteEphemeral));
                byte[] s = symmetric.encryptAndHash(staticPublic);
                symmetric.mixKey(X25519.dh(staticPrivate, remoteEphemeral));
                out = concat(ephemeralPublic, s, symmetric.encryptAndHash(payload));
                break;
            }
            default: {
                // -> s, se
                byte[] s = symmetric.encryptAndHash(staticPublic);
                symmetric.mixKey(X25519.dh(staticPrivate, remoteEphemeral));
                out = concat(s, symmetric.encryptAndHash(payload));
                break;
            }
        }
        next++;
        return out;
    }

    /**
     * Reads the remote's next message.
     *
     * @param message the array holding the Noise message (without the length prefix)
     * @param offset where it starts
     * @param length its length
     * @return the decrypted payload
     * @throws TransportException {@link Kind#PROTOCOL_VIOLATION} for a message too short for its
     *     pattern or one that does not authenticate; {@link Kind#BAD_SIGNATURE} for a remote key
     *     of small order
     * @throws IllegalStateException if it is this side's turn or the handshake is over
     */
    public byte[] readMessage(byte[] message, int offset, int length) {
        requireTurn(false);
        int min = next == 0 ? DH_LENGTH : next == 1 ? DH_LENGTH + DH_LENGTH + TAG + TAG : DH_LENGTH + TAG + TAG;
        if (length < min) {
            throw new TransportException(Kind.PROTOCOL_VIOLATION, "Noise handshake message " + (next + 1) + " has "
                    + length + " bytes, fewer than the " + min + " its pattern needs");
        }
        int pos = offset;
        int end = offset + length;
        byte[] payload;
        switch (next) {
            case 0: {
                remoteEphemeral = Arrays.copyOfRange(message, pos, pos + DH_LENGTH);
                symmetric.mixHash(remoteEphemeral);
                pos += DH_LENGTH;
                payload = symmetric.decryptAndHash(message, pos, end - pos);
                break;
            }
            case 1: {
                remoteEphemeral = Arrays.copyOfRange(message, pos, pos + DH_LENGTH);
                symmetric.mixHash(remoteEphemeral);
                pos += DH_LENGTH;
                symmetric.mixKey(X25519.dh(ephemeralPrivate, remoteEphemeral));
                remoteStatic = symmetric.decryptAndHash(message, pos, DH_LENGTH + TAG);
                pos += DH_LENGTH + TAG;
                symmetric.mixKey(X25519.dh(ephemeralPrivate, remoteStatic));
                payload = symmetric.decryptAndHash(message, pos, end - pos);
                break;
            }
            default: {
                remoteStatic = symmetric.decryptAndHash(message, pos, DH_LENGTH + TAG);
                pos += DH_LENGTH + TAG;
                symmetric.mixKey(X25519.dh(ephemeralPrivate, remoteStatic));
                payload = symmetric.decryptAndHash(message, pos, end - pos);
                break;
            }
        }
        next++;
        return payload;
    }

    /** @return whether all three messages have been written or read */
    public boolean isComplete() {
        return next == 3;
    }

    /** @return whether the next message is this side's to write (false once complete) */
    public boolean isMyTurn() {
        return next < 3 && ((next % 2 == 0) == initiator);
    }

    /** @return the handshake hash h so far (a channel binding once the handshake is complete) */
    public byte[] handshakeHash() {
        return symmetric.handshakeHash();
    }

    /** @return this side's raw static public key, the one libp2p's identity_sig signs */
    public byte[] localStaticPublic() {
        return staticPublic.clone();
    }

    /** @return the remote's raw static public key, or {@code null} before it has been received */
    public byte[] remoteStaticPublic() {
        return remoteStatic == null ? null : remoteStatic.clone();
    }

    /**
     * Split: the transport ciphers, oriented for this side.
     *
     * @return {@code [send, receive]}: the initiator sends with c1, the responder with c2
     * @throws IllegalStateException before the handshake is complete
     */
    public CipherState[] split() {
        if (!isComplete()) {
            throw new IllegalStateException("the Noise handshake is not complete");
        }
        CipherState[] pair = symmetric.split();
        Arrays.fill(ephemeralPrivate, (byte) 0);
        return initiator ? pair : new CipherState[] {pair[1], pair[0]};
    }

    private void requireTurn(boolean writing) {
        if (next >= 3) {
            throw new IllegalStateException("the Noise handshake is already complete");
        }
        if (isMyTurn() != writing) {
            throw new IllegalStateException("Noise message " + (next + 1) + " is the "
                    + (writing ? "remote's to write" : "local side's to write"));
        }
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        byte[] out = new byte[length];
        int pos = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, pos, p.length);
            pos += p.length;
        }
        return out;
    }
}
