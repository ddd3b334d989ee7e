package dev.drover.agent.mounts;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Asks an NFS server "are you there?" before mounting: an ONC RPC NULL call (RFC 5531) to the NFS program
 * over TCP with record marking. It proves the server's NFS service answers, not just that a port is open,
 * and it has a hard timeout — a server that accepts and never answers must not stall the agent.
 */
public final class RpcNullProbe {
    static final int NFS_PROGRAM = 100003;
    static final int NFS_PORT = 2049;
    private static final int MAX_REPLY = 4096;

    private final EventLoopGroup group;
    private final Class<? extends Channel> channelType;

    public RpcNullProbe(EventLoopGroup group, Class<? extends Channel> channelType) {
        this.group = group;
        this.channelType = channelType;
    }

    /** Completes (never exceptionally) with the outcome within about {@code timeoutMillis}. */
    public CompletableFuture<Result> probe(String host, int port, int nfsVersion, int timeoutMillis) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        long start = System.nanoTime();
        int xid = ThreadLocalRandom.current().nextInt();
        Bootstrap b = new Bootstrap().group(group).channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new RecordDecoder(), new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf reply) {
                                result.complete(parseReply(reply, xid, nfsVersion, millisSince(start)));
                                ctx.close();
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                result.complete(Result.failed("bad reply: " + cause.getMessage(), millisSince(start)));
                                ctx.close();
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                result.complete(Result.failed("server closed the connection without answering",
                                        millisSince(start)));
                            }
                        });
                    }
                });
        b.connect(host, port).addListener(f -> {
            if (!f.isSuccess()) {
                result.complete(Result.failed("cannot connect: " + f.cause().getMessage(), millisSince(start)));
                return;
            }
            Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
            ch.writeAndFlush(call(ch.alloc().buffer(44), xid, nfsVersion));
            ch.eventLoop().schedule(() -> {
                if (result.complete(Result.failed("no answer within " + timeoutMillis + " ms", millisSince(start)))) {
                    ch.close();
                }
            }, timeoutMillis, TimeUnit.MILLISECONDS);
        });
        return result;
    }

    static ByteBuf call(ByteBuf out, int xid, int nfsVersion) {
        out.writeInt(0x80000000 | 40); // last fragment, 40 bytes
        out.writeInt(xid);
        out.writeInt(0); // CALL
        out.writeInt(2); // RPC version
        out.writeInt(NFS_PROGRAM);
        out.writeInt(nfsVersion);
        out.writeInt(0); // procedure NULL
        out.writeInt(0).writeInt(0); // credential AUTH_NONE, empty
        out.writeInt(0).writeInt(0); // verifier AUTH_NONE, empty
        return out;
    }

    /** Reads an RPC reply body (after the record mark). Pure, for tests on crafted bytes. */
    static Result parseReply(ByteBuf in, int xid, int nfsVersion, long millis) {
        try {
            if (in.readInt() != xid) {
                return Result.failed("reply for another call (xid mismatch)", millis);
            }
            if (in.readInt() != 1) {
                return Result.failed("not an RPC reply", millis);
            }
            if (in.readInt() != 0) { // MSG_DENIED
                return Result.failed(in.readInt() == 0 ? "RPC version mismatch" : "authentication refused", millis);
            }
            in.readInt(); // verifier flavor
            int verifierLength = in.readInt();
            if (verifierLength < 0 || verifierLength > 400) {
                return Result.failed("malformed verifier", millis);
            }
            in.skipBytes((verifierLength + 3) & ~3);
            int acceptStat = in.readInt();
            return switch (acceptStat) {
                case 0 -> Result.ok(millis);
                case 1 -> Result.failed("NFS program not served", millis);
                case 2 -> Result.failed("NFS v" + nfsVersion + " not served (server offers " + in.readInt() + ".."
                        + in.readInt() + ")", millis);
                default -> Result.failed("RPC accept status " + acceptStat, millis);
            };
        } catch (IndexOutOfBoundsException e) {
            return Result.failed("truncated RPC reply", millis);
        }
    }

    private static long millisSince(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    /** The outcome of one probe. */
    public record Result(boolean ok, String detail, long millis) {
        static Result ok(long millis) {
            return new Result(true, "NULL call answered", millis);
        }

        static Result failed(String detail, long millis) {
            return new Result(false, detail, millis);
        }
    }

    /** Splits RPC record marking; one fragment, bounded, since a NULL reply is a few dozen bytes. */
    private static final class RecordDecoder extends ByteToMessageDecoder {
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (in.readableBytes() < 4) {
                return;
            }
            long mark = in.getUnsignedInt(in.readerIndex());
            long length = mark & 0x7fffffffL;
            if ((mark & 0x80000000L) == 0 || length > MAX_REPLY) {
                throw new IllegalStateException("unexpected record mark " + Long.toHexString(mark));
            }
            if (in.readableBytes() < 4 + length) {
                return;
            }
            in.skipBytes(4);
            out.add(in.readRetainedSlice((int) length));
        }
    }
}
