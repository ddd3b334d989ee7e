package dev.drover.agent.helper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.config.MountConfig;
import dev.drover.agent.mounts.CommandRunner;
import dev.drover.agent.mounts.LocalMounter;
import dev.drover.agent.mounts.MountTable;
import dev.drover.agent.runtask.ProcStat;
import dev.drover.agent.runtask.UnixUsers;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The root helper's socket with real mounts and real processes: what it refuses (with the reason), and that a
 * good connection keeps being served meanwhile. The test JVM is root and connects as root, so the server here
 * serves root; the product refuses an agent user with uid 0 (HelperCommand). Needs root.
 */
class HelperServerIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** The task user: exists on every Debian, not root, not the "agent" of these tests. */
    private static final String RUN_AS = "daemon";

    @TempDir
    Path dir;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final List<Path> mountPoints = new ArrayList<>();
    private final List<Long> pids = new ArrayList<>();
    private Path export;

    @BeforeEach
    void requireRoot() throws IOException {
        assertThat(System.getProperty("user.name")).as("the helper mounts and switches users; run as root")
                .isEqualTo("root");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // daemon writes below
        export = Files.createDirectories(dir.resolve("export"));
        Files.writeString(export.resolve("probe.txt"), "frames");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(h -> {
                h.descendants().forEach(ProcessHandle::destroyForcibly);
                h.destroyForcibly();
            });
        }
        for (Path p : mountPoints) {
            new CommandRunner().run(List.of("umount", "-l", p.toString()), 10_000);
        }
    }

    private AgentConfig config() {
        Path mnt = dir.resolve("mnt/cache");
        mountPoints.add(mnt);
        return new AgentConfig(null, null, null, List.of(
                new MountConfig("cache", List.of(), export.toString(), mnt.toString(), null, null, "bind", "", null, null),
                new MountConfig("nfs", List.of("10.1.0.4", "10.1.0.5"), "/export", dir.resolve("mnt/nfs").toString(),
                        null, null, "nfs", "", null, null)),
                null, null, null, null, null, null, null);
    }

    /** A helper serving {@code peer} on a socket of its own; tasks run as {@code runAs}, the agent being uid 65534. */
    private Path serve(UserPrincipal peer, String runAs, long agentUid) throws IOException {
        Path socket = dir.resolve("helper-" + closing.size() + "/helper.sock");
        HelperTasks tasks = new HelperTasks(runAs, agentUid, Duration.ofSeconds(1));
        HelperServer server = new HelperServer(socket, peer,
                null, new HelperService(config(), new LocalMounter(new CommandRunner()), tasks));
        server.start();
        closing.add(server);
        closing.add(tasks::close);
        return socket;
    }

    private Path serveRoot(String runAs) throws IOException {
        return serve(user("root"), runAs, 65534);
    }

    private static UserPrincipal user(String name) throws IOException {
        return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(name);
    }

    /** A raw connection: lines out, lines in (null after the helper closed it). */
    private final class Client implements AutoCloseable {
        final SocketChannel ch;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        /** Events read while waiting for a reply: an exit may come before the reply to its start. */
        final List<JsonNode> events = new ArrayList<>();

        Client(Path socket) throws IOException {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            Thread t = new Thread(() -> {
                try (InputStream in = new java.io.BufferedInputStream(dev.drover.agent.local.ChannelIo.in(ch))) {
                    byte[] line;
                    while ((line = HelperServer.readLine(in)) != null) {
                        lines.add(new String(line, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    // closed
                }
                lines.add("<closed>");
            });
            t.setDaemon(true);
            t.start();
            closing.add(this);
        }

        void send(String line) throws IOException {
            ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }

        String next() throws InterruptedException {
            String line = lines.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(line).as("a line from the helper within %s", WAIT).isNotNull();
            return line;
        }

        /** The reply to {@code id}, skipping exit events. */
        JsonNode reply(long id) throws Exception {
            while (true) {
                String line = next();
                assertThat(line).as("reply to %d", id).isNotEqualTo("<closed>");
                JsonNode n = HelperProtocol.JSON.readTree(line);
                if (n.has("event")) {
                    events.add(n);
                } else if (n.path("id").asLong() == id) {
                    return n;
                }
            }
        }

        JsonNode nextEvent() throws Exception {
            while (events.isEmpty()) {
                String line = next();
                assertThat(line).as("an event").isNotEqualTo("<closed>");
                JsonNode n = HelperProtocol.JSON.readTree(line);
                if (n.has("event")) {
                    events.add(n);
                }
            }
            return events.remove(0);
        }

        JsonNode request(long id, String line) throws Exception {
            send(line);
            return reply(id);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private static void assertRefused(JsonNode reply, String reason) {
        assertThat(reply.path("ok").asBoolean()).as(reply.toString()).isFalse();
        assertThat(reply.path("error").asText()).contains(reason);
    }

    @Test
    void aPeerThatIsNotTheAgentUserIsClosedWithoutAnAnswer() throws Exception {
        Path socket = serve(user("nobody"), RUN_AS, 65534); // the agent is nobody; this test is root
        Client root = new Client(socket);
        try {
            root.send(HelperProtocol.mount(1, "cache", ""));
        } catch (IOException e) {
            // already closed by the helper: as good
        }
        assertThat(root.next()).isEqualTo("<closed>");
        assertThat(MountTable.isMounted(dir.resolve("mnt/cache").toString())).isFalse();
    }

    @Test
    void mountsOnlyWhatTheConfigDeclaresWithItsOwnServers() throws Exception {
        Client agent = new Client(serveRoot(RUN_AS));

        assertRefused(agent.request(1, HelperProtocol.mount(1, "etc", "")), "no mount named 'etc' in the config");
        assertRefused(agent.request(2, HelperProtocol.mount(2, "nfs", "evil.example")),
                "server 'evil.example' is not one of its servers [10.1.0.4, 10.1.0.5]");
        assertRefused(agent.request(3, HelperProtocol.mount(3, "cache", "10.1.0.4")), "a bind mount takes no server");
        assertRefused(agent.request(4, HelperProtocol.unmount(4, "/")), "no mount named '/'");

        JsonNode ok = agent.request(5, HelperProtocol.mount(5, "cache", ""));
        assertThat(ok.path("ok").asBoolean()).as(ok.toString()).isTrue();
        assertThat(ok.path("exitCode").asInt()).isZero();
        assertThat(MountTable.isMounted(dir.resolve("mnt/cache").toString())).isTrue();
        assertThat(Files.readString(dir.resolve("mnt/cache/probe.txt"))).isEqualTo("frames");

        JsonNode off = agent.request(6, HelperProtocol.unmount(6, "cache"));
        assertThat(off.path("exitCode").asInt()).as(off.toString()).isZero();
        await().atMost(WAIT).until(() -> !MountTable.isMounted(dir.resolve("mnt/cache").toString()));
    }

    @Test
    void startsTasksOnlyAsAnUnprivilegedUserOtherThanTheAgent() throws Exception {
        String start = HelperProtocol.start(1, "1/1/0", List.of("true"), Map.of(), "");
        assertRefused(new Client(serveRoot("")).request(1, start), "tasks.runAs is empty");
        assertRefused(new Client(serveRoot("root")).request(1, start), "is root");
        assertRefused(new Client(serve(user("root"), RUN_AS, UnixUsers.uid(RUN_AS).getAsLong())).request(1, start),
                "is the agent's own user");
        assertRefused(new Client(serveRoot("no-such-user-here")).request(1, start), "names no user");
    }

    @Test
    void aTaskRunsAsRunAsWithoutCapabilitiesAndItsExitIsTold() throws Exception {
        Client agent = new Client(serveRoot(RUN_AS));
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        String script = "id -u > " + out.resolve("uid") + "; grep CapEff /proc/self/status > " + out.resolve("caps")
                + "; echo \"$LD_PRELOAD|$DROVER_SHELTERED_LD_PRELOAD\" > " + out.resolve("env") + "; env > "
                + out.resolve("all-env") + "; pwd > " + out.resolve("pwd") + "; exit 7";

        JsonNode started = agent.request(1, HelperProtocol.start(1, "2/1/0", List.of("sh", "-c", script),
                Map.of("PATH", "/usr/bin:/bin", "LD_PRELOAD", "/nonexistent/evil.so"), dir.toString()));

        assertThat(started.path("ok").asBoolean()).as(started.toString()).isTrue();
        assertThat(started.path("pid").asLong()).isPositive();
        JsonNode exited = agent.nextEvent();
        assertThat(exited.path("event").asText()).isEqualTo("exited");
        assertThat(exited.path("id").asLong()).isEqualTo(1);
        assertThat(exited.path("exitCode").asInt()).isEqualTo(7);
        assertThat(Files.readString(out.resolve("uid")).strip()).isEqualTo(Long.toString(UnixUsers.uid(RUN_AS).getAsLong()));
        assertThat(Files.readString(out.resolve("caps"))).contains("0000000000000000");
        // this "task" is sh itself, not drover-run: it sees exactly what root's setpriv was given: the helper's
        // fixed variables, the task's own only under the sheltered prefix, the directory by name; and it runs in /
        assertThat(Files.readString(out.resolve("env")).strip()).isEqualTo("|/nonexistent/evil.so");
        assertThat(Files.readAllLines(out.resolve("all-env")).stream().map(l -> l.substring(0, l.indexOf('='))))
                .filteredOn(name -> !List.of("PWD", "SHLVL", "_", "OLDPWD").contains(name)) // the shell's own
                .containsExactlyInAnyOrder("PATH", "LANG", "DROVER_SHELTERED", "DROVER_TASK_WORKING_DIR",
                        "DROVER_SHELTERED_PATH", "DROVER_SHELTERED_LD_PRELOAD");
        assertThat(Files.readAllLines(out.resolve("all-env"))).contains("PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8", "DROVER_TASK_WORKING_DIR=" + dir);
        assertThat(Files.readString(out.resolve("pwd")).strip()).isEqualTo("/");
    }

    @Test
    void signalsOnlyTheTaskUsersProcessesWithTheirOwnStartTicks() throws Exception {
        Client agent = new Client(serveRoot(RUN_AS));
        JsonNode started = agent.request(1, HelperProtocol.start(1, "3/1/0", List.of("sleep", "600"),
                Map.of("PATH", "/usr/bin:/bin"), ""));
        long pid = started.path("pid").asLong();
        long ticks = started.path("startTicks").asLong();
        pids.add(pid);
        Process rootsOwn = new ProcessBuilder("sleep", "600").start();
        pids.add(rootsOwn.pid());

        assertRefused(agent.request(2, HelperProtocol.signal(2, rootsOwn.pid(), ProcStat.startTicksOf(rootsOwn.pid()), true)),
                "runs as uid 0, not as tasks.runAs");
        assertRefused(agent.request(3, HelperProtocol.signal(3, pid, ticks + 1, true)), "(another process)");
        assertThat(rootsOwn.isAlive()).isTrue();
        assertThat(ProcStat.startTicksOf(pid)).isEqualTo(ticks);

        JsonNode killed = agent.request(4, HelperProtocol.signal(4, pid, ticks, false));
        assertThat(killed.path("ok").asBoolean()).as(killed.toString()).isTrue();
        await().atMost(WAIT).until(() -> ProcStat.startTicksOf(pid) < 0);
    }

    @Test
    void badLinesOversizedOnesIncludedAreAnsweredAndHarmNoOtherConnection() throws Exception {
        Path socket = serveRoot(RUN_AS);
        Client good = new Client(socket);
        Client bad = new Client(socket);

        bad.send("this is not json");
        assertThat(HelperProtocol.JSON.readTree(bad.next()).path("error").asText()).contains("not JSON");
        assertRefused(bad.request(9, "{\"id\":9,\"op\":\"chmod\"}"), "unknown op 'chmod'");
        bad.send("x".repeat(HelperProtocol.MAX_LINE_BYTES + 10));
        assertThat(HelperProtocol.JSON.readTree(bad.next()).path("error").asText())
                .contains("line longer than " + HelperProtocol.MAX_LINE_BYTES + " bytes");
        assertRefused(bad.request(10, HelperProtocol.mount(10, "etc", "")), "no mount named 'etc'");

        JsonNode ok = good.request(1, HelperProtocol.mount(1, "cache", ""));
        assertThat(ok.path("ok").asBoolean()).as(ok.toString()).isTrue();
    }

    @Test
    void tasksOfAClosedConnectionAreStoppedEvenIfTheyIgnoreTerm() throws Exception {
        Client agent = new Client(serveRoot(RUN_AS));
        Path pidFile = dir.resolve("out-task.pid");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        JsonNode started = agent.request(1, HelperProtocol.start(1, "4/1/0", List.of("sh", "-c",
                "trap '' TERM; echo $$ > " + pidFile + "; sleep 600 & wait; sleep 600"), Map.of("PATH", "/usr/bin:/bin"), ""));
        long pid = started.path("pid").asLong();
        pids.add(pid);
        await().atMost(WAIT).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
        List<Long> family = new ArrayList<>(List.of(pid));
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> family.add(d.pid())));
        assertThat(family).hasSizeGreaterThan(1);

        agent.close();

        await().atMost(WAIT).until(() -> family.stream().allMatch(p -> ProcStat.startTicksOf(p) < 0));
    }
}
