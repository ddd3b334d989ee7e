package dev.drover.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogSpoolTest {
    @TempDir
    Path dir;

    private Path file(String name, int bytes) throws Exception {
        return Files.write(dir.resolve(name), new byte[bytes]);
    }

    @Test
    void keepsEntriesInOrderAcrossRestartsAndDropsTheOldestWhenFull() throws Exception {
        LogSpool spool = new LogSpool(dir.resolve("spool"), 2 << 20);
        spool.add(file("a", 1 << 20), "p/1/1/1-n.log");
        spool.add(file("b", 1 << 20), "p/1/2/1-n.log");

        LogSpool reopened = new LogSpool(dir.resolve("spool"), 2 << 20);
        assertThat(reopened.entries()).extracting(LogSpool.Entry::blobName)
                .containsExactly("p/1/1/1-n.log", "p/1/2/1-n.log");

        reopened.add(file("c", 1 << 20), "p/1/3/1-n.log");

        assertThat(reopened.entries()).extracting(LogSpool.Entry::blobName)
                .containsExactly("p/1/2/1-n.log", "p/1/3/1-n.log");
        assertThat(reopened.dropped()).isEqualTo(1);
    }

    @Test
    void refusesALogLargerThanTheWholeSpool() throws Exception {
        LogSpool spool = new LogSpool(dir.resolve("spool"), 1 << 20);
        assertThat(spool.add(file("big", (1 << 20) + 1), "x")).isFalse();
        assertThat(spool.entries()).isEmpty();
        assertThat(spool.dropped()).isEqualTo(1);
    }
}
