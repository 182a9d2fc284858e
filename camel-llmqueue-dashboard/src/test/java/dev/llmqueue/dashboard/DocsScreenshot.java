package dev.llmqueue.dashboard;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.openqa.selenium.By;

/**
 * Makes {@code docs/dashboard.png}, the README's picture, from the current page: two minutes of users (HIGH) asking
 * while background jobs (LOW) flood the queue, on the simulator, then a screenshot in headless Chromium. Not a test.
 *
 * <pre>
 * mvn -B -q -pl camel-llmqueue-dashboard test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.llmqueue.dashboard.DocsScreenshot -Dexec.args="docs/dashboard.png 120"
 * </pre>
 */
public final class DocsScreenshot {

    private DocsScreenshot() {
    }

    public static void main(String[] args) throws Exception {
        Path target = Path.of(args.length > 0 ? args[0] : "docs/dashboard.png");
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 120;
        try (DashboardFixture fixture = new DashboardFixture(Duration.ofMillis(300), 2,
                new LlmQueueDashboard().token("docs").showPrompts(false));
             Chromium chromium = new Chromium()) {
            chromium.driver.get(fixture.url("/llmqueue#token=docs"));
            long start = System.nanoTime();
            long tick = 0;
            while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(seconds)) {
                long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                // background jobs arrive in waves, users keep asking; a short burst of users in the middle
                if (tick % 2 == 0 && (elapsed % 40) < 25) {
                    fixture.send("LOW", 3);
                }
                if (tick % 7 == 0 || (elapsed > seconds / 2 && elapsed < seconds / 2 + 8 && tick % 2 == 0)) {
                    fixture.send("HIGH");
                }
                tick++;
                TimeUnit.MILLISECONDS.sleep(100);
            }
            chromium.waiting().until(d -> !d.findElements(By.cssSelector("section.queue")).isEmpty());
            TimeUnit.SECONDS.sleep(2);
            Path shot = chromium.screenshot("docs");
            Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
            System.out.println("Wrote " + target.toAbsolutePath());
        }
        System.exit(0);
    }
}
