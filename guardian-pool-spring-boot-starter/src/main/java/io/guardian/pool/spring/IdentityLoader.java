package io.guardian.pool.spring;

import io.guardian.pool.peer.PeerIdentity;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces this node's {@link PeerIdentity} from {@code guardian.pool.identity.key-file}, or a
 * fresh one, and logs its PeerId once. Only the PeerId and the file's path are ever logged or
 * put in a message: never the key, and never the file's content. Not API.
 */
final class IdentityLoader {

    static final String KEY_FILE = "guardian.pool.identity.key-file";

    private static final Logger log = LoggerFactory.getLogger(IdentityLoader.class);

    private IdentityLoader() {
    }

    static PeerIdentity load(Path keyFile) {
        if (keyFile == null) {
            PeerIdentity identity = PeerIdentity.generate();
            log.info("Guardian Pool identity: PeerId {} (generated for this run; set {} to keep it across restarts)",
                    identity.peerId(), KEY_FILE);
            return identity;
        }
        Path file = keyFile.toAbsolutePath();
        if (!Files.isRegularFile(file)) {
            throw new GuardianPoolPropertyException(KEY_FILE, KEY_FILE + " is " + file + ", which "
                    + (Files.exists(file) ? "is not a regular file" : "does not exist")
                    + ". Point it at a libp2p Ed25519 private key file (write one with"
                    + " PeerIdentity.generate().save(path)), or remove the property to use a generated identity.");
        }
        PeerIdentity identity;
        try {
            identity = PeerIdentity.load(file);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            // Core's messages name the path and the problem, never the bytes.
            throw new GuardianPoolPropertyException(KEY_FILE, KEY_FILE + " (" + file + ") cannot be used: "
                    + e.getMessage(), e);
        }
        log.info("Guardian Pool identity: PeerId {} (from {})", identity.peerId(), file);
        return identity;
    }
}
