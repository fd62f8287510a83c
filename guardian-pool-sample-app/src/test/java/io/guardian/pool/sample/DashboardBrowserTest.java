package io.guardian.pool.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's headless Chromium, driven by Selenium through Debian's
 * chromedriver (never a downloaded one: the machine is offline, and Selenium Manager is told so).
 * It loads the page, waits for the peers table to fill from the live endpoints, stops a peer with
 * its button and watches that peer's breaker turn OPEN, then starts it again. A screenshot for
 * humans is left at {@code target/dashboard.png}.
 *
 * <p>Chromium and chromedriver are required, not optional: if they are missing the test fails
 * with the packages to install ({@code .ci/run} installs them on CI).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DashboardBrowserTest extends LiveSample {

    private static final String CHROMIUM = System.getProperty("sample.chromium", "/usr/bin/chromium");
    private static final String CHROMEDRIVER = System.getProperty("sample.chromedriver", "/usr/bin/chromedriver");
    private static final Path SCREENSHOT = Path.of("target", "dashboard.png");

    private ChromeDriverService service;
    private WebDriver browser;
    private Path profile;

    @BeforeEach
    void openBrowser() throws IOException {
        requireExecutable(CHROMIUM, "chromium");
        requireExecutable(CHROMEDRIVER, "chromium-driver");
        System.setProperty("SE_OFFLINE", "true");
        profile = Files.createTempDirectory("sample-chromium-profile");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1440,1200");
        service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    }

    @AfterEach
    void closeBrowser() throws IOException {
        try {
            if (browser != null) {
                browser.quit();
            }
        } finally {
            if (service != null) {
                service.stop();
            }
            deleteRecursively(profile);
        }
    }

    @Test
    void stopButtonOpensThePeersBreakerOnTheDashboard() throws IOException {
        browser.get(baseUrl() + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20), Duration.ofMillis(200));

        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#peers-body tr[data-key]"), 5));
        for (int i = 1; i <= 5; i++) {
            wait.until(ExpectedConditions.attributeToBe(By.id("running-peer-" + i), "data-state", "running"));
        }
        wait.until(ExpectedConditions.not(ExpectedConditions.textToBe(By.id("stat-reuse"), "—")));
        wait.until(ExpectedConditions.attributeToBe(By.id("poll-status"), "data-state", "ok"));

        WebElement stop = browser.findElement(By.id("stop-peer-2"));
        assertThat(stop.getDomAttribute("data-peer")).isEqualTo("peer-2");
        stop.click();

        wait.until(ExpectedConditions.attributeToBe(By.id("running-peer-2"), "data-state", "stopped"));
        new WebDriverWait(browser, Duration.ofSeconds(40), Duration.ofMillis(200))
                .until(ExpectedConditions.attributeToBe(By.id("breaker-peer-2"), "data-state", "OPEN"));
        assertThat(browser.findElement(By.id("breaker-peer-2")).getText()).isEqualTo("OPEN");
        assertThat(browser.findElement(By.id("start-peer-2")).isEnabled()).isTrue();
        // Other peers are unaffected, and their rows are still there.
        assertThat(browser.findElements(By.cssSelector("#peers-body tr[data-key]"))).hasSize(5);
        assertThat(browser.findElement(By.id("running-peer-1")).getDomAttribute("data-state")).isEqualTo("running");
        // Let the chart and the event list show some history before the picture.
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#latency-chart path.pool")));
        wait.until(d -> Integer.parseInt(d.findElement(By.id("latency-chart")).getDomAttribute("data-points")) >= 10);
        wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#events .kind[data-kind='CircuitBreakerOpen']")));
        saveScreenshot();

        browser.findElement(By.id("start-peer-2")).click();
        wait.until(ExpectedConditions.attributeToBe(By.id("running-peer-2"), "data-state", "running"));
    }

    private void saveScreenshot() throws IOException {
        File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
        Files.createDirectories(SCREENSHOT.getParent());
        Files.copy(shot.toPath(), SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(SCREENSHOT)).isPositive();
    }

    private static void requireExecutable(String path, String debianPackage) {
        if (!Files.isExecutable(Path.of(path))) {
            fail(path + " is missing: the dashboard browser test needs Debian's chromium and chromium-driver "
                    + "packages (apt-get install -y chromium chromium-driver; .ci/run installs them). Package "
                    + "for this one: " + debianPackage);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
