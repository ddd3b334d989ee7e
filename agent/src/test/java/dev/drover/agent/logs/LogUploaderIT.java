package dev.drover.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.BlobServiceVersion;
import dev.drover.agent.config.LogConfig;
import dev.drover.protocol.TaskRef;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Task logs to a real Azurite, including through an outage. */
class LogUploaderIT {
    @TempDir
    Path dir;

    private int port;
    private Azurite azurite;
    private LogUploader uploader;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        azurite = Azurite.start(port, Files.createDirectories(dir.resolve("azurite")));
        uploader = new LogUploader(new LogConfig("tractor-logs", null, Azurite.connectionString(port),
                dir.resolve("spool").toString(), null));
        uploader.start();
    }

    @AfterEach
    void stop() throws Exception {
        uploader.close();
        if (azurite != null) {
            azurite.close();
        }
    }

    private BlobContainerClient container() {
        return new BlobServiceClientBuilder().connectionString(Azurite.connectionString(port))
                .serviceVersion(BlobServiceVersion.V2025_11_05).buildClient().getBlobContainerClient("tractor-logs");
    }

    private String blob(String name) {
        var b = container().getBlobClient(name);
        return b.exists() ? b.downloadContent().toString() : null;
    }

    @Test
    void finishedTaskLogIsUploadedUnderPoolJobTaskCommandAndNode() throws Exception {
        Path log = dir.resolve("task.log");
        Files.writeString(log, "Fra:1 | Sample 1/8\nSaved: 'frame_0001.png'\n");
        String name = LogUploader.blobName("spot-d16", new TaskRef(1234, 7, 3), "render000004");

        uploader.submit(log, name);
        Files.delete(log); // the task may remove its file at once: the spool has a copy

        assertThat(name).isEqualTo("spot-d16/1234/7/3-render000004.log");
        await().atMost(Duration.ofSeconds(20)).until(() -> blob(name) != null);
        assertThat(blob(name)).contains("Saved: 'frame_0001.png'");
        assertThat(uploader.pending()).isZero();
    }

    @Test
    void logWrittenWhileBlobIsDownIsUploadedOnceItIsBack() throws Exception {
        azurite.close();
        azurite = null;
        Path log = dir.resolve("outage.log");
        Files.writeString(log, "rendered during an outage\n");
        String name = LogUploader.blobName("pool", new TaskRef(9, 1, 1), "node");

        uploader.submit(log, name);
        Thread.sleep(3000);
        assertThat(uploader.pending()).as("kept in the spool while Blob is down").isEqualTo(1);

        azurite = Azurite.start(port, dir.resolve("azurite"));

        await().atMost(Duration.ofSeconds(90)).until(() -> uploader.pending() == 0);
        assertThat(blob(name)).isEqualTo("rendered during an outage\n");
    }
}
