package dev.drover.coordinator.azure;

import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.provision.Instance;
import dev.drover.coordinator.provision.ScaleSet;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A VM Scale Set through ARM (specs/azure.md §2.2, §2.8): capacity by {@code PATCH sku.capacity}, chosen
 * instances by {@code POST .../delete}, instances with their power state listed per orchestration mode
 * (Uniform: the scale set's virtualMachines; Flexible: virtualMachines filtered by the scale set's id).
 */
public final class ArmScaleSet implements ScaleSet {
    static final int MAX_PAGES = 100;

    private final ArmClient arm;
    private final CoordinatorConfig.ScaleSet config;
    private final String id;

    public ArmScaleSet(ArmClient arm, CoordinatorConfig.ScaleSet config) {
        this.arm = arm;
        this.config = config;
        this.id = "/subscriptions/" + config.subscription() + "/resourceGroups/" + config.resourceGroup()
                + "/providers/Microsoft.Compute/virtualMachineScaleSets/" + config.name();
    }

    @Override
    public String describe() {
        return id;
    }

    @Override
    public java.util.Map<String, String> rateLimits() {
        return arm.rateLimitRemaining();
    }

    @Override
    public Future<Void> setCapacity(int capacity) {
        return arm.operation(HttpMethod.PATCH, id, new JsonObject().put("sku", new JsonObject().put("capacity", capacity)))
                .mapEmpty();
    }

    @Override
    public Future<Void> delete(List<String> instanceIds) {
        return arm.operation(HttpMethod.POST, id + "/delete", new JsonObject().put("instanceIds",
                new JsonArray(List.copyOf(instanceIds)))).mapEmpty();
    }

    @Override
    public Future<List<Instance>> instances() {
        String first;
        if (config.orchestration().equals("flexible")) {
            String filter = URLEncoder.encode("'virtualMachineScaleSet/id' eq '" + id + "'", StandardCharsets.UTF_8)
                    .replace("+", "%20");
            first = "/subscriptions/" + config.subscription() + "/resourceGroups/" + config.resourceGroup()
                    + "/providers/Microsoft.Compute/virtualMachines?$filter=" + filter + "&$expand=instanceView";
        } else {
            first = id + "/virtualMachines?$expand=instanceView";
        }
        return page(first, new ArrayList<>(), 0);
    }

    private Future<List<Instance>> page(String pathOrUrl, List<Instance> into, int pages) {
        return arm.get(pathOrUrl).compose(r -> {
            JsonArray value = r.body() != null ? r.body().getJsonArray("value") : null;
            if (value == null) {
                return Future.failedFuture(new dev.drover.coordinator.provision.ScaleSetException(r.status(),
                        "InvalidResponse", "instance list without a value array from " + id));
            }
            for (Object o : value) {
                if (o instanceof JsonObject vm) {
                    into.add(instance(vm));
                }
            }
            String next = r.body().getString("nextLink");
            if (next != null && !next.isEmpty() && pages + 1 < MAX_PAGES) {
                return page(next, into, pages + 1);
            }
            return Future.succeededFuture(into);
        });
    }

    /** One VM of either mode; unknown or missing fields give "unknown" rather than failing the whole list. */
    Instance instance(JsonObject vm) {
        JsonObject props = vm.getJsonObject("properties", new JsonObject());
        String instanceId = config.orchestration().equals("flexible") ? vm.getString("name", "")
                : vm.getString("instanceId", "");
        JsonObject view = props.getJsonObject("instanceView", new JsonObject());
        String computerName = props.getJsonObject("osProfile", new JsonObject()).getString("computerName",
                view.getString("computerName", ""));
        String power = "unknown";
        for (Object s : view.getJsonArray("statuses", new JsonArray())) {
            if (s instanceof JsonObject st && st.getString("code", "").startsWith("PowerState/")) {
                power = st.getString("code").substring("PowerState/".length()).toLowerCase(Locale.ROOT);
            }
        }
        String provisioning = props.getString("provisioningState", "unknown").toLowerCase(Locale.ROOT);
        return new Instance(instanceId, computerName, power, provisioning, props.getString("vmId", ""));
    }
}
