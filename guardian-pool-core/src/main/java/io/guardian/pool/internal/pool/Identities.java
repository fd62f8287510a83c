package io.guardian.pool.internal.pool;

import io.guardian.pool.PeerInfo;
import io.guardian.pool.internal.libp2p.IdentifyInfo;
import io.guardian.pool.internal.libp2p.PooledLibp2pConnection;
import java.time.Instant;

/** Keeps each libp2p peer's latest identify answer on its slot, for snapshots. Not API. */
final class Identities {

    private Identities() {
    }

    /** Records the connection's identify answer on its slot when it arrives (libp2p only). */
    static void watch(PoolEngine engine, PooledConn c) {
        if (!(c.transport instanceof PooledLibp2pConnection)) {
            return;
        }
        ((PooledLibp2pConnection) c.transport).connection().identify().whenComplete((info, error) -> {
            if (info != null) {
                c.slot.info = toPeerInfo(info, engine.clock().wallAt(engine.clock().nanoTime()));
            }
        });
    }

    static PeerInfo toPeerInfo(IdentifyInfo info, Instant at) {
        return new PeerInfo(info.agentVersion() == null ? "" : info.agentVersion(),
                info.protocolVersion() == null ? "" : info.protocolVersion(), info.protocols(), info.listenAddrs(),
                info.observedAddr(), at);
    }
}
