package io.guardian.pool.spring.observation;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.Map;

/**
 * Gives the timers that Micrometer's meter handler derives from the pool's observations
 * ({@code guardian.pool.dial}, {@code guardian.pool.request} and their {@code .active} long-task
 * timers) a description: the handler registers them without one, and Prometheus's linter
 * ({@code promtool check metrics}) rejects a family without HELP text. Leaves every other meter,
 * and one that has a description, as it is.
 */
public final class ObservationMeterDescriptions implements MeterFilter {

    private static final Map<String, String> DESCRIPTIONS = Map.of(
            DefaultGuardianPoolDialObservationConvention.NAME,
            "Dials of the pool: TCP connect, security and multiplexer handshakes, with the retries of one acquire",
            DefaultGuardianPoolDialObservationConvention.NAME + ".active", "Dials of the pool under way",
            DefaultGuardianPoolRequestObservationConvention.NAME,
            "Requests, sends and receives on leases of the pool, as their callers saw them",
            DefaultGuardianPoolRequestObservationConvention.NAME + ".active",
            "Requests, sends and receives on leases of the pool under way");

    @Override
    public Meter.Id map(Meter.Id id) {
        if (id.getDescription() != null) {
            return id;
        }
        String description = DESCRIPTIONS.get(id.getName());
        return description == null ? id
                : new Meter.Id(id.getName(), Tags.of(id.getTagsAsIterable()), id.getBaseUnit(), description,
                        id.getType());
    }
}
