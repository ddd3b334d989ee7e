package dev.drover.coordinator;

import dev.drover.coordinator.api.ApiVerticle;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.config.CoordinatorConfigFile;
import dev.drover.coordinator.fleet.NodeRegistry;
import dev.drover.coordinator.gateway.AgentGatewayVerticle;
import dev.drover.coordinator.gateway.EnrolmentTokens;
import dev.drover.coordinator.scaling.ScalingLoop;
import dev.drover.coordinator.tractor.TractorClient;
import dev.drover.coordinator.tractor.TractorQueueSource;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The running coordinator: the fleet registry, the agent gateway, the HTTP API and the liveness sweep. */
public final class Coordinator {
    private static final Logger LOGGER = LoggerFactory.getLogger(Coordinator.class);
    private static final long SWEEP_MILLIS = 1000;

    private final CoordinatorConfig config;
    private final Vertx vertx;
    private final NodeRegistry registry;
    private final AtomicInteger connections = new AtomicInteger();
    private final ScalingLoop scaling;
    private TractorQueueSource tractor;
    private AgentGatewayVerticle gateway;
    private ApiVerticle api;

    public Coordinator(CoordinatorConfig config, Clock clock) {
        this.config = config;
        this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        this.registry = new NodeRegistry(clock, config.liveness().settings(), config.gateway().commandBuffer());
        if (config.tractor() != null) {
            CoordinatorConfig.Tractor t = config.tractor();
            tractor = new TractorQueueSource(vertx, new TractorClient(WebClient.create(vertx), t.host(), t.port(),
                    t.user(), t.timeoutMillis()), t.pollMillis());
        }
        TractorQueueSource.View noQueue = new TractorQueueSource.View(false, java.util.Map.of(),
                "no queue source configured (tractor:)");
        this.scaling = new ScalingLoop(config.pools().stream().map(CoordinatorConfig.Pool::spec).toList(),
                config.licences(), config.farmMaxCostPerHour(), registry,
                () -> tractor != null ? tractor.view() : noQueue, clock);
    }

    /** Starts every surface; completes when both listeners are bound. */
    public Future<Coordinator> start() {
        EnrolmentTokens tokens = new EnrolmentTokens(enrolmentTokens());
        gateway = new AgentGatewayVerticle(config, registry, tokens, connections);
        api = new ApiVerticle(config, registry, scaling);
        return vertx.deployVerticle(gateway)
                .recover(e -> failed("agent gateway on " + config.gateway().host() + ":" + config.gateway().port(), e))
                .compose(id -> vertx.deployVerticle(api))
                .recover(e -> failed("HTTP API on " + config.http().host() + ":" + config.http().port(), e))
                .map(id -> {
                    vertx.setPeriodic(SWEEP_MILLIS, t -> registry.sweep());
                    if (tractor != null) {
                        tractor.start();
                    }
                    if (!config.pools().isEmpty()) {
                        vertx.setPeriodic(SWEEP_MILLIS, t -> scaling.tick());
                    }
                    LOGGER.atInfo().addKeyValue("gateway", config.gateway().host() + ":" + gateway.actualPort())
                            .addKeyValue("http", config.http().host() + ":" + api.actualPort())
                            .addKeyValue("nativeTransport", vertx.isNativeTransportEnabled())
                            .log("coordinator started");
                    return this;
                });
    }

    private <T> Future<T> failed(String what, Throwable e) {
        if (e instanceof StartException) {
            return Future.failedFuture(e);
        }
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
        return vertx.close();
    }

    private List<String> enrolmentTokens() {
        CoordinatorConfig.Enrolment e = config.enrolment();
        return e.tokenFile() != null
                ? List.of(CoordinatorConfigFile.readSecret(e.tokenFile(), "enrolment.tokenFile"))
                : e.tokens();
    }

    public int gatewayPort() {
        return gateway.actualPort();
    }

    public int httpPort() {
        return api.actualPort();
    }
}
