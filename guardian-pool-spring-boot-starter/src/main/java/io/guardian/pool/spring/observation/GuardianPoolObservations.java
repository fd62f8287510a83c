package io.guardian.pool.spring.observation;

import io.guardian.pool.PoolInstrumentation;
import io.guardian.pool.Transport;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.Objects;

/**
 * Micrometer Observation for Guardian pools: hands each pool a {@link PoolInstrumentation} that
 * records {@code guardian.pool.dial} and {@code guardian.pool.request} observations in the
 * application's {@link ObservationRegistry} (spans with Micrometer Tracing, timers with the
 * meter handler). The auto-configuration creates one when an {@code ObservationRegistry} bean
 * exists and gives the {@code guardianPool} bean its instrumentation; an application that
 * declares more pools gives each one {@link #forPool(String) forPool(beanName)} in the pool's
 * constructor.
 *
 * <p>Switched off like Boot's own observations:
 * {@code management.observations.enable.guardian.pool=false} (or {@code .guardian.pool.dial},
 * {@code .guardian.pool.request}); an observation switched off costs one predicate check.
 * Conventions: a {@link GuardianPoolDialObservationConvention} or
 * {@link GuardianPoolRequestObservationConvention} bean replaces the default; a registered
 * {@code GlobalObservationConvention} for the context type does too.
 */
public final class GuardianPoolObservations {

    private static final DefaultGuardianPoolDialObservationConvention DEFAULT_DIAL =
            new DefaultGuardianPoolDialObservationConvention();
    private static final DefaultGuardianPoolRequestObservationConvention DEFAULT_REQUEST =
            new DefaultGuardianPoolRequestObservationConvention();

    private final ObservationRegistry registry;
    private final GuardianPoolDialObservationConvention dialConvention;
    private final GuardianPoolRequestObservationConvention requestConvention;

    /**
     * @param registry where the observations go
     * @param dialConvention the application's dial convention, or {@code null} for the default
     * @param requestConvention the application's request convention, or {@code null} for the default
     */
    public GuardianPoolObservations(ObservationRegistry registry, GuardianPoolDialObservationConvention dialConvention,
            GuardianPoolRequestObservationConvention requestConvention) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.dialConvention = dialConvention;
        this.requestConvention = requestConvention;
    }

    /**
     * The instrumentation of one pool.
     *
     * @param poolName the pool's name, the {@code pool} key value (use its bean name)
     * @return the hook to pass to the pool's constructor
     */
    public PoolInstrumentation forPool(String poolName) {
        return new Instrumentation(Objects.requireNonNull(poolName, "poolName"));
    }

    /** One pool's hook: creates, starts and ends the observations. */
    private final class Instrumentation implements PoolInstrumentation {

        private final String pool;

        Instrumentation(String pool) {
            this.pool = pool;
        }

        @Override
        public Scope dialStarted(PeerId peer, Multiaddr address, Transport transport, boolean detached) {
            Observation observation = Observation.createNotStarted(dialConvention, DEFAULT_DIAL,
                    () -> new GuardianPoolDialContext(pool, peer, address, transport, detached), registry);
            if (detached) {
                // Created on a thread whose current observation belongs to someone else (a caller that
                // released a lease): the dial is a root rather than that caller's child.
                observation.parentObservation(null);
            }
            // Not opened as a scope: the dial ends on another thread, and nothing runs under it here.
            return new ObservationScope(observation.start(), null);
        }

        @Override
        public Scope requestStarted(PeerId peer, Multiaddr address, Transport transport, String protocol,
                Operation operation) {
            Observation observation = Observation.createNotStarted(requestConvention, DEFAULT_REQUEST,
                    () -> new GuardianPoolRequestContext(pool, peer, address, transport, protocol, operation),
                    registry).start();
            // Opened: the operation runs on this thread until the scope closes, so logs and work under
            // it see its trace context.
            return new ObservationScope(observation, observation.openScope());
        }

        @Override
        public String toString() {
            return "GuardianPoolObservations[pool=" + pool + "]";
        }
    }

    /** Ends an observation: its error, then its scope (if opened) and the stop. */
    private static final class ObservationScope implements PoolInstrumentation.Scope {

        private final Observation observation;
        private final Observation.Scope opened;

        ObservationScope(Observation observation, Observation.Scope opened) {
            this.observation = observation;
            this.opened = opened;
        }

        @Override
        public void failed(Throwable cause) {
            observation.error(cause);
        }

        @Override
        public void close() {
            if (opened != null) {
                opened.close();
            }
            observation.stop();
        }
    }
}
