package io.guardian.pool.interop;

import java.util.Locale;

/**
 * The reference libp2p implementations under {@code interop/} at the repository root. Not API:
 * test harness only.
 */
public enum Lang {
    /** go-libp2p, built with the Go toolchain. */
    GO,
    /** rust-libp2p, built with cargo. */
    RUST,
    /** js-libp2p, installed with npm and run by Node. */
    JS;

    /** @return the name {@code interop/build.sh} takes, and the peer's folder: go, rust or js */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
