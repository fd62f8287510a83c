package io.guardian.pool.internal.pool;

import java.util.ArrayList;
import java.util.List;

/**
 * Leases given to waiting callers under a slot lock, completed after it is released (no caller
 * code runs under a lock). Not API.
 */
final class Handoffs {

    private List<Acquisition> waiters;
    private List<LeaseHandle> leases;

    void add(Acquisition waiter, LeaseHandle lease) {
        if (waiters == null) {
            waiters = new ArrayList<>(4);
            leases = new ArrayList<>(4);
        }
        waiters.add(waiter);
        leases.add(lease);
    }

    /** Completes each waiter's future with its lease (a waiter that gave up returns it at once). */
    void complete(Acquisitions acquisitions) {
        if (waiters == null) {
            return;
        }
        for (int i = 0; i < waiters.size(); i++) {
            acquisitions.complete(waiters.get(i), leases.get(i));
        }
        waiters = null;
        leases = null;
    }
}
