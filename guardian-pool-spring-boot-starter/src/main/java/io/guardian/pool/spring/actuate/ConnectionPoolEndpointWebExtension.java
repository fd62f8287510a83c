package io.guardian.pool.spring.actuate;

import io.guardian.pool.spring.actuate.PoolDescriptors.PeerActionResult;
import java.util.Objects;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * Gives the {@code connectionpool} write operations their HTTP statuses: Actuator answers a
 * write that returns nothing with 204, but acting on a peer the pool does not track must be a
 * 404, so a typo in a PeerId is not mistaken for success.
 */
@EndpointWebExtension(endpoint = ConnectionPoolEndpoint.class)
public class ConnectionPoolEndpointWebExtension {

    private final ConnectionPoolEndpoint endpoint;

    /**
     * @param endpoint the endpoint whose operations this extends
     */
    public ConnectionPoolEndpointWebExtension(ConnectionPoolEndpoint endpoint) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    }

    /**
     * {@code POST /actuator/connectionpool/{peerId}/{action}}.
     *
     * @param peerId the PeerId
     * @param action {@code evict} or {@code reset-breaker}
     * @return 200 with the peer after the action, 404 if the pool does not track the peer (a
     *     malformed PeerId or an unknown action is a 400)
     */
    @WriteOperation
    public WebEndpointResponse<PeerActionResult> peerAction(@Selector String peerId, @Selector String action) {
        PeerActionResult result = endpoint.peerAction(peerId, action);
        return result == null ? new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND)
                : new WebEndpointResponse<>(result);
    }
}
