package dev.drover.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** The agent's version, stamped into the jar by the build; sent in Hello and printed by {@code --version}. */
public final class AgentVersion implements IVersionProvider {
    public static final String VERSION = load();

    private static String load() {
        try (InputStream in = AgentVersion.class.getResourceAsStream("version.properties")) {
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
        return new String[] {"drover-agent " + VERSION, "protocol versions " + dev.drover.protocol.ProtocolVersion.MIN_SUPPORTED
                + ".." + dev.drover.protocol.ProtocolVersion.CURRENT, "Java " + Runtime.version()};
    }
}
