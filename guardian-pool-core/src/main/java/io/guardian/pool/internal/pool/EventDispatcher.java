package io.guardian.pool.internal.pool;

import io.guardian.pool.HealthReport;
import io.guardian.pool.PoolClosedException;
import io.guardian.pool.event.ConnectionEvent;
import io.guardian.pool.event.ConnectionEventListener;
import io.guardian.pool.event.EventSubscription;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to listeners in the order they were published, on one daemon thread named
 * {@value #THREAD_NAME}, through a bounded buffer. Not API.
 *
 * <p>Publishing never blocks: when the buffer is full (listeners too slow) the event is dropped
 * and counted. Publishing with no listener costs nothing and drops nothing. The thread starts
 * with the first subscription and stops on {@link #close()}, after delivering what was already
 * buffered (bounded by a grace period, so a stuck listener cannot hold up shutdown).
 *
 * <p>Health reports of background passes travel the same way, to their own listeners. The
 * thread survives any listener: a throw is logged, and an interrupt a listener leaves behind (or
 * sends) is cleared, since only {@link #close()} stops delivery.
 */
final class EventDispatcher implements AutoCloseable {

    static final String THREAD_NAME = "guardian-pool-events";
    private static final Logger LOG = LoggerFactory.getLogger(EventDispatcher.class);
    private static final Object STOP = new Object();
    private static final long CLOSE_GRACE_MILLIS = 2_000;

    private final ArrayBlockingQueue<Object> queue;
    private final CopyOnWriteArrayList<ConnectionEventListener> listeners = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Consumer<HealthReport>> reportListeners = new CopyOnWriteArrayList<>();
    private final LongAdder dropped = new LongAdder();
    private Thread thread;
    private volatile boolean closed;

    EventDispatcher(int bufferSize) {
        this.queue = new ArrayBlockingQueue<>(bufferSize);
    }

    /**
     * Queues an event for every current listener.
     *
     * @param event the event
     */
    void publish(ConnectionEvent event) {
        if (listeners.isEmpty() || closed) {
            return;
        }
        if (!queue.offer(event)) {
            dropped.increment();
        }
    }

    /**
     * Queues a background pass's report for every report listener.
     *
     * @param report the report
     */
    void publishReport(HealthReport report) {
        if (reportListeners.isEmpty() || closed) {
            return;
        }
        if (!queue.offer(report)) {
            dropped.increment();
        }
    }

    /**
     * Adds a report listener and starts the delivery thread if needed.
     *
     * @param listener the listener
     * @return a handle that removes it; idempotent
     */
    AutoCloseable subscribeReports(Consumer<HealthReport> listener) {
        Objects.requireNonNull(listener, "listener must not be null");
        if (closed) {
            throw new PoolClosedException("the pool is closed; cannot subscribe to its health reports");
        }
        reportListeners.add(listener);
        startThread();
        return () -> reportListeners.remove(listener);
    }

    /**
     * Adds a listener and starts the delivery thread if needed.
     *
     * @param listener the listener
     * @return a subscription that removes it
     */
    EventSubscription subscribe(ConnectionEventListener listener) {
        Objects.requireNonNull(listener, "listener must not be null");
        if (closed) {
            throw new PoolClosedException("the pool is closed; cannot subscribe to its events");
        }
        listeners.add(listener);
        startThread();
        return new EventSubscription() {
            @Override
            public void close() {
                listeners.remove(listener);
            }

            @Override
            public String toString() {
                return "EventSubscription[" + listener + "]";
            }
        };
    }

    /** @return events dropped because the buffer was full */
    long dropped() {
        return dropped.sum();
    }

    /** @return listeners subscribed now */
    int listenerCount() {
        return listeners.size();
    }

    private synchronized void startThread() {
        if (thread != null || closed) {
            return;
        }
        Thread t = new Thread(this::run, THREAD_NAME);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void run() {
        while (true) {
            Object next;
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                if (closed) {
                    return; // close() interrupts only a listener stuck past its grace
                }
                continue; // someone else's interrupt: delivery goes on until close()
            }
            if (next == STOP) {
                return;
            }
            if (next instanceof HealthReport) {
                deliverReport((HealthReport) next);
                continue;
            }
            ConnectionEvent event = (ConnectionEvent) next;
            for (ConnectionEventListener listener : listeners) {
                try {
                    listener.onEvent(event);
                } catch (RuntimeException | Error e) {
                    LOG.warn("Connection event listener {} failed on {}; it stays subscribed", listener, event, e);
                }
                clearInterrupt(listener);
            }
        }
    }

    private void deliverReport(HealthReport report) {
        for (Consumer<HealthReport> listener : reportListeners) {
            try {
                listener.accept(report);
            } catch (RuntimeException | Error e) {
                LOG.warn("Health report listener {} failed; it stays subscribed", listener, e);
            }
            clearInterrupt(listener);
        }
    }

    /** A listener that restored an interrupt flag would otherwise end delivery at the next take. */
    private void clearInterrupt(Object listener) {
        if (!closed && Thread.interrupted()) {
            LOG.debug("Listener {} left the event thread interrupted; cleared, delivery goes on", listener);
        }
    }

    /** Delivers what is buffered (within a grace period), then stops the thread. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = thread;
        }
        if (t == null) {
            return;
        }
        if (t == Thread.currentThread()) {
            queue.clear(); // closed from a listener: it cannot wait for itself
            queue.offer(STOP);
            return;
        }
        try {
            if (queue.offer(STOP, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                t.join(CLOSE_GRACE_MILLIS);
            }
            if (t.isAlive()) {
                LOG.warn("A connection event listener did not return within {} ms of close; interrupting {}",
                        CLOSE_GRACE_MILLIS, THREAD_NAME);
                t.interrupt();
                t.join(TimeUnit.SECONDS.toMillis(1));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
