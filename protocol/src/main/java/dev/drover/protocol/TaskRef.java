package dev.drover.protocol;

/** A Tractor command invocation: job id, task id, command id (specs/tractor-and-cyclecloud.md §2.4). */
public record TaskRef(long jid, int tid, int cid) {

    public TaskRef {
        Fields.nonNegative(jid, "task.jid");
        Fields.nonNegative(tid, "task.tid");
        Fields.nonNegative(cid, "task.cid");
    }

    void write(WireWriter w) {
        w.i64(jid).i32(tid).i32(cid);
    }

    static TaskRef read(WireReader r) {
        return new TaskRef(r.i64("task.jid"), r.i32("task.tid"), r.i32("task.cid"));
    }

    @Override
    public String toString() {
        return jid + "/" + tid + "/" + cid;
    }
}
