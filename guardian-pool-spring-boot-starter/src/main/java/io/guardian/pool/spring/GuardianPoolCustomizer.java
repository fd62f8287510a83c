package io.guardian.pool.spring;

import io.guardian.pool.PoolConfig;

/**
 * Adjusts the pool's configuration in code after the {@code guardian.pool.*} properties have
 * been applied: for values computed at start-up, or settings that properties cannot express.
 * Every customizer bean is applied, in {@link org.springframework.core.annotation.Order @Order}
 * (or {@link org.springframework.core.Ordered}) order, before the configuration is validated; a
 * later customizer sees and may override what an earlier one set. Ignored when the application
 * defines its own {@link PoolConfig} bean.
 */
@FunctionalInterface
public interface GuardianPoolCustomizer {

    /**
     * Changes settings on the builder. Do not call {@code build()}: the starter validates once
     * all customizers have run.
     *
     * @param builder the builder, holding the defaults and the properties set so far
     */
    void customize(PoolConfig.Builder builder);
}
