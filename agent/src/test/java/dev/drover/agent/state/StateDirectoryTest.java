package dev.drover.agent.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void secondAgentOnTheSameDirectoryIsTurnedAwayByName() {
        Path state = dir.resolve("state");
        try (StateDirectory first = StateDirectory.open(state)) {
            assertThat(Files.isDirectory(state)).isTrue();
            assertThatThrownBy(() -> StateDirectory.open(state)).isInstanceOf(StateDirectoryException.class)
                    .hasMessageContaining(state.toString()).hasMessageContaining("in use");
        }
        StateDirectory.open(state).close(); // free again once the first has gone
    }

    @Test
    void directoryThatCannotBeCreatedIsNamed() throws Exception {
        Path blocked = Files.writeString(dir.resolve("file"), "x").resolve("state");
        assertThatThrownBy(() -> StateDirectory.open(blocked)).isInstanceOf(StateDirectoryException.class)
                .hasMessageContaining("stateDir " + blocked);
    }

    @Test
    void atomicWriteReplacesTheWholeFile() throws Exception {
        Path target = dir.resolve("f.json");
        StateDirectory.writeAtomically(target, "first, longer content".getBytes());
        StateDirectory.writeAtomically(target, "second".getBytes());
        assertThat(Files.readString(target)).isEqualTo("second");
        assertThat(dir.resolve("f.json.tmp")).doesNotExist();
    }
}
