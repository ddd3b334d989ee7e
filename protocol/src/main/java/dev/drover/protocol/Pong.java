package dev.drover.protocol;

/** The answer to a {@link Ping}. */
public record Pong(long nonce) implements Message {

    @Override
    public MessageType type() {
        return MessageType.PONG;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(nonce);
    }

    static Pong read(WireReader r) {
        return new Pong(r.i64("pong.nonce"));
    }
}
