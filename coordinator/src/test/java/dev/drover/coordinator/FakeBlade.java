package dev.drover.coordinator;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A minimal tractor-blade for end-to-end tests (specs/tractor-and-cyclecloud.md §2.2-2.3): asks the engine for
 * work with {@code task?q=nextcmd} (404 = none, backing off between minsleep and maxsleep), runs each command
 * through {@code drover-run} with {@code TR_ENV_JID/TID/CID} set — so the node's agent sees the task — sends
 * {@code btrack?q=bpulse} while busy, and reports {@code task?q=exitcode}. One slot. Stopping it kills the
 * running command, as a VM that disappears would.
 */
final class FakeBlade implements AutoCloseable {
    private final String host;
    private final String engine;
    private final Path agentSocket;
    private final String serviceKeys;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Thread thread;
    private volatile boolean stopped;
    private volatile Process running;

    FakeBlade(String host, int enginePort, Path agentSocket, String serviceKeys) {
        this.host = host;
        this.engine = "http://127.0.0.1:" + enginePort + "/Tractor/";
        this.agentSocket = agentSocket;
        this.serviceKeys = serviceKeys;
        this.thread = new Thread(this::workLoop, "fake-blade-" + host);
        thread.setDaemon(true);
        thread.start();
    }

    private void workLoop() {
        long sleep = 250;
        while (!stopped) {
            try {
                HttpResponse<String> r = post("task", Map.of("q", "nextcmd"));
                if (r.statusCode() == 200) {
                    run(new JsonObject(r.body()));
                    sleep = 250;
                    continue;
                }
                sleep = Math.min(2000, sleep * 2); // 404: no work; back off like --minsleep/--maxsleep
            } catch (IOException | RuntimeException e) {
                sleep = 1000; // engine unreachable: try again
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void run(JsonObject cmd) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(JarProcess.javaExecutable(), "-Xmx48m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", JarProcess.AGENT_JAR.toString(), "dev.drover.agent.run.DroverRunMain",
                "--agent-socket", agentSocket.toString(), "--"));
        cmd.getJsonArray("argv").forEach(a -> argv.add((String) a));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("TR_ENV_JID", String.valueOf(cmd.getLong("jid")));
        pb.environment().put("TR_ENV_TID", String.valueOf(cmd.getInteger("tid")));
        pb.environment().put("TR_ENV_CID", String.valueOf(cmd.getInteger("cid")));
        long started = System.nanoTime();
        Process p = pb.start();
        running = p;
        while (!p.waitFor(1, TimeUnit.SECONDS)) {
            if (stopped) {
                return;
            }
            post("btrack", Map.of("q", "bpulse"));
        }
        running = null;
        if (stopped) {
            return; // the machine went away: no report, as with a VM that vanished
        }
        long secs = (System.nanoTime() - started) / 1_000_000_000L;
        post("task", Map.of("q", "exitcode", "rc", String.valueOf(p.exitValue()), "jid",
                String.valueOf(cmd.getLong("jid")), "tid", String.valueOf(cmd.getInteger("tid")), "cid",
                String.valueOf(cmd.getInteger("cid")), "rev", String.valueOf(cmd.getInteger("rev")), "secs",
                String.valueOf(secs), "owner", cmd.getString("uid", "")));
    }

    private HttpResponse<String> post(String verb, Map<String, String> params) throws IOException, InterruptedException {
        Map<String, String> form = new LinkedHashMap<>(params);
        form.put("hnm", host);
        form.put("lp", "9005");
        form.put("sa", running == null ? "1,1,0" : "0,1,1");
        form.put("svckeys", serviceKeys);
        String body = form.entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(),
                StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        return http.send(HttpRequest.newBuilder(URI.create(engine + verb)).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The VM is gone: the blade and whatever it was running stop at once. */
    @Override
    public void close() throws InterruptedException {
        stopped = true;
        Process p = running;
        if (p != null) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        thread.interrupt();
        thread.join(5000);
    }
}
