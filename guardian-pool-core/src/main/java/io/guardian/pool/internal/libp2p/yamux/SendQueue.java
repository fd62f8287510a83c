package io.guardian.pool.internal.libp2p.yamux;

import io.guardian.pool.internal.transport.TransportException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * One stream's writes not yet handed to the channel, bounded in bytes. Confined to the event loop.
 * Not API.
 *
 * <p>A write's future completes when the frame carrying its last byte has been written to the
 * channel (the promise of that frame succeeded), so a caller that waits on each write is held back
 * by the send window and by the socket, not by this queue.
 */
final class SendQueue {

    private static final class Pending {
        final ByteBuf data;
        final CompletableFuture<Void> result;

        Pending(ByteBuf data, CompletableFuture<Void> result) {
            this.data = data;
            this.result = result;
        }
    }

    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final int maxBytes;
    private long bytes;

    SendQueue(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /**
     * Queues {@code data} (ownership taken) or fails {@code result} with LIMIT_EXCEEDED when it would
     * push the queue past its bound.
     */
    void add(ByteBuf data, CompletableFuture<Void> result, String stream) {
        int size = data.readableBytes();
        if (bytes + size > maxBytes) {
            data.release();
            result.completeExceptionally(new TransportException(TransportException.Kind.LIMIT_EXCEEDED,
                    stream + " already queues " + bytes + " bytes; writing " + size + " more would exceed "
                            + "maxBufferedOutbound (" + maxBytes + "); wait for earlier writes to complete"));
            return;
        }
        if (size == 0) {
            data.release();
            result.complete(null);
            return;
        }
        queue.add(new Pending(data, result));
        bytes += size;
    }

    /** @return whether any byte waits */
    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** @return bytes waiting */
    long bytes() {
        return bytes;
    }

    /** @return bytes the head write still holds; the next frame never mixes two writes */
    int headBytes() {
        Pending head = queue.peek();
        return head == null ? 0 : head.data.readableBytes();
    }

    /**
     * Takes up to {@code max} bytes of the head write (max &gt; 0, queue not empty).
     *
     * @return the slice, owned by the caller; {@link #lastTaken()} says whether it ended a write
     */
    ByteBuf take(int max) {
        Pending head = queue.peek();
        int n = Math.min(max, head.data.readableBytes());
        ByteBuf slice = head.data.readRetainedSlice(n);
        bytes -= n;
        if (!head.data.isReadable()) {
            queue.poll();
            head.data.release();
            lastTaken = head.result;
        } else {
            lastTaken = null;
        }
        return slice;
    }

    private CompletableFuture<Void> lastTaken;

    /** @return the future of the write the last {@link #take} finished, or {@code null} if it did not finish one */
    CompletableFuture<Void> lastTaken() {
        return lastTaken;
    }

    /** Completes {@code result} from the outcome of writing the frame that carried its last byte. */
    static void completeWhenWritten(ChannelFuture written, CompletableFuture<Void> result) {
        written.addListener(f -> {
            if (f.isSuccess()) {
                result.complete(null);
            } else {
                result.completeExceptionally(new TransportException(TransportException.Kind.CLOSED_BY_PEER,
                        "the connection failed while writing", f.cause()));
            }
        });
    }

    /** Fails and releases every queued write. */
    void failAll(TransportException cause) {
        Pending p;
        while ((p = queue.poll()) != null) {
            p.data.release();
            p.result.completeExceptionally(cause);
        }
        bytes = 0;
    }
}
