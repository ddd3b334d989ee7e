package dev.drover.protocol;

import java.util.List;

/**
 * The names and addresses the agent's machine goes by (Heartbeat extension 1, PROTOCOL.md §4), so the coordinator
 * can find the node's Tractor blade, which registers under whatever host name or address its machine reports.
 * Both lists are bounded ({@link ProtocolLimits#MAX_HOST_NAMES}); every entry is a non-blank short string.
 * {@link #NONE} (both empty) means "not stated" and is never written.
 */
public record HostNames(List<String> names, List<String> addresses) {
    public static final HostNames NONE = new HostNames(List.of(), List.of());

    public HostNames {
        names = checked(names, "heartbeat.hostNames.names");
        addresses = checked(addresses, "heartbeat.hostNames.addresses");
    }

    public boolean isEmpty() {
        return names.isEmpty() && addresses.isEmpty();
    }

    private static List<String> checked(List<String> items, String field) {
        List<String> copy = List.copyOf(items);
        if (copy.size() > ProtocolLimits.MAX_HOST_NAMES) {
            throw new IllegalArgumentException(field + ": " + copy.size() + " items exceed limit "
                    + ProtocolLimits.MAX_HOST_NAMES);
        }
        for (String s : copy) {
            Fields.nonBlank(s, field + "[]");
            if (ProtocolLimits.utf8Length(s) > ProtocolLimits.MAX_SHORT_STRING) {
                throw new IllegalArgumentException(field + "[]: string length " + ProtocolLimits.utf8Length(s)
                        + " exceeds limit " + ProtocolLimits.MAX_SHORT_STRING);
            }
        }
        return copy;
    }

    void write(WireWriter w) {
        w.list(names, ProtocolLimits.MAX_HOST_NAMES, "heartbeat.hostNames.names",
                (ww, s) -> ww.shortString(s, "heartbeat.hostNames.names[]"));
        w.list(addresses, ProtocolLimits.MAX_HOST_NAMES, "heartbeat.hostNames.addresses",
                (ww, s) -> ww.shortString(s, "heartbeat.hostNames.addresses[]"));
    }

    static HostNames read(WireReader r) {
        return new HostNames(
                r.list(ProtocolLimits.MAX_HOST_NAMES, "heartbeat.hostNames.names",
                        rr -> rr.shortString("heartbeat.hostNames.names[]")),
                r.list(ProtocolLimits.MAX_HOST_NAMES, "heartbeat.hostNames.addresses",
                        rr -> rr.shortString("heartbeat.hostNames.addresses[]")));
    }
}
