package dev.drover.agent.run.progress;

import java.util.Optional;

/**
 * Reads one renderer's output, a line at a time, and says how far the task is. A line that is not
 * progress, or is malformed or out of range, gives empty: parsers never throw and never crash the wrapper.
 */
public interface ProgressParser {
    /** A short name for logs and the {@code --parser} option. */
    String name();

    Optional<Progress> accept(String line);
}
