package dev.drover.agent.run;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * drover-run's command line, parsed by hand: picocli loaded ~170 classes of its own (plus java.sql and
 * java.time for its converters) on every task start, a third of the wrapper's start-up. Options come first
 * ({@code --name value} or {@code --name=value}); the first argument that is not an option, or everything
 * after {@code --}, is the command. Pure.
 */
record RunOptions(Long jid, Integer tid, Integer cid, String parser, Path agentSocket, Path capture,
        List<String> command, boolean help, boolean version) {

    static final String USAGE = """
            Usage: drover-run [OPTIONS] [--] COMMAND [ARGS...]
            Runs a render command, reporting its progress to Tractor and the Drover agent.
              --jid N              Tractor job id (default $TR_ENV_JID)
              --tid N              Tractor task id (default $TR_ENV_TID)
              --cid N              Tractor command id (default $TR_ENV_CID)
              --parser NAME        auto, blender, povray, arnold, vray or directives (default auto)
              --agent-socket PATH  the local agent's socket (default $DROVER_AGENT_SOCKET or %s)
              --capture FILE       also write the task's output to FILE, which the agent uploads to Blob
                                   (default: a file in $DROVER_TASK_LOG_DIR or %s when writable)
              -h, --help           show this help and exit
              -V, --version        print version information and exit
            """.formatted(DroverRunMain.DEFAULT_SOCKET, DroverRunMain.DEFAULT_LOG_DIR);

    /** @throws IllegalArgumentException naming the option and the value that is wrong */
    static RunOptions parse(String... args) {
        Long jid = null;
        Integer tid = null;
        Integer cid = null;
        String parser = "auto";
        Path agentSocket = null;
        Path capture = null;
        int i = 0;
        while (i < args.length) {
            String a = args[i];
            if (a.equals("--")) {
                i++;
                break;
            }
            if (a.equals("-h") || a.equals("--help")) {
                return new RunOptions(null, null, null, parser, null, null, List.of(), true, false);
            }
            if (a.equals("-V") || a.equals("--version")) {
                return new RunOptions(null, null, null, parser, null, null, List.of(), false, true);
            }
            if (!a.startsWith("-") || a.equals("-")) {
                break; // the command: everything from here on is its own
            }
            int eq = a.indexOf('=');
            String name = eq > 0 ? a.substring(0, eq) : a;
            String value;
            if (eq > 0) {
                value = a.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("option " + name + " needs a value");
            }
            switch (name) {
                case "--jid" -> jid = number(name, value);
                case "--tid" -> tid = intNumber(name, value);
                case "--cid" -> cid = intNumber(name, value);
                case "--parser" -> parser = value;
                case "--agent-socket" -> agentSocket = Path.of(value);
                case "--capture" -> capture = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + name);
            }
            i++;
        }
        List<String> command = new ArrayList<>(Arrays.asList(args).subList(i, args.length));
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command given (drover-run [OPTIONS] -- COMMAND [ARGS...])");
        }
        return new RunOptions(jid, tid, cid, parser, agentSocket, capture, List.copyOf(command), false, false);
    }

    private static int intNumber(String name, String value) {
        long n = number(name, value);
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " is out of range, got " + value);
        }
        return (int) n;
    }

    private static long number(String name, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'");
        }
    }
}
