package dev.drover.protocol;

/** Either direction: every reliable message up to and including {@code seq} has been processed (cumulative). */
public record Ack(long seq) implements Message {

    public Ack {
        Fields.nonNegative(seq, "ack.seq");
    }

    @Override
    public MessageType type() {
        return MessageType.ACK;
    }

    @Override
    public void writeBody(WireWriter w) {
        w.i64(seq);
    }

    static Ack read(WireReader r) {
        return new Ack(r.i64("ack.seq"));
    }
}
