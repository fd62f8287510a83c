package io.guardian.pool.peer;

/**
 * IPv4 and IPv6 literals to and from bytes, without {@link java.net.InetAddress}: that class may
 * consult a resolver for text that is not a literal, and formats IPv6 differently from
 * go-multiaddr. Output follows go-multiaddr (RFC 5952 compression, lowercase, and
 * {@code ::ffff:a.b.c.d} for IPv4-mapped addresses). Not API.
 */
final class IpText {

    private IpText() {
    }

    /** Dotted quad, four decimal parts 0..255 without leading zeros (as Go since 1.17). */
    static byte[] parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("an IPv4 address has four dot-separated parts");
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3) {
                throw new IllegalArgumentException("IPv4 part \"" + part + "\" is not a number from 0 to 255");
            }
            int value = 0;
            for (int j = 0; j < part.length(); j++) {
                char c = part.charAt(j);
                if (c < '0' || c > '9') {
                    throw new IllegalArgumentException("IPv4 part \"" + part + "\" is not a number from 0 to 255");
                }
                value = value * 10 + (c - '0');
            }
            if (value > 255 || (part.length() > 1 && part.charAt(0) == '0')) {
                throw new IllegalArgumentException("IPv4 part \"" + part + "\" is not a number from 0 to 255"
                        + " written without leading zeros");
            }
            out[i] = (byte) value;
        }
        return out;
    }

    static String formatIpv4(byte[] b, int offset) {
        return (b[offset] & 0xFF) + "." + (b[offset + 1] & 0xFF) + "." + (b[offset + 2] & 0xFF) + "."
                + (b[offset + 3] & 0xFF);
    }

    /** RFC 4291 text: hex groups, at most one {@code ::}, optionally a trailing dotted quad. */
    static byte[] parseIpv6(String s) {
        if (s.indexOf('%') >= 0) {
            throw new IllegalArgumentException("a zone is not part of /ip6; write /ip6zone/<zone>/ip6/<address>");
        }
        byte[] out = new byte[16];
        int ellipsis = -1;
        int i = 0;
        int pos = 0;
        int len = s.length();
        if (s.startsWith("::")) {
            ellipsis = 0;
            pos = 2;
        }
        while (pos < len) {
            if (i >= 16) {
                throw new IllegalArgumentException("an IPv6 address has at most eight groups");
            }
            int start = pos;
            int value = 0;
            while (pos < len && pos - start < 5 && hexDigit(s.charAt(pos)) >= 0) {
                value = value * 16 + hexDigit(s.charAt(pos));
                pos++;
            }
            int digits = pos - start;
            if (digits == 0) {
                throw new IllegalArgumentException("empty or invalid group at index " + start);
            }
            if (digits > 4) {
                throw new IllegalArgumentException("group at index " + start + " has more than four hex digits");
            }
            if (pos < len && s.charAt(pos) == '.') {
                if (i > 12) {
                    throw new IllegalArgumentException("an embedded IPv4 address must be the last 32 bits");
                }
                byte[] v4 = parseIpv4(s.substring(start));
                System.arraycopy(v4, 0, out, i, 4);
                i += 4;
                pos = len;
                break;
            }
            out[i++] = (byte) (value >>> 8);
            out[i++] = (byte) value;
            if (pos == len) {
                break;
            }
            if (s.charAt(pos) != ':') {
                throw new IllegalArgumentException("unexpected character '" + s.charAt(pos) + "' at index " + pos);
            }
            pos++;
            if (pos < len && s.charAt(pos) == ':') {
                if (ellipsis >= 0) {
                    throw new IllegalArgumentException("more than one \"::\"");
                }
                ellipsis = i;
                pos++;
            } else if (pos == len) {
                throw new IllegalArgumentException("ends with a single ':'");
            }
        }
        if (i < 16) {
            if (ellipsis < 0) {
                throw new IllegalArgumentException("too few groups: eight are needed without \"::\"");
            }
            int n = 16 - i;
            for (int j = i - 1; j >= ellipsis; j--) {
                out[j + n] = out[j];
            }
            for (int j = ellipsis; j < ellipsis + n; j++) {
                out[j] = 0;
            }
        } else if (ellipsis >= 0) {
            throw new IllegalArgumentException("\"::\" must stand for at least one group of zeros");
        }
        return out;
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    static String formatIpv6(byte[] b) {
        boolean mapped = b[10] == (byte) 0xFF && b[11] == (byte) 0xFF;
        for (int k = 0; k < 10 && mapped; k++) {
            mapped = b[k] == 0;
        }
        if (mapped) {
            // go-multiaddr prints IPv4-mapped addresses with the prefix Go's net.IP drops.
            return "::ffff:" + formatIpv4(b, 12);
        }
        int[] groups = new int[8];
        for (int g = 0; g < 8; g++) {
            groups[g] = ((b[2 * g] & 0xFF) << 8) | (b[2 * g + 1] & 0xFF);
        }
        // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
        int bestStart = -1;
        int bestLength = 1;
        for (int g = 0; g < 8; ) {
            if (groups[g] != 0) {
                g++;
                continue;
            }
            int end = g;
            while (end < 8 && groups[end] == 0) {
                end++;
            }
            if (end - g > bestLength) {
                bestStart = g;
                bestLength = end - g;
            }
            g = end;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int g = 0; g < 8; g++) {
            if (g == bestStart) {
                sb.append("::");
                g += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[g]));
        }
        return sb.toString();
    }
}
