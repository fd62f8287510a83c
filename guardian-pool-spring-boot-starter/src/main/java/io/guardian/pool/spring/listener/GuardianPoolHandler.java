package io.guardian.pool.spring.listener;

import io.guardian.pool.net.MessageHandler;
import io.guardian.pool.net.PeerListener;

/**
 * A request handler of the auto-configured {@link PeerListener} ({@code guardian.pool.listener.port}
 * set): declare one bean per protocol the node answers, and the starter registers each with the
 * listener.
 *
 * <pre>{@code
 * @Bean
 * GuardianPoolHandler echo() {
 *     return GuardianPoolHandler.of("/my-app/echo/1.0.0", (from, message) -> message);
 * }
 * }</pre>
 *
 * <p>The handler of {@link PeerListener#DEFAULT_PROTOCOL} (what {@link #protocol()} returns unless
 * overridden) also answers guardian-db dialers, which name no protocol; every other handler
 * answers libp2p streams of its protocol. Two handlers of one protocol stop start-up. For stream
 * handlers or anything else the builder offers, declare a {@link GuardianPoolListenerCustomizer}.
 */
public interface GuardianPoolHandler extends MessageHandler {

    /**
     * The libp2p protocol id this handler answers.
     *
     * @return {@link PeerListener#DEFAULT_PROTOCOL} unless overridden
     */
    default String protocol() {
        return PeerListener.DEFAULT_PROTOCOL;
    }

    /**
     * A handler of {@code protocol} from a lambda.
     *
     * @param protocol the protocol id, such as {@code /my-app/kv/1.0.0}
     * @param handler called once per message, off the network threads
     * @return the handler
     */
    static GuardianPoolHandler of(String protocol, MessageHandler handler) {
        java.util.Objects.requireNonNull(protocol, "protocol must not be null");
        java.util.Objects.requireNonNull(handler, "handler must not be null");
        return new GuardianPoolHandler() {
            @Override
            public String protocol() {
                return protocol;
            }

            @Override
            public byte[] handle(io.guardian.pool.peer.PeerId from, byte[] message) {
                return handler.handle(from, message);
            }

            @Override
            public String toString() {
                return "GuardianPoolHandler[" + protocol + "]";
            }
        };
    }
}
