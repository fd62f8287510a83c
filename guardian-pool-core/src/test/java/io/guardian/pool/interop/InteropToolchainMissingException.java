package io.guardian.pool.interop;

/**
 * {@code interop/build.sh} exited 3: a toolchain a reference peer needs (Go, Rust, Node/npm) is
 * missing or too old. The message is the script's own, naming the tool and how to install it.
 * Not API: test harness only.
 */
public final class InteropToolchainMissingException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** @param message build.sh's explanation, from its stderr */
    public InteropToolchainMissingException(String message) {
        super(message);
    }
}
