package dev.drover.protocol;

/** A frame header announced more bytes than the receiver accepts; raised before any of the body is awaited. */
public final class FrameTooLargeException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    private final long maxFrameLength;
    private final long actualFrameLength;

    public FrameTooLargeException(long maxFrameLength, long actualFrameLength) {
        super("frame length " + actualFrameLength + " exceeds limit " + maxFrameLength);
        this.maxFrameLength = maxFrameLength;
        this.actualFrameLength = actualFrameLength;
    }

    public long maxFrameLength() {
        return maxFrameLength;
    }

    public long actualFrameLength() {
        return actualFrameLength;
    }
}
