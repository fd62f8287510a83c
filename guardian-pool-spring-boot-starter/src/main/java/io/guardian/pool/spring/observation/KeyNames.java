package io.guardian.pool.spring.observation;

import io.guardian.pool.Transport;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import java.util.Locale;

/** The key names and values the default conventions share. Not API. */
final class KeyNames {

    static final String POOL = "pool";
    static final String TRANSPORT = "transport";
    static final String PROTOCOL = "protocol";
    static final String OPERATION = "operation";
    static final String OUTCOME = "outcome";
    static final String ERROR = "error";
    static final String PEER_ID = "peer.id";
    static final String PEER_ADDRESS = "peer.address";
    /** The {@code error} value without one: the word Micrometer's own meter handler uses. */
    static final String NONE = "none";

    private KeyNames() {
    }

    /** The low-cardinality key values every pool observation has: pool, transport, outcome, error. */
    static KeyValues common(GuardianPoolContext context) {
        return KeyValues.of(POOL, context.getPool(), TRANSPORT, transport(context.getTransport()), OUTCOME,
                outcome(context), ERROR, error(context));
    }

    /** The high-cardinality key values every pool observation has: the peer's id and address. */
    static KeyValues peer(GuardianPoolContext context) {
        return KeyValues.of(PEER_ID, context.getPeer().toBase58(), PEER_ADDRESS, context.getAddress().toString());
    }

    static String transport(Transport transport) {
        return transport.name().toLowerCase(Locale.ROOT);
    }

    static String outcome(Observation.Context context) {
        return context.getError() == null ? "success" : "failure";
    }

    /** The simple class name, as Micrometer's meter handler tags errors, so both agree. */
    static String error(Observation.Context context) {
        Throwable error = context.getError();
        return error == null ? NONE : error.getClass().getSimpleName();
    }
}
