package io.guardian.pool.net;

/**
 * A snapshot of a {@link PeerListener}'s inbound connections and of what it refused or closed, for
 * monitoring and alerting: a growing refusal count is someone (or a misconfigured fleet) pressing
 * on a limit. Counts are cumulative since the listener started; the first three and
 * {@code bufferedBytes} are current.
 *
 * @param connections open inbound connections, handshaking or established
 * @param pendingHandshakes inbound connections still in the handshake
 * @param sessions established sessions, guardian-db and libp2p
 * @param refusedTotalCap sockets closed on arrival: {@code max-inbound-connections} reached
 * @param refusedPendingCap sockets closed on arrival: {@code max-pending-handshakes} reached
 * @param refusedPerAddress sockets closed on arrival: {@code max-inbound-per-address} reached
 * @param refusedPendingPerAddress sockets closed on arrival: {@code max-pending-per-address} reached
 * @param refusedPerPeer handshakes refused after authentication: {@code max-inbound-per-peer} reached
 * @param firstByteTimeouts sockets closed because no byte came within {@code first-byte-timeout}
 * @param handshakeTimeouts handshakes not complete within the handshake timeout
 * @param idleClosed connections closed after {@code inbound-idle-timeout} without a byte either way
 * @param failedHandshakes handshakes that failed for any reason (rule, timeout, dialer leaving)
 * @param protocolErrors guardian-db sessions closed because the dialer broke the frame protocol
 * @param verificationsRefused handshakes refused because {@code max-queued-verifications} signature
 *     checks were already waiting
 * @param refusedHandshakeRate sockets closed on arrival: their address was over
 *     {@code handshakes-per-second-per-address}
 * @param refusedMemory guardian-db connections closed and libp2p streams reset because
 *     {@code max-buffered-inbound-bytes} had no room for what their peer sent
 * @param bufferedBytes bytes reserved from {@code max-buffered-inbound-bytes} now (current)
 * @param peakBufferedBytes the most bytes ever reserved from it at once
 */
public record ListenerStats(
        int connections,
        int pendingHandshakes,
        int sessions,
        long refusedTotalCap,
        long refusedPendingCap,
        long refusedPerAddress,
        long refusedPendingPerAddress,
        long refusedPerPeer,
        long firstByteTimeouts,
        long handshakeTimeouts,
        long idleClosed,
        long failedHandshakes,
        long protocolErrors,
        long verificationsRefused,
        long refusedHandshakeRate,
        long refusedMemory,
        long bufferedBytes,
        long peakBufferedBytes) {

    /**
     * @return every socket closed on arrival because a cap or the handshake rate was reached (the
     *     four {@code refused…Cap/…Address} counts and {@code refusedHandshakeRate})
     */
    public long refusedOnArrival() {
        return refusedTotalCap + refusedPendingCap + refusedPerAddress + refusedPendingPerAddress
                + refusedHandshakeRate;
    }
}
