package io.guardian.pool.peer;

/**
 * Converts one multiaddr protocol's value between its text and binary forms. Both directions
 * validate; errors are {@link IllegalArgumentException}s carrying only the reason (the caller
 * names the address and protocol). Not API.
 */
interface ValueCodec {

    /**
     * @param text the value as written in the address
     * @return the binary value (without the length prefix)
     */
    byte[] toBytes(String text);

    /**
     * @param value the binary value (without the length prefix)
     * @return the canonical text
     */
    String toText(byte[] value);
}
