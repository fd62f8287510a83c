package io.guardian.pool.spring.observation;

import io.micrometer.common.KeyValues;
import java.util.Locale;

/**
 * {@code guardian.pool.request}: low-cardinality key values {@code pool}, {@code transport},
 * {@code protocol} (the lease's protocol id: a set the application chooses, not a per-peer
 * value), {@code operation} ({@code request}, {@code send}, {@code receive}), {@code outcome}
 * and {@code error}; high-cardinality {@code peer.id} and {@code peer.address}. Contextual name:
 * {@code <operation> <protocol>}.
 */
public class DefaultGuardianPoolRequestObservationConvention implements GuardianPoolRequestObservationConvention {

    /** The observation's name, and the prefix {@code management.observations.enable.guardian.pool} matches. */
    public static final String NAME = "guardian.pool.request";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(GuardianPoolRequestContext context) {
        return operation(context) + " " + context.getProtocol();
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(GuardianPoolRequestContext context) {
        return KeyNames.common(context).and(KeyNames.PROTOCOL, context.getProtocol(), KeyNames.OPERATION,
                operation(context));
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(GuardianPoolRequestContext context) {
        return KeyNames.peer(context);
    }

    private static String operation(GuardianPoolRequestContext context) {
        return context.getOperation().name().toLowerCase(Locale.ROOT);
    }
}
