package dev.drover.coordinator.demo;

import dev.drover.coordinator.queue.BuiltInQueue;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The demo's job: one task per frame, each a real render that writes a PNG and prints progress. */
final class DemoJob {
    private DemoJob() {
    }

    /** The renderer's program for a name, or null if unknown or not installed. */
    static List<String> renderer(String name) {
        if (name.equals("sample")) {
            return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        }
        if (name.equals("blender")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                Path p = Path.of(dir, "blender");
                if (Files.isExecutable(p)) {
                    return List.of(p.toString());
                }
            }
        }
        return null;
    }

    static BuiltInQueue.JobSpec job(List<String> program, String renderer, int frames, Path agentJar, Path images) {
        List<BuiltInQueue.TaskSpec> tasks = new ArrayList<>();
        for (int f = 1; f <= frames; f++) {
            List<String> argv = new ArrayList<>(program);
            if (renderer.equals("sample")) {
                argv.addAll(List.of("-XX:+UseSerialGC", "-Xmx128m", "-cp", agentJar.toString(),
                        "dev.drover.agent.sample.SampleRenderer", "--frame", Integer.toString(f), "--frames",
                        Integer.toString(frames), "--out", images.toString()));
            } else {
                // Blender's default scene on the CPU with few samples: seconds a frame, real Cycles progress.
                // Denoising off: Debian's Blender is built without OpenImageDenoise and would fail the frame.
                argv.addAll(List.of("-b", "-noaudio", "--factory-startup", "-E", "CYCLES", "--python-expr",
                        "import bpy; s = bpy.context.scene; s.cycles.samples = 16; s.cycles.device = 'CPU'; "
                                + "s.cycles.use_denoising = False; s.render.resolution_percentage = 25",
                        "-o", images.resolve("frame_####").toString(), "-F", "PNG", "-f", Integer.toString(f)));
            }
            tasks.add(new BuiltInQueue.TaskSpec("frame " + f, argv, List.of(), ""));
        }
        String key = renderer.equals("sample") ? "sample" : "blender";
        return new BuiltInQueue.JobSpec("demo: " + frames + " frames (" + renderer + ")", key, tasks);
    }
}
