package io.guardian.pool.spring.listener;

import io.guardian.pool.net.PeerListener;

/**
 * Adjusts the auto-configured {@link PeerListener} before it starts, after the
 * {@code guardian.pool.listener.*} properties and the {@link GuardianPoolHandler} beans were
 * applied: stream handlers, a handler executor, a clock. Applied in {@code @Order}.
 */
@FunctionalInterface
public interface GuardianPoolListenerCustomizer {

    /**
     * Adjusts the builder.
     *
     * @param builder the listener's builder, with the properties and handlers applied
     */
    void customize(PeerListener.Builder builder);
}
