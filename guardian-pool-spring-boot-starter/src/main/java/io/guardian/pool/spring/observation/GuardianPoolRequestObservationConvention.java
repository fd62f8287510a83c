package io.guardian.pool.spring.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * The convention of {@code guardian.pool.request} observations. Declare a bean of this type to
 * replace {@link DefaultGuardianPoolRequestObservationConvention} (extend it to add key values).
 */
public interface GuardianPoolRequestObservationConvention extends ObservationConvention<GuardianPoolRequestContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof GuardianPoolRequestContext;
    }
}
