package dev.drover.coordinator.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where the agent jar is, for the demo's local instances: beside this jar (a distribution) or in the source tree. */
final class AgentJar {
    private AgentJar() {
    }

    static Path locate() {
        Path here;
        try {
            here = Path.of(AgentJar.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            here = Path.of(".");
        }
        Path dir = Files.isDirectory(here) ? here : here.getParent();
        List<Path> candidates = List.of(dir.resolve("drover-agent.jar"),
                dir.resolve("../../agent/target/drover-agent.jar").normalize(),
                dir.resolve("../../../agent/target/drover-agent.jar").normalize(),
                Path.of("agent/target/drover-agent.jar").toAbsolutePath());
        return candidates.stream().filter(Files::isRegularFile).findFirst()
                .orElseThrow(() -> new IllegalStateException("cannot find drover-agent.jar (looked in " + candidates
                        + "); build it with ./mvnw package or pass --agent-jar"));
    }
}
