/**
 * Test support for applications that use Guardian Pool: {@link io.guardian.pool.test.EmbeddedPeers},
 * a JUnit Jupiter extension that runs real peers on loopback and hands out their addresses, and
 * {@link io.guardian.pool.test.CircuitBreakerAwait}, waits for a peer's circuit breaker to reach a
 * state, each with a deadline.
 */
package io.guardian.pool.test;
