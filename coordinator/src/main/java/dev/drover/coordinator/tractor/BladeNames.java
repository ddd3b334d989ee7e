package dev.drover.coordinator.tractor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Finds a Drover node's blade(s) in the engine's blade list. A blade registers under whatever host name its
 * machine reports ({@code --hname}, §2.1): on Azure often {@code <computerName>.internal.cloudapp.net} or another
 * domain, in any case, a cloud-init alias, or just an address. A node is known by its id and computer name (IMDS),
 * by the host names and addresses its agent states (Heartbeat extension 1, PROTOCOL.md §4), and by the address
 * its agent connects from. Rules, in order, the first that finds any blade winning:
 * <ol>
 * <li>the node id or computer name: a blade whose host name equals it, or whose first DNS label equals its first
 * label, ignoring case and a trailing dot;
 * <li>the same with each host name the agent stated (after the ids, so a cloned image's baked-in host name can
 * never take another node's own blade);
 * <li>the one blade whose address (or address-shaped host name) is one of the node's addresses, when exactly one
 * blade has it (several blades behind one NAT address prove nothing) and its name does not name another Drover
 * node (behind a NAT the one blade registered so far is not every booting node's); stated addresses before the
 * connection's; never a loopback address (every machine is 127.0.0.1).
 * </ol>
 * Pure.
 */
public final class BladeNames {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private BladeNames() {
    }

    /**
     * A node's names as far as they are known.
     *
     * @param hostNames the names its agent stated, possibly none
     * @param addresses the addresses its agent stated, then the one it connects from; possibly none
     */
    public record NodeNames(String nodeId, String computerName, List<String> hostNames, List<String> addresses) {
        public NodeNames {
            hostNames = List.copyOf(hostNames);
            addresses = List.copyOf(addresses);
        }

        /** Known only by id, computer name and the address seen on its connection (may be empty). */
        public NodeNames(String nodeId, String computerName, String address) {
            this(nodeId, computerName, List.of(), address.isEmpty() ? List.of() : List.of(address));
        }
    }

    /** {@link #find(List, NodeNames, Predicate)} knowing of no other node. */
    public static List<BladeInfo> find(List<BladeInfo> blades, NodeNames node) {
        return find(blades, node, b -> false);
    }

    /**
     * Every blade in {@code blades} that is this node's (usually one; more if it re-registered under a new name).
     *
     * @param namesAnotherNode whether a blade's name is another Drover node's: such a blade is never this node's by
     *     address
     */
    public static List<BladeInfo> find(List<BladeInfo> blades, NodeNames node, Predicate<BladeInfo> namesAnotherNode) {
        List<BladeInfo> byId = matching(blades, b -> nameMatches(b.hnm(), node.nodeId())
                || nameMatches(b.hnm(), node.computerName()));
        if (!byId.isEmpty()) {
            return byId;
        }
        List<BladeInfo> byHostName = matching(blades, b -> node.hostNames().stream()
                .anyMatch(n -> nameMatches(b.hnm(), n)));
        if (!byHostName.isEmpty() || node.addresses().isEmpty()) {
            return byHostName;
        }
        for (String a : node.addresses()) { // stated ones first, then the connection's
            String address = normalise(hostOf(a));
            List<BladeInfo> byAddress = address.isEmpty() || isLoopback(address) ? List.of() : matching(blades,
                    b -> normalise(b.addr()).equals(address) || normalise(b.hnm()).equals(address));
            if (byAddress.size() == 1 && !namesAnotherNode.test(byAddress.get(0))) {
                return byAddress;
            }
        }
        return List.of();
    }

    private static List<BladeInfo> matching(List<BladeInfo> blades, Predicate<BladeInfo> test) {
        List<BladeInfo> out = new ArrayList<>();
        for (BladeInfo b : blades) {
            if (test.test(b)) {
                out.add(b);
            }
        }
        return out;
    }

    /**
     * Whether a blade host name names this node (never by an address: an IP's "first label" means nothing; never
     * by {@code localhost}, which every machine is).
     */
    static boolean nameMatches(String hnm, String nodeName) {
        String h = normalise(hnm);
        String n = normalise(nodeName);
        if (h.isEmpty() || n.isEmpty() || firstLabel(n).equals("localhost")) {
            return false;
        }
        if (isAddress(h) || isAddress(n)) {
            return h.equals(n);
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

    private static boolean isLoopback(String address) {
        String a = address.startsWith("::ffff:") ? address.substring("::ffff:".length()) : address;
        return a.startsWith("127.") && IPV4.matcher(a).matches() || a.equals("::1") || a.equals("0:0:0:0:0:0:0:1");
    }

    /**
     * What a name matches by ({@link #nameMatches}): its first DNS label, in lower case; empty for an address or
     * {@code localhost}, which name no one machine.
     */
    public static String label(String name) {
        String n = normalise(name);
        return n.isEmpty() || isAddress(n) || firstLabel(n).equals("localhost") ? "" : firstLabel(n);
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
