package dev.drover.protocol;

/**
 * Coordinator → agent: the session is accepted.
 *
 * @param resumed true when the Hello's previous session was found and its state kept
 * @param lastReceivedSeq highest agent → coordinator reliable sequence already processed in this session;
 *     the agent drops buffered events up to it and resends the rest
 */
public record Welcome(int version, String sessionId, String nodeId, boolean resumed, long lastReceivedSeq,
        int heartbeatIntervalMillis, int heartbeatJitterPercent, int maxFrameLength, long serverTimeMillis)
        implements Message {

    public Welcome {
        Fields.range(version, 1, 0xFFFF, "welcome.version");
        Fields.nonBlank(sessionId, "welcome.sessionId");
        Fields.nonBlank(nodeId, "welcome.nodeId");
        Fields.nonNegative(lastReceivedSeq, "welcome.lastReceivedSeq");
        Fields.range(heartbeatIntervalMillis, 100, 3_600_000, "welcome.heartbeatIntervalMillis");
        Fields.range(heartbeatJitterPercent, 0, 50, "welcome.heartbeatJitterPercent");
        Fields.range(maxFrameLength, 1024, ProtocolLimits.MAX_FRAME_LENGTH_CEILING, "welcome.maxFrameLength");
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
    }

    static Welcome read(WireReader r) {
        return new Welcome(r.u16("welcome.version"), r.shortString("welcome.sessionId"),
                r.shortString("welcome.nodeId"), r.bool("welcome.resumed"), r.i64("welcome.lastReceivedSeq"),
                r.i32("welcome.heartbeatIntervalMillis"), r.u8("welcome.heartbeatJitterPercent"),
                r.i32("welcome.maxFrameLength"), r.i64("welcome.serverTimeMillis"));
    }
}
