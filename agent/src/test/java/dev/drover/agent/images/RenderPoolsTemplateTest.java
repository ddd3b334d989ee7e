package dev.drover.agent.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * images/deploy/render-pools.json read as ARM would: what Drover relies on per scale set (its own node names,
 * pool and custom data), the roles scoped to what the coordinator and agents touch, the terminate notification
 * on the Regular pool, and ephemeral OS disks only where they are valid. Parameters are resolved from their
 * defaults so a collision in the shipped defaults fails here.
 */
class RenderPoolsTemplateTest {
    static final Path IMAGES = Path.of("..").toAbsolutePath().normalize().resolve("images");
    static final Pattern PARAM = Pattern.compile("^\\[parameters\\('([A-Za-z]+)'\\)\\]$");

    final JsonNode t;
    final List<JsonNode> sets = new ArrayList<>();
    final List<JsonNode> roles = new ArrayList<>();

    RenderPoolsTemplateTest() throws Exception {
        t = new ObjectMapper().readTree(IMAGES.resolve("deploy/render-pools.json").toFile());
        for (JsonNode r : t.path("resources")) {
            switch (r.path("type").asText()) {
                case "Microsoft.Compute/virtualMachineScaleSets" -> sets.add(r);
                case "Microsoft.Authorization/roleAssignments" -> roles.add(r);
                default -> { }
            }
        }
    }

    /** The parameter an expression like [parameters('x')] names; fails on anything else (no hidden literal). */
    String param(JsonNode expression) {
        Matcher m = PARAM.matcher(expression.asText());
        assertThat(m.matches()).as("expected [parameters('...')], got %s", expression).isTrue();
        assertThat(t.path("parameters").has(m.group(1))).as("parameter %s declared", m.group(1)).isTrue();
        return m.group(1);
    }

    String defaultOf(JsonNode expression) {
        return t.path("parameters").path(param(expression)).path("defaultValue").asText();
    }

    JsonNode profile(JsonNode set) {
        return set.path("properties").path("virtualMachineProfile");
    }

    @Test
    void eachScaleSetHasItsOwnNamesPoolAndCustomData() {
        assertThat(sets).hasSize(2);
        Set<String> names = new HashSet<>();
        Set<String> prefixes = new HashSet<>();
        Set<String> customData = new HashSet<>();
        for (JsonNode s : sets) {
            names.add(defaultOf(s.path("name")));
            JsonNode os = profile(s).path("osProfile");
            assertThat(os.isObject()).as("osProfile per scale set, not shared").isTrue();
            prefixes.add(defaultOf(os.path("computerNamePrefix")));
            String data = param(os.path("customData"));
            assertThat(t.at("/parameters/" + data + "/type").asText()).isEqualTo("securestring");
            customData.add(data);
        }
        assertThat(names).hasSize(2);
        assertThat(prefixes).as("computer names are node ids and blade names").hasSize(2)
                .allSatisfy(p -> assertThat(p).matches("[a-z][a-z0-9-]{0,8}"));
        // neither prefix may be a prefix of the other: rspot vs rspotx would let names collide
        List<String> p = List.copyOf(prefixes);
        assertThat(p.get(0).startsWith(p.get(1)) || p.get(1).startsWith(p.get(0))).isFalse();
        assertThat(customData).as("one custom data (hence one node.pool) per scale set").hasSize(2);
    }

    @Test
    void spotEvictsByDeleteAndRegularGetsATerminateNotification() {
        JsonNode spot = sets.stream().filter(s -> profile(s).path("priority").asText().equals("Spot")).findFirst()
                .orElseThrow();
        JsonNode regular = sets.stream().filter(s -> profile(s).path("priority").asText().equals("Regular"))
                .findFirst().orElseThrow();
        assertThat(profile(spot).path("evictionPolicy").asText()).isEqualTo("Delete");
        assertThat(profile(spot).at("/billingProfile/maxPrice").asInt()).isEqualTo(-1);
        JsonNode notify = profile(regular).at("/scheduledEventsProfile/terminateNotificationProfile");
        assertThat(notify.path("enable").asBoolean()).isTrue();
        assertThat(notify.path("notBeforeTimeout").asText()).matches("PT([5-9]|1[0-5])M"); // 5..15 min allowed
        for (JsonNode s : sets) {
            assertThat(s.at("/sku/capacity").asInt()).as("Drover scales; the template starts empty").isZero();
            assertThat(s.at("/properties/overprovision").asBoolean(true)).isFalse();
            assertThat(s.at("/identity/type").asText()).isEqualTo("UserAssigned");
        }
    }

    @Test
    void ephemeralOsDisksOnlyOnTheResourceDiskOfSizesThatHaveOne() {
        assertThat(t.at("/parameters/ephemeralOsDisk/type").asText()).isEqualTo("bool");
        for (JsonNode s : sets) {
            JsonNode disk = profile(s).at("/storageProfile/osDisk");
            assertThat(disk.path("diffDiskSettings").asText()).isEqualTo("[if(parameters('ephemeralOsDisk'), "
                    + "createObject('option', 'Local', 'placement', 'ResourceDisk'), null())]");
            // ephemeral OS disks require ReadOnly caching; managed ones get ReadWrite
            assertThat(disk.path("caching").asText()).isEqualTo("[if(parameters('ephemeralOsDisk'), 'ReadOnly', "
                    + "'ReadWrite')]");
            // the default size must have a local temp disk: the 'd' in Standard_D16ds_v5
            assertThat(defaultOf(s.at("/sku/name"))).matches("Standard_[A-Z]+[0-9]+[a-z]*d[a-z]*_v[0-9]+");
        }
    }

    @Test
    void rolesAreScopedToTheScaleSetsAndTheLogContainer() {
        String vmContributor = "[variables('virtualMachineContributor')]";
        String blobContributor = "[variables('storageBlobDataContributor')]";
        assertThat(t.at("/variables/virtualMachineContributor").asText()).contains("9980e02c-c2be-4d73-94e8-173b1dc7cf3c");
        assertThat(t.at("/variables/storageBlobDataContributor").asText()).contains("ba92f5b4-2d11-453d-a403-e96b0029c9fe");
        Set<String> vmScopes = new HashSet<>();
        for (JsonNode r : roles) {
            String role = r.at("/properties/roleDefinitionId").asText();
            String scope = r.path("scope").asText();
            assertThat(scope).as("no role on the whole resource group or subscription").isNotEmpty();
            if (role.equals(vmContributor)) {
                assertThat(r.at("/properties/principalId").asText()).isEqualTo("[parameters('coordinatorPrincipalId')]");
                assertThat(scope).startsWith("[format('Microsoft.Compute/virtualMachineScaleSets/{0}', parameters('");
                vmScopes.add(scope);
            } else {
                assertThat(role).isEqualTo(blobContributor);
                assertThat(scope).contains("blobServices/default/containers/{1}").contains("logContainer");
                assertThat(r.at("/properties/principalId").asText()).contains("userAssignedIdentities");
            }
        }
        Set<String> setNames = new HashSet<>();
        sets.forEach(s -> setNames.add(param(s.path("name"))));
        assertThat(vmScopes).hasSize(2).allSatisfy(scope -> assertThat(setNames.stream()
                .anyMatch(n -> scope.contains("parameters('" + n + "')"))).isTrue());
        assertThat(roles).hasSize(3);
    }

    @Test
    void everyParameterIsDescribedAndUsed() throws Exception {
        String text = Files.readString(IMAGES.resolve("deploy/render-pools.json"));
        t.path("parameters").fieldNames().forEachRemaining(name -> {
            assertThat(t.at("/parameters/" + name + "/metadata/description").asText()).as(name).isNotBlank();
            assertThat(text).as("parameter %s used", name).contains("parameters('" + name + "')");
        });
    }
}
