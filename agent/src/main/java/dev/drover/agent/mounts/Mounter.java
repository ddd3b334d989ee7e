package dev.drover.agent.mounts;

import dev.drover.agent.config.MountConfig;

/**
 * Who carries out a mount for {@link MountManager}: the agent itself ({@link LocalMounter}, when it runs as
 * root) or the root helper ({@code dev.drover.agent.helper.HelperClient}), which checks the mount against its
 * own reading of the config. Both answer as mount(8) did: exit code and what it printed.
 */
public interface Mounter {
    /** Creates the mount point and runs {@link MountCommand#mount} for this mount and server. */
    CommandRunner.Outcome mount(MountConfig mount, String server) throws InterruptedException;

    /** Runs {@link MountCommand#unmount}: a lazy unmount, for stale-handle recovery only. */
    CommandRunner.Outcome unmount(MountConfig mount) throws InterruptedException;
}
