package dev.drover.coordinator;

import dev.drover.coordinator.config.ConfigException;
import dev.drover.coordinator.config.CoordinatorConfig;
import dev.drover.coordinator.config.CoordinatorConfigFile;
import dev.drover.coordinator.demo.DemoCommand;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drover-coordinator}: the service on the head node. Exits 2 on a configuration error, naming the field. */
@Command(name = "drover-coordinator", mixinStandardHelpOptions = true, versionProvider = CoordinatorVersion.class,
        description = "Drover coordinator: tracks render nodes, scales pools, serves the API and dashboard.",
        subcommands = {DemoCommand.class, dev.drover.coordinator.tls.TlsCommand.class,
                dev.drover.coordinator.simulate.SimulateCommand.class,
                dev.drover.coordinator.simulate.ExportTraceCommand.class})
public final class CoordinatorMain implements Callable<Integer> {
    private static final Logger LOGGER = LoggerFactory.getLogger(CoordinatorMain.class);

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML config file (see coordinator.example.yaml).")
    Path configFile;

    public static void main(String[] args) {
        System.exit(new CommandLine(new CoordinatorMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (configFile == null) {
            System.err.println("drover-coordinator: --config FILE is required (or try 'drover-coordinator demo')");
            return 2;
        }
        CoordinatorConfig config;
        try {
            config = CoordinatorConfigFile.load(configFile);
        } catch (ConfigException e) {
            System.err.println("drover-coordinator: configuration error: " + e.getMessage());
            return 2;
        }
        logBanner();
        Coordinator coordinator;
        try {
            coordinator = new Coordinator(config, Clock.systemUTC()).start().await();
        } catch (ConfigException e) {
            System.err.println("drover-coordinator: configuration error: " + e.getMessage());
            return 2;
        } catch (Coordinator.StartException e) {
            System.err.println("drover-coordinator: " + e.getMessage());
            return 1;
        }
        runUntilStopped(coordinator, () -> { });
        return 0;
    }

    public static void logBanner() {
        LOGGER.atInfo().addKeyValue("version", CoordinatorVersion.VERSION).addKeyValue("java", Runtime.version())
                .addKeyValue("os", System.getProperty("os.name") + " " + System.getProperty("os.version"))
                .log("drover-coordinator");
    }

    /** Blocks until SIGTERM/SIGINT, then runs {@code beforeStop} and stops the coordinator cleanly. */
    public static void runUntilStopped(Coordinator coordinator, Runnable beforeStop) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                beforeStop.run();
                coordinator.stop().await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOGGER.atWarn().setCause(e).log("unclean stop");
            } finally {
                stopped.countDown();
            }
        }, "drover-coordinator-shutdown"));
        stopped.await();
    }
}
