package io.guardian.pool.internal.transport;

import io.guardian.pool.peer.PeerIdentity;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;

/**
 * Fixed Ed25519 keys from {@code src/test/resources/conformance/peerid.tsv}, and Ed25519 signing done directly
 * with the JDK (independent of the code under test) for building expected AUTH messages by hand.
 */
public final class TestKeys {

    /** Row 1 of peerid.tsv: the libp2p peer-ids spec test vector (12D3KooWBtg3aaRM...). */
    public static final String A_PRIVATE = "08011240"
            + "7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d"
            + "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
    /** A's libp2p PublicKey protobuf. */
    public static final String A_PUBLIC = "08011220 1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
    /** A's PeerId bytes: identity multihash (0x00, 0x24) of the protobuf. */
    public static final String A_PEER_ID = "00 24 " + A_PUBLIC;
    /** A's PeerId text. */
    public static final String A_BASE58 = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";

    /** peerid.tsv, libp2p http/peer-id-auth.md "Server Private Key": seed of 32 bytes 0x01. */
    public static final String B_PRIVATE = "08011240"
            + "0101010101010101010101010101010101010101010101010101010101010101"
            + "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
    /** B's libp2p PublicKey protobuf. */
    public static final String B_PUBLIC = "08011220 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
    /** B's PeerId bytes. */
    public static final String B_PEER_ID = "00 24 " + B_PUBLIC;

    /** peerid.tsv, "Client Private Key": seed of 32 bytes 0x02. */
    public static final String C_PRIVATE = "08011240"
            + "0202020202020202020202020202020202020202020202020202020202020202"
            + "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394";
    /** C's libp2p PublicKey protobuf. */
    public static final String C_PUBLIC = "08011220 8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394";

    private TestKeys() {
    }

    /** The identity for one of the private-key constants, through the API under test. */
    public static PeerIdentity identity(String privateHex) {
        return PeerIdentity.fromProtobuf(Bytes.hex(privateHex));
    }

    /** Signs with the JDK directly: the 32-byte seed is bytes 4..36 of the libp2p private key protobuf. */
    public static byte[] jdkSign(String privateHex, byte[] data) {
        byte[] seed = Arrays.copyOfRange(Bytes.hex(privateHex), 4, 36);
        try {
            PrivateKey key = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(key);
            signer.update(data);
            return signer.sign();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
