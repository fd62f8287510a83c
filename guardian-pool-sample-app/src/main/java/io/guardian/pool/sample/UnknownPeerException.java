package io.guardian.pool.sample;

/** No demo peer has the name or PeerId a request named; the REST API answers 404. */
public class UnknownPeerException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param id what the caller asked for
     * @param known the names that would have worked
     */
    public UnknownPeerException(String id, String known) {
        super("no demo peer named " + id + "; use a name (" + known + ") or a PeerId from GET /api/peers");
    }
}
