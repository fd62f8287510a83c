package io.guardian.pool.internal.pool;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cached monotonic clock for the acquire and release bookkeeping: one daemon thread, shared by
 * every pool in the JVM, stores {@link System#nanoTime()} in a field every {@value #TICK_MICROS}
 * µs, and readers read the field. Not API.
 *
 * <p>Why: on the reference machine (a KVM guest) {@code System.nanoTime()} costs about 25 ns, and
 * acquire plus release of a warm connection read the clock twice, which was 50 of its 78 ns. The
 * readings taken on that path only judge idle-timeout and max-lifetime and sum how long leases
 * were held, where a millisecond does not matter. Timeouts, retries, latencies and the observers'
 * timers keep reading the precise clock. The same technique serves low-latency messaging systems
 * (a cached clock updated by a duty-cycle thread).
 *
 * <p>Cost and lifetime: the ticker runs only while pools hold it ({@link #retain()} /
 * {@link #release()}, reference counted, so a closed pool leaves no thread behind), and it goes
 * to sleep after {@value #IDLE_TICKS} ticks in which nobody read it; the next reader wakes it and
 * meanwhile reads the precise clock. While it sleeps, or before any pool retained it, every read
 * is precise. Busy, it wakes about a thousand times a second for a few microseconds.
 *
 * <p>Accuracy: a reading trails the precise clock by up to one tick plus however long the
 * operating system delays the ticker; it may also trail a precise reading another thread took a
 * moment earlier, so differences between readings are clamped at zero by their users.
 */
final class CoarseTicker {

    private static final Logger LOG = LoggerFactory.getLogger(CoarseTicker.class);

    static final String THREAD_NAME = "guardian-pool-clock";
    static final long TICK_MICROS = 1000;
    /** Ticks without a reader after which the ticker parks until the next read. */
    static final int IDLE_TICKS = 200;

    private static final int AWAKE = 0;
    private static final int ASLEEP = 1;
    private static final int WAKING = 2;
    private static final int STOPPED = 3;

    private static final Object LOCK = new Object();
    /** Guarded by {@link #LOCK}. */
    private static int holders;
    /** The running generation, {@code null} while no pool holds the ticker. */
    private static volatile CoarseTicker current;

    private final AtomicInteger state = new AtomicInteger(ASLEEP); // woken by the first read
    private final Thread thread;
    private volatile long now = System.nanoTime();
    /** Set by readers (at most once per tick each), cleared by the ticker at every tick. */
    private volatile boolean read;

    private CoarseTicker() {
        thread = new Thread(this::run, THREAD_NAME);
        thread.setDaemon(true);
    }

    /**
     * @return the cached reading while the ticker runs, else {@link System#nanoTime()}
     */
    static long nanoTime() {
        CoarseTicker ticker = current;
        return ticker == null ? System.nanoTime() : ticker.read();
    }

    private long read() {
        if (!read) {
            read = true;
        }
        int s = state.get();
        if (s == AWAKE) {
            return now;
        }
        if (s == ASLEEP && state.compareAndSet(ASLEEP, WAKING)) {
            LockSupport.unpark(thread);
        }
        return System.nanoTime();
    }

    /** @return whether a ticker thread is running and asleep (nobody read it lately); for tests */
    static boolean asleep() {
        CoarseTicker ticker = current;
        return ticker != null && ticker.state.get() == ASLEEP;
    }

    /** @return whether a ticker thread is running (awake or asleep); for tests */
    static boolean running() {
        CoarseTicker ticker = current;
        return ticker != null && ticker.thread.isAlive();
    }

    /** Starts the ticker if no pool holds it yet. */
    static void retain() {
        synchronized (LOCK) {
            if (holders++ == 0) {
                CoarseTicker ticker = new CoarseTicker();
                current = ticker;
                ticker.thread.start();
            }
        }
    }

    /** Gives back one {@link #retain()}; the last one stops the ticker and waits for its thread. */
    static void release() {
        CoarseTicker stopping;
        synchronized (LOCK) {
            if (holders == 0 || --holders > 0) {
                return;
            }
            stopping = current;
            current = null;
        }
        stopping.state.set(STOPPED);
        LockSupport.unpark(stopping.thread);
        if (stopping.thread != Thread.currentThread()) {
            try {
                stopping.thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        long tickNanos = TimeUnit.MICROSECONDS.toNanos(TICK_MICROS);
        int idle = 0;
        while (true) {
            int s = state.get();
            if (s == STOPPED) {
                return;
            }
            if (s != AWAKE) {
                LockSupport.park(this);
                if (state.get() == WAKING) {
                    now = System.nanoTime(); // fresh before readers switch to it
                    idle = 0;
                    state.compareAndSet(WAKING, AWAKE);
                }
                continue;
            }
            now = System.nanoTime();
            if (read) {
                read = false;
                idle = 0;
            } else if (++idle >= IDLE_TICKS && state.compareAndSet(AWAKE, ASLEEP)) {
                // A reader that set `read` and then saw AWAKE got a fresh value; one that saw
                // ASLEEP wakes us. Either way, nobody is left reading a stale value.
                LOG.trace("{} asleep after {} idle ticks", THREAD_NAME, IDLE_TICKS);
                continue;
            }
            LockSupport.parkNanos(this, tickNanos);
        }
    }
}
