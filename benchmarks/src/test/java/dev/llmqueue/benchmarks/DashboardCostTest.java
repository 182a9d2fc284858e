package dev.llmqueue.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The dashboard's section of performance.md survives the suite rewriting the page (no measurement here). */
class DashboardCostTest {

    @TempDir
    Path dir;

    private static final String SECTION = DashboardCost.START + "\n## 6. The dashboard\n\nfigures\n" + DashboardCost.END + "\n";

    @Test
    void theSectionGoesBeforeTheFindingsAndReplacesAnOlderOne() {
        String page = "# Performance\n\n## 5. Hand-off\n\n## Findings for the component\n\nF1\n";
        String once = DashboardCost.splice(page, SECTION);
        assertEquals("# Performance\n\n## 5. Hand-off\n\n" + SECTION + "\n## Findings for the component\n\nF1\n", once);
        String newer = SECTION.replace("figures", "newer figures");
        assertEquals(once.replace("figures", "newer figures"), DashboardCost.splice(once, newer));
    }

    @Test
    void theSuiteKeepsTheSectionTheLastMeasurementWrote() throws Exception {
        Path file = dir.resolve("performance.md");
        assertEquals("", DashboardCost.keptSection(file));
        Files.writeString(file, "# Performance\n\n" + SECTION + "\n## Findings for the component\n");
        assertEquals(SECTION.strip() + "\n\n", DashboardCost.keptSection(file));
    }
}
