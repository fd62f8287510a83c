package io.guardian.pool.reliability;

import io.guardian.pool.peer.PeerId;
import java.util.HashMap;
import java.util.Map;

/** Pairs each return of a peer whose breaker was not closed with the next close of that breaker. */
final class BreakerRecovery {
    private final Map<PeerId, Long> pending = new HashMap<>();
    final Distribution closeAfterReturn = new Distribution();
    long returnsWithOpenBreaker;
    long downBeforeClosed;

    synchronized void returned(PeerId peer, long at, boolean breakerClosed) {
        if (!breakerClosed) {
            returnsWithOpenBreaker++;
            pending.put(peer, at);
        }
    }

    synchronized void wentDown(PeerId peer) {
        if (pending.remove(peer) != null) {
            downBeforeClosed++;
        }
    }

    synchronized void closed(PeerId peer, long at) {
        Long returned = pending.remove(peer);
        if (returned != null) {
            closeAfterReturn.add(at - returned);
        }
    }
}
