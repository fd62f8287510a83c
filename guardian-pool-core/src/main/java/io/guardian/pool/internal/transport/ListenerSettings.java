package io.guardian.pool.internal.transport;

import io.guardian.pool.internal.libp2p.Libp2pSettings;
import io.guardian.pool.net.InboundLimits;
import io.guardian.pool.net.MessageHandler;
import io.guardian.pool.net.StreamHandler;
import io.guardian.pool.net.ProtocolConfig;
import io.guardian.pool.peer.PeerIdentity;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Everything a {@link ListenerEngine} needs, validated by {@code PeerListener.Builder}. Not API.
 *
 * @param identity the listener's key pair and PeerId
 * @param bind where to listen (resolved)
 * @param handler the application's message handler for guardian-db sessions, or {@code null} to
 *     refuse guardian-db dialers
 * @param streamHandlers libp2p protocol ids and their handlers (message handlers already adapted)
 * @param libp2p libp2p timeouts and limits
 * @param protocol handshake and framing settings (accept-plain and allow-list already merged in)
 * @param maxInboundConnections open inbound sockets, handshaking or established
 * @param maxInboundPerPeer established sessions per authenticated dialer PeerId
 * @param maxPendingHandshakes sockets still in the handshake
 * @param limits per-address limits, first-byte and idle timeouts, allow-listed addresses and peers
 * @param handlerExecutor where the handler runs, or {@code null} for a pool owned by the engine
 * @param clock source of handshake timestamps and session start times
 * @param random source of handshake nonces
 */
public record ListenerSettings(
        PeerIdentity identity,
        InetSocketAddress bind,
        MessageHandler handler,
        Map<String, StreamHandler> streamHandlers,
        Libp2pSettings libp2p,
        ProtocolConfig protocol,
        int maxInboundConnections,
        int maxInboundPerPeer,
        int maxPendingHandshakes,
        InboundLimits limits,
        Executor handlerExecutor,
        Clock clock,
        SecureRandom random) {

    /** Checks presence; ranges are checked by the public builder, which names the settings. */
    public ListenerSettings {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(bind, "bind");
        streamHandlers = Map.copyOf(Objects.requireNonNull(streamHandlers, "streamHandlers"));
        Objects.requireNonNull(libp2p, "libp2p");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
    }
}
