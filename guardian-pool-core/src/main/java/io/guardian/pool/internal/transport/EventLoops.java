package io.guardian.pool.internal.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategyFactory;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM-wide I/O threads shared by every dialer and listener: one Netty event-loop group (native
 * epoll when available, NIO otherwise) plus a small bounded "offload" executor for the work that
 * must never run on an event loop (DNS lookups, Ed25519 signing and verification). Not API.
 *
 * <p>Reference counted: {@link #acquire()} starts the threads on first use, each handle's
 * {@link #release()} gives its reference back, and when the last one goes the threads stop, so a
 * closed pool or listener leaves nothing running. A handle is released at most once; releasing it
 * again does nothing.
 *
 * <p>Why offload crypto: an Ed25519 sign or verify takes 0.04-0.09 ms on this project's 2-core
 * reference machine (Bouncy Castle's; the JDK's took 0.8-1 ms), and a connection storm brings
 * thousands of them: on the loop they would stall every connection sharing it (PINGs included).
 *
 * <p>Sizing, overridable with system properties read at group creation:
 * {@code guardian.transport.threads} (event loops, default = available processors, at most 16),
 * {@code guardian.transport.offloadThreads} (default = available processors, at most 8) and
 * {@code guardian.transport.nio=true} to force NIO (for comparisons; epoll is used when available).
 *
 * <p>Epoll is looked up by name: Netty's BOM gives the native transport runtime scope (it is a
 * platform-specific add-on), so core compiles without it and falls back to NIO where it is absent
 * or unusable (not Linux, no native library).
 */
public final class EventLoops {

    private static final Logger LOG = LoggerFactory.getLogger(EventLoops.class);

    /** Thread-name prefix of the event loops; tests look for leftover threads by it. */
    public static final String IO_THREAD_PREFIX = "guardian-io";
    /** Thread-name prefix of the offload executor's threads. */
    public static final String OFFLOAD_THREAD_PREFIX = "guardian-offload";

    /** Queued offload tasks beyond which new work is refused rather than queued without bound. */
    private static final int OFFLOAD_QUEUE_CAPACITY = 4096;

    private static final Object LOCK = new Object();
    private static Shared shared;
    private static int references;

    private final Shared resources;
    private final AtomicBoolean released = new AtomicBoolean();

    private EventLoops(Shared resources) {
        this.resources = resources;
    }

    /**
     * Takes a reference to the shared threads, starting them if nobody holds them.
     *
     * @return a handle; call {@link #release()} exactly when done with it
     */
    public static EventLoops acquire() {
        synchronized (LOCK) {
            if (shared == null) {
                shared = Shared.start();
            }
            references++;
            return new EventLoops(shared);
        }
    }

    /**
     * Gives this handle's reference back; the last one stops the threads (asynchronously, so it is
     * safe to call from an event loop). Idempotent per handle.
     */
    public void release() {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        Shared toStop = null;
        synchronized (LOCK) {
            references--;
            if (references == 0 && shared == resources) {
                toStop = shared;
                shared = null;
            }
        }
        if (toStop != null) {
            toStop.stop();
        }
    }

    /**
     * Whether any handle currently holds the shared threads. For tests and diagnostics.
     *
     * @return {@code true} while at least one handle is unreleased
     */
    public static boolean inUse() {
        synchronized (LOCK) {
            return references > 0;
        }
    }

    /** @return the event-loop group; valid until this handle is released */
    public EventLoopGroup group() {
        return resources.group;
    }

    /**
     * Whether the calling thread is one of this group's event loops, where nothing may block.
     *
     * @return {@code true} on an event-loop thread
     */
    public boolean isEventLoopThread() {
        for (io.netty.util.concurrent.EventExecutor loop : resources.group) {
            if (loop.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /** @return the client channel class matching the group's transport */
    public Class<? extends SocketChannel> socketChannelType() {
        return resources.transport.socketChannel;
    }

    /** @return the server channel class matching the group's transport */
    public Class<? extends ServerSocketChannel> serverChannelType() {
        return resources.transport.serverChannel;
    }

    /** @return {@code "epoll"} or {@code "nio"}, for logs and measurements */
    public String transportName() {
        return resources.transport.name;
    }

    /**
     * The bounded executor for blocking or CPU-heavy steps (DNS, Ed25519). Its {@code execute}
     * throws {@link RejectedExecutionException} when {@value #OFFLOAD_QUEUE_CAPACITY} tasks are
     * already queued; callers turn that into a failed handshake rather than queueing without bound.
     *
     * @return the offload executor
     */
    public Executor offload() {
        return resources.offload;
    }

    private static int intProperty(String name, int defaultValue, int max) {
        String value = System.getProperty(name);
        if (value == null) {
            return Math.min(defaultValue, max);
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed < 1 || parsed > max) {
                throw new IllegalArgumentException("system property " + name + " must be between 1 and " + max
                        + ", was " + value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + name + " must be an integer, was " + value, e);
        }
    }

    /** An I/O handler factory with its matching channel classes. */
    private static final class Transport {
        final String name;
        final IoHandlerFactory factory;
        final Class<? extends SocketChannel> socketChannel;
        final Class<? extends ServerSocketChannel> serverChannel;

        Transport(String name, IoHandlerFactory factory, Class<? extends SocketChannel> socketChannel,
                Class<? extends ServerSocketChannel> serverChannel) {
            this.name = name;
            this.factory = factory;
            this.socketChannel = socketChannel;
            this.serverChannel = serverChannel;
        }

        static Transport choose() {
            if (!Boolean.getBoolean("guardian.transport.nio")) {
                Transport epoll = epoll();
                if (epoll != null) {
                    return epoll;
                }
            }
            return new Transport("nio", NioIoHandler.newFactory(SelectorProvider.provider(),
                    HotLoopSelectStrategy.FACTORY), NioSocketChannel.class, NioServerSocketChannel.class);
        }

        private static Transport epoll() {
            try {
                ClassLoader loader = EventLoops.class.getClassLoader();
                Class<?> epoll = Class.forName("io.netty.channel.epoll.Epoll", true, loader);
                if (!(Boolean) epoll.getMethod("isAvailable").invoke(null)) {
                    LOG.debug("Native epoll unavailable, using NIO",
                            (Throwable) epoll.getMethod("unavailabilityCause").invoke(null));
                    return null;
                }
                // maxEvents 0: Netty sizes the event array itself.
                IoHandlerFactory factory = (IoHandlerFactory) Class.forName("io.netty.channel.epoll.EpollIoHandler",
                        true, loader).getMethod("newFactory", int.class, SelectStrategyFactory.class)
                        .invoke(null, 0, HotLoopSelectStrategy.FACTORY);
                return new Transport("epoll", factory,
                        Class.forName("io.netty.channel.epoll.EpollSocketChannel", true, loader)
                                .asSubclass(SocketChannel.class),
                        Class.forName("io.netty.channel.epoll.EpollServerSocketChannel", true, loader)
                                .asSubclass(ServerSocketChannel.class));
            } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
                LOG.debug("Netty's native epoll transport is not on the class path, using NIO: {}", e.toString());
                return null;
            }
        }
    }

    /** The group and executor one generation of users shares. */
    private static final class Shared {
        final Transport transport;
        final EventLoopGroup group;
        final ThreadPoolExecutor offload;

        private Shared(Transport transport, EventLoopGroup group, ThreadPoolExecutor offload) {
            this.transport = transport;
            this.group = group;
            this.offload = offload;
        }

        static Shared start() {
            int cores = Runtime.getRuntime().availableProcessors();
            int ioThreads = intProperty("guardian.transport.threads", cores, 16);
            int offloadThreads = intProperty("guardian.transport.offloadThreads", cores, 8);
            Transport transport = Transport.choose();
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(ioThreads,
                    new DefaultThreadFactory(IO_THREAD_PREFIX, true), transport.factory);
            ThreadPoolExecutor offload = new ThreadPoolExecutor(offloadThreads, offloadThreads, 10, TimeUnit.SECONDS,
                    new ArrayBlockingQueue<>(OFFLOAD_QUEUE_CAPACITY), new NamedDaemonThreads(OFFLOAD_THREAD_PREFIX));
            // Idle JVMs keep no offload thread: they exist only while handshakes or lookups run.
            offload.allowCoreThreadTimeOut(true);
            LOG.debug("Started {} guardian event loop(s) on {} and {} offload thread(s)", ioThreads,
                    transport.name, offloadThreads);
            return new Shared(transport, group, offload);
        }

        void stop() {
            offload.shutdown();
            // Quiet period 0: nobody can submit new work (the last user released), so stop at once.
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            LOG.debug("Stopping guardian event loops: last user released them");
        }
    }

    /** Daemon threads with a readable name, so thread dumps and leak checks can tell them apart. */
    static final class NamedDaemonThreads implements ThreadFactory {
        private final String prefix;
        private final AtomicInteger counter = new AtomicInteger();

        NamedDaemonThreads(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable task) {
            Thread thread = new Thread(task, prefix + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }
    }
}
