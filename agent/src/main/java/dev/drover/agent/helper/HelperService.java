package dev.drover.agent.helper;

import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.config.MountConfig;
import dev.drover.agent.mounts.CommandRunner;
import dev.drover.agent.mounts.MountCommand;
import dev.drover.agent.mounts.Mounter;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the root helper does, each request checked against the helper's own reading of the root-owned agent
 * config: the agent chooses only among what that file allows (a declared mount and one of its servers; the
 * configured task user), never a path, a command to run as root, or a user.
 */
final class HelperService {
    private static final Logger LOGGER = LoggerFactory.getLogger(HelperService.class);

    private final AgentConfig config;
    private final Mounter mounter;
    private final HelperTasks tasks;

    HelperService(AgentConfig config, Mounter mounter, HelperTasks tasks) {
        this.config = config;
        this.mounter = mounter;
        this.tasks = tasks;
    }

    /** The reply line to a mount, unmount or signal request. */
    String handle(HelperProtocol.Request request) {
        try {
            if (request instanceof HelperProtocol.Mount m) {
                return mount(m);
            }
            if (request instanceof HelperProtocol.Unmount u) {
                return unmount(u);
            }
            if (request instanceof HelperProtocol.Signal s) {
                return tasks.signal(s);
            }
            return HelperProtocol.error(request.id(), "not handled here: " + request.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return HelperProtocol.error(request.id(), "helper stopping");
        }
    }

    void start(HelperServer.HelperConnection conn, HelperProtocol.Start start) {
        tasks.start(conn, start);
    }

    void connectionClosed(HelperServer.HelperConnection conn) {
        tasks.connectionClosed(conn);
    }

    private String mount(HelperProtocol.Mount m) throws InterruptedException {
        Optional<MountConfig> declared = declared(m.name());
        if (declared.isEmpty()) {
            return refuse(m.id(), "mount: no mount named '" + HelperProtocol.clip(m.name()) + "' in the config");
        }
        MountConfig c = declared.get();
        if (c.backend().equals("nfs") && !c.servers().contains(m.server())) {
            return refuse(m.id(), "mount " + c.name() + ": server '" + HelperProtocol.clip(m.server())
                    + "' is not one of its servers " + c.servers());
        }
        if (c.backend().equals("bind") && !m.server().isEmpty()) {
            return refuse(m.id(), "mount " + c.name() + ": a bind mount takes no server");
        }
        CommandRunner.Outcome outcome = mounter.mount(c, m.server());
        LOGGER.atInfo().addKeyValue("mount", c.name()).addKeyValue("server", m.server())
                .addKeyValue("command", String.join(" ", MountCommand.mount(c, m.server())))
                .addKeyValue("exitCode", outcome.exitCode()).log("mount for the agent");
        return outcome(m.id(), outcome);
    }

    private String unmount(HelperProtocol.Unmount u) throws InterruptedException {
        Optional<MountConfig> declared = declared(u.name());
        if (declared.isEmpty()) {
            return refuse(u.id(), "unmount: no mount named '" + HelperProtocol.clip(u.name()) + "' in the config");
        }
        CommandRunner.Outcome outcome = mounter.unmount(declared.get());
        LOGGER.atInfo().addKeyValue("mount", u.name()).addKeyValue("exitCode", outcome.exitCode())
                .log("lazy unmount for the agent");
        return outcome(u.id(), outcome);
    }

    private Optional<MountConfig> declared(String name) {
        return config.mounts().stream().filter(c -> c.name().equals(name)).findFirst();
    }

    private static String outcome(long id, CommandRunner.Outcome outcome) {
        String out = outcome.output();
        return HelperProtocol.ok(id).put("exitCode", outcome.exitCode())
                .put("output", out.length() <= HelperProtocol.MAX_OUTPUT_CHARS ? out
                        : out.substring(0, HelperProtocol.MAX_OUTPUT_CHARS)).toString();
    }

    static String refuse(long id, String why) {
        LOGGER.atWarn().addKeyValue("id", id).log("request refused: " + why);
        return HelperProtocol.error(id, why);
    }
}
