package dev.drover.agent.logs;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Azurite Blob service for tests (npm azurite@3.35.0, the newest that runs on Node 20), installed into
 * the project's own .cache folder on first use, started on loopback and stopped by PID (ENV-NOTES §3).
 */
final class Azurite implements AutoCloseable {
    static final String VERSION = "3.35.0";
    static final String KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static final Path HOME = Path.of("..", ".cache", "azurite").toAbsolutePath().normalize();

    private final Process process;
    final int port;

    private Azurite(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static String connectionString(int port) {
        return "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + KEY
                + ";BlobEndpoint=http://127.0.0.1:" + port + "/devstoreaccount1;";
    }

    static synchronized Path install() throws IOException, InterruptedException {
        Path bin = HOME.resolve("node_modules/.bin/azurite-blob");
        if (Files.isExecutable(bin)) {
            return bin;
        }
        Files.createDirectories(HOME);
        Process npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--silent", "azurite@" + VERSION)
                .directory(HOME.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(HOME.resolve("npm-install.log").toFile())).start();
        if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0 || !Files.isExecutable(bin)) {
            throw new IllegalStateException("npm install azurite@" + VERSION + " into " + HOME + " failed");
        }
        return bin;
    }

    static Azurite start(int port, Path data) throws Exception {
        Path bin = install();
        // The bin is a node script: started directly (not via npx), our PID is node's own.
        Process p = new ProcessBuilder(List.of(bin.toString(), "--blobHost", "127.0.0.1", "--blobPort",
                String.valueOf(port), "--location", data.toString(), "--skipApiVersionCheck", "--loose",
                "--disableTelemetry", "--silent")).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolveSibling("azurite.out").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return new Azurite(p, port);
            } catch (IOException notYet) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("azurite exited with " + p.exitValue());
                }
                Thread.sleep(100);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("azurite did not listen on " + port);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
