package io.guardian.pool.internal.pool;

import io.guardian.pool.PoolConfig;
import io.guardian.pool.internal.transport.Connector;
import io.guardian.pool.internal.transport.TransportDialer;
import io.guardian.pool.peer.PeerId;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/** Builds a {@link PoolEngine} from injected parts (tests, and the facade's wiring). Not API. */
public final class PoolEngineBuilder {
    final PoolConfig config;
    PeerId localPeer;
    TransportDialer connector;
    boolean multiplexed;
    PoolClock clock = PoolClock.SYSTEM;
    PoolScheduler scheduler;
    DoubleSupplier random;

    PoolEngineBuilder(PoolConfig config) {
        this.config = Objects.requireNonNull(config, "config must not be null");
    }

    /**
     * @param peer the PeerId the connector authenticates as
     * @return this builder
     */
    public PoolEngineBuilder localPeer(PeerId peer) {
        this.localPeer = peer;
        return this;
    }

    /**
     * @param connector the dialer; the engine closes it on close
     * @return this builder
     */
    public PoolEngineBuilder connector(Connector connector) {
        this.connector = connector;
        this.multiplexed = false;
        return this;
    }

    /**
     * Sets the dialer of either wire stack.
     *
     * @param dialer the dialer the engine owns and closes
     * @param multiplexed whether its connections carry several leases (libp2p): then callers arriving
     *     while a dial is under way wait for its connection rather than dial more
     * @return this builder
     */
    public PoolEngineBuilder dialer(TransportDialer dialer, boolean multiplexed) {
        this.connector = dialer;
        this.multiplexed = multiplexed;
        return this;
    }

    /**
     * @param clock the time source
     * @return this builder
     */
    public PoolEngineBuilder clock(PoolClock clock) {
        this.clock = clock;
        return this;
    }

    /**
     * @param scheduler runs delayed work; the engine shuts it down on close
     * @return this builder
     */
    public PoolEngineBuilder scheduler(PoolScheduler scheduler) {
        this.scheduler = scheduler;
        return this;
    }

    /**
     * @param random uniform numbers in [0, 1) for jitter and peer choice
     * @return this builder
     */
    public PoolEngineBuilder random(DoubleSupplier random) {
        this.random = random;
        return this;
    }

    /** @return the engine */
    public PoolEngine build() {
        Objects.requireNonNull(localPeer, "localPeer must be set");
        Objects.requireNonNull(connector, "connector must be set");
        Objects.requireNonNull(clock, "clock must not be null");
        PoolEngine engine = new PoolEngine(this);
        // Always on, started once the engine is whole (the first step may run at once).
        engine.monitor().startHousekeeping();
        return engine;
    }
}
