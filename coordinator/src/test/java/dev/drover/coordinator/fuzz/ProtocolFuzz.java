package dev.drover.coordinator.fuzz;

import dev.drover.protocol.Hello;
import dev.drover.protocol.Message;
import dev.drover.protocol.MessageCodec;
import dev.drover.protocol.MessageType;
import dev.drover.protocol.NodeIdentity;
import dev.drover.protocol.ProtocolLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates hostile inputs for the agent gateway from a {@link Random}, so a run is reproducible from its seed:
 * random bytes, frames with a valid length and a random body, every message type with random field values
 * (built through the records' own constructors by reflection, so a new message or field is fuzzed without
 * touching this class), and valid encodings with bytes flipped, cut or appended.
 */
public final class ProtocolFuzz {
    /** Every concrete message record, found from the sealed {@link Message} hierarchy. */
    static final List<Class<?>> MESSAGE_TYPES = messageRecords();

    /** What agents send: every type except the coordinator's own and the handshake. */
    static final List<Class<?>> AGENT_TYPES = MESSAGE_TYPES.stream().filter(t -> !List.of(dev.drover.protocol.Hello.class,
            dev.drover.protocol.Welcome.class, dev.drover.protocol.Reject.class, dev.drover.protocol.RunTask.class,
            dev.drover.protocol.CancelTask.class, dev.drover.protocol.Drain.class, dev.drover.protocol.Bye.class)
            .contains(t)).toList();

    private final Random random;
    private final String token;
    private boolean shortText;

    public ProtocolFuzz(Random random, String token) {
        this.random = random;
        this.token = token;
    }

    /** What a case is made of, for the run's figures. */
    public enum Kind { RANDOM_BYTES, RANDOM_BODY, RANDOM_MESSAGE, MUTATED_MESSAGE }

    /** One input: the bytes to write and what made them. */
    public record Case(Kind kind, String what, byte[] bytes) {
    }

    /** Any kind of case; {@code nodeId} is used when a random Hello carries the valid token. */
    public Case next(String nodeId) {
        int dice = random.nextInt(100);
        if (dice < 10) {
            return new Case(Kind.RANDOM_BYTES, "bytes", randomBytes(random.nextInt(2_000)));
        }
        if (dice < 25) {
            return randomBody();
        }
        if (dice < 70) {
            Message m = randomMessage(nodeId);
            return new Case(Kind.RANDOM_MESSAGE, m.type().name(), encode(m));
        }
        Message m = randomMessage(nodeId);
        return new Case(Kind.MUTATED_MESSAGE, m.type().name(), mutate(encode(m)));
    }

    /** A frame whose length field matches its body; the body (type byte included) is random. */
    Case randomBody() {
        int length = random.nextInt(4) == 0 ? 1 + random.nextInt(8) : 1 + random.nextInt(3_000);
        byte[] body = randomBytes(length);
        if (random.nextBoolean()) {
            body[0] = (byte) MessageType.values()[random.nextInt(MessageType.values().length)].code();
        }
        return new Case(Kind.RANDOM_BODY, "type " + (body[0] & 0xFF), frame(body));
    }

    /**
     * What an enrolled agent may send, with random field values and text short enough for the wire (but with
     * control characters and bidi overrides): mostly heartbeats and progress, as on a farm.
     */
    public Case agentTraffic() {
        int dice = random.nextInt(100);
        Class<?> type = dice < 35 ? dev.drover.protocol.Heartbeat.class
                : dice < 70 ? dev.drover.protocol.TaskProgress.class
                : AGENT_TYPES.get(random.nextInt(AGENT_TYPES.size()));
        shortText = true;
        try {
            Message m = randomMessage(type, "");
            return new Case(Kind.RANDOM_MESSAGE, m.type().name(), encode(m));
        } finally {
            shortText = false;
        }
    }

    /** A message of a random type with random field values that its record accepts. */
    public Message randomMessage(String nodeId) {
        return randomMessage(null, nodeId);
    }

    private Message randomMessage(Class<?> only, String nodeId) {
        for (int attempt = 0; attempt < 50; attempt++) {
            Class<?> type = only != null ? only : MESSAGE_TYPES.get(random.nextInt(MESSAGE_TYPES.size()));
            Object[] args = arguments(type, 0);
            if (type == Hello.class && random.nextBoolean()) {
                // half the random Hellos get in (valid token, a bounded set of node ids); the rest are refused
                set(type, args, "enrolmentToken", token);
                set(type, args, "identity", NodeIdentity.local(nodeId, "fuzz"));
            }
            try {
                Message m = (Message) construct(type, args);
                encode(m); // too large for a frame: try another
                return m;
            } catch (RuntimeException refused) {
                // the record's validation or the encoder refused a value: draw again
            }
        }
        return new dev.drover.protocol.Ping(random.nextLong());
    }

    /** 1–4 of: a byte flipped, a byte replaced, the body cut short, bytes appended, the length field changed. */
    byte[] mutate(byte[] frame) {
        byte[] out = frame.clone();
        int mutations = 1 + random.nextInt(4);
        for (int i = 0; i < mutations; i++) {
            int op = random.nextInt(5);
            if (op == 0 && out.length > 4) {
                out[4 + random.nextInt(out.length - 4)] ^= (byte) (1 << random.nextInt(8));
            } else if (op == 1 && out.length > 4) {
                out[4 + random.nextInt(out.length - 4)] = (byte) random.nextInt(256);
            } else if (op == 2 && out.length > 5) {
                out = reframe(java.util.Arrays.copyOfRange(out, 4, 5 + random.nextInt(out.length - 5)));
            } else if (op == 3) {
                byte[] extra = randomBytes(1 + random.nextInt(64));
                byte[] longer = java.util.Arrays.copyOf(out, out.length + extra.length);
                System.arraycopy(extra, 0, longer, out.length, extra.length);
                out = reframe(java.util.Arrays.copyOfRange(longer, 4, longer.length));
            } else if (out.length >= 4) {
                // a length field that lies: shorter, longer, negative or beyond any limit
                int[] lies = {0, 1, out.length - 5, out.length + 1, -1, Integer.MAX_VALUE, 65_537, random.nextInt()};
                ByteBuffer.wrap(out).putInt(0, lies[random.nextInt(lies.length)]);
            }
        }
        return out;
    }

    public byte[] encode(Message m) {
        ByteBuf buf = Unpooled.buffer();
        try {
            MessageCodec.encode(m, buf, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            return bytes;
        } finally {
            buf.release();
        }
    }

    private static byte[] reframe(byte[] body) {
        return frame(body);
    }

    private static byte[] frame(byte[] body) {
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private Object[] arguments(Class<?> record, int depth) {
        RecordComponent[] components = record.getRecordComponents();
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            args[i] = value(components[i].getType(), components[i].getGenericType(), depth);
        }
        return args;
    }

    private Object value(Class<?> type, Type generic, int depth) {
        if (type == int.class) {
            int[] edges = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0xFFFF, 65_536};
            return random.nextInt(3) == 0 ? edges[random.nextInt(edges.length)] : random.nextInt(1_000);
        }
        if (type == long.class) {
            long[] edges = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, System.currentTimeMillis()};
            return random.nextInt(3) == 0 ? edges[random.nextInt(edges.length)] : (long) random.nextInt(100_000);
        }
        if (type == float.class) {
            float[] edges = {0, -1, 100, 101, Float.NaN, Float.POSITIVE_INFINITY, Float.MAX_VALUE};
            return random.nextInt(3) == 0 ? edges[random.nextInt(edges.length)] : random.nextFloat() * 100;
        }
        if (type == boolean.class) {
            return random.nextBoolean();
        }
        if (type == String.class) {
            return randomText();
        }
        if (type.isEnum()) {
            Object[] constants = type.getEnumConstants();
            return random.nextInt(20) == 0 ? null : constants[random.nextInt(constants.length)];
        }
        if (type == List.class) {
            Type item = ((ParameterizedType) generic).getActualTypeArguments()[0];
            int n = random.nextInt(10) == 0 ? random.nextInt(300) : random.nextInt(4);
            List<Object> list = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                list.add(value((Class<?>) item, item, depth + 1));
            }
            return list;
        }
        if (type.isRecord() && depth < 4) {
            try {
                return construct(type, arguments(type, depth + 1));
            } catch (IllegalArgumentException | NullPointerException refused) {
                return null;
            }
        }
        return null;
    }

    /** Short ids mostly, sometimes long or hostile text: control characters, bidi overrides, noncharacters. */
    private String randomText() {
        int shape = random.nextInt(10);
        if (shape < 5) {
            return "f" + random.nextInt(50);
        }
        if (shape == 5) {
            return "";
        }
        int n = shape == 6 && !shortText ? 200 + random.nextInt(5_000) : random.nextInt(40);
        StringBuilder s = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            int pick = random.nextInt(6);
            s.append(switch (pick) {
                case 0 -> (char) random.nextInt(32);
                case 1 -> '\u202e';
                // an unpaired surrogate cannot be encoded: the writer refuses it (WireText), so text gets
                // noncharacters instead; invalid UTF-8 on the wire comes from random bodies and mutations
                case 2 -> shortText ? '\u00e9' : (random.nextBoolean() ? '\uFFFE' : '\uFFFF');
                case 3 -> shortText ? (char) random.nextInt(0xD800) : nonSurrogate(random.nextInt(0x10000));
                default -> (char) ('a' + random.nextInt(26));
            });
        }
        return s.toString();
    }

    private static char nonSurrogate(int c) {
        return Character.isSurrogate((char) c) ? '\uFFFD' : (char) c;
    }

    private static void set(Class<?> record, Object[] args, String component, Object value) {
        RecordComponent[] components = record.getRecordComponents();
        for (int i = 0; i < components.length; i++) {
            if (components[i].getName().equals(component)) {
                args[i] = value;
            }
        }
    }

    private static Object construct(Class<?> record, Object[] args) {
        Class<?>[] types = java.util.Arrays.stream(record.getRecordComponents()).map(RecordComponent::getType)
                .toArray(Class<?>[]::new);
        try {
            Constructor<?> canonical = record.getDeclaredConstructor(types);
            return canonical.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r instanceof IllegalArgumentException || r instanceof NullPointerException ? r
                        : new IllegalArgumentException(r);
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build " + record.getSimpleName(), e);
        }
    }

    private static List<Class<?>> messageRecords() {
        List<Class<?>> out = new ArrayList<>();
        collect(Message.class, out);
        return List.copyOf(out);
    }

    private static void collect(Class<?> type, List<Class<?>> out) {
        if (type.isRecord()) {
            out.add(type);
            return;
        }
        for (Class<?> sub : type.getPermittedSubclasses()) {
            collect(sub, out);
        }
    }
}
