package dev.drover.coordinator.store;

import static dev.drover.coordinator.store.FleetStore.prepare;
import static dev.drover.coordinator.store.FleetStore.update;

import dev.drover.coordinator.provision.ProvisionJournal;
import dev.drover.coordinator.scaling.ScalingJournal;
import dev.drover.coordinator.scaling.ScalingLoop;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Pools in the store: pauses and limits set by operators, drains, deletes under way, recent decisions. */
public final class PoolStore implements ProvisionJournal, ScalingJournal {
    private final StateStore store;

    public PoolStore(StateStore store) {
        this.store = store;
    }

    @Override
    public void paused(String pool, boolean paused, String who, Instant at) {
        store.write(c -> {
            if (paused) {
                update(c, "INSERT OR REPLACE INTO pool_pauses (pool, paused_by, paused_at) VALUES (?, ?, ?)", pool,
                        who, at.toEpochMilli());
            } else {
                update(c, "DELETE FROM pool_pauses WHERE pool = ?", pool);
            }
        });
    }

    @Override
    public void drainStarted(Drain d) {
        store.write(c -> update(c, "INSERT OR REPLACE INTO drains (node_id, mode, deadline, requested_by, requested_at) "
                + "VALUES (?, ?, ?, ?, ?)", d.nodeId(), d.mode(), d.deadlineMillis(), d.requestedBy(),
                d.at().toEpochMilli()));
    }

    @Override
    public void drainEnded(String nodeId) {
        store.write(c -> update(c, "DELETE FROM drains WHERE node_id = ?", nodeId));
    }

    @Override
    public void deletePending(PendingDelete d) {
        store.write(c -> update(c, "INSERT OR REPLACE INTO pending_deletes (instance_id, pool, node_id, why, step, "
                + "asked_at) VALUES (?, ?, ?, ?, ?, ?)", d.instanceId(), d.pool(), d.nodeId(), d.why(), d.step().name(),
                d.at().toEpochMilli()));
    }

    @Override
    public void deleteDone(String pool, String instanceId) {
        store.write(c -> update(c, "DELETE FROM pending_deletes WHERE pool = ? AND instance_id = ?", pool, instanceId));
    }

    @Override
    public void decided(String pool, ScalingLoop.Decision d, int keep) {
        store.writeLater(c -> {
            update(c, "INSERT INTO decisions (pool, at, target, current, reason) VALUES (?, ?, ?, ?, ?)", pool,
                    d.at().toEpochMilli(), d.target(), d.current(), d.reason());
            update(c, "DELETE FROM decisions WHERE pool = ? AND id NOT IN (SELECT id FROM decisions WHERE pool = ? "
                    + "ORDER BY id DESC LIMIT " + keep + ")", pool, pool);
        });
    }

    @Override
    public void limits(String pool, int minNodes, int maxNodes, Instant at) {
        store.write(c -> update(c, "INSERT OR REPLACE INTO pool_limits (pool, min_nodes, max_nodes, set_at) "
                + "VALUES (?, ?, ?, ?)", pool, minNodes, maxNodes, at.toEpochMilli()));
    }

    public ProvisionJournal.Remembered loadProvisioning() {
        return store.read(c -> {
            List<String> paused = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT pool FROM pool_pauses ORDER BY pool");
                    ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    paused.add(r.getString(1));
                }
            }
            List<Drain> drains = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM drains ORDER BY requested_at");
                    ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    drains.add(new Drain(r.getString("node_id"), r.getLong("deadline"), r.getString("requested_by"),
                            Instant.ofEpochMilli(r.getLong("requested_at"))));
                }
            }
            List<PendingDelete> deletes = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM pending_deletes ORDER BY asked_at");
                    ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    deletes.add(new PendingDelete(r.getString("pool"), r.getString("instance_id"),
                            r.getString("node_id"), r.getString("why"), Step.valueOf(r.getString("step")),
                            Instant.ofEpochMilli(r.getLong("asked_at"))));
                }
            }
            return new ProvisionJournal.Remembered(paused, drains, deletes);
        });
    }

    public ScalingJournal.Remembered loadScaling() {
        return store.read(c -> {
            Map<String, Limits> limits = new HashMap<>();
            try (PreparedStatement p = c.prepareStatement("SELECT pool, min_nodes, max_nodes FROM pool_limits");
                    ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    limits.put(r.getString(1), new Limits(r.getInt(2), r.getInt(3)));
                }
            }
            Map<String, List<ScalingLoop.Decision>> decisions = new LinkedHashMap<>();
            try (PreparedStatement p = prepare(c, "SELECT pool, at, target, current, reason FROM decisions ORDER BY id");
                    ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    decisions.computeIfAbsent(r.getString(1), k -> new ArrayList<>()).add(new ScalingLoop.Decision(
                            Instant.ofEpochMilli(r.getLong(2)), r.getInt(3), r.getInt(4), r.getString(5)));
                }
            }
            return new ScalingJournal.Remembered(limits, decisions);
        });
    }
}
