package dev.drover.agent.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node credential the coordinator issued (PROTOCOL.md §6.1), kept in the agent's state directory with mode 0600
 * from the moment it exists, so a restarted agent gets back in as the same node without the enrolment token.
 */
public final class NodeCredentialFile {
    private static final Logger LOGGER = LoggerFactory.getLogger(NodeCredentialFile.class);
    public static final String NAME = "node-credential";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path file;

    public NodeCredentialFile(Path stateDir) {
        this.file = stateDir.resolve(NAME);
    }

    public Path path() {
        return file;
    }

    /** The stored credential, or empty when none was issued yet (or the file is empty). */
    public Optional<String> load() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                LOGGER.atWarn().addKeyValue("file", file).log("node credential file was readable by others; "
                        + "setting mode 0600");
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
            String text = Files.readString(file, StandardCharsets.UTF_8).trim();
            return text.isEmpty() ? Optional.empty() : Optional.of(text);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read the node credential: " + e.getMessage(), e);
        }
    }

    /** Replaces the credential durably (write a 0600 sibling, fsync, rename); throws if it cannot. */
    public void save(String credential) {
        Path tmp = file.resolveSibling(NAME + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap((credential + "\n").getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel dir = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            } catch (IOException e) {
                // a file system without directory fsync: the rename is still atomic
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot keep the node credential: " + e.getMessage(), e);
        }
    }
}
