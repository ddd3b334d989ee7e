package dev.drover.agent.identity;

import dev.drover.protocol.HostNames;
import dev.drover.protocol.ProtocolLimits;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The names and addresses this machine goes by, for the coordinator to find the node's Tractor blade, which
 * registers under whatever its host reports (an FQDN, a cloud-init alias, an address; specs/tractor-and-cyclecloud.md
 * §2.1). Read without DNS on the caller's thread: the kernel's host name, that name under each DNS search domain
 * of resolv.conf (how Azure's {@code internal.cloudapp.net} names are formed), and the up, non-loopback interface
 * addresses. The canonical name from DNS is added later by a background lookup, because a resolver that hangs
 * must never delay the agent's first heartbeat.
 */
public final class HostAddresses {
    private static final Logger LOGGER = LoggerFactory.getLogger(HostAddresses.class);
    private static final int MAX_DNS_NAME = 253;
    /** Names and addresses are re-read at most this often: a heartbeat asks every few seconds, they rarely change. */
    private static final long REFRESH_NANOS = 60_000_000_000L;

    private final Path procHostname;
    private final Path resolvConf;
    private volatile String canonicalName = "";
    private volatile HostNames cached;
    private volatile long cachedAt;

    HostAddresses(Path procHostname, Path resolvConf) {
        this.procHostname = procHostname;
        this.resolvConf = resolvConf;
    }

    public static HostAddresses forThisHost() {
        return new HostAddresses(Path.of("/proc/sys/kernel/hostname"), Path.of("/etc/resolv.conf"));
    }

    /** Looks up the canonical (DNS) name once, on a daemon thread; {@link #current()} includes it when known. */
    public HostAddresses resolveCanonicalNameInBackground() {
        Thread t = new Thread(() -> {
            try {
                String name = InetAddress.getLocalHost().getCanonicalHostName();
                if (name != null && !name.isBlank() && !isAddressLiteral(name)) {
                    canonicalName = name;
                }
            } catch (IOException | RuntimeException e) {
                LOGGER.atDebug().log("no canonical host name: " + e.getMessage());
            }
        }, "drover-host-names");
        t.setDaemon(true);
        t.start();
        return this;
    }

    /** Names then addresses as known now (read again at most once a minute), each list cut to the protocol's bound. */
    public HostNames current() {
        HostNames c = cached;
        long now = System.nanoTime();
        if (c == null || now - cachedAt > REFRESH_NANOS || !canonicalName.isEmpty() && !c.names().contains(canonicalName)) {
            c = read();
            cached = c;
            cachedAt = now;
        }
        return c;
    }

    HostNames read() {
        Set<String> names = new LinkedHashSet<>();
        String host = kernelHostName();
        if (!host.isEmpty()) {
            names.add(host);
            if (host.indexOf('.') < 0) {
                for (String domain : searchDomains(read(resolvConf))) {
                    names.add(host + "." + domain);
                }
            }
        }
        if (!canonicalName.isEmpty()) {
            names.add(canonicalName);
        }
        return new HostNames(bounded(names.stream().filter(n -> n.length() <= MAX_DNS_NAME).toList()),
                bounded(interfaceAddresses()));
    }

    private String kernelHostName() {
        String h = read(procHostname).trim();
        if (h.isEmpty()) {
            h = System.getenv().getOrDefault("HOSTNAME", "").trim();
        }
        return h.toLowerCase(Locale.ROOT).equals("localhost") ? "" : h;
    }

    /** The domains of resolv.conf's {@code search} (or older {@code domain}) line, in order. */
    static List<String> searchDomains(String resolvConf) {
        List<String> out = new ArrayList<>();
        for (String line : resolvConf.split("\n")) {
            String[] words = line.trim().split("\\s+");
            if (words.length > 1 && (words[0].equals("search") || words[0].equals("domain"))) {
                for (int i = 1; i < words.length; i++) {
                    String d = words[i].endsWith(".") ? words[i].substring(0, words[i].length() - 1) : words[i];
                    if (!d.isEmpty() && !d.equals(".") && !out.contains(d)) {
                        out.add(d);
                    }
                }
            }
        }
        return out;
    }

    private static List<String> interfaceAddresses() {
        List<String> out = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()) {
                        continue; // fe80::/10 is on every interface of every machine: it identifies nothing
                    }
                    String text = a.getHostAddress();
                    int scope = text.indexOf('%');
                    out.add(a instanceof Inet6Address && scope > 0 ? text.substring(0, scope) : text);
                }
            }
        } catch (SocketException e) {
            LOGGER.atDebug().log("cannot list network interfaces: " + e.getMessage());
        }
        return out.stream().distinct().toList();
    }

    private static List<String> bounded(List<String> items) {
        return items.size() <= ProtocolLimits.MAX_HOST_NAMES ? items : items.subList(0, ProtocolLimits.MAX_HOST_NAMES);
    }

    private static boolean isAddressLiteral(String s) {
        return s.matches("\\d{1,3}(\\.\\d{1,3}){3}") || s.indexOf(':') >= 0;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
