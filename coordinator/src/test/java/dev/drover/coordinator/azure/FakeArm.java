package dev.drover.coordinator.azure;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for ARM's VM Scale Set API (specs/azure.md §2), as strict as the real one where Drover depends on
 * it: a bearer token and the api-version are required, capacity changes and deletes are long-running (202 with
 * {@code Azure-AsyncOperation}, resp. {@code Location}, then polling), new instances appear "creating" and run
 * after a delay, a capacity decrease deletes the highest instance ids the way the Default scale-in policy does
 * (Drover must never rely on that), instance lists come in pages with {@code nextLink}, 429 with Retry-After can
 * be injected, and Spot instances can be preempted (Delete policy: they vanish). Uniform orchestration, or
 * Flexible: instances are then VMs listed through {@code virtualMachines} filtered by the scale set's id (the
 * filter is required, as ARM requires it with {@code $expand}) and named, not numbered.
 */
public final class FakeArm {
    public static final String API_VERSION = "2025-04-01";

    /** What happens to the machines behind instances: the test starts and stops agents here. */
    public interface Hooks {
        void created(String instanceId, String computerName);

        void deleted(String instanceId, String computerName, boolean evicted);
    }

    private static final class Vm {
        final String instanceId;
        final String computerName;
        final String vmId = UUID.randomUUID().toString(); // Azure's VM GUID, which attested documents name
        volatile String provisioning = "Creating";
        volatile String power = "starting";

        Vm(String instanceId, String computerName) {
            this.instanceId = instanceId;
            this.computerName = computerName;
        }

        /** What the API names the instance by: the number (Uniform) or the VM name (Flexible). */
        String apiId(boolean flexible) {
            return flexible ? "vm-" + computerName : instanceId;
        }
    }

    private static final class Operation {
        volatile boolean done;
        volatile String error;
        final Instant started = Instant.now();
    }

    private final Vertx vertx;
    private final String base;
    private final String prefix;
    private final Duration createDelay;
    private final Hooks hooks;
    private final String subscription;
    private final TreeMap<Long, Vm> vms = new TreeMap<>();
    private final Map<String, Operation> operations = new ConcurrentHashMap<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private long nextId;
    private int peak;
    private int capacityDecreases;
    private volatile int throttle;
    private volatile int throttleSeconds;
    private volatile boolean outage;
    private HttpServer server;
    private String endpoint;
    private final boolean flexible;
    private final String vmsPath;

    public FakeArm(Vertx vertx, String subscription, String resourceGroup, String scaleSet, String computerNamePrefix,
            Duration createDelay, Hooks hooks) {
        this(vertx, subscription, resourceGroup, scaleSet, computerNamePrefix, createDelay, hooks, false);
    }

    public FakeArm(Vertx vertx, String subscription, String resourceGroup, String scaleSet, String computerNamePrefix,
            Duration createDelay, Hooks hooks, boolean flexible) {
        this.flexible = flexible;
        this.vmsPath = "/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup
                + "/providers/Microsoft.Compute/virtualMachines";
        this.vertx = vertx;
        this.subscription = subscription;
        this.base = "/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup
                + "/providers/Microsoft.Compute/virtualMachineScaleSets/" + scaleSet;
        this.prefix = computerNamePrefix;
        this.createDelay = createDelay;
        this.hooks = hooks;
    }

    public Future<String> listen() {
        server = vertx.createHttpServer().requestHandler(this::handle);
        return server.listen(0, "127.0.0.1").map(s -> endpoint = "http://127.0.0.1:" + s.actualPort());
    }

    // ---- test controls and observations -----------------------------------------------------------

    /** The next {@code n} requests get 429 with this Retry-After. */
    public void throttleNext(int n, int retryAfterSeconds) {
        throttleSeconds = retryAfterSeconds;
        throttle = n;
    }

    /** While on, every request is answered 503 ServiceUnavailable, as during a regional ARM outage. */
    public void outage(boolean on) {
        outage = on;
    }

    /** The VM id ({@code properties.vmId}) of the instance with this computer name, as its IMDS would report it. */
    public synchronized String vmId(String computerName) {
        return vms.values().stream().filter(v -> v.computerName.equals(computerName)).map(v -> v.vmId).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no instance named " + computerName));
    }

    /** Azure takes a Spot VM back (Delete policy): the instance and its machine are gone. */
    public synchronized boolean preempt(String computerName) {
        Vm vm = vms.values().stream().filter(v -> v.computerName.equals(computerName)).findFirst().orElse(null);
        if (vm == null) {
            return false;
        }
        vms.remove(Long.parseLong(vm.instanceId));
        calls.add("platform preempt " + vm.instanceId);
        vertx.executeBlocking(() -> {
            hooks.deleted(vm.instanceId, vm.computerName, true);
            return null;
        });
        return true;
    }

    public List<String> calls() {
        return List.copyOf(calls);
    }

    public synchronized int instanceCount() {
        return vms.size();
    }

    public synchronized int peakInstances() {
        return peak;
    }

    public synchronized int capacityDecreases() {
        return capacityDecreases;
    }

    // ---- HTTP ----------------------------------------------------------------------------------------

    private void handle(HttpServerRequest req) {
        req.body().onSuccess(body -> {
            try {
                route(req, body.length() == 0 ? null : body.toJsonObject());
            } catch (RuntimeException e) {
                error(req, 400, "InvalidRequestContent", String.valueOf(e.getMessage()));
            }
        });
    }

    private void route(HttpServerRequest req, JsonObject body) {
        String auth = req.getHeader("Authorization");
        if (auth == null || !auth.startsWith("Bearer ") || auth.length() < 10) {
            error(req, 401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
            return;
        }
        if (!API_VERSION.equals(req.getParam("api-version"))) {
            error(req, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is "
                    + "required and must be one this fake supports: " + API_VERSION);
            return;
        }
        if (outage) {
            calls.add("outage " + req.method().name());
            error(req, 503, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.");
            return;
        }
        if (throttle > 0) {
            throttle--;
            req.response().putHeader("Retry-After", String.valueOf(throttleSeconds));
            error(req, 429, "OperationNotAllowed", "The server rejected the request because too many requests have "
                    + "been received for this subscription.");
            return;
        }
        req.response().putHeader("x-ms-ratelimit-remaining-subscription-reads", "249")
                .putHeader("x-ms-ratelimit-remaining-resource", "Microsoft.Compute/VMScaleSetBatchedVMRequests;3704");
        String path = req.path();
        String method = req.method().name();
        if (path.startsWith("/subscriptions/" + subscription + "/providers/Microsoft.Compute/locations/local/operations/")) {
            operation(req, path.substring(path.lastIndexOf('/') + 1));
        } else if (method.equals("GET") && !flexible && path.equals(base + "/virtualMachines")) {
            list(req);
        } else if (method.equals("GET") && flexible && path.equals(vmsPath)) {
            String filter = req.getParam("$filter");
            if (!("'virtualMachineScaleSet/id' eq '" + base + "'").equals(filter)) {
                error(req, 400, "InvalidParameter", "$expand=instanceView needs $filter='virtualMachineScaleSet/id' eq "
                        + "'<scale set id>', got " + filter);
                return;
            }
            list(req);
        } else if (method.equals("PATCH") && path.equals(base)) {
            setCapacity(req, body);
        } else if (method.equals("POST") && path.equals(base + "/delete")) {
            delete(req, body);
        } else {
            error(req, 404, "ResourceNotFound", "The Resource '" + path + "' was not found.");
        }
    }

    private synchronized void list(HttpServerRequest req) {
        calls.add("GET list");
        int skip = req.getParam("$skiptoken") != null ? Integer.parseInt(req.getParam("$skiptoken")) : 0;
        List<Vm> all = new ArrayList<>(vms.values());
        JsonArray value = new JsonArray();
        int pageSize = 3; // small pages, so clients must follow nextLink
        for (int i = skip; i < Math.min(all.size(), skip + pageSize); i++) {
            Vm vm = all.get(i);
            JsonObject item = flexible
                    ? new JsonObject().put("name", vm.apiId(true)).put("id", vmsPath + "/" + vm.apiId(true))
                    : new JsonObject().put("instanceId", vm.instanceId).put("name", "render_" + vm.instanceId)
                            .put("id", base + "/virtualMachines/" + vm.instanceId);
            value.add(item
                    .put("properties", new JsonObject().put("provisioningState", vm.provisioning).put("vmId", vm.vmId)
                            .put("osProfile", new JsonObject().put("computerName", vm.computerName))
                            .put("instanceView", new JsonObject().put("statuses", new JsonArray()
                                    .add(new JsonObject().put("code", "ProvisioningState/" + vm.provisioning.toLowerCase())
                                            .put("level", "Info"))
                                    .add(new JsonObject().put("code", "PowerState/" + vm.power).put("level", "Info"))))));
        }
        JsonObject page = new JsonObject().put("value", value);
        if (skip + pageSize < all.size()) {
            String filter = flexible ? "&$filter=" + java.net.URLEncoder.encode(req.getParam("$filter"),
                    java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") : "";
            page.put("nextLink", endpoint + (flexible ? vmsPath : base + "/virtualMachines") + "?api-version="
                    + API_VERSION + filter + "&$expand=instanceView&$skiptoken=" + (skip + pageSize));
        }
        json(req, 200, page);
    }

    private synchronized void setCapacity(HttpServerRequest req, JsonObject body) {
        Object c = body == null ? null : body.getJsonObject("sku", new JsonObject()).getValue("capacity");
        if (!(c instanceof Integer capacity) || capacity < 0 || capacity > 1000) {
            error(req, 400, "InvalidParameter", "sku.capacity must be an integer 0..1000");
            return;
        }
        calls.add("PATCH capacity " + capacity);
        String opId = UUID.randomUUID().toString();
        Operation op = new Operation();
        operations.put(opId, op);
        List<Vm> created = new ArrayList<>();
        while (vms.size() < capacity) {
            long id = nextId++;
            Vm vm = new Vm(Long.toString(id), prefix + String.format("%6s", Long.toString(id, 36)).replace(' ', '0'));
            vms.put(id, vm);
            created.add(vm);
        }
        while (vms.size() > capacity) {
            capacityDecreases++; // the Default policy picks the victim: highest instance id
            Vm victim = vms.pollLastEntry().getValue();
            vertx.executeBlocking(() -> {
                hooks.deleted(victim.instanceId, victim.computerName, false);
                return null;
            });
        }
        peak = Math.max(peak, vms.size());
        vertx.setTimer(Math.max(1, createDelay.toMillis()), t -> vertx.executeBlocking(() -> {
            for (Vm vm : created) {
                vm.provisioning = "Succeeded";
                vm.power = "running";
                hooks.created(vm.instanceId, vm.computerName);
            }
            op.done = true;
            return null;
        }));
        req.response().putHeader("Azure-AsyncOperation", operationUrl(opId, false)).putHeader("Retry-After", "1");
        json(req, 202, null);
    }

    private synchronized void delete(HttpServerRequest req, JsonObject body) {
        JsonArray ids = body == null ? null : body.getJsonArray("instanceIds");
        if (ids == null || ids.isEmpty()) {
            error(req, 400, "InvalidParameter", "instanceIds is required");
            return;
        }
        List<Vm> doomed = new ArrayList<>();
        for (Object id : ids) {
            Vm vm = vms.values().stream().filter(v -> v.apiId(flexible).equals(id)).findFirst().orElse(null);
            if (vm == null) {
                error(req, 404, "NotFound", "instance " + id + " does not exist in " + base);
                return;
            }
            doomed.add(vm);
        }
        calls.add("POST delete " + ids.encode());
        String opId = UUID.randomUUID().toString();
        Operation op = new Operation();
        operations.put(opId, op);
        doomed.forEach(vm -> vm.provisioning = "Deleting");
        vertx.setTimer(300, t -> vertx.executeBlocking(() -> {
            for (Vm vm : doomed) {
                synchronized (this) {
                    vms.remove(Long.parseLong(vm.instanceId));
                }
                hooks.deleted(vm.instanceId, vm.computerName, false);
            }
            op.done = true;
            return null;
        }));
        req.response().putHeader("Location", operationUrl(opId, true)).putHeader("Retry-After", "1");
        json(req, 202, null);
    }

    private void operation(HttpServerRequest req, String opId) {
        Operation op = operations.get(opId);
        if (op == null) {
            error(req, 404, "NotFound", "no operation " + opId);
            return;
        }
        if ("true".equals(req.getParam("monitor"))) { // the Location form: 202 while running, then 200
            json(req, op.done ? 200 : 202, null);
            return;
        }
        json(req, 200, new JsonObject().put("name", opId).put("startTime", op.started.toString())
                .put("status", op.done ? "Succeeded" : "InProgress"));
    }

    private String operationUrl(String opId, boolean monitor) {
        return endpoint + "/subscriptions/" + subscription + "/providers/Microsoft.Compute/locations/local/operations/"
                + opId + "?" + (monitor ? "monitor=true&" : "") + "api-version=" + API_VERSION;
    }

    private static void json(HttpServerRequest req, int status, JsonObject body) {
        req.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(body == null ? "" : body.encode());
    }

    private static void error(HttpServerRequest req, int status, String code, String message) {
        json(req, status, new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)));
    }
}
