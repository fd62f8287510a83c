package io.guardian.pool.benchmarks.libp2p;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.NamedParameterSpec;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The crypto operations a libp2p connection is made of, alone: one X25519 key generation and one
 * DH, one Ed25519 sign and verify (Bouncy Castle's RFC 7748 and RFC 8032 code, which the stack
 * runs, and the JDK's {@code XDH} and {@code Ed25519} providers beside them, which it ran before),
 * and the JDK's ChaCha20-Poly1305 over 4 MiB in 65,519-byte messages (Noise's largest), encrypt
 * and decrypt, the floor of one stream's throughput on one core. A Noise XX side does one key
 * generation and three DHs plus one verify (the static key and its signature are made once per
 * identity).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class CryptoFloorBenchmark {

    private KeyPairGenerator x25519;
    private KeyPair ours;
    private PublicKey theirs;
    private KeyPair ed25519;
    private byte[] message;
    private byte[] signature;
    private byte[] plaintext;
    private byte[] ciphertext;
    private SecretKeySpec key;
    private Cipher encryptor;
    private Cipher decryptor;
    private long nonce;
    private final byte[] curvePrivate = new byte[32];
    private final byte[] curvePublic = new byte[32];
    private final byte[] edSeed = new byte[32];
    private final byte[] edPublic = new byte[32];
    private byte[] edSignature;

    /** Keys, a signature and a 4 MiB buffer. */
    @Setup
    public void setUp() throws Exception {
        x25519 = KeyPairGenerator.getInstance("XDH");
        x25519.initialize(NamedParameterSpec.X25519);
        ours = x25519.generateKeyPair();
        theirs = x25519.generateKeyPair().getPublic();
        ed25519 = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        message = new byte[56];
        signature = jdkSign();
        new Random(4).nextBytes(curvePrivate);
        byte[] other = new byte[32];
        new Random(5).nextBytes(other);
        X25519.scalarMultBase(other, 0, curvePublic, 0);
        new Random(6).nextBytes(edSeed);
        Ed25519.generatePublicKey(edSeed, 0, edPublic, 0);
        edSignature = sign();
        plaintext = new byte[Libp2pTransportBenchmark.STREAM_BYTES];
        new Random(2).nextBytes(plaintext);
        ciphertext = new byte[65_519 + 16];
        byte[] raw = new byte[32];
        new Random(3).nextBytes(raw);
        key = new SecretKeySpec(raw, "ChaCha20");
        // One cipher per direction, as Noise's two CipherStates: the JDK refuses to re-initialise one
        // cipher with the key and nonce it was last initialised with.
        encryptor = Cipher.getInstance("ChaCha20-Poly1305");
        decryptor = Cipher.getInstance("ChaCha20-Poly1305");
    }

    /** @return the public key of a private key (Noise's ephemeral key; Bouncy Castle, fixed base) */
    @Benchmark
    public byte[] x25519Generate() {
        byte[] publicKey = new byte[32];
        X25519.scalarMultBase(curvePrivate, 0, publicKey, 0);
        return publicKey;
    }

    /** @return one X25519 Diffie-Hellman (Bouncy Castle) */
    @Benchmark
    public byte[] x25519Dh() {
        byte[] secret = new byte[32];
        if (!X25519.calculateAgreement(curvePrivate, 0, curvePublic, 0, secret, 0)) {
            throw new IllegalStateException("small-order result");
        }
        return secret;
    }

    /** @return an Ed25519 signature over 56 bytes, the libp2p Noise static-key message (Bouncy Castle) */
    @Benchmark
    public byte[] sign() {
        byte[] out = new byte[64];
        Ed25519.sign(edSeed, 0, edPublic, 0, message, 0, message.length, out, 0);
        return out;
    }

    /** @return whether the signature verifies (Bouncy Castle) */
    @Benchmark
    public boolean verify() {
        return Ed25519.verify(edSignature, 0, edPublic, 0, message, 0, message.length);
    }

    /** @return a fresh X25519 key pair from the JDK's {@code XDH} provider */
    @Benchmark
    public KeyPair jdkX25519Generate() {
        return x25519.generateKeyPair();
    }

    /** @return one X25519 Diffie-Hellman from the JDK's {@code XDH} provider */
    @Benchmark
    public byte[] jdkX25519Dh() throws Exception {
        KeyAgreement agreement = KeyAgreement.getInstance("XDH");
        agreement.init(ours.getPrivate());
        agreement.doPhase(theirs, true);
        return agreement.generateSecret();
    }

    /** @return an Ed25519 signature over 56 bytes from the JDK's provider */
    @Benchmark
    public byte[] jdkSign() throws Exception {
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(ed25519.getPrivate());
        signer.update(message);
        return signer.sign();
    }

    /** @return whether the signature verifies, by the JDK's provider */
    @Benchmark
    public boolean jdkVerify() throws Exception {
        Signature verifier = Signature.getInstance("Ed25519");
        verifier.initVerify(ed25519.getPublic());
        verifier.update(message);
        return verifier.verify(signature);
    }

    /** @return 4 MiB encrypted and decrypted in Noise-sized messages on this thread */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int chachaPoly4MiB() throws Exception {
        byte[] decrypted = new byte[65_519];
        int total = 0;
        for (int offset = 0; offset < plaintext.length; offset += 65_519) {
            int n = Math.min(65_519, plaintext.length - offset);
            IvParameterSpec iv = new IvParameterSpec(nonce(nonce++));
            encryptor.init(Cipher.ENCRYPT_MODE, key, iv);
            int c = encryptor.doFinal(plaintext, offset, n, ciphertext, 0);
            decryptor.init(Cipher.DECRYPT_MODE, key, iv);
            total += decryptor.doFinal(ciphertext, 0, c, decrypted, 0);
        }
        return total;
    }

    private static byte[] nonce(long n) {
        byte[] iv = new byte[12];
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (n >>> (8 * i));
        }
        return iv;
    }
}
