package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.internal.transport.TransportException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.function.Predicate;

/**
 * multistream-select on one stream, driven by the bytes as they arrive (on the event loop), for
 * either side. Not API.
 *
 * <p>The opening side has already sent header and proposal (lazily, with its first data); it
 * waits for the remote's header and then the echo of its protocol, or {@code na}. The answering
 * side answers the header with its own, then each proposal with the echo (if a handler is
 * registered for it) or {@code na}, up to {@value #MAX_PROPOSALS} proposals. Bytes that follow the
 * agreement in the same read are payload and are handed back to the stream.
 */
abstract class Selection {

    /** Proposals an answering side hears out before it gives up on the stream. */
    static final int MAX_PROPOSALS = 16;

    /** Hears how selection ended; called on the event loop. */
    interface Listener {
        /** The protocol is agreed; payload follows. */
        void selected(StreamChannel stream, String protocol);

        /** Selection failed, or the stream died first. */
        default void failed(StreamChannel stream, TransportException cause) {
        }
    }

    private final Listener listener;
    private ByteBuf pending = Unpooled.EMPTY_BUFFER;
    private volatile boolean done;
    private boolean headerSeen;
    /** Whether we answered 'na' to a proposal (responder). */
    private volatile boolean refusedAny;

    Selection(Listener listener) {
        this.listener = listener;
    }

    static Selection initiator(String protocol, Listener listener) {
        return new Selection(listener) {
            @Override
            boolean onMessage(StreamChannel stream, String message) {
                if (protocol.equals(message)) {
                    return true;
                }
                if (Multistream.NA.equals(message)) {
                    throw new TransportException(Kind.PROTOCOL_REFUSED, "remote " + stream.remotePeer()
                            + " does not support protocol " + protocol + " (it answered na)");
                }
                throw new TransportException(Kind.PROTOCOL_VIOLATION, "remote " + stream.remotePeer() + " answered \""
                        + Multistream.printable(message) + "\" to a proposal of " + protocol);
            }

            @Override
            void onHeader(StreamChannel stream) {
                // Our header went out with the proposal.
            }
        };
    }

    static Selection responder(Predicate<String> supported, Listener listener) {
        return new Selection(listener) {
            private int proposals;

            @Override
            boolean onMessage(StreamChannel stream, String message) {
                if (supported.test(message)) {
                    stream.protocol(message);
                    stream.writeFromLoop(encode(message));
                    return true;
                }
                if (++proposals > MAX_PROPOSALS) {
                    throw new TransportException(Kind.PROTOCOL_VIOLATION, "remote " + stream.remotePeer()
                            + " proposed more than " + MAX_PROPOSALS + " protocols on one stream");
                }
                // "ls" is optional in multistream 1.0: we answer it, like any protocol we lack, with na.
                stream.writeFromLoop(encode(Multistream.NA));
                markRefused();
                return false;
            }

            @Override
            void onHeader(StreamChannel stream) {
                stream.writeFromLoop(encode(Multistream.HEADER));
            }
        };
    }

    private static ByteBuf encode(String text) {
        ByteBuf out = Unpooled.buffer(Multistream.encodedLength(text));
        Multistream.write(out, text);
        return out;
    }

    void markRefused() {
        refusedAny = true;
    }

    /** @return whether we answered 'na' to a proposal on this stream */
    boolean refusedAny() {
        return refusedAny;
    }

    /** @return whether a protocol was agreed */
    boolean done() {
        return done;
    }

    /** One negotiation message after the header: true when it settles the protocol. */
    abstract boolean onMessage(StreamChannel stream, String message);

    /** The remote's header arrived and was the right one. */
    abstract void onHeader(StreamChannel stream);

    /**
     * Takes the next bytes of the stream.
     *
     * @return the payload that followed the agreement (owned by the caller), or {@code null} while
     *     selection goes on
     * @throws TransportException when the remote breaks or refuses the negotiation
     */
    ByteBuf feed(StreamChannel stream, ByteBuf data) {
        ByteBuf buf = append(data);
        while (true) {
            String message = Multistream.read(buf);
            if (message == null) {
                if (buf.readableBytes() > 2 * Multistream.MAX_MESSAGE) {
                    release();
                    throw new TransportException(Kind.PROTOCOL_VIOLATION, "oversized multistream negotiation");
                }
                return null;
            }
            if (!headerSeen) {
                Multistream.requireHeader(message);
                headerSeen = true;
                onHeader(stream);
                continue;
            }
            if (onMessage(stream, message)) {
                done = true;
                ByteBuf rest = buf.readRetainedSlice(buf.readableBytes());
                release();
                listener.selected(stream, stream.protocol());
                return rest;
            }
        }
    }

    private ByteBuf append(ByteBuf data) {
        if (pending == Unpooled.EMPTY_BUFFER) {
            pending = data;
        } else {
            ByteBuf joined = data.alloc().buffer(pending.readableBytes() + data.readableBytes());
            joined.writeBytes(pending).writeBytes(data);
            pending.release();
            data.release();
            pending = joined;
        }
        return pending;
    }

    /** The stream failed: drop what was buffered and tell the listener if selection was still open. */
    void failed(StreamChannel stream, TransportException cause) {
        release();
        if (!done) {
            listener.failed(stream, cause);
        }
    }

    private void release() {
        if (pending != Unpooled.EMPTY_BUFFER) {
            pending.release();
            pending = Unpooled.EMPTY_BUFFER;
        }
    }
}
