package dev.drover.protocol;

import java.util.Objects;

/**
 * Agent → coordinator, first frame of every connection. Offers a version range, says who the node is and
 * what it can run, proves enrolment, and names the reliable streams (PROTOCOL.md §6): the agent's own
 * agent → coordinator stream, and the coordinator → agent stream it has processed up to {@code lastReceivedSeq}.
 *
 * <p>Version and node id are range-checked by the coordinator rather than here, so a bad range or a blank
 * node id gets a Reject with a reason instead of a protocol error.
 *
 * @param previousSessionId empty on a fresh agent start
 * @param lastReceivedSeq highest seq of stream {@code commandStreamId} the agent has processed; 0 if none
 * @param agentStreamId extension 1: id of the agent's outbox stream; empty when not stated (pre-stream agents)
 * @param commandStreamId extension 2: the coordinator stream {@code lastReceivedSeq} counts; empty if none
 * @param maxFrameLength extension 3: the agent's own receive limit; 0 when not stated (then 65,536)
 * @param nodeCredential extension 8: the per-node secret the coordinator issued in a Welcome; empty if none
 * @param attestedDocument extension 9: the VM's signed IMDS attested document (PKCS#7, base64) for the nonce of
 *     a Reject(ATTESTATION_REQUIRED); empty if none
 */
public record Hello(int minVersion, int maxVersion, String agentVersion, NodeIdentity identity, int slots, int gpus,
        String enrolmentToken, String previousSessionId, long lastReceivedSeq, String agentStreamId,
        String commandStreamId, int maxFrameLength, String nodeCredential, String attestedDocument)
        implements Message {

    static final int EXT_AGENT_STREAM = 1;
    static final int EXT_COMMAND_STREAM = 2;
    static final int EXT_MAX_FRAME_LENGTH = 3;
    static final int EXT_NODE_CREDENTIAL = 8;
    static final int EXT_ATTESTED_DOCUMENT = 9;

    public Hello {
        Fields.range(minVersion, 0, 0xFFFF, "hello.minVersion");
        Fields.range(maxVersion, 0, 0xFFFF, "hello.maxVersion");
        Fields.text(agentVersion, "hello.agentVersion");
        Objects.requireNonNull(identity, "hello.identity must not be null");
        Fields.range(slots, 0, 0xFFFF, "hello.slots");
        Fields.range(gpus, 0, 0xFFFF, "hello.gpus");
        Fields.text(enrolmentToken, "hello.enrolmentToken");
        Fields.text(previousSessionId, "hello.previousSessionId");
        Fields.nonNegative(lastReceivedSeq, "hello.lastReceivedSeq");
        Fields.text(agentStreamId, "hello.agentStreamId");
        Fields.text(commandStreamId, "hello.commandStreamId");
        if (maxFrameLength != 0) {
            Fields.range(maxFrameLength, 1024, ProtocolLimits.MAX_FRAME_LENGTH_CEILING, "hello.maxFrameLength");
        }
        Fields.text(nodeCredential, "hello.nodeCredential");
        Fields.text(attestedDocument, "hello.attestedDocument");
    }

    /** A Hello without the identity extensions (8, 9), as an agent before per-node identity sends it. */
    public Hello(int minVersion, int maxVersion, String agentVersion, NodeIdentity identity, int slots, int gpus,
            String enrolmentToken, String previousSessionId, long lastReceivedSeq, String agentStreamId,
            String commandStreamId, int maxFrameLength) {
        this(minVersion, maxVersion, agentVersion, identity, slots, gpus, enrolmentToken, previousSessionId,
                lastReceivedSeq, agentStreamId, commandStreamId, maxFrameLength, "", "");
    }

    /** A Hello without the stream extensions, as a pre-stream agent sends it. */
    public Hello(int minVersion, int maxVersion, String agentVersion, NodeIdentity identity, int slots, int gpus,
            String enrolmentToken, String previousSessionId, long lastReceivedSeq) {
        this(minVersion, maxVersion, agentVersion, identity, slots, gpus, enrolmentToken, previousSessionId,
                lastReceivedSeq, "", "", 0);
    }

    /** This Hello naming the agent's stream and the coordinator stream position it has processed. */
    public Hello withStreams(String agentStream, String commandStream, long commandSeq) {
        return new Hello(minVersion, maxVersion, agentVersion, identity, slots, gpus, enrolmentToken,
                previousSessionId, commandSeq, agentStream, commandStream, maxFrameLength, nodeCredential,
                attestedDocument);
    }

    /** This Hello proving the node with its issued credential and/or its VM's attested document. */
    public Hello withProof(String credential, String document) {
        return new Hello(minVersion, maxVersion, agentVersion, identity, slots, gpus, enrolmentToken,
                previousSessionId, lastReceivedSeq, agentStreamId, commandStreamId, maxFrameLength, credential,
                document);
    }

    /** This Hello stating the agent's receive limit. */
    public Hello withMaxFrameLength(int limit) {
        return new Hello(minVersion, maxVersion, agentVersion, identity, slots, gpus, enrolmentToken,
                previousSessionId, lastReceivedSeq, agentStreamId, commandStreamId, limit, nodeCredential,
                attestedDocument);
    }

    /** The largest frame the coordinator may send this agent. */
    public int receiveLimit() {
        return maxFrameLength != 0 ? maxFrameLength : ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH;
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
        if (!agentStreamId.isEmpty()) {
            w.extension(EXT_AGENT_STREAM, v -> v.shortString(agentStreamId, "hello.agentStreamId"));
        }
        if (!commandStreamId.isEmpty()) {
            w.extension(EXT_COMMAND_STREAM, v -> v.shortString(commandStreamId, "hello.commandStreamId"));
        }
        if (maxFrameLength != 0) {
            w.extension(EXT_MAX_FRAME_LENGTH, v -> v.i32(maxFrameLength));
        }
        if (!nodeCredential.isEmpty()) {
            w.extension(EXT_NODE_CREDENTIAL, v -> v.shortString(nodeCredential, "hello.nodeCredential"));
        }
        if (!attestedDocument.isEmpty()) {
            w.extension(EXT_ATTESTED_DOCUMENT, v -> v.boundedString(attestedDocument, ProtocolLimits.MAX_DOCUMENT,
                    "hello.attestedDocument"));
        }
    }

    static Hello read(WireReader r) {
        int minVersion = r.u16("hello.minVersion");
        int maxVersion = r.u16("hello.maxVersion");
        String agentVersion = r.shortString("hello.agentVersion");
        NodeIdentity identity = NodeIdentity.read(r);
        int slots = r.u16("hello.slots");
        int gpus = r.u16("hello.gpus");
        String token = r.shortString("hello.enrolmentToken");
        String previousSessionId = r.shortString("hello.previousSessionId");
        long lastReceivedSeq = r.i64("hello.lastReceivedSeq");
        String[] streams = {"", "", "", ""};
        int[] limit = {0};
        r.readExtensions("HELLO", (tag, v) -> {
            switch (tag) {
                case EXT_AGENT_STREAM -> streams[0] = v.shortString("hello.agentStreamId");
                case EXT_COMMAND_STREAM -> streams[1] = v.shortString("hello.commandStreamId");
                case EXT_MAX_FRAME_LENGTH -> limit[0] = v.i32("hello.maxFrameLength");
                case EXT_NODE_CREDENTIAL -> streams[2] = v.shortString("hello.nodeCredential");
                case EXT_ATTESTED_DOCUMENT -> streams[3] = v.boundedString(ProtocolLimits.MAX_DOCUMENT,
                        "hello.attestedDocument");
                default -> {
                    return false;
                }
            }
            return true;
        });
        return new Hello(minVersion, maxVersion, agentVersion, identity, slots, gpus, token, previousSessionId,
                lastReceivedSeq, streams[0], streams[1], limit[0], streams[2], streams[3]);
    }

    /** Never print the enrolment token or the node credential. */
    @Override
    public String toString() {
        return "Hello[versions=" + minVersion + ".." + maxVersion + ", agentVersion=" + agentVersion + ", identity="
                + identity + ", slots=" + slots + ", gpus=" + gpus + ", previousSessionId=" + previousSessionId
                + ", lastReceivedSeq=" + lastReceivedSeq + ", agentStreamId=" + agentStreamId + ", commandStreamId="
                + commandStreamId + ", maxFrameLength=" + maxFrameLength + ", nodeCredential="
                + (nodeCredential.isEmpty() ? "none" : "***") + ", attestedDocument=" + attestedDocument.length()
                + " chars]";
    }
}
