package dev.drover.agent.helper;

import dev.drover.agent.config.AgentConfig;
import dev.drover.agent.config.AgentConfigFile;
import dev.drover.agent.config.ConfigException;
import dev.drover.agent.mounts.CommandRunner;
import dev.drover.agent.mounts.LocalMounter;
import dev.drover.agent.runtask.UnixUsers;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code drover-agent helper}: the root half of the agent (drover-agent-helper.service). Never touches the
 * network; serves the agent's user on {@code helper.socket}, with every request checked against this
 * process's own reading of the config file, which must be root's and writable by nobody else.
 */
@Command(name = "helper", mixinStandardHelpOptions = true,
        description = "Root helper: mounts shared storage and starts tasks as tasks.runAs for the unprivileged agent.")
public final class HelperCommand implements Callable<Integer> {
    private static final Logger LOGGER = LoggerFactory.getLogger(HelperCommand.class);

    @Option(names = "--config", paramLabel = "FILE", required = true,
            description = "The agent's YAML config (root-owned): helper.*, mounts and tasks.runAs are read here.")
    Path configFile;

    @Option(names = "--socket", paramLabel = "PATH",
            description = "Overrides helper.socket (the units pass their RuntimeDirectory's socket).")
    String socket;

    @Override
    public Integer call() throws Exception {
        AgentConfig config;
        UserPrincipal agent;
        GroupPrincipal agentGroup;
        long agentUid;
        try {
            requireRootOwned(configFile);
            config = AgentConfigFile.load(configFile);
            AgentConfig.Helper h = socket == null ? config.helper() : new AgentConfig.Helper(socket,
                    config.helper().agentUser());
            if (!h.enabled()) {
                throw new ConfigException(configFile + ": helper.socket is empty; the helper needs its socket path");
            }
            OptionalLong uid = UnixUsers.uid(h.agentUser());
            OptionalLong gid = UnixUsers.primaryGid(h.agentUser());
            if (uid.isEmpty() || gid.isEmpty()) {
                throw new ConfigException(configFile + ": helper.agentUser " + h.agentUser() + " names no user here");
            }
            if (uid.getAsLong() == 0) {
                throw new ConfigException(configFile + ": helper.agentUser " + h.agentUser() + " is root (uid 0)");
            }
            agentUid = uid.getAsLong();
            UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
            agent = users.lookupPrincipalByName(Long.toString(agentUid));
            agentGroup = users.lookupPrincipalByGroupName(Long.toString(gid.getAsLong()));
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("drover-agent helper: configuration error: " + e.getMessage());
            return 2;
        }
        HelperTasks tasks = new HelperTasks(config.tasks().runAs(), agentUid, HelperTasks.STOP_GRACE);
        HelperService service = new HelperService(config, new LocalMounter(new CommandRunner()), tasks);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        Path socketPath = Path.of(socket != null ? socket : config.helper().socket());
        try (HelperServer server = new HelperServer(socketPath, agent, agentGroup, service)) {
            server.start();
            LOGGER.atInfo().addKeyValue("config", configFile).addKeyValue("mounts", config.mounts().size())
                    .addKeyValue("runAs", config.tasks().runAs()).log("drover-agent helper started");
            stop.await();
        } finally {
            tasks.close();
        }
        return 0;
    }

    /**
     * The config is the helper's authority: were it writable by the agent (or anyone but root), the agent could
     * declare its own mounts and task user. Refused rather than trusted.
     */
    static void requireRootOwned(Path file) {
        try {
            PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            UserPrincipal root = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("0");
            if (!a.isRegularFile() || !a.owner().equals(root)
                    || a.permissions().contains(PosixFilePermission.GROUP_WRITE)
                    || a.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new ConfigException(file + ": must be a regular file owned by root and writable by root only "
                        + "(the helper takes mounts and tasks.runAs from it), got owner " + a.owner().getName()
                        + " mode " + java.nio.file.attribute.PosixFilePermissions.toString(a.permissions()));
            }
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read config file: " + e.getMessage(), e);
        }
    }
}
