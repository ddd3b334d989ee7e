package dev.drover.coordinator.tractor;

import dev.drover.coordinator.queue.QueueView;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Tractor client against the fake engine: job counts, blades, passwords, NIMBY, ejectall, delist, trouble. */
@ExtendWith(VertxExtension.class)
class TractorClientIT {
    private FakeTractorEngine engine;
    private TractorClient client;
    private WebClient web;
    private int port;

    @BeforeEach
    void start(Vertx vertx) {
        engine = new FakeTractorEngine(vertx);
        port = engine.listen(0).await();
        web = WebClient.create(vertx);
        client = new TractorClient(web, "127.0.0.1", port, "drover", 2000);
        engine.addBlade("render000004", "10.0.0.4", System.currentTimeMillis() / 1000);
        engine.addTask(1, 1, "Blender", "ready");
        engine.addTask(1, 2, "blender", "ready");
        engine.addTask(1, 3, "blender", "blocked");
        engine.addTask(2, 1, "PixarRender", "ready");
        engine.addTask(2, 2, "PixarRender", "active");
        engine.dispatch(2, 2, "render000004");
    }

    @Test
    void readsOneRowPerJobWithItsReadyAndActiveCounts() {
        assertThat(client.jobs().await()).containsExactly(new JobCounts(1, "Blender", 2, 0),
                new JobCounts(2, "PixarRender", 1, 1));
    }

    @Test
    void readsLimitsAndTheBladeList() {
        engine.limit("prman", 40);
        engine.limit("blender_lic", 6);
        assertThat(client.limits().await()).containsEntry("prman", 40).containsEntry("blender_lic", 6).hasSize(2);
        TractorClient.Blades blades = client.blades().await();
        assertThat(blades.blades()).containsExactly(new BladeInfo("render000004", "10.0.0.4", 1, ""));
        assertThat(blades.truncated()).isFalse();
    }

    @Test
    void aMillionReadyTasksAreReadAsAFewJobRowsInOneRequest() {
        for (int j = 0; j < 1000; j++) {
            engine.addBulkReady(100 + j, j % 2 == 0 ? "Blender" : "PixarRender && linux", 1000);
        }
        long before = engine.totalRequests();
        List<JobCounts> jobs = client.jobs().await();
        assertThat(engine.totalRequests() - before).isEqualTo(1);
        assertThat(jobs.stream().mapToLong(JobCounts::ready).sum()).isEqualTo(1_000_000 + 3);
    }

    @Test
    void jobsBeyondOnePageAreReadPageByPageInJidOrder() {
        for (int j = 0; j < TractorClient.JOB_PAGE + 5; j++) {
            engine.addBulkReady(100 + j, "Blender", 1);
        }
        long before = engine.totalRequests();
        List<JobCounts> jobs = client.jobs().await();
        assertThat(engine.totalRequests() - before).isEqualTo(2);
        assertThat(jobs).hasSize(TractorClient.JOB_PAGE + 5 + 2);
        assertThat(jobs.stream().mapToLong(JobCounts::jid)).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void logsInWithThePasswordThroughTheChallenge(Vertx vertx) {
        engine.password("s3cret-tractor");
        TractorClient wrong = new TractorClient(web, "127.0.0.1", port, "drover", "not-it", 2000);
        assertThatThrownBy(() -> wrong.ejectAll("render000004").await()).isInstanceOf(TractorException.class)
                .hasMessageContaining("HTTP 403");
        TractorClient none = new TractorClient(web, "127.0.0.1", port, "drover", 2000);
        assertThatThrownBy(() -> none.login().await()).hasMessageContaining("requires a password");
        assertThat(engine.taskState(2, 2)).isEqualTo("active");

        new TractorClient(web, "127.0.0.1", port, "drover", "s3cret-tractor", 2000).ejectAll("render000004").await();
        assertThat(engine.taskState(2, 2)).isEqualTo("ready");
    }

    @Test
    void nimbyAndEjectallRequeueTheBladesTasksAndDelistRemovesIt() {
        client.nimby("render000004/10.0.0.4", true).await();
        assertThat(engine.nimby("render000004")).isEqualTo("1");
        assertThat(engine.taskState(2, 2)).as("NIMBY does not stop running work").isEqualTo("active");

        client.ejectAll("render000004").await();
        assertThat(engine.taskState(2, 2)).isEqualTo("ready");

        client.delist("render000004/10.0.0.4").await();
        assertThat(engine.hasBlade("render000004")).isFalse();
    }

    @Test
    void controlCallsWithoutALiveSessionAreRefusedByTheEngine(Vertx vertx) {
        int status = web.post(port, "127.0.0.1", "/Tractor/queue").sendForm(io.vertx.core.MultiMap
                .caseInsensitiveMultiMap().add("q", "ejectall").add("blade", "render000004")).await().statusCode();
        assertThat(status).isEqualTo(403);
        assertThat(engine.taskState(2, 2)).isEqualTo("active");
    }

    @Test
    void engineErrorsAndGarbageAreFailuresNotAnswers() {
        engine.failNext(1);
        assertThatThrownBy(() -> client.jobs().await()).isInstanceOf(TractorException.class)
                .hasMessageContaining("HTTP 500");
        engine.garbageNext(1);
        assertThatThrownBy(() -> client.jobs().await()).isInstanceOf(TractorException.class)
                .hasMessageContaining("not a JSON object");
        assertThat(client.jobs().await()).isNotEmpty();
    }

    @Test
    void queueBecomesUnknownWhileTheEngineFailsAndRecovers(Vertx vertx) {
        TractorQueueSource source = new TractorQueueSource(vertx, client, 100);
        source.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> source.view().known());

        engine.failNext(3);
        await().atMost(Duration.ofSeconds(30)).until(() -> !source.view().known());
        assertThat(source.view().reason()).contains("Tractor engine unavailable");
        await().atMost(Duration.ofSeconds(30)).until(() -> source.view().known());
        assertThat(source.view().counts().get("blender").ready()).isEqualTo(2);
        assertThat(source.view().counts().get("pixarrender")).isEqualTo(new QueueView.Counts(1, 1));
        source.stop();
    }

    @Test
    void unknownQueriesAreErrorsLikeTheRealEngine() {
        JsonObject body = web.get(port, "127.0.0.1", "/Tractor/monitor?q=nonsense").send().await().bodyAsJsonObject();
        assertThat(body.getInteger("rc")).isEqualTo(1);
    }
}
