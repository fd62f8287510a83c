package io.guardian.pool.internal.libp2p;

import java.util.concurrent.atomic.LongAdder;

/** Payload bytes moved by all streams of one connection, negotiation excluded. Not API. */
final class Traffic {
    /** Bytes the remote sent us. */
    final LongAdder received = new LongAdder();
    /** Bytes we sent the remote. */
    final LongAdder sent = new LongAdder();
}
