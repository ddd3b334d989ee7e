package dev.drover.coordinator.fleet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs node transitions without letting a flapping fleet flood the log: Ready⇄Busy (every task starting and
 * ending) is DEBUG, everything else INFO up to {@link #PER_SECOND} lines a second across the fleet; past that,
 * lines are counted and the count is logged with the next line that gets through. At 10,000 nodes a storm
 * logged ~1,700 INFO lines a second (issue 16), costing CPU and drowning the lines that matter.
 */
final class StateChangeLog {
    static final int PER_SECOND = 50;
    private static final Logger LOGGER = LoggerFactory.getLogger(Node.class);
    private static final StateChangeLog FLEET = new StateChangeLog();
    private long windowStart = System.nanoTime() - 1_000_000_000L;
    private int inWindow;
    private long suppressed;

    static void transition(String nodeId, Transition t) {
        boolean routine = (t.from() == NodeState.READY && t.to() == NodeState.BUSY)
                || (t.from() == NodeState.BUSY && t.to() == NodeState.READY);
        if (routine) {
            LOGGER.atDebug().addKeyValue("nodeId", nodeId).addKeyValue("from", t.from()).addKeyValue("to", t.to())
                    .addKeyValue("reason", t.reason()).log("node state changed");
            return;
        }
        long notLogged = FLEET.admit(System.nanoTime());
        if (notLogged < 0) {
            return;
        }
        var line = LOGGER.atInfo().addKeyValue("nodeId", nodeId).addKeyValue("from", t.from())
                .addKeyValue("to", t.to()).addKeyValue("reason", t.reason());
        if (notLogged > 0) {
            line = line.addKeyValue("notLogged", notLogged);
        }
        line.log("node state changed");
    }

    /** -1: over the budget (counted); otherwise how many lines were dropped since the last one logged. */
    synchronized long admit(long nanos) {
        if (nanos - windowStart >= 1_000_000_000L) {
            windowStart = nanos;
            inWindow = 0;
        }
        if (inWindow >= PER_SECOND) {
            suppressed++;
            return -1;
        }
        inWindow++;
        long dropped = suppressed;
        suppressed = 0;
        return dropped;
    }
}
