package dev.gatewar.observe;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Client addresses allowed to do something, as IP addresses and CIDR ranges
 * ({@code 127.0.0.0/8, ::1, 10.1.0.0/16}). Only literal addresses: a host name would make start-up
 * and every check depend on DNS. An IPv4-mapped IPv6 address matches as its IPv4 address.
 */
public final class AddressAllowList {
    private record Range(byte[] network, int prefixBits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int fullBytes = prefixBits / 8;
            for (int i = 0; i < fullBytes; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int restBits = prefixBits % 8;
            if (restBits == 0) {
                return true;
            }
            int mask = 0xff << (8 - restBits) & 0xff;
            return (address[fullBytes] & mask) == (network[fullBytes] & mask);
        }
    }

    private final List<Range> ranges;
    private final String text;

    private AddressAllowList(List<Range> ranges, String text) {
        this.ranges = List.copyOf(ranges);
        this.text = text;
    }

    /**
     * Parses a list separated by commas or white space.
     *
     * @throws IllegalArgumentException naming the entry that is not an address or range
     */
    public static AddressAllowList parse(String value) {
        List<Range> ranges = new ArrayList<>();
        for (String entry : value.split("[,\\s]+")) {
            if (entry.isEmpty()) {
                continue;
            }
            int slash = entry.indexOf('/');
            byte[] address = literal(slash < 0 ? entry : entry.substring(0, slash));
            if (address == null) {
                throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR range");
            }
            int bits = address.length * 8;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(entry.substring(slash + 1));
                } catch (NumberFormatException e) {
                    bits = -1;
                }
                if (bits < 0 || bits > address.length * 8) {
                    throw new IllegalArgumentException("'" + entry + "' has a prefix length outside 0 to " + address.length * 8);
                }
            }
            ranges.add(new Range(address, bits));
        }
        if (ranges.isEmpty()) {
            throw new IllegalArgumentException("the list is empty");
        }
        return new AddressAllowList(ranges, value.strip());
    }

    /** True when {@code remoteAddress} (as the container reports it) is in a listed range. */
    public boolean allows(String remoteAddress) {
        if (remoteAddress == null) {
            return false;
        }
        String bare = remoteAddress.startsWith("[") && remoteAddress.endsWith("]")
                ? remoteAddress.substring(1, remoteAddress.length() - 1) : remoteAddress;
        byte[] address = literal(bare);
        if (address == null) {
            return false;
        }
        for (Range range : ranges) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }

    /** The bytes of a literal IPv4 or IPv6 address, without any name lookup; null for anything else. */
    private static byte[] literal(String value) {
        if (value.isEmpty()) {
            return null;
        }
        boolean ipv6 = value.indexOf(':') >= 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean allowed = (c >= '0' && c <= '9') || c == '.'
                    || (ipv6 && (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '%'));
            if (!allowed) {
                return null;
            }
        }
        if (!ipv6 && value.chars().filter(c -> c == '.').count() != 3) {
            return null;
        }
        try {
            // Only digits, dots, colons and hex letters reach here: InetAddress parses, never resolves.
            return InetAddress.getByName(value).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
