package dev.drover.agent.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.drover.agent.state.StateDirectoryException;
import dev.drover.protocol.DrainPhase;
import dev.drover.protocol.DrainState;
import dev.drover.protocol.Reliable;
import dev.drover.protocol.TaskFinished;
import dev.drover.protocol.TaskRef;
import dev.drover.protocol.TaskStarted;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalOutboxTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private static Reliable finished(long seq, int tid) {
        return new TaskFinished(seq, new TaskRef(7, tid, 0), 0, 0, 1234, 4096, 1_000_000 + tid);
    }

    private Path file() {
        return dir.resolve(JournalOutbox.FILE_NAME);
    }

    @Test
    void reopenedJournalHoldsUnacknowledgedEventsInOrderUnderTheSameStream() {
        String stream;
        try (JournalOutbox journal = JournalOutbox.open(dir, 100, CLOCK)) {
            journal.add(seq -> finished(seq, 1));
            journal.add(seq -> new TaskStarted(seq, new TaskRef(7, 2, 0), 5, 42));
            journal.add(seq -> new DrainState(seq, DrainPhase.DRAINING, 1));
            stream = journal.streamId();
        }
        try (JournalOutbox reopened = JournalOutbox.open(dir, 100, CLOCK)) {
            assertThat(reopened.streamId()).isEqualTo(stream);
            assertThat(reopened.unacknowledged()).containsExactly(finished(1, 1),
                    new TaskStarted(2, new TaskRef(7, 2, 0), 5, 42), new DrainState(3, DrainPhase.DRAINING, 1));
            assertThat(reopened.add(seq -> finished(seq, 4)).seq()).isEqualTo(4);
        }
    }

    @Test
    void acknowledgedEventsAreNotReplayedAndTheFileShrinksToItsHeader() throws IOException {
        long headerOnly;
        try (JournalOutbox journal = JournalOutbox.open(dir, 100, CLOCK, 0)) {
            headerOnly = Files.size(file());
            for (int i = 1; i <= 5; i++) {
                int tid = i;
                journal.add(seq -> finished(seq, tid));
            }
            assertThat(journal.acknowledge(2)).isEqualTo(2);
            assertThat(journal.isSettled(2)).isTrue();
            assertThat(journal.isSettled(3)).isFalse();
        }
        try (JournalOutbox reopened = JournalOutbox.open(dir, 100, CLOCK, 0)) {
            assertThat(reopened.unacknowledged()).extracting(Reliable::seq).containsExactly(3L, 4L, 5L);
            assertThat(reopened.acknowledge(5)).isEqualTo(3);
            assertThat(Files.size(file())).isEqualTo(headerOnly);
        }
        try (JournalOutbox reopened = JournalOutbox.open(dir, 100, CLOCK)) {
            assertThat(reopened.size()).isZero();
            assertThat(reopened.lastSeq()).isEqualTo(5);
            assertThat(reopened.isSettled(5)).isTrue();
            assertThat(reopened.add(seq -> finished(seq, 6)).seq()).isEqualTo(6);
        }
    }

    @Test
    void acknowledgementBelowTheCompactionSizeIsAppendedAndHonouredOnReplay() throws IOException {
        try (JournalOutbox journal = JournalOutbox.open(dir, 100, CLOCK)) {
            journal.add(seq -> finished(seq, 1));
            journal.add(seq -> finished(seq, 2));
            long before = Files.size(file());
            journal.acknowledge(2);
            assertThat(Files.size(file())).isGreaterThan(before); // an Ack record, no rewrite
        }
        try (JournalOutbox reopened = JournalOutbox.open(dir, 100, CLOCK)) {
            assertThat(reopened.size()).isZero();
            assertThat(reopened.isSettled(2)).isTrue();
            assertThat(reopened.add(seq -> finished(seq, 3)).seq()).isEqualTo(3);
        }
    }

    @Test
    void tornLastRecordIsDroppedAndTheRestKept() throws IOException {
        try (JournalOutbox journal = JournalOutbox.open(dir, 100, CLOCK)) {
            for (int i = 1; i <= 3; i++) {
                int tid = i;
                journal.add(seq -> finished(seq, tid));
            }
        }
        long size = Files.size(file());
        try (RandomAccessFile raf = new RandomAccessFile(file().toFile(), "rw")) {
            raf.setLength(size - 5); // a crash in the middle of writing the third record
        }
        try (JournalOutbox reopened = JournalOutbox.open(dir, 100, CLOCK)) {
            assertThat(reopened.unacknowledged()).containsExactly(finished(1, 1), finished(2, 2));
            assertThat(reopened.add(seq -> finished(seq, 9)).seq()).isEqualTo(3);
        }
        try (JournalOutbox again = JournalOutbox.open(dir, 100, CLOCK)) {
            assertThat(again.unacknowledged()).containsExactly(finished(1, 1), finished(2, 2), finished(3, 9));
        }
    }

    @Test
    void recordWithBadChecksumEndsTheIntactPart() throws IOException {
        try (JournalOutbox journal = JournalOutbox.open(dir, 100, CLOCK)) {
            for (int i = 1; i <= 3; i++) {
                int tid = i;
                journal.add(seq -> finished(seq, tid));
            }
        }
        byte[] bytes = Files.readAllBytes(file());
        int recordLength = JournalFile.record(finished(1, 1)).length;
        int secondRecord = bytes.length - 2 * recordLength;
        bytes[secondRecord + 10] ^= 0x40; // one flipped bit inside the second record's frame
        Files.write(file(), bytes);
        try (JournalOutbox reopened = JournalOutbox.open(dir, 100, CLOCK)) {
            assertThat(reopened.unacknowledged()).containsExactly(finished(1, 1));
            assertThat(Files.size(file())).isEqualTo(secondRecord);
        }
    }

    @Test
    void fullJournalDropsTheOldestAndCountsItAcrossRestarts() {
        try (JournalOutbox journal = JournalOutbox.open(dir, 3, CLOCK)) {
            for (int i = 1; i <= 5; i++) {
                int tid = i;
                journal.add(seq -> finished(seq, tid));
            }
            assertThat(journal.dropped()).isEqualTo(2);
            assertThat(journal.isSettled(1)).isTrue();
        }
        try (JournalOutbox reopened = JournalOutbox.open(dir, 3, CLOCK)) {
            assertThat(reopened.dropped()).isEqualTo(2);
            assertThat(reopened.unacknowledged()).extracting(Reliable::seq).containsExactly(3L, 4L, 5L);
        }
    }

    @Test
    void fileStaysBoundedWhileEventsComeAndGo() throws IOException {
        long compactAt = 16 * 1024;
        try (JournalOutbox journal = JournalOutbox.open(dir, 50, CLOCK, compactAt)) {
            for (int i = 1; i <= 2_000; i++) {
                int tid = i;
                Reliable r = journal.add(seq -> finished(seq, tid));
                if (i % 7 != 0) {
                    journal.acknowledge(r.seq() - 3); // always a few outstanding
                }
            }
            assertThat(journal.size()).isBetween(1, 50);
            assertThat(Files.size(file())).isLessThan(2 * compactAt);
            List<Reliable> before = journal.unacknowledged();
            journal.close();
            try (JournalOutbox reopened = JournalOutbox.open(dir, 50, CLOCK, compactAt)) {
                assertThat(reopened.unacknowledged()).isEqualTo(before);
                assertThat(reopened.lastSeq()).isEqualTo(2_000);
            }
        }
    }

    @Test
    void unusableStateDirectoryIsNamedInTheError() throws IOException {
        Path notADir = Files.writeString(dir.resolve("plain-file"), "x");
        assertThatThrownBy(() -> JournalOutbox.open(notADir, 10, CLOCK))
                .isInstanceOf(StateDirectoryException.class)
                .hasMessageContaining(notADir.resolve(JournalOutbox.FILE_NAME).toString());
    }

    @Test
    void unreadableHeaderIsSetAsideAndANewStreamBegins() throws IOException {
        Files.writeString(file(), "not a journal at all");
        try (JournalOutbox journal = JournalOutbox.open(dir, 10, CLOCK)) {
            assertThat(journal.size()).isZero();
            assertThat(journal.streamId()).isNotBlank();
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.startsWith(JournalOutbox.FILE_NAME + ".damaged-"));
        }
    }
}
