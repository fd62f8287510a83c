package io.guardian.pool.internal.libp2p;

import io.guardian.pool.internal.transport.TransportException;
import io.guardian.pool.net.MessageHandler;
import io.guardian.pool.net.P2pStream;
import io.guardian.pool.net.StreamHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link MessageHandler} over libp2p streams: each {@code uvarint(length) ‖ message} read
 * is handed to the handler and its reply, if any, written back the same way, until the remote
 * closes its side. Not API.
 *
 * <p>No thread waits on a stream: messages are gathered on the event loop, and a handler thread is
 * taken only while the handler runs; the loop writes its reply. A pool that holds a stream open
 * between requests (a lease) therefore costs the listener no thread. A message longer than the
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

        /** Serves {@code stream} from its event loop (called there), running the handler on {@code executor}. */
        void start(StreamChannel stream, Executor executor) {
            new Session(stream, executor).begin();
        }

        /** One stream being served. Event-loop state, except {@link #busy}. */
        private final class Session {
            private final StreamChannel stream;
            private final Executor executor;
            /** A message is with the handler (set on the loop, cleared on the handler thread). */
            private final AtomicBoolean busy = new AtomicBoolean();
            private volatile long lastActivity = System.nanoTime();
            private boolean ended;

            Session(StreamChannel stream, Executor executor) {
                this.stream = stream;
                this.executor = executor;
            }

            void begin() {
                stream.onChange(this::pump);
                armIdleCheck(idleTimeout.toNanos());
            }

            /** On the loop: takes the next whole message, if the handler is free. */
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
             * On a handler thread: the handler, then back to the loop with its reply. The handler
             * thread does not wait for the reply's write (it used to park until the loop had
             * written it, then wake the loop again to take the next message).
             */
            private void run(byte[] message) {
                byte[] reply;
                try {
                    reply = handler.handle(stream.remotePeer(), message);
                } catch (RuntimeException | Error e) {
                    LOG.debug("Handler of {} failed; resetting the stream", stream, e);
                    stream.onLoop(() -> end(false, "handler failed"));
                    busy.set(false);
                    if (e instanceof Error error && !(e instanceof AssertionError)) {
                        throw error;
                    }
                    return;
                }
                lastActivity = System.nanoTime();
                if (reply == null) {
                    busy.set(false);
                    stream.onLoop(this::pump);
                } else {
                    stream.onLoop(() -> sendReply(reply));
                }
            }

            /**
             * On the loop: queues the reply, which yamux writes before this returns unless the
             * remote's window is full; the next message goes to the handler once it is out. A
             * remote that does not take it within the write timeout gets the stream reset, as a
             * blocking write did.
             */
            private void sendReply(byte[] reply) {
                if (ended) {
                    busy.set(false);
                    return;
                }
                CompletableFuture<Void> written;
                try {
                    written = stream.writeMessageAsync(reply);
                } catch (RuntimeException e) {
                    LOG.debug("Reply on {} not sent; resetting the stream", stream, e);
                    end(false, "reply not sent");
                    busy.set(false);
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
                    busy.set(false);
                    pump();
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
