package dev.drover.coordinator.azure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.provision.ScaleSetException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A page's {@code nextLink} is followed only to the ARM endpoint: a response naming another host (a
 * compromised proxy, a bug) must not get the bearer token.
 */
class ArmNextLinkIT {
    private static final String TOKEN = "arm-bearer-token-never-leaves";
    private final Vertx vertx = Vertx.vertx();
    private final List<String> elsewhere = new CopyOnWriteArrayList<>();
    private HttpServer arm;
    private HttpServer other;
    private String nextLink;

    @BeforeEach
    void start() {
        other = vertx.createHttpServer().requestHandler(req -> {
            elsewhere.add(req.method() + " " + req.uri() + " auth=" + req.getHeader("Authorization"));
            req.response().putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("value", new JsonArray()).encode());
        }).listen(0, "127.0.0.2").await();
        arm = vertx.createHttpServer().requestHandler(req -> {
            JsonObject vm = new JsonObject().put("instanceId", "0").put("name", "vmss_0").put("properties",
                    new JsonObject().put("osProfile", new JsonObject().put("computerName", "vmss000000")));
            req.response().putHeader("Content-Type", "application/json").end(new JsonObject()
                    .put("value", new JsonArray().add(vm)).put("nextLink", nextLink).encode());
        }).listen(0, "127.0.0.1").await();
    }

    @AfterEach
    void stop() {
        vertx.close().await();
    }

    /** Waits for the outcome, success or failure. */
    private static <T> io.vertx.core.AsyncResult<T> settle(Future<T> f) {
        return f.transform(Future::succeededFuture).await();
    }

    private ArmScaleSet scaleSet() {
        CoordinatorConfig.Azure azure = new CoordinatorConfig.Azure("http://127.0.0.1:" + arm.actualPort(), null, 1000);
        return new ArmScaleSet(new ArmClient(vertx, azure, () -> Future.succeededFuture(TOKEN)),
                new CoordinatorConfig.ScaleSet("azure", "00000000-0000-0000-0000-000000000001", "rg", "vmss", "uniform"));
    }

    @Test
    void nextLinkToAnotherHostIsRefusedAndGetsNoToken() {
        nextLink = "http://127.0.0.2:" + other.actualPort() + "/subscriptions/x/virtualMachines?page=2";

        io.vertx.core.AsyncResult<List<dev.drover.coordinator.provision.Instance>> listed = settle(scaleSet().instances());
        assertThat(listed.failed()).isTrue();
        assertThat(listed.cause()).isInstanceOf(ScaleSetException.class).hasMessageContaining("not following");
        assertThat(elsewhere).isEmpty();
    }

    @Test
    void nextLinkThatOnlyStartsLikeTheEndpointIsRefused() {
        // "http://127.0.0.1:PORT.evil" or "http://127.0.0.1:PORT@host" must not pass a prefix check
        nextLink = "http://127.0.0.1:" + arm.actualPort() + "@127.0.0.2:" + other.actualPort() + "/subscriptions/x";
        assertThat(settle(scaleSet().instances()).failed()).isTrue();
        assertThat(elsewhere).isEmpty();
    }

    @Test
    void nextLinkOnTheEndpointIsFollowed() {
        nextLink = null; // a single page first
        assertThat(scaleSet().instances().await()).hasSize(1);
        nextLink = "http://127.0.0.1:" + arm.actualPort() + "/subscriptions/x/virtualMachines?page=2";
        // every page names the next: the client stops at its page cap, having stayed on ARM
        io.vertx.core.AsyncResult<List<dev.drover.coordinator.provision.Instance>> listed = settle(scaleSet().instances());
        assertThat(listed.succeeded()).as(String.valueOf(listed.cause())).isTrue();
        assertThat(listed.result().size()).isGreaterThan(1);
        assertThat(elsewhere).isEmpty();
    }
}
