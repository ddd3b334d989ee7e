package dev.drover.coordinator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** The coordinator's version, stamped into the jar by the build and printed by {@code --version}. */
public final class CoordinatorVersion implements IVersionProvider {
    public static final String VERSION = load();

    private static String load() {
        try (InputStream in = CoordinatorVersion.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {"drover-coordinator " + VERSION, "protocol versions " + dev.drover.protocol.ProtocolVersion.MIN_SUPPORTED
                + ".." + dev.drover.protocol.ProtocolVersion.CURRENT, "Java " + Runtime.version()};
    }
}
