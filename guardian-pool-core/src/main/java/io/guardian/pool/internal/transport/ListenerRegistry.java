package io.guardian.pool.internal.transport;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * Finds the engine behind a public {@code PeerListener}, so a pool in another package can share its
 * connections without the listener's API exposing internal types. Not API. Entries go with their
 * listener (weak keys).
 */
public final class ListenerRegistry {

    private static final Map<Object, ListenerEngine> ENGINES = new WeakHashMap<>();

    private ListenerRegistry() {
    }

    /**
     * @param listener the public listener
     * @param engine its engine
     */
    public static synchronized void register(Object listener, ListenerEngine engine) {
        ENGINES.put(listener, engine);
    }

    /**
     * @param listener a public listener
     * @return its engine
     * @throws IllegalArgumentException if it was not started by this library
     */
    public static synchronized ListenerEngine engineOf(Object listener) {
        ListenerEngine engine = ENGINES.get(listener);
        if (engine == null) {
            throw new IllegalArgumentException("unknown listener " + listener);
        }
        return engine;
    }
}
