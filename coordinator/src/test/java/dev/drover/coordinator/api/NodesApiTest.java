package dev.drover.coordinator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.fleet.TestFleet;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodesApiTest {
    private final TestFleet fleet = new TestFleet();

    private static NodesApi.Query query(Map<String, String> params) {
        return NodesApi.Query.parse(params::get);
    }

    private JsonObject page(Map<String, String> params) {
        NodesApi.Query q = query(params);
        return NodesApi.page(fleet.registry.nodesAfter(q.cursor()), q, null);
    }

    private static java.util.List<String> ids(JsonObject page) {
        return page.getJsonArray("nodes").stream().map(o -> ((JsonObject) o).getString("id")).toList();
    }

    @Test
    void pagesFollowTheCursorUntilNoneIsLeft() {
        for (String id : new String[] {"n3", "n1", "n5", "n2", "n4"}) {
            fleet.enrol(id, "spot", 1);
        }

        JsonObject first = page(Map.of("limit", "2"));
        JsonObject second = page(Map.of("limit", "2", "cursor", first.getString("next")));
        JsonObject third = page(Map.of("limit", "2", "cursor", second.getString("next")));

        assertThat(ids(first)).containsExactly("n1", "n2");
        assertThat(ids(second)).containsExactly("n3", "n4");
        assertThat(ids(third)).containsExactly("n5");
        assertThat(third.getString("next")).isNull();
        assertThat(ids(page(Map.of()))).hasSize(5); // without a limit: every node, as before
    }

    @Test
    void filtersByPoolAndStateAndGivesACompactForm() {
        fleet.enrol("a", "spot", 1);
        fleet.enrol("b", "gpu", 1);
        fleet.enrol("c", "spot", 1);
        fleet.heartbeat("c", 1); // Busy

        assertThat(ids(page(Map.of("pool", "spot")))).containsExactly("a", "c");
        assertThat(ids(page(Map.of("state", "busy,suspect")))).containsExactly("c");
        JsonArray compact = page(Map.of("view", "compact", "pool", "gpu")).getJsonArray("nodes");
        assertThat(compact.getJsonObject(0).fieldNames()).contains("id", "state", "pool", "connected")
                .doesNotContain("metrics", "mounts", "stateReason");
        assertThat(compact.getJsonObject(0).getString("state")).isEqualTo(NodeState.READY.name());
    }

    @Test
    void badParametersAreRefusedByName() {
        assertThatThrownBy(() -> query(Map.of("limit", "0"))).hasMessageContaining("limit");
        assertThatThrownBy(() -> query(Map.of("limit", "ten"))).hasMessageContaining("limit").hasMessageContaining("ten");
        assertThatThrownBy(() -> query(Map.of("state", "SLEEPY"))).hasMessageContaining("state 'SLEEPY'");
        assertThatThrownBy(() -> query(Map.of("view", "tiny"))).hasMessageContaining("view");
    }

    @Test
    void dashboardFeedSendsOnlyChangedNodesAndTheGoneOnes() {
        fleet.enrol("a", "spot", 1);
        fleet.enrol("b", "spot", 1);
        DashboardFeed feed = new DashboardFeed(fleet.registry, null);

        DashboardFeed.Frame first = feed.advance();
        DashboardFeed.Frame quiet = feed.advance();
        fleet.heartbeat("b", 1);
        DashboardFeed.Frame oneChanged = feed.advance();

        assertThat(first.changed()).hasSize(2);
        assertThat(quiet.changed()).isEmpty();
        assertThat(oneChanged.changed().getJsonObject(0).getString("id")).isEqualTo("b");
        assertThat(oneChanged.changed()).hasSize(1);
        assertThat(oneChanged.version()).isEqualTo(quiet.version() + 1);
        assertThat(feed.all()).hasSize(2);
    }
}
