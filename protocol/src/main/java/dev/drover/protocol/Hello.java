package dev.drover.protocol;

import java.util.Objects;

/**
 * Agent → coordinator, first frame of every connection. Offers a version range, says who the node is and
 * what it can run, proves enrolment, and (after a reconnect) names the session to resume together with the
 * last coordinator sequence the agent has processed, so the coordinator can resend what the agent missed.
 *
 * @param previousSessionId empty on a fresh agent start
 * @param lastReceivedSeq highest coordinator → agent reliable sequence the agent has processed; 0 if none
 */
public record Hello(int minVersion, int maxVersion, String agentVersion, NodeIdentity identity, int slots, int gpus,
        String enrolmentToken, String previousSessionId, long lastReceivedSeq) implements Message {

    public Hello {
        Fields.range(minVersion, 1, 0xFFFF, "hello.minVersion");
        Fields.range(maxVersion, minVersion, 0xFFFF, "hello.maxVersion");
        Fields.text(agentVersion, "hello.agentVersion");
        Objects.requireNonNull(identity, "hello.identity must not be null");
        Fields.range(slots, 0, 0xFFFF, "hello.slots");
        Fields.range(gpus, 0, 0xFFFF, "hello.gpus");
        Fields.text(enrolmentToken, "hello.enrolmentToken");
        Fields.text(previousSessionId, "hello.previousSessionId");
        Fields.nonNegative(lastReceivedSeq, "hello.lastReceivedSeq");
    }

    @Override
    public MessageType type() {
        return MessageType.HELLO;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.u16(minVersion).u16(maxVersion).shortString(agentVersion, "hello.agentVersion");
        identity.write(w);
        w.u16(slots).u16(gpus).shortString(enrolmentToken, "hello.enrolmentToken")
                .shortString(previousSessionId, "hello.previousSessionId").i64(lastReceivedSeq);
    }

    static Hello read(WireReader r) {
        return new Hello(r.u16("hello.minVersion"), r.u16("hello.maxVersion"), r.shortString("hello.agentVersion"),
                NodeIdentity.read(r), r.u16("hello.slots"), r.u16("hello.gpus"), r.shortString("hello.enrolmentToken"),
                r.shortString("hello.previousSessionId"), r.i64("hello.lastReceivedSeq"));
    }

    /** Never print the enrolment token. */
    @Override
    public String toString() {
        return "Hello[versions=" + minVersion + ".." + maxVersion + ", agentVersion=" + agentVersion + ", identity="
                + identity + ", slots=" + slots + ", gpus=" + gpus + ", previousSessionId=" + previousSessionId
                + ", lastReceivedSeq=" + lastReceivedSeq + "]";
    }
}
