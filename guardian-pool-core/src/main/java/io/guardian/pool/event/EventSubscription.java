package io.guardian.pool.event;

/**
 * A listener's registration with a pool. Closing it unsubscribes: no event is delivered to the
 * listener after {@link #close()} returns, except one whose delivery was already under way.
 */
public interface EventSubscription extends AutoCloseable {

    /** Stops deliveries to the listener. Idempotent. */
    @Override
    void close();
}
