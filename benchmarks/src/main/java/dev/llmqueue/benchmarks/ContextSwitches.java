package dev.llmqueue.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Context switches of this JVM's live threads (Linux: {@code /proc/self/task/* /status}), voluntary plus involuntary.
 * A thread hand-off (one thread parks, another is woken) shows up here; threads that died in between are not counted.
 * Returns -1 where /proc is not there.
 */
final class ContextSwitches {

    private ContextSwitches() {
    }

    static long total() {
        Path tasks = Paths.get("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return -1;
        }
        long sum = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
            for (Path task : dir) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches") || line.startsWith("nonvoluntary_ctxt_switches")) {
                            sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return sum;
    }
}
