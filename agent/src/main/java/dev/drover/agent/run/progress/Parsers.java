package dev.drover.agent.run.progress;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses the parser for a command: by {@code --parser} name, else by the program's name, else by whatever
 * the output turns out to look like (the first parser to recognise a line keeps the job).
 */
public final class Parsers {
    public static final List<String> NAMES = List.of("auto", "blender", "povray", "arnold", "vray", "directives");

    private Parsers() {
    }

    public static ProgressParser choose(String option, List<String> argv) {
        String name = option == null || option.equals("auto") ? byProgram(argv) : option.toLowerCase(Locale.ROOT);
        return switch (name) {
            case "blender" -> new BlenderParser(BlenderParser.frameCount(argv));
            case "povray" -> new PovRayParser();
            case "arnold" -> new ArnoldParser();
            case "vray" -> new VRayParser();
            case "directives" -> new Directives();
            case "auto" -> new Sniffing(argv);
            default -> throw new IllegalArgumentException("--parser must be one of " + NAMES + ", got " + option);
        };
    }

    private static String byProgram(List<String> argv) {
        String program = argv.isEmpty() ? "" : Path.of(argv.get(0)).getFileName().toString().toLowerCase(Locale.ROOT);
        if (program.startsWith("blender")) {
            return "blender";
        }
        if (program.startsWith("povray") || program.startsWith("pvengine")) {
            return "povray";
        }
        if (program.equals("kick") || program.startsWith("kick.")) {
            return "arnold";
        }
        if (program.startsWith("vray")) {
            return "vray";
        }
        return "auto";
    }

    /** Tries every parser until one recognises a line, then sticks with it. */
    private static final class Sniffing implements ProgressParser {
        private final List<ProgressParser> candidates;
        private ProgressParser chosen;

        Sniffing(List<String> argv) {
            candidates = List.of(new Directives(), new BlenderParser(BlenderParser.frameCount(argv)),
                    new PovRayParser(), new ArnoldParser(), new VRayParser());
        }

        @Override
        public String name() {
            return chosen != null ? chosen.name() : "auto";
        }

        @Override
        public Optional<Progress> accept(String line) {
            if (chosen != null) {
                return chosen.accept(line);
            }
            for (ProgressParser p : candidates) {
                Optional<Progress> r = p.accept(line);
                if (r.isPresent()) {
                    chosen = p;
                    return r;
                }
            }
            return Optional.empty();
        }
    }
}
