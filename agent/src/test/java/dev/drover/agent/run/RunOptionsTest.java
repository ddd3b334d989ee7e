package dev.drover.agent.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** drover-run's hand-written command line: options first, then the command, whose own options stay its own. */
class RunOptionsTest {

    @Test
    void optionsThenTheCommandAfterDoubleDash() {
        RunOptions o = RunOptions.parse("--jid", "12", "--tid=3", "--cid", "4", "--parser", "blender",
                "--agent-socket", "/tmp/a.sock", "--capture=/tmp/t.log", "--", "blender", "-b", "x.blend", "--", "-x");

        assertThat(o.jid()).isEqualTo(12L);
        assertThat(o.tid()).isEqualTo(3);
        assertThat(o.cid()).isEqualTo(4);
        assertThat(o.parser()).isEqualTo("blender");
        assertThat(o.agentSocket()).isEqualTo(Path.of("/tmp/a.sock"));
        assertThat(o.capture()).isEqualTo(Path.of("/tmp/t.log"));
        assertThat(o.command()).containsExactly("blender", "-b", "x.blend", "--", "-x");
    }

    @Test
    void theFirstNonOptionStartsTheCommandWithoutDoubleDash() {
        RunOptions o = RunOptions.parse("povray", "--jid", "1", "+Iscene.pov");
        assertThat(o.jid()).isNull();
        assertThat(o.parser()).isEqualTo("auto");
        assertThat(o.command()).containsExactly("povray", "--jid", "1", "+Iscene.pov");
    }

    @Test
    void helpAndVersion() {
        assertThat(RunOptions.parse("--help").help()).isTrue();
        assertThat(RunOptions.parse("-V").version()).isTrue();
        assertThat(RunOptions.USAGE).contains("--agent-socket", "--capture", "--parser");
    }

    @Test
    void badInputNamesTheOption() {
        assertThatThrownBy(() -> RunOptions.parse("--jid", "abc", "--", "true"))
                .hasMessage("--jid must be a whole number, got 'abc'");
        assertThatThrownBy(() -> RunOptions.parse("--tid")).hasMessage("option --tid needs a value");
        assertThatThrownBy(() -> RunOptions.parse("--bogus", "1", "--", "true")).hasMessage("unknown option --bogus");
        assertThatThrownBy(() -> RunOptions.parse("--jid", "1", "--")).hasMessageContaining("no command given");
        assertThatThrownBy(() -> RunOptions.parse("--cid", "99999999999", "--", "true"))
                .hasMessage("--cid is out of range, got 99999999999");
    }

    @Test
    void noArgumentsAtAll() {
        assertThatThrownBy(() -> RunOptions.parse(List.<String>of().toArray(String[]::new)))
                .hasMessageContaining("no command given");
    }
}
