package io.guardian.pool.sample;

import io.guardian.pool.CircuitBreakerOpenException;
import io.guardian.pool.ConnectionClosedException;
import io.guardian.pool.ConnectionFailedException;
import io.guardian.pool.ConnectionTimeoutException;
import io.guardian.pool.GuardianPoolException;
import io.guardian.pool.HandshakeException;
import io.guardian.pool.OptimizedConnectionPool;
import io.guardian.pool.PoolClosedException;
import io.guardian.pool.PoolExhaustedException;
import io.guardian.pool.breaker.CircuitBreakerView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Turns the pool's typed exceptions into HTTP statuses a client can act on, each with an RFC 9457
 * problem body whose {@code detail} is the exception's message (which names the peer and the
 * setting involved) and whose {@code exception} property is the exception's simple name:
 * <ul>
 *   <li>404 unknown demo peer;</li>
 *   <li>503 breaker open (with {@code Retry-After}: when the next probe is allowed), pool
 *       exhausted, pool closed;</li>
 *   <li>504 connect or request timed out;</li>
 *   <li>502 the peer refused, closed the connection, or failed the handshake;</li>
 *   <li>409 a stopped peer's port was taken and it cannot start again.</li>
 * </ul>
 */
@RestControllerAdvice(assignableTypes = PeerController.class)
public class ApiExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    private final OptimizedConnectionPool pool;
    private final Clock clock = Clock.systemUTC();

    /** @param pool the pool, asked when an open breaker lets the next probe through */
    public ApiExceptionHandler(OptimizedConnectionPool pool) {
        this.pool = pool;
    }

    /**
     * @param e no such demo peer
     * @return 404
     */
    @ExceptionHandler(UnknownPeerException.class)
    public ResponseEntity<ProblemDetail> unknownPeer(UnknownPeerException e) {
        return problem(HttpStatus.NOT_FOUND, "Unknown peer", e);
    }

    /**
     * @param e the peer's breaker rejected the call
     * @return 503 with {@code Retry-After} in seconds when the breaker knows its next probe time
     */
    @ExceptionHandler(CircuitBreakerOpenException.class)
    public ResponseEntity<ProblemDetail> breakerOpen(CircuitBreakerOpenException e) {
        ResponseEntity<ProblemDetail> response = problem(HttpStatus.SERVICE_UNAVAILABLE, "Circuit breaker open", e);
        Instant next = e.peerId() == null ? null : pool.peer(e.peerId())
                .map(p -> p.circuitBreaker())
                .map(CircuitBreakerView::nextProbeAt)
                .orElse(null);
        if (next == null) {
            return response;
        }
        long seconds = Math.max(1, (Duration.between(clock.instant(), next).toMillis() + 999) / 1000);
        return ResponseEntity.status(response.getStatusCode())
                .header(HttpHeaders.RETRY_AFTER, Long.toString(seconds))
                .body(response.getBody());
    }

    /**
     * @param e no connection came free within {@code guardian.pool.acquire-timeout}
     * @return 503
     */
    @ExceptionHandler(PoolExhaustedException.class)
    public ResponseEntity<ProblemDetail> exhausted(PoolExhaustedException e) {
        return problem(HttpStatus.SERVICE_UNAVAILABLE, "Pool exhausted", e);
    }

    /**
     * @param e the application is shutting down
     * @return 503
     */
    @ExceptionHandler(PoolClosedException.class)
    public ResponseEntity<ProblemDetail> closed(PoolClosedException e) {
        return problem(HttpStatus.SERVICE_UNAVAILABLE, "Pool closed", e);
    }

    /**
     * @param e the dial or the reply took too long
     * @return 504
     */
    @ExceptionHandler(ConnectionTimeoutException.class)
    public ResponseEntity<ProblemDetail> timeout(ConnectionTimeoutException e) {
        return problem(HttpStatus.GATEWAY_TIMEOUT, "Peer timed out", e);
    }

    /**
     * @param e the handshake failed (wrong identity, bad signature, clock skew, …)
     * @return 502
     */
    @ExceptionHandler(HandshakeException.class)
    public ResponseEntity<ProblemDetail> handshake(HandshakeException e) {
        ResponseEntity<ProblemDetail> response = problem(HttpStatus.BAD_GATEWAY, "Handshake failed", e);
        if (response.getBody() != null) {
            response.getBody().setProperty("reason", e.reason().name());
        }
        return response;
    }

    /**
     * @param e the peer refused the connection or closed it mid-request
     * @return 502
     */
    @ExceptionHandler({ConnectionFailedException.class, ConnectionClosedException.class})
    public ResponseEntity<ProblemDetail> unreachable(GuardianPoolException e) {
        return problem(HttpStatus.BAD_GATEWAY, "Peer unreachable", e);
    }

    /**
     * @param e any other pool failure
     * @return 502
     */
    @ExceptionHandler(GuardianPoolException.class)
    public ResponseEntity<ProblemDetail> otherPoolFailure(GuardianPoolException e) {
        return problem(HttpStatus.BAD_GATEWAY, "Pool error", e);
    }

    /**
     * @param e a stopped peer could not bind its old port again
     * @return 409
     */
    @ExceptionHandler(DemoPeerStartException.class)
    public ResponseEntity<ProblemDetail> cannotStart(DemoPeerStartException e) {
        return problem(HttpStatus.CONFLICT, "Demo peer cannot start", e);
    }

    private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String title, RuntimeException e) {
        log.debug("{} answered {}: {}", title, status.value(), e.toString());
        ProblemDetail body = ProblemDetail.forStatusAndDetail(status, e.getMessage());
        body.setTitle(title);
        body.setProperty("exception", e.getClass().getSimpleName());
        return ResponseEntity.status(status).body(body);
    }
}
