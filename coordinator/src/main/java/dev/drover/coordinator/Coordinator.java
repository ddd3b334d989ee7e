package dev.drover.coordinator;

import dev.drover.coordinator.api.ApiContext;
import dev.drover.coordinator.api.ApiVerticle;
import dev.drover.coordinator.api.Auth;
import dev.drover.coordinator.azure.ArmClient;
import dev.drover.coordinator.azure.ArmScaleSet;
import dev.drover.coordinator.config.ConfigException;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.config.CoordinatorConfigFile;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.gateway.AgentGatewayVerticle;
import dev.drover.coordinator.identity.IdentityGate;
import dev.drover.coordinator.identity.IdentitySetup;
import dev.drover.coordinator.identity.ScaleSetMembers;
import dev.drover.coordinator.metrics.Metrics;
import dev.drover.coordinator.provision.BladeControl;
import dev.drover.coordinator.provision.OfferingHealth;
import dev.drover.coordinator.provision.PoolActuator;
import dev.drover.coordinator.provision.Provisioning;
import dev.drover.coordinator.provision.ScaleSet;
import dev.drover.coordinator.queue.BuiltInQueue;
import dev.drover.coordinator.queue.QueueSource;
import dev.drover.coordinator.scaling.PoolSpec;
import dev.drover.coordinator.scaling.ScalingLoop;
import dev.drover.coordinator.store.CoordinatorState;
import dev.drover.coordinator.timeline.Timeline;
import dev.drover.coordinator.tractor.TractorIntegration;
import dev.drover.coordinator.tractor.TractorQueueSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.VertxOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import dev.drover.coordinator.provision.Instance;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running coordinator: the fleet registry, the agent gateway, the queue (Tractor's or the built-in
 * one), scaling and orchestration, the timeline and metrics, and the HTTP API with the dashboard.
 */
public final class Coordinator {
    private static final Logger LOGGER = LoggerFactory.getLogger(Coordinator.class);
    private static final long TICK_MILLIS = 1000;
    private static final long IDENTITY_SWEEP_MILLIS = 30_000;

    /** Builds the scale set behind a pool; the demo supplies local agent processes instead of Azure. */
    @FunctionalInterface
    public interface ScaleSets {
        ScaleSet create(CoordinatorConfig.Pool pool, Vertx vertx, int gatewayPort);
    }

    private final CoordinatorConfig config;
    private final Clock clock;
    private final ScaleSets scaleSets;
    private final Vertx vertx;
    private final NodeRegistry registry;
    private final Metrics metrics = new Metrics();
    private final Timeline timeline;
    private final AtomicInteger connections = new AtomicInteger();
    private final TractorIntegration engine;
    private final TractorQueueSource tractor;
    private final BuiltInQueue builtIn;
    private final BladeControl blades;
    private final List<PoolSpec> pools;
    private final CoordinatorState state;
    private ScalingLoop scaling;
    private volatile Provisioning provisioning;
    private AgentGatewayVerticle gateway;
    private IdentityGate identity;
    private ApiVerticle api;

    public Coordinator(CoordinatorConfig config, Clock clock) {
        this(config, clock, null);
    }

    /** @param scaleSets builds each pool's scale set; null for Azure through ARM with DefaultAzureCredential */
    public Coordinator(CoordinatorConfig config, Clock clock, ScaleSets scaleSets) {
        this.config = config;
        this.clock = clock;
        this.scaleSets = scaleSets;
        this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        this.registry = new NodeRegistry(clock, config.liveness().settings(), config.gateway().commandBuffer());
        this.timeline = new Timeline(clock, metrics.registry());
        this.pools = config.pools().stream().map(CoordinatorConfig.Pool::spec).toList();
        timeline.preRegister(pools.stream().map(PoolSpec::name).toList());
        metrics.knownPools(pools.stream().map(PoolSpec::name).toList());
        if (config.tractor() != null) {
            engine = new TractorIntegration(config.tractor(), vertx, registry, clock);
            tractor = engine.queue();
            blades = engine.blades();
            builtIn = null;
        } else {
            engine = null;
            tractor = null;
            builtIn = new BuiltInQueue(registry, pools, timeline, clock);
            blades = builtIn;
        }
        // what survives a restart is put back before any agent can connect
        try {
            state = CoordinatorState.open(config.store(), builtIn != null);
        } catch (ConfigException e) {
            vertx.close();
            throw e;
        }
        try {
            state.restoreFleetAndQueue(registry, builtIn);
        } catch (RuntimeException e) {
            state.close();
            vertx.close();
            throw new ConfigException("store.path " + config.store().path() + ": cannot restore the state kept "
                    + "there: " + e.getMessage(), e);
        }
        if (builtIn != null) { // before the gateway opens: a reconnecting agent's first report must reach the queue
            registry.addListener(builtIn);
        }
    }

    /** Starts every surface; completes when both listeners are bound. */
    public Future<Coordinator> start() {
        identity = IdentitySetup.gate(config, enrolmentTokens(), state.credentials(), this::membersOf, clock);
        gateway = new AgentGatewayVerticle(config, registry, identity, connections, metrics, state.deliveryLedger());
        // Pools on Azure are set up before the gateway opens (they need nothing from it): set up after, on the
        // gateway's event loop, it took 4-5 s on a loaded machine (the Azure SDK's classes load here), during
        // which a restarted coordinator accepted agents and answered none (RELIABILITY.md, coordinator crash).
        // Injected scale sets (the demo's local pool) start agents and need the gateway's port: set up after.
        boolean poolsFirst = scaleSets == null;
        if (poolsFirst) {
            Future<Void> pools = setUpPools();
            if (pools.failed()) {
                return Future.failedFuture(pools.cause());
            }
        }
        return vertx.deployVerticle(gateway)
                .recover(e -> failed("agent gateway on " + config.gateway().host() + ":" + config.gateway().port(), e))
                .compose(id -> poolsFirst ? Future.succeededFuture(id) : setUpPools().map(id))
                .compose(id -> {
                    CoordinatorConfig.Http http = config.http();
                    Auth auth = new Auth(tokens(http.viewerTokens(), http.viewerTokenFile(), "http.viewerTokenFile"),
                            tokens(http.operatorTokens(), http.operatorTokenFile(), "http.operatorTokenFile"));
                    if (auth.open()) {
                        LOGGER.atWarn().addKeyValue("http", http.host()).log("the HTTP API has no tokens configured: "
                                + "anyone on this host can read and act (set http.viewerTokens/operatorTokens)");
                    }
                    api = new ApiVerticle(config, new ApiContext(registry, scaling, provisioning, builtIn, timeline,
                            metrics, auth));
                    return vertx.deployVerticle(api);
                })
                .recover(e -> failed("HTTP API on " + config.http().host() + ":" + config.http().port(), e))
                // The tick (liveness sweep, scaling, dispatch, gauges: work over the whole fleet) gets an event loop
                // of its own: scheduled from here it ran on the gateway's loop and delayed every Hello behind it.
                .compose(id -> vertx.deployVerticle(new Ticker()))
                .map(id -> {
                    vertx.setPeriodic(IDENTITY_SWEEP_MILLIS, t -> vertx.executeBlocking(() -> {
                        sweepIdentities();
                        return null;
                    }, false));
                    if (tractor != null) {
                        // a queue change is acted on at once, not at the next tick (issue 5: within 2 s)
                        tractor.onChange(() -> vertx.runOnContext(v -> scaleNow()));
                        engine.start();
                    }
                    LOGGER.atInfo().addKeyValue("gateway", config.gateway().host() + ":" + gateway.actualPort())
                            .addKeyValue("http", config.http().host() + ":" + api.actualPort())
                            .addKeyValue("queue", tractor != null ? "tractor" : "built-in")
                            .addKeyValue("pools", pools.size())
                            .addKeyValue("nativeTransport", vertx.isNativeTransportEnabled())
                            .log("coordinator started");
                    return this;
                });
    }

    /** Sets the pools up; on failure releases the store and Vert.x, as a failed start must. */
    private Future<Void> setUpPools() {
        try {
            wireScaling();
            return Future.succeededFuture();
        } catch (RuntimeException e) {
            state.close();
            vertx.close();
            return Future.failedFuture(new StartException("cannot set up the pools: " + e.getMessage(), e));
        }
    }

    private void wireScaling() {
        CoordinatorConfig.Scaling s = config.scaling();
        OfferingHealth offerings = new OfferingHealth(Duration.ofSeconds(s.offeringBackoffSeconds()),
                s.evictionsToBackOff(), Duration.ofSeconds(s.evictionWindowSeconds()));
        Map<String, PoolActuator> actuators = new LinkedHashMap<>();
        ArmClient arm = null;
        for (CoordinatorConfig.Pool p : config.pools()) {
            if (p.scaleSet() == null) {
                continue;
            }
            ScaleSet set;
            Duration listEvery = Duration.ofMillis(config.azure().instanceListMillis());
            if (scaleSets == null && p.scaleSet().provider().equals("azure")) {
                arm = arm != null ? arm : ArmClient.withDefaultCredential(vertx, config.azure());
                set = new ArmScaleSet(arm, p.scaleSet());
            } else if (scaleSets == null) {
                throw new IllegalArgumentException("pools[" + p.name() + "].scaleSet.provider local starts agents "
                        + "on this machine and is only available in the demo (drover-coordinator demo)");
            } else {
                set = scaleSets.create(p, vertx, gateway.actualPort());
                listEvery = p.scaleSet().provider().equals("local") ? Duration.ofSeconds(1) : listEvery;
            }
            actuators.put(p.name(), new PoolActuator(p.spec(), set, registry, blades, timeline, offerings, clock,
                    new PoolActuator.Settings(listEvery, Duration.ofSeconds(s.bootTimeoutSeconds()),
                            Duration.ofSeconds(s.lostReplaceSeconds()))));
        }
        provisioning = new Provisioning(pools, actuators, registry, blades, timeline, offerings, clock);
        QueueSource queue = tractor != null ? tractor : builtIn;
        scaling = new ScalingLoop(pools, config.licences(), config.farmMaxCostPerHour(), registry, queue::view,
                provisioning, clock);
        scaling.estimateFrom(queue::queuedWork); // runtime estimates where the queue knows them (built-in)
        state.restorePools(scaling, provisioning);
        registry.addListener(provisioning);
        provisioning.reassertBladeActions();
    }

    /** A pool's scale set as last listed from ARM, for attestation (read when a node attests). */
    private ScaleSetMembers membersOf(String pool) {
        return new ScaleSetMembers() {
            @Override
            public Listing latest() {
                Provisioning p = provisioning;
                PoolActuator a = p == null ? null : p.actuator(pool).orElse(null);
                if (a == null) {
                    return new Listing(Set.of(), null, "the pool's scale set is not set up yet");
                }
                List<Instance> listed = a.instances();
                Set<String> vmIds = listed == null ? Set.of() : listed.stream().map(Instance::vmId)
                        .filter(v -> !v.isEmpty()).collect(java.util.stream.Collectors.toSet());
                return new Listing(vmIds, a.listSucceededAt(), a.lastError());
            }

            @Override
            public void refreshSoon() {
                Provisioning p = provisioning;
                if (p != null) {
                    p.actuator(pool).ifPresent(PoolActuator::requestList);
                }
            }
        };
    }

    /** Forgets credentials of forgotten nodes, and unpooled nodes away too long (bounded unknown node ids). */
    private void sweepIdentities() {
        Duration away = Duration.ofMinutes(config.enrolment().unpooledForgetMinutes());
        identity.sweep(id -> registry.find(id).isPresent(), id -> registry.forgetIfAway(id, clock.instant().minus(away)),
                away);
    }

    /** Runs {@link #tick()} every second on a context (event loop) of its own. */
    private final class Ticker extends VerticleBase {
        @Override
        public Future<?> start() {
            vertx.setPeriodic(TICK_MILLIS, t -> tick());
            return Future.succeededFuture();
        }
    }

    private void scaleNow() {
        if (!pools.isEmpty()) {
            scaling.tick();
        }
    }

    /** Once a second: liveness, scaling and orchestration, dispatch, gauges. */
    private void tick() {
        long started = System.nanoTime();
        registry.sweep();
        provisioning.enforceDeadlines();
        // one immutable snapshot for the whole round: scaler, each pool's reconcile and the gauges (issue 16)
        registry.shareDuring(fleet -> {
            if (!pools.isEmpty()) {
                scaling.tick();
            }
            metrics.update(fleet, tractor != null ? tractor.view() : builtIn.view());
        });
        if (builtIn != null) {
            builtIn.dispatch();
        }
        metrics.tick(System.nanoTime() - started);
    }

    private <T> Future<T> failed(String what, Throwable e) {
        if (e instanceof StartException) {
            return Future.failedFuture(e);
        }
        state.close();
        vertx.close();
        return Future.failedFuture(new StartException("cannot start the " + what + ": " + e.getMessage(), e));
    }

    /** The coordinator could not start; the message says which listener and why. */
    public static final class StartException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StartException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public Future<Void> stop() {
        if (engine != null) {
            engine.stop();
        }
        return vertx.close().andThen(r -> state.close());
    }

    private List<String> enrolmentTokens() {
        CoordinatorConfig.Enrolment e = config.enrolment();
        return e.tokenFile() != null
                ? CoordinatorConfigFile.readTokens(e.tokenFile(), "enrolment.tokenFile")
                : e.tokens();
    }

    private static List<String> tokens(List<String> inline, String file, String field) {
        List<String> all = new ArrayList<>(inline);
        if (file != null) {
            all.addAll(CoordinatorConfigFile.readTokens(file, field));
        }
        return all;
    }

    public int gatewayPort() {
        return gateway.actualPort();
    }

    public int httpPort() {
        return api.actualPort();
    }

    public BuiltInQueue builtInQueue() {
        return builtIn;
    }

    public Timeline timeline() {
        return timeline;
    }

    public NodeRegistry registry() {
        return registry;
    }
}
