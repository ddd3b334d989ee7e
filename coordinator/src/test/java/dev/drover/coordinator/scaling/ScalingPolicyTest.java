package dev.drover.coordinator.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.coordinator.fleet.NodeState;
import dev.drover.coordinator.scaling.ScalingDecision.DrainNode;
import dev.drover.coordinator.scaling.ScalingDecision.PoolOutcome;
import dev.drover.coordinator.scaling.ScalingDecision.SetCapacity;
import dev.drover.coordinator.scaling.ScalingSnapshot.NodeView;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The scaling policy on scripted snapshots. */
class ScalingPolicyTest {
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private static final PoolSpec SPOT = pool("spot", true, 2, 0, 10, 0.40, Double.POSITIVE_INFINITY, "regular");
    private static final PoolSpec REGULAR = pool("regular", false, 2, 0, 10, 1.00, Double.POSITIVE_INFINITY, null);

    private static PoolSpec pool(String name, boolean spot, int slots, int min, int max, double price, double cap,
            String fallback) {
        return new PoolSpec(name, "Standard_D16s_v5", "1", spot, slots, Set.of("Blender"), min, max, price, cap,
                Optional.ofNullable(fallback), Duration.ofMinutes(5), 10);
    }

    private static NodeView node(String id, String pool, NodeState state, int running, Duration idleFor) {
        return new NodeView(id, pool, state, running, idleFor == null ? null : NOW.minus(idleFor), false);
    }

    private static ScalingSnapshot snapshot(Map<String, Integer> demand, List<PoolSpec> pools, List<NodeView> nodes) {
        return new ScalingSnapshot(NOW, true, demand, Map.of(), pools, nodes, Map.of(), Set.of(),
                Double.POSITIVE_INFINITY);
    }

    private static PoolOutcome outcome(ScalingDecision d, String pool) {
        return d.pools().stream().filter(p -> p.pool().equals(pool)).findFirst().orElseThrow();
    }

    @Test
    void scalesOutToDemandInNodesBoundedByMax() {
        // 40 ready blender tasks (service key matched case-insensitively), 2 slots a node: 20 nodes wanted, max 10
        ScalingDecision d = ScalingPolicy.decide(snapshot(Map.of("blender", 40), List.of(SPOT, REGULAR), List.of()));

        assertThat(d.actions()).containsExactly(new SetCapacity("spot", 10, outcome(d, "spot").reason()));
        assertThat(outcome(d, "spot").demandNodes()).isEqualTo(20);
        assertThat(outcome(d, "spot").reason()).contains("scale out to 10").contains("40 slot(s)");
        assertThat(outcome(d, "regular").target()).isZero();
    }

    @Test
    void nodesAlreadyBootingCountAsCapacity() {
        List<NodeView> nodes = List.of(node("a", "spot", NodeState.PROVISIONING, 0, null),
                node("b", "spot", NodeState.ENROLLING, 0, null), node("c", "spot", NodeState.BUSY, 2, null));

        ScalingDecision again = ScalingPolicy.decide(snapshot(Map.of("blender", 6), List.of(SPOT), nodes));
        ScalingDecision more = ScalingPolicy.decide(snapshot(Map.of("blender", 10), List.of(SPOT), nodes));

        assertThat(again.actions()).as("3 wanted, 3 present or booting").isEmpty();
        assertThat(more.actions()).containsExactly(new SetCapacity("spot", 5, outcome(more, "spot").reason()));
        assertThat(outcome(more, "spot").booting()).isEqualTo(2);
    }

    @Test
    void poolAndFarmMoneyCapsBoundTheTarget() {
        PoolSpec capped = pool("spot", true, 1, 0, 100, 0.40, 2.00, null); // 5 nodes a hour's worth
        ScalingDecision byPool = ScalingPolicy.decide(snapshot(Map.of("blender", 40), List.of(capped), List.of()));
        assertThat(outcome(byPool, "spot").target()).isEqualTo(5);
        assertThat(outcome(byPool, "spot").reason()).contains("pool's money cap");

        ScalingSnapshot farm = new ScalingSnapshot(NOW, true, Map.of("blender", 40), Map.of(),
                List.of(pool("spot", true, 1, 0, 100, 0.40, Double.POSITIVE_INFINITY, null)), List.of(), Map.of(),
                Set.of(), 1.00);
        assertThat(outcome(ScalingPolicy.decide(farm), "spot").target()).isEqualTo(2);
    }

    @Test
    void licenceCapsLimitDemand() {
        ScalingSnapshot s = new ScalingSnapshot(NOW, true, Map.of("blender", 40), Map.of("blender", 6),
                List.of(SPOT), List.of(), Map.of(), Set.of(), Double.POSITIVE_INFINITY);

        assertThat(outcome(ScalingPolicy.decide(s), "spot").demandNodes()).isEqualTo(3);
    }

    @Test
    void backedOffOfferingSendsDemandToTheFallbackPool() {
        ScalingSnapshot s = new ScalingSnapshot(NOW, true, Map.of("blender", 8), Map.of(), List.of(SPOT, REGULAR),
                List.of(), Map.of(SPOT.offering(), NOW.plus(Duration.ofMinutes(3))), Set.of(), Double.POSITIVE_INFINITY);

        ScalingDecision d = ScalingPolicy.decide(s);

        assertThat(outcome(d, "spot").demandNodes()).isZero();
        assertThat(d.actions()).containsExactly(new SetCapacity("regular", 4, outcome(d, "regular").reason()));

        ScalingSnapshot expired = new ScalingSnapshot(NOW, true, Map.of("blender", 8), Map.of(),
                List.of(SPOT, REGULAR), List.of(), Map.of(SPOT.offering(), NOW.minusSeconds(1)), Set.of(),
                Double.POSITIVE_INFINITY);
        assertThat(outcome(ScalingPolicy.decide(expired), "spot").demandNodes()).isEqualTo(4);
    }

    @Test
    void aBackOffShorterThanTheDearerFallbacksBootIsWaitedOut() {
        ScalingSnapshot.Work fourMinuteBoots = new ScalingSnapshot.Work(Map.of(),
                Map.of("spot", Duration.ofMinutes(4), "regular", Duration.ofMinutes(4)));
        ScalingSnapshot shortBackOff = new ScalingSnapshot(NOW, true, Map.of("blender", 8), Map.of(),
                List.of(SPOT, REGULAR), List.of(node("s1", "spot", NodeState.BUSY, 2, null)),
                Map.of(SPOT.offering(), NOW.plus(Duration.ofMinutes(3))), Set.of(), Double.POSITIVE_INFINITY,
                Map.of(), fourMinuteBoots);

        ScalingDecision d = ScalingPolicy.decide(shortBackOff);

        assertThat(d.actions()).isEmpty(); // neither a retry of the backed-off offering nor a Regular node
        assertThat(outcome(d, "spot").demandNodes()).isEqualTo(4);
        assertThat(outcome(d, "spot").target()).isEqualTo(1);
        assertThat(outcome(d, "spot").reason()).startsWith("waiting 180 s for the offering's back-off to end");
        assertThat(outcome(d, "regular").demandNodes()).isZero();

        ScalingSnapshot longBackOff = new ScalingSnapshot(NOW, true, Map.of("blender", 8), Map.of(),
                List.of(SPOT, REGULAR), List.of(), Map.of(SPOT.offering(), NOW.plus(Duration.ofMinutes(10))),
                Set.of(), Double.POSITIVE_INFINITY, Map.of(), fourMinuteBoots);
        assertThat(ScalingPolicy.decide(longBackOff).actions()).extracting(a -> a.pool()).containsExactly("regular");
    }

    @Test
    void poolsThatAreEachOthersFallbackAndBothBackedOffHoldAndSaySo() {
        PoolSpec regular = pool("regular", false, 2, 0, 10, 1.00, Double.POSITIVE_INFINITY, "spot");
        ScalingSnapshot backedOff = new ScalingSnapshot(NOW, true, Map.of("blender", 8), Map.of(),
                List.of(SPOT, regular), List.of(), Map.of(SPOT.offering(), NOW.plus(Duration.ofMinutes(2)),
                        regular.offering(), NOW.plus(Duration.ofMinutes(5))), Set.of(), Double.POSITIVE_INFINITY);

        ScalingDecision d = ScalingPolicy.decide(backedOff);

        assertThat(d.actions()).isEmpty();
        assertThat(outcome(d, "spot").reason()).as("not 'waiting out': the fallback is backed off too")
                .startsWith("offering " + SPOT.offering() + " backed off for 120 s more, and no fallback pool takes "
                        + "its demand; demand 4 node(s)");
    }

    @Test
    void onlyNodesIdleForTheWindowAreDrainedLongestIdleFirst() {
        List<NodeView> nodes = List.of(node("fresh", "spot", NodeState.READY, 0, Duration.ofMinutes(4)),
                node("old", "spot", NodeState.READY, 0, Duration.ofMinutes(20)),
                node("older", "spot", NodeState.READY, 0, Duration.ofMinutes(30)));
        PoolSpec wideBudget = new PoolSpec("spot", "v", "1", true, 1, Set.of("blender"), 0, 10, 0.4,
                Double.POSITIVE_INFINITY, Optional.empty(), Duration.ofMinutes(5), 100);

        ScalingDecision d = ScalingPolicy.decide(snapshot(Map.of(), List.of(wideBudget), nodes));

        assertThat(d.actions()).extracting(a -> ((DrainNode) a).nodeId()).containsExactly("older", "old");
        assertThat(outcome(d, "spot").reason()).contains("draining 2 now");
    }

    @Test
    void idleNodesDrainTenAtOnceOrTheBudgetIfLarger() {
        List<NodeView> nodes = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            nodes.add(node("n" + i, "spot", NodeState.READY, 0, Duration.ofMinutes(10 + i)));
        }
        ScalingDecision d = ScalingPolicy.decide(snapshot(Map.of(), List.of(pool("spot", true, 1, 0, 50, 0.4,
                Double.POSITIVE_INFINITY, null)), nodes));
        assertThat(d.actions()).hasSize(10); // the empty-node batch; 10 % of 30 would be 3

        for (int i = 0; i < 10; i++) {
            nodes.set(i, node("n" + i, "spot", NodeState.DRAINING, 0, null));
        }
        ScalingDecision busyBudget = ScalingPolicy.decide(snapshot(Map.of(), List.of(pool("spot", true, 1, 0, 50, 0.4,
                Double.POSITIVE_INFINITY, null)), nodes));
        assertThat(busyBudget.actions()).isEmpty();
        assertThat(outcome(busyBudget, "spot").reason()).contains("disruption budget is in use");

        List<NodeView> large = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            large.add(node("n" + i, "spot", NodeState.READY, 0, Duration.ofMinutes(10)));
        }
        assertThat(ScalingPolicy.decide(snapshot(Map.of(), List.of(pool("spot", true, 1, 0, 500, 0.4,
                Double.POSITIVE_INFINITY, null)), large)).actions()).hasSize(20); // 10 % of 200
    }

    @Test
    void workEstimatesAskForFewerNodesForShortTasks() {
        // 40 one-minute tasks: by count 20 nodes; by work 40 slot-min within 1.5 × (boot 4 + idle 5) = 13.5 min,
        // 2 slots a node: 2 nodes
        ScalingSnapshot.Work work = new ScalingSnapshot.Work(Map.of("blender",
                new ScalingSnapshot.KeyWork(40 * 60, 60, 0)), Map.of("spot", Duration.ofMinutes(4)));
        ScalingSnapshot s = new ScalingSnapshot(NOW, true, Map.of("blender", 40), Map.of(), List.of(SPOT, REGULAR),
                List.of(), Map.of(), Set.of(), Double.POSITIVE_INFINITY, Map.of(), work);

        ScalingDecision d = ScalingPolicy.decide(s);

        assertThat(d.actions()).containsExactly(new SetCapacity("spot", 2, outcome(d, "spot").reason()));
        assertThat(outcome(d, "spot").reason()).contains("by work").contains("20 by task count");
    }

    @Test
    void longTasksAreScaledByCountEvenWithEstimates() {
        // 6 four-hour tasks, 2 slots a node: one slot each, as by count

        ScalingSnapshot.Work work = new ScalingSnapshot.Work(Map.of("blender",
                new ScalingSnapshot.KeyWork(6 * 4 * 3600, 4 * 3600, 0)), Map.of("spot", Duration.ofMinutes(4)));
        ScalingSnapshot s = new ScalingSnapshot(NOW, true, Map.of("blender", 6), Map.of(), List.of(SPOT),
                List.of(), Map.of(), Set.of(), Double.POSITIVE_INFINITY, Map.of(), work);

        assertThat(ScalingPolicy.decide(s).actions()).containsExactly(new SetCapacity("spot", 3,
                outcome(ScalingPolicy.decide(s), "spot").reason()));
    }

    @Test
    void aKeyWithoutEstimateIsScaledByTaskCount() {
        ScalingSnapshot.Work work = new ScalingSnapshot.Work(Map.of(), Map.of("spot", Duration.ofMinutes(4)));
        ScalingSnapshot s = new ScalingSnapshot(NOW, true, Map.of("blender", 40), Map.of(), List.of(SPOT),
                List.of(), Map.of(), Set.of(), Double.POSITIVE_INFINITY, Map.of(), work);

        assertThat(outcome(ScalingPolicy.decide(s), "spot").target()).isEqualTo(10);
    }

    @Test
    void busyNodesAreNeverChosenForScaleIn() {
        List<NodeView> nodes = List.of(node("busy1", "spot", NodeState.BUSY, 2, null),
                node("busy2", "spot", NodeState.BUSY, 1, null));

        ScalingDecision d = ScalingPolicy.decide(snapshot(Map.of(), List.of(SPOT), nodes));

        assertThat(d.actions()).isEmpty();
        assertThat(outcome(d, "spot").reason()).contains("no node has been idle for 5m");
    }

    @Test
    void minNodesAreKeptEvenWithoutDemand() {
        PoolSpec warm = pool("spot", true, 1, 2, 10, 0.4, Double.POSITIVE_INFINITY, null);
        List<NodeView> nodes = List.of(node("a", "spot", NodeState.READY, 0, Duration.ofHours(1)),
                node("b", "spot", NodeState.READY, 0, Duration.ofHours(1)));

        assertThat(ScalingPolicy.decide(snapshot(Map.of(), List.of(warm), nodes)).actions()).isEmpty();
        assertThat(ScalingPolicy.decide(snapshot(Map.of(), List.of(warm), List.of())).actions())
                .containsExactly(new SetCapacity("spot", 2, outcome(ScalingPolicy.decide(snapshot(Map.of(),
                        List.of(warm), List.of())), "spot").reason()));
    }

    @Test
    void circuitBreakerHoldsAPoolWithTooManyBadNodes() {
        List<NodeView> nodes = List.of(node("a", "spot", NodeState.UNHEALTHY, 0, null),
                node("b", "spot", NodeState.LOST, 0, null), node("c", "spot", NodeState.READY, 0, Duration.ZERO),
                node("d", "spot", NodeState.READY, 0, Duration.ZERO), node("e", "spot", NodeState.READY, 0, Duration.ZERO));

        ScalingDecision d = ScalingPolicy.decide(snapshot(Map.of("blender", 40), List.of(SPOT), nodes));

        assertThat(d.actions()).isEmpty();
        assertThat(outcome(d, "spot").reason()).isEqualTo(
                "circuit open: 2 of 5 node(s) unhealthy, lost or failed to boot; not scaling");
    }

    @Test
    void unknownQueueAndPausedPoolsHoldStill() {
        ScalingSnapshot unknown = new ScalingSnapshot(NOW, false, Map.of("blender", 40), Map.of(), List.of(SPOT),
                List.of(), Map.of(), Set.of(), Double.POSITIVE_INFINITY);
        ScalingSnapshot paused = new ScalingSnapshot(NOW, true, Map.of("blender", 40), Map.of(), List.of(SPOT),
                List.of(), Map.of(), Set.of("spot"), Double.POSITIVE_INFINITY);

        assertThat(ScalingPolicy.decide(unknown).actions()).isEmpty();
        assertThat(outcome(ScalingPolicy.decide(unknown), "spot").reason()).startsWith("queue unknown");
        assertThat(ScalingPolicy.decide(paused).actions()).isEmpty();
        assertThat(outcome(ScalingPolicy.decide(paused), "spot").reason()).startsWith("paused");
    }

    @Test
    void evictedAndGoneNodesAreReplaced() {
        List<NodeView> nodes = List.of(node("a", "spot", NodeState.EVICTING, 1, null),
                node("b", "spot", NodeState.BUSY, 2, null));

        ScalingDecision d = ScalingPolicy.decide(snapshot(Map.of("blender", 4), List.of(SPOT), nodes));

        assertThat(d.actions()).containsExactly(new SetCapacity("spot", 2, outcome(d, "spot").reason()));
    }
}
