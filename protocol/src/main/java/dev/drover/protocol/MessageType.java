package dev.drover.protocol;

import java.util.function.Function;

/** Owns every wire type code and the body reader for it. Codes never change meaning. */
public enum MessageType {
    HELLO(0x01, Hello::read),
    WELCOME(0x02, Welcome::read),
    REJECT(0x03, Reject::read),
    HEARTBEAT(0x04, Heartbeat::read),
    EVICTION_NOTICE(0x05, EvictionNotice::read),
    TASK_STARTED(0x06, TaskStarted::read),
    TASK_PROGRESS(0x07, TaskProgress::read),
    TASK_FINISHED(0x08, TaskFinished::read),
    DRAIN(0x09, Drain::read),
    DRAIN_STATE(0x0A, DrainState::read),
    RUN_TASK(0x0B, RunTask::read),
    CANCEL_TASK(0x0C, CancelTask::read),
    ACK(0x0D, Ack::read),
    PING(0x0E, Ping::read),
    PONG(0x0F, Pong::read),
    BYE(0x10, Bye::read),
    EVICTION_ENDED(0x14, EvictionEnded::read);

    private static final MessageType[] BY_CODE = new MessageType[256];

    static {
        for (MessageType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final Function<WireReader, Message> reader;

    MessageType(int code, Function<WireReader, Message> reader) {
        this.code = code;
        this.reader = reader;
    }

    public int code() {
        return code;
    }

    /** The type for a wire code; throws {@link ProtocolException} for a code this version does not know. */
    public static MessageType fromCode(int code) {
        MessageType type = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (type == null) {
            throw new ProtocolException("unknown message type code " + code);
        }
        return type;
    }

    Message readBody(WireReader r) {
        return reader.apply(r);
    }
}
