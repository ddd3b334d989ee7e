package dev.drover.agent.imds;

import java.time.Instant;

/**
 * What is known of one running task's pace, as drover-run reported it: when it started and its latest
 * progress. The input of {@link TerminateGrace}.
 *
 * @param percent latest progress, 0 before any report
 * @param etaSeconds the renderer's own estimate of time remaining at {@code progressAt}, or -1 when unknown
 * @param progressAt when the latest progress was reported; equal to {@code startedAt} before any report
 */
public record TaskTiming(String task, Instant startedAt, double percent, int etaSeconds, Instant progressAt) {
}
