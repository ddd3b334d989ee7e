package dev.drover.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Terminate with time to spare (issue 14), end to end: a real coordinator with its built-in queue, a real agent
 * reading the strict fake IMDS, and a real task run through drover-run that prints Tractor progress directives.
 * NotBefore far enough: the task finishes where it runs, is never requeued, the node gets no new work meanwhile,
 * and the event is approved once the node is idle. NotBefore too close for the task's ETA: requeued at once.
 */
class TerminateGraceIT {
    private static final String TOKEN = "terminate-grace-it-token-0123456789";
    private static final String NODE = "render000007";
    private final List<JarProcess> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();

    @TempDir
    Path dir;

    private CoordinatorApi api;
    private String imds;

    @BeforeEach
    void start() throws Exception {
        RunningCoordinator c = RunningCoordinator.start(dir, "grace-coordinator", TOKEN, "", """
                pools:
                  - {name: it, serviceKeys: [sample], minNodes: 0, maxNodes: 1}
                """);
        processes.add(c.process());
        api = c.api();
        int imdsPort = JarProcess.freePort();
        processes.add(JarProcess.start(JarProcess.AGENT_JAR, "grace-imds", List.of("fake-imds", "--port",
                String.valueOf(imdsPort), "--vm-name", "render_7", "--computer-name", NODE, "--scale-set", "render"),
                Map.of()));
        imds = "http://127.0.0.1:" + imdsPort;
        List<String> args = new ArrayList<>(c.agentArgs());
        args.addAll(List.of("--imds-url", imds, "--pool", "it", "--local-socket", dir.resolve("agent.sock").toString()));
        processes.add(JarProcess.start(JarProcess.AGENT_JAR, "grace-agent", args, Map.of("DROVER_ENROLMENT_TOKEN",
                TOKEN)));
        await().atMost(Duration.ofSeconds(90)).until(() -> api.state(NODE).equals("READY")); // loaded machine
    }

    @AfterEach
    void stop() throws Exception {
        for (JarProcess p : processes) {
            p.close();
        }
    }

    /** Two tasks for a one-slot node; each prints 2 % progress every 0.6 s for 30 s, then its mark. */
    private void submitJob() throws Exception {
        submitJob("i=0; while [ $i -lt 50 ]; do i=$((i+1)); echo \"TR_PROGRESS $((i*2))%\"; sleep 0.6; done; ");
    }

    private void submitJob(String render) throws Exception {
        JsonArray tasks = new JsonArray();
        for (int i = 1; i <= 2; i++) {
            String script = render + "echo done >> " + dir.resolve("ran-$TR_ENV_TID.txt");
            tasks.add(new JsonObject().put("title", "frame " + i).put("argv", new JsonArray().add("sh").add("-c")
                    .add(script)));
        }
        HttpResponse<String> r = api.post("/api/jobs", new JsonObject().put("title", "shot").put("serviceKey",
                "sample").put("tasks", tasks).encode());
        assertThat(r.statusCode()).isEqualTo(201);
    }

    private JsonObject task(int tid) throws Exception {
        return api.json("/api/jobs").getJsonArray("tasks").stream().map(t -> (JsonObject) t)
                .filter(t -> t.getInteger("tid") == tid).findFirst().orElseThrow();
    }

    /** Progress of the running task as the coordinator shows it, once drover-run has reported some. */
    private double runningPercent() throws Exception {
        JsonArray recent = api.node(NODE).orElseThrow().getJsonArray("currentTasks");
        return recent.stream().map(t -> (JsonObject) t).filter(t -> "RUNNING".equals(t.getString("state")))
                .mapToDouble(t -> t.getDouble("percent")).max().orElse(0);
    }

    private String terminate(int notBeforeSeconds) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(imds + "/fake/events"))
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("type", "Terminate")
                        .put("resources", List.of("render_7")).put("notBeforeSeconds", notBeforeSeconds)
                        .put("description", "Virtual machine is being deleted").encode())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return new JsonObject(r.body()).getString("eventId");
    }

    private List<String> approvals() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(imds + "/fake/state")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new JsonObject(r.body()).getJsonArray("approvals").stream().map(String::valueOf).toList();
    }

    @Test
    void terminateWithTimeToSpareLetsTheTaskFinishThenApprovesWithNoNewWorkInBetween() throws Exception {
        // given the node running the first task, with its progress known
        submitJob();
        await().atMost(Duration.ofSeconds(60)).until(() -> runningPercent() >= 6);
        assertThat(task(1).getString("state")).isEqualTo("ACTIVE");

        // when a Terminate comes with 10 minutes of notice (the task needs well under a minute more)
        String eventId = terminate(600);

        // then the node stops taking work at once, and its task is left to run
        await().atMost(Duration.ofSeconds(30)).until(() -> api.state(NODE).equals("EVICTING"));
        JsonObject node = api.node(NODE).orElseThrow();
        assertThat(node.getString("stateReason")).contains("TERMINATE notice").contains("may finish by");
        assertThat(task(1).getString("state")).isEqualTo("ACTIVE");
        assertThat(approvals()).as("not approved while the task runs").doesNotContain(eventId);

        // and it finishes there, once, without a requeue; the second task never went to this node
        await().atMost(Duration.ofSeconds(90)).until(() -> task(1).getString("state").equals("DONE"));
        assertThat(task(1).getInteger("requeues")).isZero();
        assertThat(task(1).getJsonArray("nodesTried").getList()).containsExactly(NODE);
        assertThat(Files.readAllLines(dir.resolve("ran-1.txt"))).containsExactly("done");

        // and the event is approved as soon as the node is idle
        await().atMost(Duration.ofSeconds(30)).until(() -> approvals().contains(eventId));
        assertThat(task(2).getString("state")).isEqualTo("READY");
        assertThat(task(2).getJsonArray("nodesTried").getList()).isEmpty();
        assertThat(api.state(NODE)).isEqualTo("EVICTING");
    }

    @Test
    void aStalledTaskWhoseEtaSlipsPastTheMarginIsRequeuedBeforeNotBefore() throws Exception {
        // given a task at 50 % two seconds in, then silent: its ETA (rate up to now) grows with every second
        submitJob("sleep 2; echo 'TR_PROGRESS 50%'; sleep 300; ");
        await().atMost(Duration.ofSeconds(60)).until(() -> runningPercent() >= 50);

        // when a Terminate comes with 100 s of notice: the ETA fits at first
        long notBefore = System.currentTimeMillis() + 100_000;
        String eventId = terminate(100);
        await().atMost(Duration.ofSeconds(30)).until(() -> api.state(NODE).equals("EVICTING"));
        assertThat(api.node(NODE).orElseThrow().getString("stateReason")).contains("may finish by");
        assertThat(task(1).getString("state")).isEqualTo("ACTIVE");

        // then once the ETA no longer fits before NotBefore less the margin, the task is requeued, in time
        await().atMost(Duration.ofSeconds(90)).until(() -> task(1).getInteger("requeues") == 1);
        assertThat(System.currentTimeMillis()).as("requeued before NotBefore").isLessThan(notBefore);
        assertThat(task(1).getString("state")).isEqualTo("READY");
        await().atMost(Duration.ofSeconds(30)).until(() -> approvals().contains(eventId));
        assertThat(dir.resolve("ran-1.txt")).doesNotExist();
    }

    @Test
    void terminateTooCloseForTheTaskEtaRequeuesAtOnce() throws Exception {
        submitJob();
        await().atMost(Duration.ofSeconds(60)).until(() -> runningPercent() >= 6);

        // NotBefore in 45 s less the 30 s margin leaves 15 s; the task still needs about half a minute
        String eventId = terminate(45);

        await().atMost(Duration.ofSeconds(30)).until(() -> task(1).getInteger("requeues") == 1);
        assertThat(api.state(NODE)).isEqualTo("EVICTING");
        assertThat(task(1).getString("state")).isEqualTo("READY"); // no other node to take it
        // the task was stopped on the node (CancelTask), which is then idle: the event is approved
        await().atMost(Duration.ofSeconds(30)).until(() -> approvals().contains(eventId));
        assertThat(dir.resolve("ran-1.txt")).doesNotExist();
    }
}
