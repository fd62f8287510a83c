package io.guardian.pool.net;

import io.guardian.pool.InvalidSettingException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.internal.transport.AddressBlock;
import io.guardian.pool.peer.PeerId;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * What one remote address may take from a {@link PeerListener}, and who is exempt: the limits that
 * stop a single machine from locking honest dialers out. Immutable; built with {@link #builder()},
 * handed to {@link PeerListener.Builder#inboundLimits(InboundLimits)}. They apply to both wire
 * stacks (guardian-db and libp2p), which are told apart only after the first byte.
 *
 * <p>An address is an IPv4 address, or the /64 an IPv6 address belongs to (a host commonly gets a
 * whole /64). Beyond a limit the socket is closed at once, counted in {@link ListenerStats}, and
 * logged at WARN at most once per 10 s (the rest at DEBUG).
 *
 * <p>Defaults, against the libp2p implementations (go-libp2p's resource manager,
 * {@code p2p/host/resource-manager/conn_limiter.go}; js-libp2p's connection manager,
 * {@code packages/libp2p/src/connection-manager/constants.defaults.ts}):
 * <ul>
 * <li>{@value #DEFAULT_MAX_CONNECTIONS_PER_ADDRESS} connections per address: go-libp2p allows 8
 *     per IPv4 address and per IPv6 /56 (64 per /48), sized to its 8 concurrent dials. One of our
 *     pools opens up to its {@code max-connections-per-peer} (8 by default) to one listener, and
 *     several pool processes often share an address (NAT, one host running several services), so
 *     8 times go-libp2p's figure, the same as {@link PeerListener#DEFAULT_MAX_INBOUND_PER_PEER}.
 *     With the default total of 4,096 a locked-out listener now needs 64 source addresses, not one.
 * <li>{@value #DEFAULT_MAX_PENDING_PER_ADDRESS} handshakes in progress per address: a pool that
 *     opens its 8 connections at once fits; js-libp2p allows 10 pending inbound connections in
 *     total ({@code maxIncomingPendingConnections}), we keep 256 in total so that 32 addresses are
 *     needed to fill them, and each is cleared within the first-byte or handshake deadline.
 * <li>First byte within 3 s: an honest dialer speaks first, one round trip after its connect (3 s
 *     still allows one lost SYN-ACK, retransmitted after 1 s, and a slow path). js-libp2p gives the
 *     whole inbound upgrade 30 s ({@code inboundUpgradeTimeout}); our whole handshake has
 *     {@link ProtocolConfig#handshakeTimeout()} (10 s); a silent socket now costs 3 s, not 10.
 * <li>Idle timeout 120 s: no byte read or written for that long closes an inbound connection. A
 *     pool's health check pings every 30 s ({@code health-check-interval}), and go-libp2p's yamux
 *     sends a keep-alive every 30 s by default, so an honest connection is never idle for 4 of
 *     those intervals; a throwaway identity's silent session is gone in 2 minutes. (A pool whose
 *     health monitor is not started sends nothing while idle: its connection is closed after
 *     120 s and it dials again on the next acquire.)
 * <li>Signature checks of inbound handshakes (an Ed25519 verify, plus a sign for
 *     guardian-db/1.1: about 0.13 ms together on the reference machine) run on a
 *     verification executor of the listener's own, {@code verification-threads} threads (half the
 *     cores, at least 1) with at most {@value #DEFAULT_MAX_QUEUED_VERIFICATIONS} waiting: the
 *     default {@code max-pending-handshakes}, so with default settings a handshake that was
 *     admitted is never refused for want of a queue slot (a burst of 100 honest dials at once is
 *     served), and at worst about 35 ms of work on one thread; beyond it a handshake is refused at
 *     once instead of queueing without bound. Strangers forcing checks with junk signatures thus
 *     cost at most those threads, never the executor the pool's own outgoing dials verify on. (Neither go-libp2p nor js-libp2p bounds this separately; both
 *     verify on the connection's own goroutine or event loop.)
 * <li>{@value #DEFAULT_HANDSHAKES_PER_SECOND_PER_ADDRESS} new connections a second per address,
 *     after a burst of {@value #DEFAULT_HANDSHAKE_BURST_PER_ADDRESS} (a token bucket per address;
 *     every socket accepted takes a token before any handshake work, one over the rate is closed
 *     at once). go-libp2p's connection rate limiter ({@code conn_rate_limiter.go}) allows 0.2 a
 *     second per IPv4 address and IPv6 /56 with a burst of 16, twice its 8 concurrent connections
 *     per address; we allow 8 times its concurrent connections, so 8 times its rate and the same
 *     ratio of burst to connections: a whole address's {@value #DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}
 *     connections can be opened twice over at once (a fleet behind one NAT after a listener
 *     restart), while an address opening and abandoning handshakes in a loop gets 2 a second, not
 *     the hundreds its pending-handshake slots would allow. js-libp2p refuses a host's connections
 *     beyond 5 a second ({@code inboundConnectionThreshold}) with no burst beyond those 5; ours is
 *     stricter in the long run and kinder to a fleet (re)connecting at once. Buckets are kept for at most
 *     {@value #TRACKED_ADDRESSES} addresses; a full bucket is forgotten, and an address that finds
 *     the table full of recently active ones is admitted under the other caps (it fails open, since
 *     refusing would lock out every new honest address during a widely distributed attack).
 * <li>Buffered inbound bytes, {@code max-buffered-inbound-bytes}, default one eighth of the JVM's
 *     maximum heap ({@link Runtime#maxMemory()}), at least 32 MiB: every byte a peer makes the
 *     listener hold (a guardian-db frame still arriving or waiting for the handler, yamux Data
 *     not yet read by the stream's handler) is reserved from this budget before it is allocated;
 *     a reservation that does not fit closes that guardian-db connection or resets that yamux
 *     stream, as go-libp2p's resource manager fails a reservation rather than waiting for memory
 *     (js-libp2p has no global budget; a stream whose unread data passes its
 *     {@code maxReadBufferLength}, 4 MiB, is reset the same way).
 *     go-libp2p gives its whole stack one eighth of the machine's memory plus a 128 MiB base
 *     ({@code limit_defaults.go}, {@code AutoScale}); a JVM library is bounded by its heap, not
 *     the machine, and shares it with the application, hence one eighth of the heap. 32 MiB (the
 *     memory of go-libp2p's transient scope) keeps the largest frame ({@code max-frame-size} is at
 *     most 16 MiB) within the half of the budget that large holdings may use; the first 64 KiB a
 *     connection holds may use all of it, so small requests still fit while large frames fill
 *     their half (go-libp2p's reservation priorities).
 * <li>Loopback is not limited per address (go-libp2p's default network-prefix limits make
 *     127.0.0.0/8 and ::1 unlimited the same way): local tools and tests share one address.
 * </ul>
 *
 * @param maxConnectionsPerAddress open inbound connections from one address, handshaking or not
 * @param maxPendingPerAddress inbound connections from one address still in the handshake
 * @param firstByteTimeout how long an accepted socket may stay silent before its first byte
 * @param idleTimeout how long an inbound connection may go without a byte read or written
 * @param limitLoopback whether the per-address limits also apply to loopback addresses
 * @param allowlistedAddresses CIDR blocks exempt from every inbound cap (total, pending, per
 *     address) and from the idle timeout; the handshake deadlines still apply
 * @param allowlistedPeers dialer PeerIds exempt, once authenticated, from the per-peer cap and the
 *     idle timeout (before authentication nobody can tell who is dialing)
 * @param verificationThreads threads of the listener's own executor for handshake signature work
 * @param maxQueuedVerifications signature checks that may wait for a verification thread; beyond
 *     it a handshake is refused
 * @param handshakesPerSecondPerAddress new connections one address may open each second, on average
 * @param handshakeBurstPerAddress new connections one address may open at once before the rate applies
 * @param maxBufferedInboundBytes bytes all inbound connections together may make the listener buffer
 */
public record InboundLimits(
        int maxConnectionsPerAddress,
        int maxPendingPerAddress,
        Duration firstByteTimeout,
        Duration idleTimeout,
        boolean limitLoopback,
        Set<String> allowlistedAddresses,
        Set<PeerId> allowlistedPeers,
        int verificationThreads,
        int maxQueuedVerifications,
        double handshakesPerSecondPerAddress,
        int handshakeBurstPerAddress,
        long maxBufferedInboundBytes) {

    /** Default {@code max-inbound-per-address}. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 64;
    /** Default {@code max-pending-per-address}. */
    public static final int DEFAULT_MAX_PENDING_PER_ADDRESS = 8;
    /** Default {@code first-byte-timeout}: 3 s. */
    public static final Duration DEFAULT_FIRST_BYTE_TIMEOUT = Duration.ofSeconds(3);
    /** Default {@code inbound-idle-timeout}: 120 s. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(120);
    /** Default {@code verification-threads}: half the available cores, at least 1. */
    public static final int DEFAULT_VERIFICATION_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    /** Default {@code max-queued-verifications}: {@link PeerListener#DEFAULT_MAX_PENDING_HANDSHAKES}. */
    public static final int DEFAULT_MAX_QUEUED_VERIFICATIONS = PeerListener.DEFAULT_MAX_PENDING_HANDSHAKES;

    /** Default {@code handshakes-per-second-per-address}. */
    public static final double DEFAULT_HANDSHAKES_PER_SECOND_PER_ADDRESS = 2.0;
    /** Default {@code handshake-burst-per-address}: twice {@link #DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}. */
    public static final int DEFAULT_HANDSHAKE_BURST_PER_ADDRESS = 2 * DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
    /** Addresses whose handshake rate is tracked at once: four times the default total of inbound connections. */
    public static final int TRACKED_ADDRESSES = 4 * PeerListener.DEFAULT_MAX_INBOUND_CONNECTIONS;
    /** Smallest {@code max-buffered-inbound-bytes}: 32 MiB. */
    public static final long MIN_DEFAULT_BUFFERED_INBOUND_BYTES = 32L << 20;
    /** Default {@code max-buffered-inbound-bytes}: an eighth of the maximum heap, at least 32 MiB. */
    public static final long DEFAULT_MAX_BUFFERED_INBOUND_BYTES = defaultBudget(Runtime.getRuntime().maxMemory());

    /**
     * The default budget for a heap of {@code maxHeap} bytes.
     *
     * @param maxHeap {@link Runtime#maxMemory()}, {@link Long#MAX_VALUE} when the heap is unbounded
     * @return an eighth of it, at least 32 MiB; 256 MiB (twice go-libp2p's minimal node) when unbounded
     */
    static long defaultBudget(long maxHeap) {
        return maxHeap == Long.MAX_VALUE ? 256L << 20 : Math.max(MIN_DEFAULT_BUFFERED_INBOUND_BYTES, maxHeap / 8);
    }

    /** Validates and copies; use {@link #builder()} rather than calling this directly. */
    public InboundLimits {
        atLeastOne(maxConnectionsPerAddress, "max-inbound-per-address");
        atLeastOne(maxPendingPerAddress, "max-pending-per-address");
        positive(firstByteTimeout, "first-byte-timeout");
        positive(idleTimeout, "inbound-idle-timeout");
        allowlistedAddresses = Set.copyOf(Objects.requireNonNull(allowlistedAddresses,
                "allowlisted-addresses must not be null"));
        for (String block : allowlistedAddresses) {
            try {
                AddressBlock.parse(block);
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("allowlisted-addresses", "allowlisted-addresses: " + e.getMessage());
            }
        }
        allowlistedPeers = Set.copyOf(Objects.requireNonNull(allowlistedPeers, "allowlisted-peers must not be null"));
        atLeastOne(verificationThreads, "verification-threads");
        atLeastOne(maxQueuedVerifications, "max-queued-verifications");
        if (!(handshakesPerSecondPerAddress > 0) || handshakesPerSecondPerAddress > 1_000_000) {
            throw new InvalidSettingException("handshakes-per-second-per-address",
                    "handshakes-per-second-per-address must be above 0 and at most 1000000, was "
                            + handshakesPerSecondPerAddress);
        }
        atLeastOne(handshakeBurstPerAddress, "handshake-burst-per-address");
        if (maxBufferedInboundBytes < 1) {
            throw new InvalidSettingException("max-buffered-inbound-bytes",
                    "max-buffered-inbound-bytes must be at least 1, was " + maxBufferedInboundBytes);
        }
    }

    /**
     * The defaults (see the class comment).
     *
     * @return the default limits
     */
    public static InboundLimits defaults() {
        return builder().build();
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private static void atLeastOne(int value, String setting) {
        if (value < 1) {
            throw new InvalidSettingException(setting, setting + " must be at least 1, was " + value);
        }
    }

    private static void positive(Duration value, String setting) {
        Objects.requireNonNull(value, setting + " must not be null");
        if (value.isZero() || value.isNegative() || value.compareTo(PoolConfig.LONGEST_DURATION) > 0) {
            throw new InvalidSettingException(setting, setting + " must be positive and at most "
                    + PoolConfig.LONGEST_DURATION.toDays() + " days, was " + value);
        }
    }

    /** Builds {@link InboundLimits}; every setting starts at its default. Not thread-safe. */
    public static final class Builder {
        private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
        private int maxPendingPerAddress = DEFAULT_MAX_PENDING_PER_ADDRESS;
        private Duration firstByteTimeout = DEFAULT_FIRST_BYTE_TIMEOUT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private boolean limitLoopback;
        private Set<String> allowlistedAddresses = new LinkedHashSet<>();
        private Set<PeerId> allowlistedPeers = new LinkedHashSet<>();
        private int verificationThreads = DEFAULT_VERIFICATION_THREADS;
        private int maxQueuedVerifications = DEFAULT_MAX_QUEUED_VERIFICATIONS;
        private double handshakesPerSecondPerAddress = DEFAULT_HANDSHAKES_PER_SECOND_PER_ADDRESS;
        private int handshakeBurstPerAddress = DEFAULT_HANDSHAKE_BURST_PER_ADDRESS;
        private long maxBufferedInboundBytes = DEFAULT_MAX_BUFFERED_INBOUND_BYTES;

        private Builder() {
        }

        /**
         * @param perSecond new connections one address (IPv4, or IPv6 /64) may open each second
         *     once its burst is spent, above 0 (default
         *     {@value InboundLimits#DEFAULT_HANDSHAKES_PER_SECOND_PER_ADDRESS}); one over it is
         *     closed on arrival
         * @return this builder
         */
        public Builder handshakesPerSecondPerAddress(double perSecond) {
            this.handshakesPerSecondPerAddress = perSecond;
            return this;
        }

        /**
         * @param burst new connections one address may open at once before the rate applies, at
         *     least 1 (default {@value InboundLimits#DEFAULT_HANDSHAKE_BURST_PER_ADDRESS})
         * @return this builder
         */
        public Builder handshakeBurstPerAddress(int burst) {
            this.handshakeBurstPerAddress = burst;
            return this;
        }

        /**
         * @param bytes bytes all inbound connections together may make the listener buffer,
         *     reserved before allocation (default an eighth of the maximum heap, at least 32 MiB);
         *     at least twice {@code max-frame-size}, checked when the listener starts
         * @return this builder
         */
        public Builder maxBufferedInboundBytes(long bytes) {
            this.maxBufferedInboundBytes = bytes;
            return this;
        }

        /**
         * @param max open inbound connections from one address (IPv4, or IPv6 /64), at least 1
         *     (default {@value InboundLimits#DEFAULT_MAX_CONNECTIONS_PER_ADDRESS})
         * @return this builder
         */
        public Builder maxConnectionsPerAddress(int max) {
            this.maxConnectionsPerAddress = max;
            return this;
        }

        /**
         * @param max inbound connections from one address still in the handshake, at least 1
         *     (default {@value InboundLimits#DEFAULT_MAX_PENDING_PER_ADDRESS})
         * @return this builder
         */
        public Builder maxPendingPerAddress(int max) {
            this.maxPendingPerAddress = max;
            return this;
        }

        /**
         * @param timeout how long an accepted socket may stay silent before its first byte
         *     (default 3 s); the whole handshake stays bounded by the handshake timeout
         * @return this builder
         */
        public Builder firstByteTimeout(Duration timeout) {
            this.firstByteTimeout = timeout;
            return this;
        }

        /**
         * @param timeout how long an inbound connection may go without a byte read or written
         *     before it is closed (default 120 s); keep it well above the dialers' keep-alive or
         *     health-check interval, and above the longest time a handler takes to answer (no
         *     byte moves while it works)
         * @return this builder
         */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        /**
         * @param limit whether the per-address limits apply to loopback addresses too (default
         *     {@code false}, as in go-libp2p)
         * @return this builder
         */
        public Builder limitLoopback(boolean limit) {
            this.limitLoopback = limit;
            return this;
        }

        /**
         * @param blocks CIDR blocks (or single addresses) exempt from every inbound cap and the
         *     idle timeout, such as {@code 10.1.0.0/16}; replaces an earlier set
         * @return this builder
         */
        public Builder allowlistedAddresses(Set<String> blocks) {
            this.allowlistedAddresses = new LinkedHashSet<>(Objects.requireNonNull(blocks, "blocks must not be null"));
            return this;
        }

        /**
         * @param peers dialer PeerIds exempt, once authenticated, from the per-peer cap and the idle
         *     timeout; replaces an earlier set
         * @return this builder
         */
        public Builder allowlistedPeers(Set<PeerId> peers) {
            this.allowlistedPeers = new LinkedHashSet<>(Objects.requireNonNull(peers, "peers must not be null"));
            return this;
        }

        /**
         * @param threads threads of the listener's own executor for handshake signature work, at
         *     least 1 (default: half the cores, at least 1)
         * @return this builder
         */
        public Builder verificationThreads(int threads) {
            this.verificationThreads = threads;
            return this;
        }

        /**
         * @param max signature checks that may wait for a verification thread, at least 1 (default
         *     {@value InboundLimits#DEFAULT_MAX_QUEUED_VERIFICATIONS}); a handshake beyond it is refused.
         *     Keep it at least the listener's {@code max-pending-handshakes}, or honest bursts within
         *     that cap may be refused
         * @return this builder
         */
        public Builder maxQueuedVerifications(int max) {
            this.maxQueuedVerifications = max;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the limits
         * @throws InvalidSettingException naming the setting that is out of range
         */
        public InboundLimits build() {
            return new InboundLimits(maxConnectionsPerAddress, maxPendingPerAddress, firstByteTimeout, idleTimeout,
                    limitLoopback, allowlistedAddresses, allowlistedPeers, verificationThreads, maxQueuedVerifications,
                    handshakesPerSecondPerAddress, handshakeBurstPerAddress, maxBufferedInboundBytes);
        }
    }
}
