package dev.drover.agent.run.progress;

/**
 * How far a task is, as a renderer's output said it.
 *
 * @param percent of the whole task, 0..100
 * @param frame the frame being rendered, or -1 when the renderer does not say
 * @param etaSeconds the renderer's estimate of time left, or -1
 */
public record Progress(float percent, int frame, int etaSeconds) {
    public Progress {
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("percent must be 0..100, got " + percent);
        }
    }

    static Progress of(float percent) {
        return new Progress(percent, -1, -1);
    }
}
