package dev.drover.agent.imds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pool a VM belongs to: its drover-pool tag when it has one, the agent config otherwise. */
class InstanceMetadataTest {
    private static InstanceMetadata vm(Map<String, String> tags) {
        return new InstanceMetadata("render_7", "render000007", "vm-id", "render", "/subscriptions/x", "Standard_D4s_v5",
                "westeurope", "1", "Spot", "Delete", tags);
    }

    @Test
    void thePoolTagOfTheVmWinsOverTheConfiguredPool() {
        assertThat(vm(Map.of("drover-pool", " spot-gpu ", "team", "fx")).toIdentity("default").pool())
                .isEqualTo("spot-gpu");
    }

    @Test
    void withoutAPoolTagTheConfiguredPoolIsUsed() {
        assertThat(vm(Map.of("team", "fx")).toIdentity("default").pool()).isEqualTo("default");
        assertThat(vm(Map.of("drover-pool", "  ")).toIdentity("default").pool()).isEqualTo("default");
    }
}
