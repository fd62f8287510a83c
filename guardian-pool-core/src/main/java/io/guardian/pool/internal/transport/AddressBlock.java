package io.guardian.pool.internal.transport;

import io.guardian.pool.peer.Multiaddr;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * A block of IP addresses in CIDR notation ({@code 10.0.0.0/8}, {@code 2001:db8::/32}, or one
 * address alone), and the key under which the listener counts a remote address: the IPv4 address
 * itself, or the /64 an IPv6 address belongs to (one host is usually given a whole /64, so counting
 * single IPv6 addresses would let it dodge every per-address limit). Not API.
 */
public final class AddressBlock {

    /** Prefix length under which IPv6 addresses share their per-address limits. */
    public static final int IPV6_SHARED_PREFIX = 64;

    private final byte[] network;
    private final int prefix;
    private final String text;

    private AddressBlock(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /**
     * Parses an address literal with an optional {@code /prefix}; never looks up a host name.
     *
     * @param cidr for example {@code 192.168.0.0/16}, {@code ::1} or {@code fd00::/8}
     * @return the block
     * @throws IllegalArgumentException when it is not an IP literal or the prefix is out of range
     */
    public static AddressBlock parse(String cidr) {
        String trimmed = cidr.trim();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        boolean v6 = address.indexOf(':') >= 0;
        byte[] bytes;
        try {
            // Through Multiaddr's literal parsers: InetAddress.getByName would resolve a host name.
            bytes = Multiaddr.parse((v6 ? "/ip6/" : "/ip4/") + address + "/tcp/0").toSocketAddress().getAddress()
                    .getAddress();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + cidr + "' is not an IP address or CIDR block (such as"
                    + " 10.0.0.0/8 or fd00::/8)", e);
        }
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(trimmed.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException("'" + cidr + "' has a prefix length outside 0-" + bits);
            }
        }
        return new AddressBlock(mask(bytes, prefix), prefix, trimmed);
    }

    /**
     * @param address a remote address
     * @return whether it lies in this block (an IPv4-mapped IPv6 address counts as IPv4)
     */
    public boolean contains(InetAddress address) {
        byte[] bytes = canonical(address).getAddress();
        return bytes.length == network.length && Arrays.equals(mask(bytes, prefix), network);
    }

    /**
     * The key a remote address is counted under: IPv4 addresses alone, IPv6 addresses by /64.
     *
     * @param address the remote address
     * @return a value with {@code equals} and {@code hashCode}
     */
    public static Object limitKey(InetAddress address) {
        InetAddress canonical = canonical(address);
        if (canonical instanceof Inet6Address) {
            return new AddressBlock(mask(canonical.getAddress(), IPV6_SHARED_PREFIX), IPV6_SHARED_PREFIX, null);
        }
        return canonical;
    }

    /** Java reports IPv4-mapped addresses as IPv4 already; this also unwraps ::ffff:a.b.c.d given as bytes. */
    private static InetAddress canonical(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 16 && !(address instanceof Inet4Address)) {
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                try {
                    return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
                } catch (java.net.UnknownHostException impossible) {
                    throw new IllegalStateException(impossible);
                }
            }
        }
        return address;
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] = (byte) (out[i] & (0xff00 >> keep));
        }
        return out;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AddressBlock that && prefix == that.prefix && Arrays.equals(network, that.network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefix;
    }

    @Override
    public String toString() {
        if (text != null) {
            return text;
        }
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
        } catch (java.net.UnknownHostException impossible) {
            return Arrays.toString(network) + "/" + prefix;
        }
    }
}
