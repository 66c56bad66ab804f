import * as fs from "fs";
import { chromium, type Browser } from "playwright-core";

/** Debian's chromium package (apt-get install chromium); .ci/run installs it when missing. */
export const CHROMIUM = process.env.MCPSEC_CHROMIUM ?? "/usr/bin/chromium";

export function chromiumInstalled(): boolean {
    return fs.existsSync(CHROMIUM);
}

export function launchChromium(): Promise<Browser> {
    // --no-sandbox: CI and this machine run as root, where Chromium's sandbox refuses to start.
    return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

export interface PageVisit {
    /** Console errors, uncaught page errors and failed requests seen while the page loaded. */
    problems: string[];
    /** Every request the page made (a self-contained report makes only the file:// one). */
    requests: string[];
}

/** Opens a file in a fresh page, waits for the load, optionally screenshots it, and reports what went wrong. */
export async function visit(browser: Browser, file: string, screenshot?: { path: string; fullPage?: boolean }): Promise<PageVisit> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console error: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => requests.push(r.url()));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? "?"})`));
    const response = await page.goto(`file://${file}`, { waitUntil: "load" });
    if (response && !response.ok()) problems.push(`status ${response.status()} for ${file}`);
    if (screenshot) await page.screenshot({ path: screenshot.path, fullPage: screenshot.fullPage ?? false });
    await page.close();
    return { problems, requests };
}
