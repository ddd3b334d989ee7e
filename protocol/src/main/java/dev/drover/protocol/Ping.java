package dev.drover.protocol;

/** Either direction: are you there? The peer answers with a {@link Pong} carrying the same nonce. */
public record Ping(long nonce) implements Message {

    @Override
    public MessageType type() {
        return MessageType.PING;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(nonce);
    }

    static Ping read(WireReader r) {
        return new Ping(r.i64("ping.nonce"));
    }
}
