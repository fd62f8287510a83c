package io.guardian.pool.spring.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * The convention of {@code guardian.pool.dial} observations. Declare a bean of this type to
 * replace {@link DefaultGuardianPoolDialObservationConvention} (extend it to add key values).
 */
public interface GuardianPoolDialObservationConvention extends ObservationConvention<GuardianPoolDialContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof GuardianPoolDialContext;
    }
}
