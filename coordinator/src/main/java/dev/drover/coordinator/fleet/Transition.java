package dev.drover.coordinator.fleet;

import java.time.Instant;

/** One state change of a node, with the single reason it happened. */
public record Transition(NodeState from, NodeState to, String reason, Instant at) {
}
