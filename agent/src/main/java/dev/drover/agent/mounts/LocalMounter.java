package dev.drover.agent.mounts;

import dev.drover.agent.config.MountConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Mounts in this process: needs CAP_SYS_ADMIN in the host's mount namespace (the helper, or a root agent). */
public final class LocalMounter implements Mounter {
    /** mount.nfs may wait out its own retries ({@code retry=30}, minutes); the agent never waits that long. */
    public static final long MOUNT_TIMEOUT_MILLIS = 120_000;

    private final CommandRunner commands;

    public LocalMounter(CommandRunner commands) {
        this.commands = commands;
    }

    @Override
    public CommandRunner.Outcome mount(MountConfig mount, String server) throws InterruptedException {
        try {
            Files.createDirectories(Path.of(mount.mountPoint()));
        } catch (IOException e) {
            return new CommandRunner.Outcome(-1, "cannot create mount point: " + e.getMessage());
        }
        return commands.run(MountCommand.mount(mount, server), MOUNT_TIMEOUT_MILLIS);
    }

    @Override
    public CommandRunner.Outcome unmount(MountConfig mount) throws InterruptedException {
        return commands.run(MountCommand.unmount(mount), MOUNT_TIMEOUT_MILLIS);
    }
}
