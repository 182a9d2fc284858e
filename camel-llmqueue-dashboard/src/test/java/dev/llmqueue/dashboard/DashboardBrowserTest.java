package dev.llmqueue.dashboard;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.llmqueue.camel.LlmQueueCancelledException;
import dev.llmqueue.camel.LlmQueueRejectedException;
import org.apache.camel.Exchange;
import org.apache.camel.util.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page in a real browser (Debian's headless Chromium) against the LLM simulator: what an operator sees and clicks.
 * Every wait is for a condition in the DOM, never a fixed sleep.
 */
class DashboardBrowserTest {

    private static final String TOKEN = "s3cret-token";
    /** Long enough that nothing moves while the test looks, unless the test says so. */
    private static final Duration HELD = Duration.ofSeconds(60);

    private static Chromium chromium;
    private DashboardFixture fixture;

    @BeforeAll
    static void startBrowser() throws Exception {
        chromium = new Chromium();
    }

    @AfterAll
    static void stopBrowser() throws Exception {
        if (chromium != null) {
            chromium.close();
        }
    }

    @AfterEach
    void stop() {
        // the page stops polling before its server goes away
        chromium.driver.get("about:blank");
        chromium.consoleErrors();
        if (fixture != null) {
            fixture.close();
        }
    }

    private void open(Duration serviceTime, LlmQueueDashboard dashboard) throws Exception {
        open(serviceTime, dashboard, "");
    }

    private void open(Duration serviceTime, LlmQueueDashboard dashboard, String fragment) throws Exception {
        fixture = new DashboardFixture(serviceTime, 2, dashboard);
        chromium.driver.get(fixture.url("/llmqueue" + fragment));
        chromium.waiting().until(d -> !d.findElements(By.cssSelector("section[data-component='llmqueue']")).isEmpty());
    }

    private WebElement section() {
        return chromium.driver.findElement(By.cssSelector("section[data-component='llmqueue']"));
    }

    private String field(String name) {
        return section().findElement(By.cssSelector("[data-field='" + name + "']")).getText();
    }

    private long number(String name) {
        String text = field(name).replace(",", "");
        int slash = text.indexOf('/');
        return Long.parseLong((slash < 0 ? text : text.substring(0, slash)).trim());
    }

    private long chart(String key, String attribute) {
        return Long.parseLong(section().findElement(By.cssSelector("canvas[data-chart='" + key + "']"))
                .getDomAttribute(attribute).replaceAll("\\..*", ""));
    }

    /** Waits until the page shows the given numbers of waiting requests (HIGH, LOW). */
    private void waitForStacks(long high, long low) {
        chromium.waiting().until(d -> number("highPriorityQueueSize") == high && number("lowPriorityQueueSize") == low);
    }

    /** The timeline's rows, top to bottom, by priority: read in one script, between two redraws. */
    @SuppressWarnings("unchecked")
    private List<String> timeline() {
        return (List<String>) chromium.script("return Array.from(document.querySelectorAll("
                                              + "\"section[data-component='llmqueue'] [data-list='timeline'] .row\"))"
                                              + ".map(r => r.getAttribute('data-priority'));");
    }

    private List<WebElement> waitingRows() {
        return section().findElements(By.cssSelector("[data-list='queued'] tr[data-ref]"));
    }

    @Test
    void thePageLoadsWithoutAConsoleError() throws Exception {
        open(Duration.ofMillis(20), new LlmQueueDashboard());
        fixture.send("HIGH").get(10, TimeUnit.SECONDS);
        chromium.waiting().until(d -> number("completed") == 1);
        // a few refreshes, the charts drawn
        chromium.waiting().until(d -> chart("stacks", "data-samples") >= 2);
        assertEquals(List.of(), chromium.consoleErrors());
        assertEquals("live", chromium.driver.findElement(By.id("status")).getDomAttribute("data-state"));
        // refreshed at least once a second: two refreshes within three seconds
        String first = chromium.driver.findElement(By.tagName("body")).getDomAttribute("data-updated");
        new WebDriverWait(chromium.driver, Duration.ofSeconds(3), Duration.ofMillis(50)).until(d -> {
            String now = d.findElement(By.tagName("body")).getDomAttribute("data-updated");
            return now != null && Long.parseLong(now) >= Long.parseLong(first) + 1500;
        });
    }

    @Test
    void aLowFloodAndHighRequestsMoveTheStacksTheSlotsAndTheChart() throws Exception {
        // the first two LOW calls take 3 s, so every HIGH request has arrived before a slot frees, however slow
        // the machine; then the rest drains quickly
        open(Duration.ofSeconds(3), new LlmQueueDashboard());
        assertEquals(0, number("lowPriorityQueueSize"));
        List<CompletableFuture<Exchange>> all = new ArrayList<>(fixture.send("LOW", 40));
        all.addAll(fixture.send("HIGH", 5));
        // while the flood drains: the figures and the chart move
        chromium.waiting().until(d -> number("lowPriorityQueueSize") >= 20 && field("activeRequests").equals("2 / 2"));
        fixture.simulator.setServiceTime(Duration.ofMillis(150));
        chromium.waiting().until(d -> chart("stacks", "data-max") >= 20);
        chromium.screenshot("flood");
        for (CompletableFuture<Exchange> done : all) {
            assertFalse(done.get(30, TimeUnit.SECONDS).isFailed());
        }
        chromium.waiting().until(d -> number("completed") == 45 && number("lowPriorityQueueSize") == 0
                                      && field("activeRequests").equals("0 / 2"));
        chromium.waiting().until(d -> chart("rates", "data-max") >= 1);
        // the timeline: one row per request served, in the order served: the two LOW calls started before the HIGH
        // requests arrived, then every HIGH request, then the rest of the LOW flood
        chromium.waiting().until(d -> timeline().size() == 45);
        List<String> order = timeline();
        assertEquals(List.of("LOW", "LOW", "HIGH", "HIGH", "HIGH", "HIGH", "HIGH"), order.subList(0, 7));
        assertTrue(order.subList(7, 45).stream().allMatch("LOW"::equals));
        chromium.screenshot("flood-drained");
        assertEquals(List.of(), chromium.consoleErrors());
    }

    @Test
    void theWaitingListShowsTheNextServedFirstNewestFirstWithinAPriority() throws Exception {
        open(HELD, new LlmQueueDashboard().showPrompts(true));
        fixture.send("HIGH", 2); // the two slots, held
        List<String> sent = new ArrayList<>();
        for (String priority : List.of("LOW", "LOW", "HIGH", "LOW", "HIGH")) {
            fixture.send(priority);
            sent.add(fixture.lastRequestId());
        }
        waitForStacks(2, 3);
        List<String> shown = waitingRows().stream()
                .map(row -> row.findElement(By.cssSelector("td.mono")).getText()).toList();
        // HIGH newest first, then LOW newest first: the order the queue will serve them in
        assertEquals(List.of(sent.get(4), sent.get(2), sent.get(3), sent.get(1), sent.get(0)), shown);
        assertEquals(List.of("HIGH", "HIGH", "LOW", "LOW", "LOW"),
                waitingRows().stream().map(row -> row.getDomAttribute("data-priority")).toList());
    }

    @Test
    void withTheTokenClickingCancelFailsThatExchangeWithLlmQueueCancelledException() throws Exception {
        open(HELD, new LlmQueueDashboard().token(TOKEN));
        fixture.send("HIGH", 2);
        CompletableFuture<Exchange> older = fixture.send("HIGH");
        CompletableFuture<Exchange> newest = fixture.send("HIGH");
        waitForStacks(2, 0);
        chromium.driver.findElement(By.id("token")).sendKeys(TOKEN);
        chromium.driver.findElement(By.id("token-save")).click();
        chromium.waiting().until(d -> d.findElement(By.id("token-forget")).isDisplayed());
        // the first row is the newest HIGH request
        waitingRows().get(0).findElement(By.cssSelector("button.cancel")).click();
        Exchange cancelled = newest.get(10, TimeUnit.SECONDS);
        assertInstanceOf(LlmQueueCancelledException.class, cancelled.getException());
        waitForStacks(1, 0);
        chromium.waiting().until(d -> number("cancelled") == 1);
        assertFalse(older.isDone(), "only the clicked request was cancelled");
        assertEquals(List.of(), chromium.consoleErrors());
    }

    @Test
    void turningBackgroundOffRejectsTheWaitingLowRequests() throws Exception {
        // the token in the address's fragment (never sent to the server) unlocks the actions, as the demo prints it
        open(HELD, new LlmQueueDashboard().token(TOKEN), "#token=" + TOKEN);
        assertFalse(chromium.driver.getCurrentUrl().contains(TOKEN), "the token leaves the address bar");
        chromium.waiting().until(d -> d.findElement(By.id("token-forget")).isDisplayed());
        fixture.send("HIGH", 2);
        List<CompletableFuture<Exchange>> low = fixture.send("LOW", 5);
        CompletableFuture<Exchange> high = fixture.send("HIGH");
        waitForStacks(1, 5);
        WebElement toggle = section().findElement(By.cssSelector("[data-action='background']"));
        assertEquals("Turn background off", toggle.getText());
        toggle.click();
        for (CompletableFuture<Exchange> done : low) {
            LlmQueueRejectedException e = assertInstanceOf(LlmQueueRejectedException.class,
                    done.get(10, TimeUnit.SECONDS).getException());
            assertEquals(LlmQueueRejectedException.Reason.BACKGROUND_DISABLED, e.getReason());
        }
        waitForStacks(1, 0);
        chromium.waiting().until(d -> field("background").contains("OFF"));
        assertFalse(high.isDone(), "HIGH requests are not affected");
        assertTrue(fixture.queue.isDisableBackground());
        chromium.waiting().until(d -> section().findElement(By.cssSelector("[data-action='background']")).getText()
                .equals("Turn background on"));
        chromium.screenshot("background-off");
        assertEquals(List.of(), chromium.consoleErrors());
    }

    @Test
    void severalComponentInstancesHaveOneSectionEachNamedByTheComponent() throws Exception {
        open(HELD, new LlmQueueDashboard());
        fixture.context.addComponent("llmqueue-batch", new dev.llmqueue.camel.LlmQueueComponent());
        chromium.waiting().until(d -> d.findElements(By.cssSelector("section.queue")).size() == 2);
        assertEquals(List.of("llmqueue", "llmqueue-batch"), chromium.driver.findElements(By.cssSelector("section.queue h2"))
                .stream().map(WebElement::getText).toList());
        assertEquals(List.of(), chromium.consoleErrors());
    }

    @Test
    void withoutATokenNoActionIsShownAndAForgedPostGets401AndChangesNothing() throws Exception {
        open(HELD, new LlmQueueDashboard());
        fixture.send("HIGH", 2);
        List<CompletableFuture<Exchange>> waiting = new ArrayList<>(fixture.send("LOW", 3));
        waiting.add(fixture.send("HIGH"));
        waitForStacks(1, 3);
        chromium.waiting().until(d -> waitingRows().size() == 4);
        assertEquals(List.of(), chromium.driver.findElements(By.cssSelector("button.cancel, [data-action]")));
        assertFalse(chromium.driver.findElement(By.id("auth")).isDisplayed());

        JsonObject state = fixture.state();
        String ref = ((JsonObject) state.getCollection("queued").iterator().next()).getString("ref");
        for (String[] write : new String[][] {
                { "/llmqueue/api/cancel", "{\"ref\":\"" + ref + "\"}" },
                { "/llmqueue/api/background", "{\"enabled\":false}" },
                { "/llmqueue/api/maxConcurrentRequests", "{\"value\":5}" } }) {
            HttpResponse<String> response = fixture.post(write[0], "forged", write[1]);
            assertEquals(401, response.statusCode(), write[0] + ": " + response.body());
        }
        JsonObject after = fixture.state();
        assertEquals(3, after.getInteger("lowPriorityQueueSize"));
        assertEquals(1, after.getInteger("highPriorityQueueSize"));
        assertEquals(false, after.getBoolean("disableBackground"));
        assertEquals(2, after.getInteger("maxConcurrentRequests"));
        assertEquals(0, after.getInteger("cancelled"));
        assertTrue(waiting.stream().noneMatch(CompletableFuture::isDone));
        assertEquals(List.of(), chromium.consoleErrors());
    }
}
