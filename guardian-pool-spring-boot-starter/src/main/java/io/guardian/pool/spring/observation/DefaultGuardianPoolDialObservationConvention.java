package io.guardian.pool.spring.observation;

import io.micrometer.common.KeyValues;

/**
 * {@code guardian.pool.dial}: low-cardinality key values {@code pool}, {@code transport}
 * ({@code libp2p}, {@code guardian}), {@code outcome} ({@code success}, {@code failure}) and
 * {@code error} (the exception's simple class name, {@code none}); high-cardinality
 * {@code peer.id} (base58) and {@code peer.address}. Contextual name (the span's name):
 * {@code dial <transport>}.
 */
public class DefaultGuardianPoolDialObservationConvention implements GuardianPoolDialObservationConvention {

    /** The observation's name, and the prefix {@code management.observations.enable.guardian.pool} matches. */
    public static final String NAME = "guardian.pool.dial";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(GuardianPoolDialContext context) {
        return "dial " + KeyNames.transport(context.getTransport());
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(GuardianPoolDialContext context) {
        return KeyNames.common(context);
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(GuardianPoolDialContext context) {
        return KeyNames.peer(context);
    }
}
