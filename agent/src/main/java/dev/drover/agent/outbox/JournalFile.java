package dev.drover.agent.outbox;

import dev.drover.protocol.Message;
import dev.drover.protocol.MessageCodec;
import dev.drover.protocol.ProtocolException;
import dev.drover.protocol.ProtocolLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The outbox journal's bytes on disk. A header (magic, the stream id and where the stream stood when the file
 * was last rewritten), then records, each a protocol frame exactly as it goes on the wire followed by a CRC-32C
 * of the frame, so the last record of a write torn by a crash is recognised and cut off:
 *
 * <pre>
 * "DRVOUTB1" | u32 n | header body (n bytes) | u32 crc32c(body)
 * record*:    u32 length | u8 type | body (length - 1 bytes) | u32 crc32c(frame)
 * header body: u16 format | u16 len, streamId utf-8 | i64 createdAtMillis | i64 lastSeq | i64 dropped
 * </pre>
 */
final class JournalFile {
    static final byte[] MAGIC = "DRVOUTB1".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT = 1;
    static final int CRC_BYTES = 4;
    private static final int MAX_HEADER_BODY = 1024;

    private JournalFile() {
    }

    /** Where the stream stood when the file was (re)written: its id, last sequence assigned and drops so far. */
    record Header(String streamId, long createdAtMillis, long lastSeq, long dropped) {
    }

    /** What a scan found: the header, the intact records in order, and where the intact part ends. */
    record Contents(Header header, List<Message> records, List<Integer> recordBytes, long validLength,
            String damage) {
    }

    static byte[] header(Header h) {
        byte[] id = h.streamId().getBytes(StandardCharsets.UTF_8);
        ByteBuffer body = ByteBuffer.allocate(2 + 2 + id.length + 3 * Long.BYTES);
        body.putShort((short) FORMAT).putShort((short) id.length).put(id).putLong(h.createdAtMillis())
                .putLong(h.lastSeq()).putLong(h.dropped());
        byte[] bodyBytes = body.array();
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + bodyBytes.length + CRC_BYTES);
        out.put(MAGIC).putInt(bodyBytes.length).put(bodyBytes).putInt(crc(bodyBytes, 0, bodyBytes.length));
        return out.array();
    }

    /** One record: the message's protocol frame and its CRC. */
    static byte[] record(Message message) {
        ByteBuf buf = Unpooled.buffer(64);
        try {
            MessageCodec.encode(message, buf, ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH);
            byte[] frame = new byte[buf.readableBytes()];
            buf.readBytes(frame);
            return ByteBuffer.allocate(frame.length + CRC_BYTES).put(frame).putInt(crc(frame, 0, frame.length))
                    .array();
        } finally {
            buf.release();
        }
    }

    /**
     * Reads a whole journal. A bad header is an {@link IOException} (the file is not a journal, or it is
     * damaged where no crash can tear it); a bad record ends the intact part, and everything from it on is
     * reported as {@code damage}.
     */
    static Contents read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        Header header = readHeader(in, file);
        List<Message> records = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String damage = null;
        while (in.hasRemaining()) {
            int start = in.position();
            damage = readRecord(in, records);
            if (damage != null) {
                damage = damage + " at offset " + start + " (" + (bytes.length - start) + " bytes dropped)";
                in.position(start);
                break;
            }
            sizes.add(in.position() - start);
        }
        return new Contents(header, records, sizes, in.position(), damage);
    }

    private static Header readHeader(ByteBuffer in, Path file) throws IOException {
        if (in.remaining() < MAGIC.length + 4) {
            throw new IOException(file + ": too short for a journal header (" + in.remaining() + " bytes)");
        }
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IOException(file + ": not a drover outbox journal (bad magic)");
        }
        int n = in.getInt();
        if (n < 4 || n > MAX_HEADER_BODY || in.remaining() < n + CRC_BYTES) {
            throw new IOException(file + ": header length " + n + " out of range");
        }
        int bodyStart = in.position();
        int expected = crc(in.array(), bodyStart, n);
        ByteBuffer body = in.slice(bodyStart, n);
        in.position(bodyStart + n);
        if (in.getInt() != expected) {
            throw new IOException(file + ": header checksum mismatch");
        }
        int format = Short.toUnsignedInt(body.getShort());
        if (format != FORMAT) {
            throw new IOException(file + ": journal format " + format + " not supported (expected " + FORMAT + ")");
        }
        int idLength = Short.toUnsignedInt(body.getShort());
        if (idLength > body.remaining() - 3 * Long.BYTES) {
            throw new IOException(file + ": header stream id length " + idLength + " out of range");
        }
        byte[] id = new byte[idLength];
        body.get(id);
        return new Header(new String(id, StandardCharsets.UTF_8), body.getLong(), body.getLong(), body.getLong());
    }

    /** Reads one record into {@code out}; returns why it is not intact, or null. */
    private static String readRecord(ByteBuffer in, List<Message> out) {
        if (in.remaining() < ProtocolLimits.LENGTH_FIELD_BYTES) {
            return "truncated record length";
        }
        int start = in.position();
        int length = in.getInt();
        if (length < 1 || length > ProtocolLimits.MAX_FRAME_LENGTH_CEILING) {
            return "record length " + length + " out of range";
        }
        if (in.remaining() < length + CRC_BYTES) {
            return "truncated record (" + length + " bytes announced, " + Math.max(0, in.remaining() - CRC_BYTES)
                    + " present)";
        }
        int frameBytes = ProtocolLimits.LENGTH_FIELD_BYTES + length;
        int expected = crc(in.array(), start, frameBytes);
        in.position(start + frameBytes);
        if (in.getInt() != expected) {
            return "record checksum mismatch";
        }
        try {
            out.add(MessageCodec.decode(Unpooled.wrappedBuffer(in.array(), start + ProtocolLimits.LENGTH_FIELD_BYTES,
                    length)));
            return null;
        } catch (ProtocolException | IllegalArgumentException e) {
            return "record not a valid frame: " + e.getMessage();
        }
    }

    static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }
}
