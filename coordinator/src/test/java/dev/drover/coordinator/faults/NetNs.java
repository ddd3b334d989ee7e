package dev.drover.coordinator.faults;

import dev.drover.testsupport.HostPackages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two network namespaces joined by a veth pair — a "head node" holding the coordinator and a "render subnet"
 * holding agents — and faults between them made with nftables inside the render namespace (this kernel has no
 * netem): a full cut (every packet to or from the head dropped, a pure stall as on a broken VNet), random loss
 * in both directions, and heal. Addresses in 10.213.N.0/24 are only ever used from inside the namespaces; the
 * test JVM reaches loopback ports inside a namespace through a socat bridge over a Unix socket.
 * Namespaces are named after this JVM's PID, and ones left by a dead JVM are removed first.
 */
final class NetNs implements AutoCloseable {
    private static final String PREFIX = "drvf-";
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final String TABLE = "drover_faults";

    final String head;
    final String render;
    final String headIp;
    final String renderIp;
    private final Path dir;
    private final List<FaultProcess> bridges = new ArrayList<>();
    private final List<Path> sockets = new ArrayList<>();

    private NetNs(String head, String render, String headIp, String renderIp, Path dir) {
        this.head = head;
        this.render = render;
        this.headIp = headIp;
        this.renderIp = renderIp;
        this.dir = dir;
    }

    /** Creates both namespaces, the veth pair, addresses and loopbacks; installs iproute2, nftables and socat. */
    static NetNs create(Path dir) throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("network-namespace fault tests need root (CI runs as root)");
        }
        HostPackages.require("ip", "iproute2");
        HostPackages.require("nft", "nftables");
        HostPackages.require("socat", "socat");
        removeLeftovers();
        long pid = ProcessHandle.current().pid();
        int n = COUNTER.incrementAndGet();
        String id = Long.toHexString(pid) + "x" + n;
        int subnet = (int) ((pid * 7 + n) % 250) + 1;
        NetNs ns = new NetNs(PREFIX + id + "-h", PREFIX + id + "-r", "10.213." + subnet + ".1",
                "10.213." + subnet + ".2", dir);
        String vh = "dvh" + id;
        String vr = "dvr" + id;
        if (vh.length() > 15) {
            throw new IllegalStateException("interface name too long: " + vh);
        }
        try {
            sh("ip", "netns", "add", ns.head);
            sh("ip", "netns", "add", ns.render);
            sh("ip", "link", "add", vh, "type", "veth", "peer", "name", vr);
            sh("ip", "link", "set", vh, "netns", ns.head);
            sh("ip", "link", "set", vr, "netns", ns.render);
            sh("ip", "-n", ns.head, "addr", "add", ns.headIp + "/24", "dev", vh);
            sh("ip", "-n", ns.render, "addr", "add", ns.renderIp + "/24", "dev", vr);
            for (String[] link : new String[][] {{ns.head, "lo"}, {ns.head, vh}, {ns.render, "lo"}, {ns.render, vr}}) {
                sh("ip", "-n", link[0], "link", "set", link[1], "up");
            }
            Path rules = dir.resolve("nft-base.conf");
            Files.writeString(rules, """
                    table inet %s {
                      chain out { type filter hook output priority 0; }
                      chain in { type filter hook input priority 0; }
                    }
                    """.formatted(TABLE));
            sh("ip", "netns", "exec", ns.render, "nft", "-f", rules.toString());
        } catch (Exception e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /** Every packet between the render namespace and the head node dropped: a stall, no RST, no ICMP. */
    void cut() throws Exception {
        rules("ip daddr %s drop", "ip saddr %s drop");
    }

    /** Random loss of {@code percent} % of the packets in each direction between render nodes and the head. */
    void loss(int percent) throws Exception {
        rules("ip daddr %s numgen random mod 100 < " + percent + " counter drop",
                "ip saddr %s numgen random mod 100 < " + percent + " counter drop");
    }

    /** Removes every fault. */
    void heal() throws Exception {
        sh("ip", "netns", "exec", render, "nft", "flush", "table", "inet", TABLE);
    }

    /** Packets dropped by the fault rules so far (counter rules only). */
    String counters() throws Exception {
        return output("ip", "netns", "exec", render, "nft", "list", "table", "inet", TABLE);
    }

    private void rules(String out, String in) throws Exception {
        Path f = dir.resolve("nft-fault-" + System.nanoTime() + ".conf");
        Files.writeString(f, """
                flush table inet %1$s
                add rule inet %1$s out %2$s
                add rule inet %1$s in %3$s
                """.formatted(TABLE, out.formatted(headIp), in.formatted(headIp)));
        sh("ip", "netns", "exec", render, "nft", "-f", f.toString());
    }

    /**
     * Makes {@code port} on the loopback of namespace {@code netns} reachable at the returned port on this
     * JVM's loopback, through two socat processes and a Unix socket (the file system is shared, the network is
     * not), so that no packet from the root namespace is ever addressed to the namespaces' subnet.
     */
    int expose(String netns, int port, int rootPort) throws Exception {
        Path socket = Path.of("/tmp", "drvf-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet() + ".sock");
        Files.deleteIfExists(socket);
        sockets.add(socket);
        bridges.add(FaultProcess.start(netns, "socat-ns-" + socket.getFileName(), dir,
                List.of("socat", "UNIX-LISTEN:" + socket + ",fork,unlink-early", "TCP:127.0.0.1:" + port), Map.of()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(socket) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        bridges.add(FaultProcess.start(null, "socat-root-" + socket.getFileName(), dir,
                List.of("socat", "TCP-LISTEN:" + rootPort + ",bind=127.0.0.1,fork,reuseaddr", "UNIX-CONNECT:" + socket),
                Map.of()));
        return rootPort;
    }

    @Override
    public void close() throws Exception {
        for (FaultProcess b : bridges) {
            b.close();
        }
        for (Path socket : sockets) {
            Files.deleteIfExists(socket);
        }
        quietly("ip", "netns", "del", render);
        quietly("ip", "netns", "del", head);
    }

    /** Namespaces of ours whose JVM is gone (a run killed before its clean-up). */
    private static void removeLeftovers() throws Exception {
        for (String line : output("ip", "netns", "list").split("\n")) {
            String name = line.split(" ")[0];
            if (!name.startsWith(PREFIX)) {
                continue;
            }
            String hexPid = name.substring(PREFIX.length(), name.indexOf('x', PREFIX.length()));
            long owner = Long.parseLong(hexPid, 16);
            if (ProcessHandle.of(owner).isEmpty()) {
                quietly("ip", "netns", "del", name);
            }
        }
    }

    static void sh(String... command) throws Exception {
        String out = output(command);
        if (out.startsWith("rc=")) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
    }

    private static void quietly(String... command) {
        try {
            output(command);
        } catch (Exception ignored) {
            // best effort in clean-up
        }
    }

    /** stdout+stderr of the command; prefixed "rc=N:" when it failed. */
    private static String output(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "rc=timeout: " + out;
        }
        return p.exitValue() == 0 ? out : "rc=" + p.exitValue() + ": " + out;
    }
}
