package io.guardian.pool.sample;

import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PeerAddress;
import io.guardian.pool.PeerConnection;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpEntity;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.core.retry.RetryException;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * The sample's REST API over the demo peers and the pool:
 * <ul>
 *   <li>{@code GET /api/peers}, {@code GET /api/peers/{id}}: each peer with its multiaddr, running
 *       state, breaker state and health score;</li>
 *   <li>{@code POST /api/peers/{id}/send}: the body goes to the peer as one message through the
 *       pool, wrapped in the starter's {@code guardianPoolCoreRetryTemplate} (Spring Framework 7's
 *       own retry, set up from the pool's retry settings); the peer's reply is the
 *       response body;</li>
 *   <li>{@code POST /api/peers/{id}/stop} and {@code /start}: close or re-open a peer's listener;</li>
 *   <li>{@code GET /api/events}: the latest connection events; {@code GET /api/workload}: the
 *       demo workload's counters.</li>
 * </ul>
 * {@code {id}} is a demo name ({@code peer-1}) or a PeerId. Failures map to statuses in
 * {@link ApiExceptionHandler}.
 */
@RestController
@RequestMapping(path = "/api", produces = MediaType.APPLICATION_JSON_VALUE)
public class PeerController {

    private static final Logger log = LoggerFactory.getLogger(PeerController.class);

    private final OptimizedConnectionPool pool;
    private final DemoPeers peers;
    private final RetryTemplate retryTemplate;
    private final ConnectionEventLog events;
    private final WorkloadStats workload;
    private final Duration requestTimeout;

    /**
     * @param pool the pool every send goes through
     * @param peers the demo peers
     * @param retryTemplate the starter's core retry template, built from {@code guardian.pool}'s
     *     retry settings
     * @param events the recent connection events
     * @param workload the workload's counters
     * @param properties the request timeout
     */
    public PeerController(OptimizedConnectionPool pool, DemoPeers peers,
            @Qualifier("guardianPoolCoreRetryTemplate") RetryTemplate retryTemplate, ConnectionEventLog events,
            WorkloadStats workload, SampleProperties properties) {
        this.pool = pool;
        this.peers = peers;
        this.retryTemplate = retryTemplate;
        this.events = events;
        this.workload = workload;
        this.requestTimeout = properties.requestTimeout();
    }

    /**
     * Every demo peer, in name order.
     *
     * @return the peers with their pool-side state
     */
    @GetMapping("/peers")
    public List<PeerView> list() {
        return peers.all().stream().map(this::view).collect(Collectors.toList());
    }

    /**
     * One demo peer.
     *
     * @param id a demo name or PeerId
     * @return the peer with its pool-side state
     */
    @GetMapping("/peers/{id}")
    public PeerView get(@PathVariable String id) {
        return view(find(id));
    }

    /**
     * Sends the request body to the peer through the pool and returns its reply. The pool reuses
     * an idle connection or dials one; the retry template repeats the whole exchange on retryable
     * failures, with the pool's backoff settings.
     *
     * @param id a demo name or PeerId
     * @param request the message, any content type, 1 byte up to the pool's
     *     {@code handshake.max-frame-size}
     * @return the peer's reply, with the request's content type
     */
    @PostMapping(path = "/peers/{id}/send", produces = MediaType.ALL_VALUE)
    public ResponseEntity<byte[]> send(@PathVariable String id, HttpEntity<byte[]> request) {
        DemoPeer peer = find(id);
        int limit = pool.config().protocol().maxFrameSize();
        long declared = request.getHeaders().getContentLength();
        byte[] body = request.getBody();
        if (declared > limit || (body != null && body.length > limit)) {
            throw new ResponseStatusException(HttpStatus.CONTENT_TOO_LARGE, "message of "
                    + (body != null ? body.length : declared) + " bytes exceeds guardian.pool.handshake.max-frame-size ("
                    + limit + " bytes); send less or raise that setting");
        }
        if (body == null || body.length == 0) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST,
                    "empty message: put the text or bytes to send in the request body");
        }
        PeerAddress target = peer.peerAddress().orElseThrow(() -> new ResponseStatusException(
                HttpStatus.SERVICE_UNAVAILABLE, "demo peer " + peer.name() + " has not been started yet"));
        byte[] reply;
        try {
            reply = retryTemplate.execute(() -> exchange(target, body));
        } catch (RetryException e) {
            // The last attempt's failure, typed, for ApiExceptionHandler; the others are suppressed in it.
            log.debug("Send to {} failed after {} retries", peer.name(), e.getSuppressed().length);
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
        MediaType type = request.getHeaders().getContentType();
        return ResponseEntity.ok()
                .contentType(type != null ? type : MediaType.APPLICATION_OCTET_STREAM)
                .body(reply);
    }

    /**
     * Closes the peer's listener and every connection to it, so the pool's next dials fail and
     * its breaker opens. Stopping a stopped peer changes nothing.
     *
     * @param id a demo name or PeerId
     * @return the peer afterwards
     */
    @PostMapping("/peers/{id}/stop")
    public PeerView stop(@PathVariable String id) {
        DemoPeer peer = find(id);
        if (peer.stop()) {
            log.info("Demo peer {} stopped through the API", peer.name());
        }
        return view(peer);
    }

    /**
     * Binds the peer's listener again, on its old port with its old identity, so the pool's probes
     * succeed and its breaker closes. Starting a running peer changes nothing.
     *
     * @param id a demo name or PeerId
     * @return the peer afterwards
     */
    @PostMapping("/peers/{id}/start")
    public PeerView start(@PathVariable String id) {
        DemoPeer peer = find(id);
        if (peer.start()) {
            log.info("Demo peer {} started through the API", peer.name());
        }
        return view(peer);
    }

    /**
     * The latest connection events the application received, oldest first.
     *
     * @return at most {@value ConnectionEventLog#HISTORY} events
     */
    @GetMapping("/events")
    public List<ConnectionEventLog.Entry> events() {
        return events.recent();
    }

    /**
     * The demo workload's cumulative counters (all zero when it is switched off).
     *
     * @return the counters
     */
    @GetMapping("/workload")
    public WorkloadStats.Snapshot workload() {
        return workload.snapshot();
    }

    private byte[] exchange(PeerAddress target, byte[] body) {
        try (PeerConnection lease = pool.acquire(target.peerId(), target.address())) {
            try {
                return lease.request(body, requestTimeout);
            } catch (GuardianPoolException e) {
                // A late reply would be read by the next borrower: never return this connection.
                lease.markFailed(e);
                throw e;
            }
        }
    }

    private DemoPeer find(String id) {
        return peers.find(id).orElseThrow(() -> new UnknownPeerException(id,
                peers.all().stream().map(DemoPeer::name).collect(Collectors.joining(", "))));
    }

    private PeerView view(DemoPeer peer) {
        return PeerView.of(peer, pool.peer(peer.peerId()));
    }
}
