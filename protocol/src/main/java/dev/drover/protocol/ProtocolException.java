package dev.drover.protocol;

import io.netty.handler.codec.DecoderException;

/**
 * The one exception the protocol throws for anything a peer sent that breaks the contract: bad framing,
 * an unknown message type, a malformed or out-of-range field. The connection that sent it is closed;
 * nothing else is affected.
 */
public class ProtocolException extends DecoderException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
