package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.HandlerSpin;
import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.net.MessageHandler;
import io.guardian.pool.net.P2pStream;
import io.guardian.pool.net.StreamHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link MessageHandler} over libp2p streams: each {@code uvarint(length) ‖ message} read
 * is handed to the handler and its reply, if any, written back the same way, until the remote
 * closes its side. Not API.
 *
 * <p>No thread waits on a stream for long: messages are gathered on the event loop, and a handler
 * thread is taken while the handler runs and, with a listener's own handler pool, for at most the
 * {@link HandlerSpin} budget (50 µs by default) after it, polling for the stream's next message;
 * the loop writes the replies. A pool that holds a stream open between requests (a lease)
 * therefore costs the listener no thread. A message longer than the
 * limit, a stream silent for longer than the idle timeout, a reply the remote does not take within
 * the write timeout, or a handler that throws resets the stream (the connection stays up); a
 * reply is written before the next message is taken, so replies keep the order of requests.
 */
public final class MessageStreams {

    private static final Logger LOG = LoggerFactory.getLogger(MessageStreams.class);

    private MessageStreams() {
    }

    /**
     * @param handler the application's handler
     * @param maxMessage the largest request read
     * @param idleTimeout how long a stream may stay silent between requests
     * @return a stream handler that serves {@code handler} message by message
     */
    public static StreamHandler serving(MessageHandler handler, int maxMessage, Duration idleTimeout) {
        return new Served(handler, maxMessage, idleTimeout);
    }

    /** The handler: event-driven on our own streams, blocking on any other {@link P2pStream}. */
    static final class Served implements StreamHandler {
        private final MessageHandler handler;
        private final int maxMessage;
        private final Duration idleTimeout;

        Served(MessageHandler handler, int maxMessage, Duration idleTimeout) {
            this.handler = handler;
            this.maxMessage = maxMessage;
            this.idleTimeout = idleTimeout;
        }

        @Override
        public void handle(P2pStream stream) {
            byte[] message;
            while ((message = stream.readMessage(maxMessage, idleTimeout)) != null) {
                byte[] reply = handler.handle(stream.remotePeer(), message);
                if (reply != null) {
                    stream.writeMessage(reply);
                }
            }
        }

        /**
         * Serves {@code stream} from its event loop (called there), running the handler on
         * {@code executor}, whose threads poll for the stream's next message within {@code spin}.
         */
        void start(StreamChannel stream, Executor executor, HandlerSpin spin) {
            new Session(stream, executor, spin).begin();
        }

        /**
         * One stream being served. {@link #busy} says a handler thread owns the stream's messages:
         * set on the loop when it hands a message over, cleared on the loop when the thread hands
         * the stream back and its last reply is written. The rest is event-loop state, except
         * {@link #replyWritten} (read by the polling thread) and {@link #polled} (that thread's own).
         */
        private final class Session {
            private final StreamChannel stream;
            private final Executor executor;
            private final HandlerSpin spin;
            private final AtomicBoolean busy = new AtomicBoolean();
            private volatile long lastActivity = System.nanoTime();
            /** No reply of ours is waiting to be written (cleared on the handler thread, set on the loop). */
            private volatile boolean replyWritten = true;
            /** The handler thread gave the stream back while its reply was still being written. */
            private boolean handedBack;
            private boolean ended;
            /** Handler thread only: what its last poll took (a message, END) or why it failed. */
            private byte[] polled;
            private TransportException pollFailure;
            private final BooleanSupplier arrived = this::arrived;

            Session(StreamChannel stream, Executor executor, HandlerSpin spin) {
                this.stream = stream;
                this.executor = executor;
                this.spin = spin;
            }

            void begin() {
                stream.onChange(this::pump);
                armIdleCheck(idleTimeout.toNanos());
            }

            /** On the loop: takes the next whole message, if no handler thread owns the stream. */
            private void pump() {
                if (ended || busy.get()) {
                    return;
                }
                byte[] message;
                try {
                    message = stream.pollMessage(maxMessage);
                } catch (TransportException e) {
                    end(false, e.getMessage());
                    return;
                }
                if (message == null) {
                    return;
                }
                if (message == InboundBuffer.END) {
                    end(true, null);
                    return;
                }
                lastActivity = System.nanoTime();
                busy.set(true);
                try {
                    executor.execute(() -> run(message));
                } catch (RejectedExecutionException e) {
                    busy.set(false);
                    end(false, "no handler thread available");
                }
            }

            /**
             * On a handler thread: the handler, its reply handed to the loop (the thread does not
             * wait for the write), then, within the {@link HandlerSpin} budget, the stream's next
             * message if it comes before the budget is spent and after the reply is written (so
             * replies keep the order of requests and a remote that does not read gets no more
             * answers queued). A request/reply client's next request comes one round trip after
             * the reply: a thread still polling takes it without the loop waking a parked one.
             */
            private void run(byte[] first) {
                byte[] message = first;
                while (true) {
                    byte[] reply;
                    try {
                        reply = handler.handle(stream.remotePeer(), message);
                    } catch (RuntimeException | Error e) {
                        LOG.debug("Handler of {} failed; resetting the stream", stream, e);
                        stream.onLoop(() -> {
                            end(false, "handler failed");
                            handBack();
                        });
                        if (e instanceof Error error && !(e instanceof AssertionError)) {
                            throw error;
                        }
                        return;
                    }
                    lastActivity = System.nanoTime();
                    if (reply != null) {
                        replyWritten = false;
                    }
                    if (!spin.enabled()) {
                        // One hop, as without polling: the loop sends the reply and takes the next message.
                        stream.onLoop(() -> {
                            if (reply != null) {
                                sendReply(reply);
                            }
                            handBack();
                        });
                        return;
                    }
                    if (reply != null) {
                        stream.onLoop(() -> sendReply(reply));
                    }
                    if (!spin.awaitNext(arrived, () -> false)) {
                        stream.onLoop(this::handBack);
                        return;
                    }
                    byte[] next = polled;
                    TransportException failure = pollFailure;
                    polled = null;
                    pollFailure = null;
                    if (failure != null || next == InboundBuffer.END) {
                        stream.onLoop(() -> {
                            end(failure == null, failure == null ? null : failure.getMessage());
                            handBack();
                        });
                        return;
                    }
                    lastActivity = System.nanoTime();
                    message = next;
                }
            }

            /** Handler thread, while polling: whether the next message (or the stream's end) is there. */
            private boolean arrived() {
                if (!replyWritten) {
                    return false;
                }
                try {
                    polled = stream.pollMessage(maxMessage);
                } catch (TransportException e) {
                    pollFailure = e;
                    return true;
                }
                return polled != null;
            }

            /** On the loop: the handler thread is done with the stream; free once its reply is written. */
            private void handBack() {
                if (replyWritten) {
                    release();
                } else {
                    handedBack = true;
                }
            }

            /** On the loop: the last reply is written (or failed); frees the stream if it was handed back. */
            private void replyDone() {
                replyWritten = true;
                if (handedBack) {
                    handedBack = false;
                    release();
                }
            }

            private void release() {
                busy.set(false);
                pump();
            }

            /**
             * On the loop: queues the reply, which yamux writes before this returns unless the
             * remote's window is full. A remote that does not take it within the write timeout
             * gets the stream reset, as a blocking write did.
             */
            private void sendReply(byte[] reply) {
                if (ended) {
                    replyDone();
                    return;
                }
                CompletableFuture<Void> written;
                try {
                    written = stream.writeMessageAsync(reply);
                } catch (RuntimeException e) {
                    LOG.debug("Reply on {} not sent; resetting the stream", stream, e);
                    end(false, "reply not sent");
                    replyDone();
                    return;
                }
                if (!written.isDone()) {
                    Duration bound = stream.writeTimeout();
                    stream.onLoopAfter(() -> {
                        if (!written.isDone()) {
                            end(false, "reply not taken within " + bound.toMillis() + " ms");
                        }
                    }, bound.toNanos());
                }
                written.whenComplete((ok, error) -> {
                    if (error != null) {
                        LOG.debug("Reply on {} failed: {}", stream, error.toString());
                        end(false, "reply not written");
                    }
                    lastActivity = System.nanoTime();
                    replyDone();
                });
            }

            private void armIdleCheck(long delayNanos) {
                stream.onLoopAfter(() -> {
                    if (ended) {
                        return;
                    }
                    long idleFor = System.nanoTime() - lastActivity;
                    if (busy.get()) {
                        armIdleCheck(idleTimeout.toNanos()); // the handler's own time is not idleness
                    } else if (idleFor >= idleTimeout.toNanos()) {
                        end(false, "silent for " + idleTimeout.toMillis() + " ms");
                    } else {
                        armIdleCheck(idleTimeout.toNanos() - idleFor);
                    }
                }, Math.max(1, delayNanos));
            }

            /** On the loop: a clean end closes our side, anything else resets. */
            private void end(boolean clean, String why) {
                if (ended) {
                    return;
                }
                ended = true;
                if (clean) {
                    stream.close();
                } else {
                    LOG.debug("Resetting {}: {}", stream, why);
                    stream.reset();
                }
            }
        }
    }
}
