package dev.drover.agent.mounts;

import dev.drover.testsupport.HostPackages;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real nfs-ganesha NFS server for tests: NFSv4 only (so no rpcbind is needed), on loopback and a port of
 * the test's choosing, exporting a folder. Started by the test and stopped by PID (ENV-NOTES §4).
 */
final class GaneshaServer implements AutoCloseable {
    private final Process process;
    private final Path dir;

    private GaneshaServer(Process process, Path dir) {
        this.process = process;
        this.dir = dir;
    }

    static GaneshaServer start(Path dir, Path export, int port) throws Exception {
        HostPackages.require("ganesha.nfsd", "nfs-ganesha", "nfs-ganesha-vfs");
        Files.createDirectories(dir.resolve("recov"));
        Path conf = dir.resolve("ganesha.conf");
        Files.writeString(conf, """
                NFS_CORE_PARAM { Bind_addr = 127.0.0.1; NFS_Port = %d; Protocols = 4;
                                 Enable_NLM = false; Enable_RQUOTA = false; Enable_UDP = false; }
                NFSv4 { Graceless = true; RecoveryBackend = fs; RecoveryRoot = %s; }
                EXPORT { Export_Id = 1; Path = %s; Pseudo = /export; Access_Type = RW; Squash = No_Root_Squash;
                         SecType = sys; Protocols = 4; Transports = TCP; FSAL { Name = VFS; } }
                LOG { Default_Log_Level = EVENT; }
                """.formatted(port, dir.resolve("recov"), export));
        Process p = new ProcessBuilder(List.of("ganesha.nfsd", "-F", "-L", dir.resolve("ganesha.log").toString(),
                "-f", conf.toString(), "-p", dir.resolve("ganesha.pid").toString(), "-N", "NIV_EVENT"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("ganesha.out").toFile()).start();
        GaneshaServer server = new GaneshaServer(p, dir);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("ganesha.nfsd exited: " + server.log());
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return server;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        server.close();
        throw new IllegalStateException("ganesha.nfsd did not listen on " + port + ": " + server.log());
    }

    String log() throws IOException {
        Path log = dir.resolve("ganesha.log");
        return Files.exists(log) ? Files.readString(log) : "(no log)";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
