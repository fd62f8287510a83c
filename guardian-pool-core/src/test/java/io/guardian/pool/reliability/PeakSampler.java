package io.guardian.pool.reliability;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples, every 20 ms until closed, the peaks an attack drives up: heap in use, direct memory
 * (Netty's default allocator and the JDK's direct buffers), live threads and open descriptors.
 */
final class PeakSampler implements AutoCloseable {

    final AtomicLong heapBytes = new AtomicLong();
    final AtomicLong nettyDirectBytes = new AtomicLong();
    final AtomicLong jdkDirectBytes = new AtomicLong();
    final AtomicLong threads = new AtomicLong();
    final AtomicLong fileDescriptors = new AtomicLong();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "peak-sampler");
        t.setDaemon(true);
        return t;
    });

    PeakSampler() {
        timer.scheduleAtFixedRate(this::sample, 0, 20, TimeUnit.MILLISECONDS);
    }

    private void sample() {
        heapBytes.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            nettyDirectBytes.accumulateAndGet(provider.metric().usedDirectMemory(), Math::max);
        }
        long jdk = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(pool.getName())) {
                jdk = pool.getMemoryUsed();
            }
        }
        jdkDirectBytes.accumulateAndGet(jdk, Math::max);
        threads.accumulateAndGet(ProcessProbe.threadCount(), Math::max);
        fileDescriptors.accumulateAndGet(ProcessProbe.fileDescriptors(), Math::max);
    }

    /** Writes the peaks, in MiB for memory, into {@code into}. */
    Figures report(Figures into) {
        sample();
        return into.put("peakHeapMiB", mib(heapBytes.get())).put("peakNettyDirectMiB", mib(nettyDirectBytes.get()))
                .put("peakJdkDirectMiB", mib(jdkDirectBytes.get())).put("peakThreads", threads.get())
                .put("peakFds", fileDescriptors.get());
    }

    private static double mib(long bytes) {
        return Math.round(bytes / 1048576.0 * 10) / 10.0;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
