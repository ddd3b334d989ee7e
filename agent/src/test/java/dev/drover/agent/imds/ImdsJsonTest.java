package dev.drover.agent.imds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drover.protocol.Priority;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** IMDS bodies in the documented shapes (specs/azure.md §1.2, §1.10), and what is not. */
class ImdsJsonTest {
    static final String EVENTS = """
            {"DocumentIncarnation": 2, "Events": [
              {"EventId": "C7061BAC-AFDC-4513-B24B-AA5F13A16123", "EventStatus": "Scheduled", "EventType": "Preempt",
               "ResourceType": "VirtualMachine", "Resources": ["render_4", "render_5"],
               "NotBefore": "Mon, 19 Sep 2016 18:29:47 GMT", "Description": "", "EventSource": "Platform",
               "DurationInSeconds": -1},
              {"EventId": "A123BC45-1234-5678-AB90-ABCDEF123456", "EventStatus": "Started", "EventType": "Freeze",
               "ResourceType": "VirtualMachine", "Resources": ["render_4"], "NotBefore": "",
               "Description": "Virtual machine is being paused because of a memory-preserving Live Migration operation.",
               "EventSource": "Platform", "DurationInSeconds": 5}
            ]}""";

    static final String INSTANCE = """
            {"compute": {"name": "render_4", "vmScaleSetName": "render", "vmId": "02aab8a4-74ef-476e-8182-f6d2ba4166a6",
              "vmSize": "Standard_D16s_v5", "location": "westeurope", "zone": "2", "Priority": "Spot",
              "evictionPolicy": "Delete", "resourceId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/render/virtualMachines/4",
              "osProfile": {"computerName": "render000004"},
              "tagsList": [{"name": "pool", "value": "spot-d16"}]},
             "network": {}}""";

    @Test
    void parsesScheduledEventsIncludingStartedEventsWithoutNotBefore() throws Exception {
        ScheduledEvents doc = ImdsJson.scheduledEvents(EVENTS);

        assertThat(doc.incarnation()).isEqualTo(2);
        ScheduledEvent preempt = doc.events().get(0);
        assertThat(preempt.type()).isEqualTo("Preempt");
        assertThat(preempt.resources()).containsExactly("render_4", "render_5");
        assertThat(preempt.notBefore()).contains(Instant.parse("2016-09-19T18:29:47Z"));
        assertThat(preempt.removesVm()).isTrue();
        ScheduledEvent freeze = doc.events().get(1);
        assertThat(freeze.notBefore()).isEmpty();
        assertThat(freeze.durationSeconds()).isEqualTo(5);
        assertThat(freeze.namesOnly("RENDER_4")).as("VM names are case-insensitive").isTrue();
    }

    @Test
    void emptyEventListIsFine() throws Exception {
        assertThat(ImdsJson.scheduledEvents("{\"DocumentIncarnation\":1,\"Events\":[]}").events()).isEmpty();
    }

    @Test
    void rejectsGarbageTruncatedAndWrongShapes() {
        for (String bad : new String[] {"<html>502</html>", "{\"DocumentIncarnation\": 3, \"Events\": [{\"EventId\": \"A",
                "[]", "{\"Events\": []}", "{\"DocumentIncarnation\": \"x\", \"Events\": []}",
                "{\"DocumentIncarnation\": 1, \"Events\": {}}",
                "{\"DocumentIncarnation\": 1, \"Events\": [{\"EventId\": \"x\", \"EventType\": \"Preempt\"}]}",
                "{\"DocumentIncarnation\": 1, \"Events\": [{\"EventId\": \"x\", \"EventType\": \"Preempt\", "
                        + "\"Resources\": [1], \"NotBefore\": \"\"}]}",
                "{\"DocumentIncarnation\": 1, \"Events\": [{\"EventId\": \"x\", \"EventType\": \"Preempt\", "
                        + "\"Resources\": [\"a\"], \"NotBefore\": \"tomorrow\"}]}", ""}) {
            assertThatThrownBy(() -> ImdsJson.scheduledEvents(bad)).as(bad).isInstanceOf(ImdsException.class);
        }
    }

    @Test
    void refusesOversizedBodies() {
        String huge = "{\"DocumentIncarnation\":1,\"Events\":[],\"x\":\"" + "a".repeat(ImdsJson.MAX_BODY_BYTES) + "\"}";
        assertThatThrownBy(() -> ImdsJson.scheduledEvents(huge)).hasMessageContaining("exceeds limit");
    }

    @Test
    void instanceMetadataBecomesTheNodeIdentity() throws Exception {
        InstanceMetadata m = ImdsJson.instance(INSTANCE);

        assertThat(m.name()).isEqualTo("render_4");
        assertThat(m.instanceId()).isEqualTo("4");
        assertThat(m.priorityCode()).isEqualTo(Priority.SPOT);
        assertThat(m.tags()).containsEntry("pool", "spot-d16");
        var id = m.toIdentity("spot-d16");
        assertThat(id.nodeId()).isEqualTo("render000004");
        assertThat(id.scaleSet()).isEqualTo("render");
        assertThat(id.zone()).isEqualTo("2");
    }

    @Test
    void flexibleScaleSetVmNameIsItsInstanceIdAndLegacyTagsParse() throws Exception {
        InstanceMetadata m = ImdsJson.instance("""
                {"compute": {"name": "render_a1b2c3d4", "vmScaleSetName": "render", "priority": "Regular",
                 "tags": "pool:regular;team:fx"}}""");

        assertThat(m.instanceId()).isEqualTo("a1b2c3d4");
        assertThat(m.priorityCode()).isEqualTo(Priority.REGULAR);
        assertThat(m.tags()).containsEntry("team", "fx");
        assertThat(m.toIdentity("p").nodeId()).as("no computer name: the VM name").isEqualTo("render_a1b2c3d4");
    }

    @Test
    void instanceWithoutNameIsRejected() {
        assertThatThrownBy(() -> ImdsJson.instance("{\"compute\": {\"vmId\": \"x\"}}"))
                .hasMessageContaining("compute.name");
    }
}
