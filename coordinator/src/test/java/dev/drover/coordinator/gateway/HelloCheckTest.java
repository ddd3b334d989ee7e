package dev.drover.coordinator.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.drover.protocol.Hello;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.Reject;
import dev.drover.protocol.RejectReason;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HelloCheckTest {
    private final EnrolmentTokens tokens = new EnrolmentTokens(List.of("good"));

    private static Hello hello(int min, int max, String nodeId, String token) {
        return new Hello(min, max, "t", NodeIdentity.local(nodeId, "p"), 1, 0, token, "", 0);
    }

    private Optional<RejectReason> check(Hello hello, boolean shuttingDown) {
        return HelloCheck.check(hello, shuttingDown, tokens).map(Reject::reason);
    }

    @Test
    void acceptsAnOverlappingRangeWithAGoodTokenAndNodeId() {
        assertThat(check(hello(0, 1, "n", "good"), false)).isEmpty();
        assertThat(check(hello(1, 9, "n", "good"), false)).isEmpty();
    }

    @Test
    void refusesInTheDocumentedOrder() {
        assertThat(check(hello(0, 0, " ", "bad"), true)).contains(RejectReason.SHUTTING_DOWN);
        assertThat(check(hello(0, 0, " ", "bad"), false)).contains(RejectReason.UNSUPPORTED_VERSION);
        assertThat(check(hello(3, 1, " ", "bad"), false)).contains(RejectReason.UNSUPPORTED_VERSION);
        assertThat(check(hello(1, 1, " ", "bad"), false)).as("credential before content")
                .contains(RejectReason.BAD_CREDENTIAL);
        assertThat(check(hello(1, 1, " ", "good"), false)).contains(RejectReason.INVALID_HELLO);
        assertThat(check(hello(1, 1, "n", "good").withStreams("x".repeat(65), "", 0), false))
                .contains(RejectReason.INVALID_HELLO);
    }

    @Test
    void everyRejectCarriesTheCoordinatorsRange() {
        Reject r = HelloCheck.check(hello(7, 9, "n", "good"), false, tokens).orElseThrow();
        assertThat(r.minVersion()).isEqualTo(1);
        assertThat(r.maxVersion()).isEqualTo(1);
        assertThat(r.detail()).contains("7..9").contains("1..1");
    }
}
