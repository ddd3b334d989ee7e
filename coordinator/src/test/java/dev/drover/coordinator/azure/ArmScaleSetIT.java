package dev.drover.coordinator.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.provision.Instance;
import dev.drover.coordinator.provision.ScaleSetException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ARM scale-set client against the fake ARM: long-running operations, paging, throttling, errors. */
class ArmScaleSetIT {
    static final String SUB = "00000000-0000-0000-0000-000000000001";
    private final Vertx vertx = Vertx.vertx();
    private final List<String> created = new CopyOnWriteArrayList<>();
    private final List<String> deleted = new CopyOnWriteArrayList<>();
    private FakeArm arm;
    private CoordinatorConfig.Azure azure;
    private final CoordinatorConfig.ScaleSet scaleSet = new CoordinatorConfig.ScaleSet("azure", SUB, "rg", "vmss",
            "uniform");

    @BeforeEach
    void start() {
        arm = new FakeArm(vertx, SUB, "rg", "vmss", "node", Duration.ofMillis(300), new FakeArm.Hooks() {
            @Override
            public void created(String instanceId, String computerName) {
                created.add(computerName);
            }

            @Override
            public void deleted(String instanceId, String computerName, boolean evicted) {
                deleted.add(instanceId);
            }
        });
        azure = new CoordinatorConfig.Azure(arm.listen().await(), null, 1000);
    }

    @AfterEach
    void stop() {
        vertx.close().await();
    }

    private ArmScaleSet client(String token) {
        return new ArmScaleSet(new ArmClient(vertx, azure, () -> Future.succeededFuture(token)), scaleSet);
    }

    @Test
    void capacityIsALongRunningOperationThatEndsWithTheInstancesRunning() {
        ArmScaleSet set = client("token");
        set.setCapacity(5).await();
        assertThat(created).hasSize(5); // the operation succeeded only once the instances existed
        List<Instance> list = set.instances().await(); // five instances in pages of three
        assertThat(list).hasSize(5).allSatisfy(i -> {
            assertThat(i.powerState()).isEqualTo("running");
            assertThat(i.provisioningState()).isEqualTo("succeeded");
        });
        assertThat(list.get(0).nodeName()).isEqualTo("node000000");
        assertThat(list.get(4).instanceId()).isEqualTo("4");
        assertThat(arm.calls()).filteredOn(c -> c.equals("GET list")).hasSize(2);

        set.delete(List.of("1", "3")).await(); // Location-style operation
        assertThat(deleted).containsExactly("1", "3");
        assertThat(set.instances().await()).extracting(Instance::instanceId).containsExactly("0", "2", "4");
    }

    @Test
    void shortThrottlingIsWaitedOutLongThrottlingFailsFastUntilItPasses() {
        ArmScaleSet set = client("token");
        arm.throttleNext(1, 1);
        long started = System.nanoTime();
        assertThat(set.instances().await()).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(1000));

        arm.throttleNext(1, 120);
        assertThatThrownBy(() -> set.instances().await()).isInstanceOf(ScaleSetException.class)
                .hasMessageContaining("429");
        int callsBefore = arm.calls().size();
        // held back locally: ARM would only answer with a new Retry-After
        assertThatThrownBy(() -> set.setCapacity(2).await()).isInstanceOf(ScaleSetException.class)
                .hasMessageContaining("next request allowed in");
        assertThat(arm.calls()).hasSize(callsBefore);
    }

    @Test
    void errorsNameTheCodeAndUnknownInstancesAreRefused() {
        ArmScaleSet set = client("token");
        assertThatThrownBy(() -> set.delete(List.of("42")).await()).isInstanceOf(ScaleSetException.class)
                .hasMessageContaining("404 NotFound");
        assertThatThrownBy(() -> client("").instances().await()).isInstanceOf(ScaleSetException.class)
                .hasMessageContaining("401 AuthenticationFailed");
    }

    @Test
    void flexibleScaleSetsListTheirVmsByFilterAndDeleteByName() {
        FakeArm flex = new FakeArm(vertx, SUB, "rg", "flex", "node", Duration.ofMillis(100), new FakeArm.Hooks() {
            @Override
            public void created(String instanceId, String computerName) {
            }

            @Override
            public void deleted(String instanceId, String computerName, boolean evicted) {
                deleted.add(computerName);
            }
        }, true);
        CoordinatorConfig.Azure config = new CoordinatorConfig.Azure(flex.listen().await(), null, 1000);
        ArmScaleSet set = new ArmScaleSet(new ArmClient(vertx, config, () -> Future.succeededFuture("token")),
                new CoordinatorConfig.ScaleSet("azure", SUB, "rg", "flex", "flexible"));
        set.setCapacity(4).await();
        List<Instance> list = set.instances().await(); // two pages, the filter carried by nextLink
        assertThat(list).extracting(Instance::instanceId).containsExactly("vm-node000000", "vm-node000001",
                "vm-node000002", "vm-node000003");
        assertThat(list).extracting(Instance::nodeName).contains("node000002");
        set.delete(List.of("vm-node000001")).await();
        assertThat(deleted).containsExactly("node000001");
        assertThat(set.instances().await()).hasSize(3);
    }
}
