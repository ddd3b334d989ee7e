package dev.drover.agent.helper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The helper's wire: what the agent writes parses back; everything else is refused with what was wrong. */
class HelperProtocolTest {
    @Test
    void requestsTheAgentWritesParseBack() throws Exception {
        assertThat(HelperProtocol.parse(HelperProtocol.mount(1, "cache", "10.0.0.1")))
                .isEqualTo(new HelperProtocol.Mount(1, "cache", "10.0.0.1"));
        assertThat(HelperProtocol.parse(HelperProtocol.mount(2, "scratch", "")))
                .isEqualTo(new HelperProtocol.Mount(2, "scratch", ""));
        assertThat(HelperProtocol.parse(HelperProtocol.unmount(3, "cache"))).isEqualTo(new HelperProtocol.Unmount(3, "cache"));
        assertThat(HelperProtocol.parse(HelperProtocol.signal(4, 1234, 99, true)))
                .isEqualTo(new HelperProtocol.Signal(4, 1234, 99, true));
        HelperProtocol.Request start = HelperProtocol.parse(HelperProtocol.start(5, "7/1/0", List.of("sh", "-c", "true"),
                Map.of("PATH", "/usr/bin", "LD_LIBRARY_PATH", "/opt/lib"), "/tmp"));
        assertThat(start).isEqualTo(new HelperProtocol.Start(5, "7/1/0", List.of("sh", "-c", "true"),
                Map.of("PATH", "/usr/bin", "LD_LIBRARY_PATH", "/opt/lib"), "/tmp"));
    }

    @Test
    void rejectsWhatIsNotARequestNamingTheProblem() {
        assertRefused("not json", 0, "not JSON");
        assertRefused("[1,2]", 0, "not a JSON object");
        assertRefused("{\"op\":\"mount\",\"name\":\"cache\"}", 0, "id must be a positive integer");
        assertRefused("{\"id\":7,\"op\":\"format\"}", 7, "unknown op 'format'");
        assertRefused("{\"id\":8,\"op\":\"mount\",\"name\":\"cache\",\"options\":\"suid\"}", 8, "unknown field 'options'");
        assertRefused("{\"id\":9,\"op\":\"mount\"}", 9, "name must be a string");
        assertRefused("{\"id\":10,\"op\":\"signal\",\"pid\":1,\"startTicks\":5,\"signal\":\"TERM\"}", 10, "pid must be above 1");
        assertRefused("{\"id\":11,\"op\":\"signal\",\"pid\":100,\"startTicks\":5,\"signal\":\"STOP\"}", 11,
                "signal must be TERM or KILL");
        assertRefused("{\"id\":12,\"op\":\"start\",\"task\":\"t\",\"argv\":[]}", 12, "argv must be an array of 1..");
        assertRefused("{\"id\":13,\"op\":\"start\",\"task\":\"t\",\"argv\":[\"a\\u0000b\"]}", 13, "argv[0] holds a NUL");
        assertRefused("{\"id\":14,\"op\":\"start\",\"task\":\"t\",\"argv\":[\"sh\"],\"env\":{\"A=B\":\"c\"}}", 14,
                "is not a variable name");
        assertRefused("{\"id\":15,\"op\":\"unmount\",\"name\":\"a\"} {\"id\":16}", 0, "not JSON");
        assertRefused("{\"id\":17,\"op\":\"unmount\",\"name\":\"a\",\"name\":\"b\"}", 0, "not JSON");
    }

    @Test
    void boundsArgvEnvAndStrings() {
        String manyArgs = HelperProtocol.start(20, "t", Collections.nCopies(HelperProtocol.MAX_ARGS + 1, "x"), Map.of(), "");
        assertRefused(manyArgs, 20, "argv must be an array of 1.." + HelperProtocol.MAX_ARGS);
        Map<String, String> env = new java.util.HashMap<>();
        for (int i = 0; i <= HelperProtocol.MAX_ENV; i++) {
            env.put("V" + i, "x");
        }
        assertRefused(HelperProtocol.start(21, "t", List.of("sh"), env, ""), 21, "env must be an object of at most");
        String big = "y".repeat(HelperProtocol.MAX_STRING_BYTES + 1);
        assertRefused(HelperProtocol.start(22, "t", List.of("sh", big), Map.of(), ""), 22,
                "argv[1] is " + (HelperProtocol.MAX_STRING_BYTES + 1) + " bytes, limit " + HelperProtocol.MAX_STRING_BYTES);
    }

    private static void assertRefused(String line, long id, String reason) {
        assertThatThrownBy(() -> HelperProtocol.parse(line)).isInstanceOf(HelperProtocol.BadRequest.class)
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(((HelperProtocol.BadRequest) e).id()).isEqualTo(id));
    }
}
