package dev.drover.protocol;

/**
 * Coordinator → agent: the session is accepted.
 *
 * @param resumed true when the Hello's previous session was found and its state kept
 * @param lastReceivedSeq highest seq of the agent stream named in the Hello that the coordinator has
 *     processed (0 if it does not know that stream); the agent drops buffered events up to it and resends the rest
 * @param maxFrameLength the coordinator's receive limit: the agent must not send a larger frame
 * @param commandStreamId extension 1: id of the coordinator → agent stream of this node; empty when not stated
 * @param nodeCredential extension 8: a newly issued per-node secret the agent must keep and present in every later
 *     Hello (it replaces any it held); empty when none was issued
 */
public record Welcome(int version, String sessionId, String nodeId, boolean resumed, long lastReceivedSeq,
        int heartbeatIntervalMillis, int heartbeatJitterPercent, int maxFrameLength, long serverTimeMillis,
        String commandStreamId, String nodeCredential) implements Message {

    static final int EXT_COMMAND_STREAM = 1;
    static final int EXT_NODE_CREDENTIAL = 8;

    public Welcome {
        Fields.range(version, 1, 0xFFFF, "welcome.version");
        Fields.nonBlank(sessionId, "welcome.sessionId");
        Fields.nonBlank(nodeId, "welcome.nodeId");
        Fields.nonNegative(lastReceivedSeq, "welcome.lastReceivedSeq");
        Fields.range(heartbeatIntervalMillis, 100, 3_600_000, "welcome.heartbeatIntervalMillis");
        Fields.range(heartbeatJitterPercent, 0, 50, "welcome.heartbeatJitterPercent");
        Fields.range(maxFrameLength, 1024, ProtocolLimits.MAX_FRAME_LENGTH_CEILING, "welcome.maxFrameLength");
        Fields.text(commandStreamId, "welcome.commandStreamId");
        Fields.text(nodeCredential, "welcome.nodeCredential");
    }

    /** A Welcome issuing no credential. */
    public Welcome(int version, String sessionId, String nodeId, boolean resumed, long lastReceivedSeq,
            int heartbeatIntervalMillis, int heartbeatJitterPercent, int maxFrameLength, long serverTimeMillis,
            String commandStreamId) {
        this(version, sessionId, nodeId, resumed, lastReceivedSeq, heartbeatIntervalMillis, heartbeatJitterPercent,
                maxFrameLength, serverTimeMillis, commandStreamId, "");
    }

    /** Never print the node credential. */
    @Override
    public String toString() {
        return "Welcome[version=" + version + ", sessionId=" + sessionId + ", nodeId=" + nodeId + ", resumed="
                + resumed + ", lastReceivedSeq=" + lastReceivedSeq + ", commandStreamId=" + commandStreamId
                + ", nodeCredential=" + (nodeCredential.isEmpty() ? "none" : "issued") + "]";
    }

    /** This Welcome issuing {@code credential}. */
    public Welcome withCredential(String credential) {
        return new Welcome(version, sessionId, nodeId, resumed, lastReceivedSeq, heartbeatIntervalMillis,
                heartbeatJitterPercent, maxFrameLength, serverTimeMillis, commandStreamId, credential);
    }

    /** A Welcome without the stream extension, as a pre-stream coordinator sends it. */
    public Welcome(int version, String sessionId, String nodeId, boolean resumed, long lastReceivedSeq,
            int heartbeatIntervalMillis, int heartbeatJitterPercent, int maxFrameLength, long serverTimeMillis) {
        this(version, sessionId, nodeId, resumed, lastReceivedSeq, heartbeatIntervalMillis, heartbeatJitterPercent,
                maxFrameLength, serverTimeMillis, "");
    }

    @Override
    public MessageType type() {
        return MessageType.WELCOME;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.u16(version).shortString(sessionId, "welcome.sessionId").shortString(nodeId, "welcome.nodeId")
                .bool(resumed).i64(lastReceivedSeq).i32(heartbeatIntervalMillis).u8(heartbeatJitterPercent)
                .i32(maxFrameLength).i64(serverTimeMillis);
        if (!commandStreamId.isEmpty()) {
            w.extension(EXT_COMMAND_STREAM, v -> v.shortString(commandStreamId, "welcome.commandStreamId"));
        }
        if (!nodeCredential.isEmpty()) {
            w.extension(EXT_NODE_CREDENTIAL, v -> v.shortString(nodeCredential, "welcome.nodeCredential"));
        }
    }

    static Welcome read(WireReader r) {
        int version = r.u16("welcome.version");
        String sessionId = r.shortString("welcome.sessionId");
        String nodeId = r.shortString("welcome.nodeId");
        boolean resumed = r.bool("welcome.resumed");
        long lastReceivedSeq = r.i64("welcome.lastReceivedSeq");
        int interval = r.i32("welcome.heartbeatIntervalMillis");
        int jitter = r.u8("welcome.heartbeatJitterPercent");
        int maxFrameLength = r.i32("welcome.maxFrameLength");
        long serverTime = r.i64("welcome.serverTimeMillis");
        String[] ext = {"", ""};
        r.readExtensions("WELCOME", (tag, v) -> {
            switch (tag) {
                case EXT_COMMAND_STREAM -> ext[0] = v.shortString("welcome.commandStreamId");
                case EXT_NODE_CREDENTIAL -> ext[1] = v.shortString("welcome.nodeCredential");
                default -> {
                    return false;
                }
            }
            return true;
        });
        return new Welcome(version, sessionId, nodeId, resumed, lastReceivedSeq, interval, jitter, maxFrameLength,
                serverTime, ext[0], ext[1]);
    }
}
