package io.guardian.pool.event;

/**
 * Receives the pool's events, in order, on the pool's single event thread. A listener that is
 * slow only delays other listeners' deliveries (events beyond {@code event-buffer-size} are then
 * dropped and counted); one that throws is logged and keeps receiving. Neither stalls the pool.
 */
@FunctionalInterface
public interface ConnectionEventListener {

    /**
     * Handles one event. Should return quickly; hand long work to another executor.
     *
     * @param event what happened
     */
    void onEvent(ConnectionEvent event);
}
