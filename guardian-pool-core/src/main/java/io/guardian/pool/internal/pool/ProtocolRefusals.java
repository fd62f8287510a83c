package io.guardian.pool.internal.pool;

import io.guardian.pool.PoolConfig;
import io.guardian.pool.ProtocolNotSupportedException;
import java.time.Duration;
import java.util.LinkedHashMap;

/**
 * Protocols a libp2p peer refused ({@code na}), remembered per peer so that acquires of them fail
 * at once for {@code circuit-breaker.open-timeout} instead of opening a stream to be refused again.
 * A refusal is an answer, not a failure: no breaker counts it. Not API.
 */
final class ProtocolRefusals {

    /** Most refused protocols remembered per peer; the oldest goes first. */
    static final int MAX_PER_PEER = 64;

    private ProtocolRefusals() {
    }

    /** @throws IllegalArgumentException if {@code protocol} is not a protocol id */
    static void checkId(String protocol) {
        try {
            PoolConfig.Builder.checkProtocolId("protocol", protocol);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * (Slot lock held.)
     *
     * @return the exception for an acquire of a protocol refused less than {@code window} ago, or
     *     {@code null}
     */
    static RuntimeException refusedLocked(PeerSlot slot, String protocol, long now, Duration window) {
        Long until = slot.refusedProtocols.get(protocol);
        if (until == null) {
            return null;
        }
        if (now - until >= 0) {
            slot.refusedProtocols.remove(protocol);
            return null;
        }
        return new ProtocolNotSupportedException(slot.peerId, protocol, "peer " + slot.peerId + " refused protocol "
                + protocol + " (multistream-select 'na') less than circuit-breaker.open-timeout (" + window
                + ") ago; check the protocol id and the peer's handlers", null);
    }

    /** Remembers a refusal until {@code now + window} (slot lock held). */
    static void rememberLocked(PeerSlot slot, String protocol, long now, Duration window) {
        if (slot.refusedProtocols == null) {
            slot.refusedProtocols = new LinkedHashMap<>();
        }
        slot.refusedProtocols.remove(protocol);
        if (slot.refusedProtocols.size() >= MAX_PER_PEER) {
            slot.refusedProtocols.remove(slot.refusedProtocols.keySet().iterator().next());
        }
        slot.refusedProtocols.put(protocol, now + window.toNanos());
    }
}
