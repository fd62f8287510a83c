package io.guardian.pool.spring.listener;

import io.guardian.pool.InvalidSettingException;
import io.guardian.pool.PoolConfig;
import io.guardian.pool.net.InboundLimits;
import io.guardian.pool.net.PeerListener;
import io.guardian.pool.peer.Multiaddr;
import io.guardian.pool.peer.PeerId;
import io.guardian.pool.peer.PeerIdentity;
import io.guardian.pool.spring.GuardianPoolProperties;
import io.guardian.pool.spring.GuardianPoolPropertyException;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Builds the auto-configured {@link PeerListener} from {@code guardian.pool.listener.*}, the pool's
 * identity and handshake settings, the {@link GuardianPoolHandler} beans and the
 * {@link GuardianPoolListenerCustomizer}s. An unset property leaves core's default; a value core
 * refuses stops start-up with a {@link GuardianPoolPropertyException} naming the property. Not API.
 */
public final class ListenerFactory {

    /** Prefix of the listener's properties. */
    public static final String PREFIX = "guardian.pool.listener.";
    /** Core's setting names that differ from the property's last part. */
    private static final Map<String, String> RENAMED = Map.of("inbound-idle-timeout", "idle-timeout");

    private ListenerFactory() {
    }

    /**
     * Starts the listener.
     *
     * @param properties the listener's properties ({@code port} set)
     * @param config the pool's configuration: handshake and framing settings
     * @param identity the pool's identity, which the listener answers as
     * @param handlers the handler beans
     * @param customizers applied last, in order
     * @return the started listener
     */
    public static PeerListener start(GuardianPoolProperties.Listener properties, PoolConfig config,
            PeerIdentity identity, List<GuardianPoolHandler> handlers, Stream<GuardianPoolListenerCustomizer> customizers) {
        PeerListener.Builder builder = PeerListener.builder(identity).bind(bindAddress(properties))
                .protocol(config.protocol()).inboundLimits(limits(properties));
        set(properties.maxInboundConnections(), "max-inbound-connections", builder::maxInboundConnections);
        set(properties.maxInboundPerPeer(), "max-inbound-per-peer", builder::maxInboundPerPeer);
        set(properties.maxPendingHandshakes(), "max-pending-handshakes", builder::maxPendingHandshakes);
        Map<String, GuardianPoolHandler> byProtocol = new HashMap<>();
        for (GuardianPoolHandler handler : handlers) {
            GuardianPoolHandler earlier = byProtocol.putIfAbsent(handler.protocol(), handler);
            if (earlier != null) {
                throw new IllegalStateException("two GuardianPoolHandler beans answer " + handler.protocol() + " ("
                        + earlier + " and " + handler + "); give each protocol one handler");
            }
            if (PeerListener.DEFAULT_PROTOCOL.equals(handler.protocol())) {
                builder.handler(handler);
            } else {
                builder.handler(handler.protocol(), handler);
            }
        }
        customizers.forEach(c -> c.customize(builder));
        try {
            return builder.start();
        } catch (InvalidSettingException e) {
            throw translate(e.setting(), e);
        } catch (IllegalStateException e) {
            if (String.valueOf(e.getMessage()).startsWith("no handler")) {
                throw new IllegalStateException(PREFIX + "port is set but nothing answers: declare a GuardianPoolHandler"
                        + " bean (or a GuardianPoolListenerCustomizer that adds a handler)", e);
            }
            throw e;
        }
    }

    /**
     * The per-address limits, verification executor, handshake rate and memory budget from the
     * properties; unset ones keep {@link InboundLimits}' defaults.
     *
     * @param p the listener's properties
     * @return the limits
     * @throws GuardianPoolPropertyException naming a property core refuses
     */
    public static InboundLimits limits(GuardianPoolProperties.Listener p) {
        InboundLimits.Builder b = InboundLimits.builder();
        if (p.maxInboundPerAddress() != null) {
            b.maxConnectionsPerAddress(p.maxInboundPerAddress());
        }
        if (p.maxPendingPerAddress() != null) {
            b.maxPendingPerAddress(p.maxPendingPerAddress());
        }
        if (p.firstByteTimeout() != null) {
            b.firstByteTimeout(p.firstByteTimeout());
        }
        if (p.idleTimeout() != null) {
            b.idleTimeout(p.idleTimeout());
        }
        if (p.limitLoopback() != null) {
            b.limitLoopback(p.limitLoopback());
        }
        if (p.allowlistedAddresses() != null) {
            b.allowlistedAddresses(new LinkedHashSet<>(p.allowlistedAddresses()));
        }
        if (p.allowlistedPeers() != null) {
            b.allowlistedPeers(peers(p.allowlistedPeers()));
        }
        if (p.verificationThreads() != null) {
            b.verificationThreads(p.verificationThreads());
        }
        if (p.maxQueuedVerifications() != null) {
            b.maxQueuedVerifications(p.maxQueuedVerifications());
        }
        if (p.handshakesPerSecondPerAddress() != null) {
            b.handshakesPerSecondPerAddress(p.handshakesPerSecondPerAddress());
        }
        if (p.handshakeBurstPerAddress() != null) {
            b.handshakeBurstPerAddress(p.handshakeBurstPerAddress());
        }
        if (p.maxBufferedInboundBytes() != null) {
            b.maxBufferedInboundBytes(p.maxBufferedInboundBytes().toBytes());
        }
        try {
            return b.build();
        } catch (InvalidSettingException e) {
            throw translate(e.setting(), e);
        }
    }

    private static Multiaddr bindAddress(GuardianPoolProperties.Listener p) {
        String host = p.bindAddress().trim();
        if (p.port() < 0 || p.port() > 65535) {
            throw new GuardianPoolPropertyException(PREFIX + "port", PREFIX + "port must be between 0 and 65535, was "
                    + p.port());
        }
        try {
            // Literals only: a listener does not resolve a host name to pick its interface.
            boolean v6 = host.indexOf(':') >= 0;
            InetAddress ip = Multiaddr.parse((v6 ? "/ip6/" : "/ip4/") + host + "/tcp/0").toSocketAddress().getAddress();
            return Multiaddr.parse((v6 ? "/ip6/" : "/ip4/") + ip.getHostAddress() + "/tcp/" + p.port());
        } catch (RuntimeException e) {
            throw new GuardianPoolPropertyException(PREFIX + "bind-address", PREFIX + "bind-address must be an IPv4 or"
                    + " IPv6 address literal (such as 127.0.0.1, 0.0.0.0 or ::), was '" + host + "'", e);
        }
    }

    private static Set<PeerId> peers(List<String> ids) {
        Set<PeerId> peers = new LinkedHashSet<>();
        for (String id : ids) {
            try {
                peers.add(PeerId.parse(id.trim()));
            } catch (IllegalArgumentException e) {
                throw new GuardianPoolPropertyException(PREFIX + "allowlisted-peers", PREFIX + "allowlisted-peers: '"
                        + id + "' is not a PeerId (" + e.getMessage() + ")", e);
            }
        }
        return peers;
    }

    private static void set(Integer value, String property, Consumer<Integer> setter) {
        if (value == null) {
            return;
        }
        if (value < 1) {
            throw new GuardianPoolPropertyException(PREFIX + property, PREFIX + property + " must be at least 1, was "
                    + value);
        }
        setter.accept(value);
    }

    private static GuardianPoolPropertyException translate(String setting, InvalidSettingException e) {
        String property = setting.startsWith("max-frame-size") ? "guardian.pool.handshake.max-frame-size"
                : PREFIX + RENAMED.getOrDefault(setting, setting);
        String message = String.valueOf(e.getMessage());
        String rest = message.startsWith(setting) ? message.substring(setting.length()) : ": " + message;
        return new GuardianPoolPropertyException(property, property + rest, e);
    }
}
