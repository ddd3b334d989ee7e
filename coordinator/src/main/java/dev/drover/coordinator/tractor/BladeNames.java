package dev.drover.coordinator.tractor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Finds a Drover node's blade(s) in the engine's blade list. A blade registers under whatever host name its
 * machine reports ({@code --hname}, §2.1): on Azure often {@code <computerName>.internal.cloudapp.net} or another
 * domain, in any case, or just an address. A node is known by its id and computer name (IMDS) and by the address
 * its agent connects from. Rules, in order:
 * <ol>
 * <li>names: a blade whose host name equals a node name, or whose first DNS label equals the node name's first
 * label, ignoring case and a trailing dot;
 * <li>only if no name matches: the one blade whose address (or address-shaped host name) is the node's address,
 * when exactly one blade has it (several blades behind one NAT address prove nothing).
 * </ol>
 * Pure; the agent does not report its own host names or addresses yet (see the README), so the address is the one
 * the coordinator sees.
 */
public final class BladeNames {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private BladeNames() {
    }

    /** A node's names as far as they are known; {@code address} may be empty. */
    public record NodeNames(String nodeId, String computerName, String address) {
    }

    /** Every blade in {@code blades} that is this node's (usually one; more if it re-registered under a new name). */
    public static List<BladeInfo> find(List<BladeInfo> blades, NodeNames node) {
        List<BladeInfo> byName = new ArrayList<>();
        for (BladeInfo b : blades) {
            if (nameMatches(b.hnm(), node.nodeId()) || nameMatches(b.hnm(), node.computerName())) {
                byName.add(b);
            }
        }
        if (!byName.isEmpty() || node.address().isEmpty()) {
            return byName;
        }
        String address = normalise(node.address());
        List<BladeInfo> byAddress = new ArrayList<>();
        for (BladeInfo b : blades) {
            if (normalise(b.addr()).equals(address) || normalise(b.hnm()).equals(address)) {
                byAddress.add(b);
            }
        }
        return byAddress.size() == 1 ? byAddress : List.of();
    }

    /** Whether a blade host name names this node (never by an address: an IP's "first label" means nothing). */
    static boolean nameMatches(String hnm, String nodeName) {
        String h = normalise(hnm);
        String n = normalise(nodeName);
        if (h.isEmpty() || n.isEmpty() || isAddress(h) || isAddress(n)) {
            return !h.isEmpty() && h.equals(n);
        }
        return h.equals(n) || firstLabel(h).equals(firstLabel(n));
    }

    /** The host part of {@code host:port}, {@code [v6]:port} or a bare address; empty stays empty. */
    public static String hostOf(String socketAddress) {
        String s = socketAddress.trim();
        if (s.startsWith("/")) {
            s = s.substring(1);
        }
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            return end > 0 ? s.substring(1, end) : s;
        }
        int colon = s.lastIndexOf(':');
        if (colon > 0 && s.indexOf(':') == colon) {
            return s.substring(0, colon);
        }
        return s;
    }

    static boolean isAddress(String s) {
        return IPV4.matcher(s).matches() || s.indexOf(':') >= 0;
    }

    private static String firstLabel(String name) {
        int dot = name.indexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }

    private static String normalise(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }
}
