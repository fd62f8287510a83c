package io.guardian.pool.peer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reading and writing identity key files: owner-only permissions from the first byte, atomic
 * replacement, and errors that name the file and say what to do. Not API.
 */
final class KeyFiles {

    private static final Logger log = LoggerFactory.getLogger(KeyFiles.class);

    /** Far above any Ed25519 key protobuf (100 bytes at most); refuses to slurp unrelated files. */
    static final int MAX_KEY_FILE_SIZE = 4096;

    private static final Set<PosixFilePermission> OWNER_READ_WRITE =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private KeyFiles() {
    }

    /** Permission bits that let someone other than the owner read or replace the key. */
    private static final Set<PosixFilePermission> SHARED = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    /**
     * Reads a key file, refusing one that others can read or write: whoever reads the key can
     * impersonate this node, and whoever writes it can swap in theirs, so such a file is an error
     * (naming the path, the mode and the {@code chmod 600} that fixes it), checked before a byte
     * is read. Only where the file system has POSIX permissions; elsewhere (Windows, some network
     * or FAT mounts) there is nothing portable to check and protecting the file is up to the user.
     *
     * @throws UncheckedIOException if the file is missing, a directory, unreadable, readable or
     *     writable by group or others, or too large
     */
    static byte[] read(Path file) {
        Path path = file.toAbsolutePath();
        try {
            if (Files.isDirectory(path)) {
                throw new UncheckedIOException(new IOException("Identity key file " + path
                        + " is a directory; give the path of the key file itself"));
            }
            long size = Files.size(path);
            if (size > MAX_KEY_FILE_SIZE) {
                throw new IllegalArgumentException("Identity key file " + path + " is " + size + " bytes, far larger"
                        + " than a libp2p Ed25519 private key (68 bytes); is this the right file?");
            }
            refuseIfShared(path);
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("Identity key file " + path + " does not exist; create one with"
                    + " PeerIdentity.generate().save(path), or give the path of an existing libp2p Ed25519 key", e);
        } catch (AccessDeniedException e) {
            throw new UncheckedIOException("Identity key file " + path + " cannot be read: permission denied;"
                    + " make it readable by the user running this process (and by nobody else: chmod 600)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("Identity key file " + path + " could not be read: " + e, e);
        }
    }

    /**
     * Writes to a temporary file in the same directory, created with mode 0600 where the file
     * system has POSIX permissions, flushes it to disk, then renames it over {@code file}: a
     * reader sees the old key or the new one, never a partial file, and the key is never
     * readable by others, not even for a moment.
     *
     * @throws UncheckedIOException naming the file and the cause
     */
    static void writeAtomically(Path file, byte[] data) {
        Path path = file.toAbsolutePath();
        Path dir = path.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UncheckedIOException(new NoSuchFileException("Cannot save identity key to " + path
                    + ": directory " + dir + " does not exist; create it first"));
        }
        if (Files.isDirectory(path)) {
            throw new UncheckedIOException(new IOException("Cannot save identity key to " + path
                    + ": it is a directory"));
        }
        Path tmp = null;
        try {
            boolean posix = Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class);
            String prefix = "." + path.getFileName() + ".";
            if (posix) {
                tmp = Files.createTempFile(dir, prefix, ".tmp", PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE));
            } else {
                log.warn("The file system of {} has no POSIX permissions; protect the identity key file yourself", path);
                tmp = Files.createTempFile(dir, prefix, ".tmp");
            }
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(data);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
                channel.force(true);
            }
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            if (posix) {
                syncDirectory(dir);
            }
        } catch (AccessDeniedException e) {
            throw new UncheckedIOException("Cannot save identity key to " + path + ": permission denied on "
                    + e.getFile(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot save identity key to " + path + ": " + e, e);
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
    }

    /** Makes the rename durable; best effort, since not every file system can sync a directory. */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            log.debug("Could not sync directory {} after saving a key file: {}", dir, e.toString());
        }
    }

    private static void refuseIfShared(Path path) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        Set<PosixFilePermission> perms = view.readAttributes().permissions();
        if (!java.util.Collections.disjoint(perms, SHARED)) {
            throw new UncheckedIOException("Identity key file "
                    + path + " is readable or writable by others (" + PosixFilePermissions.toString(perms)
                    + "), so anyone on this machine could take or replace this node's identity; restrict it with"
                    + " chmod 600 " + path + " (or write it with PeerIdentity.save, which does) and start again",
                    new AccessDeniedException(path.toString()));
        }
    }

    private static void deleteQuietly(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            log.warn("Could not delete temporary key file {}: {}", tmp, e.toString());
        }
    }
}
