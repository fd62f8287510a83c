package io.guardian.pool.internal.transport;

import io.guardian.pool.net.InboundLimits;
import io.guardian.pool.net.ListenerStats;
import io.guardian.pool.peer.PeerId;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's inbound limits ({@link InboundLimits} and the listener's totals): decides on accept
 * whether a socket may stay, tracks what each admitted socket holds (a connection slot, a pending
 * handshake slot, its address's share) until it lets go, closes idle connections, and counts every
 * refusal. Not API.
 *
 * <p>Admission, in order: the address's handshake rate ({@link HandshakeRate}), its connections
 * and pending handshakes, then the listener's totals; an allow-listed address skips all four and the idle timeout. Loopback skips the
 * per-address limits unless {@code limitLoopback}. Per-peer slots are taken once a dialer has
 * proven its PeerId; an allow-listed PeerId takes none and loses its idle timeout. The
 * listener's {@link MemoryBudget} for buffered inbound bytes lives here too, for its counts.
 */
final class InboundAdmission {

    private static final Logger LOG = LoggerFactory.getLogger(InboundAdmission.class);
    /** Strangers reach caps at will: one WARN per 10 s so an attack shows, the rest at DEBUG. */
    private static final RateLimitedWarning REFUSALS = new RateLimitedWarning(LOG);
    private static final AttributeKey<Ticket> TICKET = AttributeKey.valueOf("guardian.inbound.ticket");
    static final String IDLE_HANDLER = "inbound-idle";
    static final String IDLE_CLOSER = "inbound-idle-close";

    private final ListenerSettings settings;
    private final InboundLimits limits;
    private final List<AddressBlock> allowlisted = new ArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private final Map<Object, int[]> perAddress = new ConcurrentHashMap<>();
    private final Map<PeerId, Integer> perPeer = new ConcurrentHashMap<>();
    private final LongAdder refusedTotal = new LongAdder();
    private final LongAdder refusedPending = new LongAdder();
    private final LongAdder refusedAddress = new LongAdder();
    private final LongAdder refusedAddressPending = new LongAdder();
    private final LongAdder refusedPeer = new LongAdder();
    private final LongAdder firstByteTimeouts = new LongAdder();
    private final LongAdder handshakeTimeouts = new LongAdder();
    private final LongAdder idleClosed = new LongAdder();
    private final LongAdder failedHandshakes = new LongAdder();
    private final LongAdder verificationsRefused = new LongAdder();
    private final LongAdder refusedRate = new LongAdder();
    private final HandshakeRate rate;
    private final MemoryBudget memory;

    /** What one admitted socket holds; released once each. */
    private static final class Ticket {
        final Object addressKey;
        final AtomicBoolean pendingHeld = new AtomicBoolean(true);
        /** Set on the event loop when the first byte was late; that timeout is counted apart. */
        boolean firstByteMissed;

        Ticket(Object addressKey) {
            this.addressKey = addressKey;
        }
    }

    InboundAdmission(ListenerSettings settings) {
        this.settings = settings;
        this.limits = settings.limits();
        limits.allowlistedAddresses().forEach(block -> allowlisted.add(AddressBlock.parse(block)));
        this.rate = new HandshakeRate(limits.handshakesPerSecondPerAddress(), limits.handshakeBurstPerAddress(),
                InboundLimits.TRACKED_ADDRESSES, System::nanoTime);
        this.memory = new MemoryBudget(limits.maxBufferedInboundBytes());
    }

    /** @return the budget every inbound connection's buffered bytes are reserved from */
    MemoryBudget memory() {
        return memory;
    }

    /**
     * Admits or refuses a socket just accepted, on its event loop. An admitted socket gets its idle
     * timeout and holds its slots until it closes (the pending slot until {@link #handshakeEnded}).
     *
     * @return whether it was admitted; a refused socket is already being closed
     */
    boolean admit(Channel channel) {
        InetAddress ip = ((InetSocketAddress) channel.remoteAddress()).getAddress();
        boolean exempt = allowlisted.stream().anyMatch(block -> block.contains(ip));
        Object key = exempt || (ip.isLoopbackAddress() && !limits.limitLoopback()) ? null : AddressBlock.limitKey(ip);
        if (key != null) {
            if (!rate.tryAcquire(key)) {
                refusedRate.increment();
                return refuse(channel, "handshakes-per-second-per-address " + limits.handshakesPerSecondPerAddress()
                        + " (burst " + limits.handshakeBurstPerAddress() + ") exceeded by " + key);
            }
            String refusal = takeAddressSlot(key);
            if (refusal != null) {
                return refuse(channel, refusal);
            }
        }
        int open = connections.incrementAndGet();
        int handshaking = pending.incrementAndGet();
        String refusal = null;
        if (!exempt && open > settings.maxInboundConnections()) {
            refusedTotal.increment();
            refusal = "max-inbound-connections " + settings.maxInboundConnections() + " reached";
        } else if (!exempt && handshaking > settings.maxPendingHandshakes()) {
            refusedPending.increment();
            refusal = "max-pending-handshakes " + settings.maxPendingHandshakes() + " reached";
        }
        if (refusal != null) {
            connections.decrementAndGet();
            pending.decrementAndGet();
            if (key != null) {
                releaseAddress(key, true);
            }
            return refuse(channel, refusal);
        }
        Ticket ticket = new Ticket(key);
        channel.attr(TICKET).set(ticket);
        channel.closeFuture().addListener(f -> {
            connections.decrementAndGet();
            releasePending(ticket);
            if (key != null) {
                releaseAddress(key, false);
            }
        });
        if (!exempt) {
            long idle = limits.idleTimeout().toNanos();
            channel.pipeline().addLast(IDLE_HANDLER, new IdleStateHandler(0, 0, idle, TimeUnit.NANOSECONDS));
            channel.pipeline().addLast(IDLE_CLOSER, new IdleCloser(ticket));
        }
        return true;
    }

    /** Takes a connection and a pending slot of {@code key}'s address, or says which limit refused. */
    private String takeAddressSlot(Object key) {
        String[] refusal = new String[1];
        perAddress.compute(key, (k, counts) -> {
            int[] c = counts == null ? new int[2] : counts;
            if (c[0] >= limits.maxConnectionsPerAddress()) {
                refusedAddress.increment();
                refusal[0] = "max-inbound-per-address " + limits.maxConnectionsPerAddress() + " reached for " + k;
            } else if (c[1] >= limits.maxPendingPerAddress()) {
                refusedAddressPending.increment();
                refusal[0] = "max-pending-per-address " + limits.maxPendingPerAddress() + " reached for " + k;
            } else {
                c[0]++;
                c[1]++;
            }
            return c[0] == 0 ? null : c;
        });
        return refusal[0];
    }

    private void releaseAddress(Object key, boolean alsoPending) {
        perAddress.computeIfPresent(key, (k, c) -> {
            c[0]--;
            if (alsoPending) {
                c[1]--;
            }
            return c[0] <= 0 ? null : c;
        });
    }

    private void releasePending(Ticket ticket) {
        if (ticket.pendingHeld.compareAndSet(true, false)) {
            pending.decrementAndGet();
            if (ticket.addressKey != null) {
                perAddress.computeIfPresent(ticket.addressKey, (k, c) -> {
                    c[1]--;
                    return c;
                });
            }
        }
    }

    private boolean refuse(Channel channel, String why) {
        REFUSALS.log("Refusing inbound connection from {}: {}", channel.remoteAddress(), why);
        channel.close();
        return false;
    }

    /** A handshake ended: {@code null} for success, else what failed. Gives back the pending slots. */
    void handshakeEnded(Channel channel, TransportException.Kind failure) {
        Ticket ticket = channel.attr(TICKET).get();
        if (ticket != null) {
            releasePending(ticket);
        }
        if (failure != null) {
            failedHandshakes.increment();
            if (failure == TransportException.Kind.HANDSHAKE_TIMED_OUT && (ticket == null || !ticket.firstByteMissed)) {
                handshakeTimeouts.increment();
            }
        }
    }

    /** The first byte did not come in time: counted apart from the handshake timeout. */
    void firstByteTimedOut(Channel channel) {
        firstByteTimeouts.increment();
        Ticket ticket = channel.attr(TICKET).get();
        if (ticket != null) {
            ticket.firstByteMissed = true;
        }
    }

    /**
     * Takes one of {@code dialer}'s per-peer slots until {@code channel} closes; false at the cap.
     * An allow-listed PeerId takes none and is exempt from the idle timeout from now on.
     */
    boolean reservePeer(PeerId dialer, Channel channel) {
        if (limits.allowlistedPeers().contains(dialer)) {
            ChannelPipeline pipeline = channel.pipeline();
            if (pipeline.get(IDLE_HANDLER) != null) {
                pipeline.remove(IDLE_HANDLER);
                pipeline.remove(IDLE_CLOSER);
            }
            return true;
        }
        boolean[] reserved = new boolean[1];
        perPeer.compute(dialer, (id, count) -> {
            int current = count == null ? 0 : count;
            if (current >= settings.maxInboundPerPeer()) {
                return count;
            }
            reserved[0] = true;
            return current + 1;
        });
        if (reserved[0]) {
            channel.closeFuture().addListener(f -> perPeer.computeIfPresent(dialer,
                    (id, count) -> count <= 1 ? null : count - 1));
        } else {
            refusedPeer.increment();
            REFUSALS.log("Refusing inbound connection from {}: {}", channel.remoteAddress(),
                    "max-inbound-per-peer " + settings.maxInboundPerPeer() + " reached for " + dialer);
        }
        return reserved[0];
    }

    int connectionCount() {
        return connections.get();
    }

    long refusedOnArrival() {
        return refusedTotal.sum() + refusedPending.sum() + refusedAddress.sum() + refusedAddressPending.sum()
                + refusedRate.sum();
    }

    long failedHandshakes() {
        return failedHandshakes.sum();
    }

    /**
     * A bounded executor for inbound signature work ({@code verification-threads}, at most
     * {@code max-queued-verifications} waiting): strangers forcing checks queue here, never in
     * front of the pool's own dials on the shared offload executor; beyond the queue the task is
     * rejected (the handshake refused) and counted. Idle threads end after 10 s.
     */
    ThreadPoolExecutor newVerifier(String threadPrefix) {
        int threads = limits.verificationThreads();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(limits.maxQueuedVerifications()), new EventLoops.NamedDaemonThreads(threadPrefix),
                (task, pool) -> {
                    verificationsRefused.increment();
                    throw new RejectedExecutionException("max-queued-verifications " + limits.maxQueuedVerifications()
                            + " reached");
                });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }

    ListenerStats stats(int sessions, long protocolErrors) {
        return new ListenerStats(connections.get(), pending.get(), sessions, refusedTotal.sum(), refusedPending.sum(),
                refusedAddress.sum(), refusedAddressPending.sum(), refusedPeer.sum(), firstByteTimeouts.sum(),
                handshakeTimeouts.sum(), idleClosed.sum(), failedHandshakes.sum(), protocolErrors, verificationsRefused.sum(),
                refusedRate.sum(), memory.refusals(), memory.used(), memory.peak());
    }

    /**
     * Closes a connection that read and wrote nothing for the idle timeout, once its handshake is
     * over (until then the first-byte and handshake deadlines, both shorter, are in charge).
     */
    private final class IdleCloser extends ChannelInboundHandlerAdapter {
        private final Ticket ticket;

        IdleCloser(Ticket ticket) {
            this.ticket = ticket;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof IdleStateEvent) {
                if (ticket.pendingHeld.get()) {
                    return;
                }
                idleClosed.increment();
                LOG.debug("Closing inbound connection from {}: nothing read or written for {} s",
                        ctx.channel().remoteAddress(), limits.idleTimeout().toSeconds());
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, event);
        }
    }
}
