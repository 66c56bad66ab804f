// Writes the security report of a stack and a screenshot of its page, for the README:
// `npm run report:screenshot -- [stack]` (default security-zone-dev) -> docs/img/report-<stack>.png.
// Needs Debian's chromium (apt-get install -y chromium); fails on any console error or failed request.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { discoverPacks } from "../cli/packProcess";
import { findProject } from "../cli/project";
import { buildSecurityReports, writeSecurityReport } from "../cli/securityReport";
import { launchChromium, visit } from "../test/browser/chromium";

async function run(stack: string): Promise<void> {
    const project = findProject(path.resolve(__dirname, ".."));
    const [report] = await buildSecurityReports({ project, stacks: [stack], packs: discoverPacks(project), toolVersion: "docs" });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-report-"));
    const [html] = writeSecurityReport(report, dir);
    const target = path.join(project.root, "docs", "img", `report-${stack}.png`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const browser = await launchChromium();
    try {
        const v = await visit(browser, html, { path: target });
        if (v.problems.length > 0) throw new Error(`${html}: ${v.problems.join("; ")}`);
    } finally {
        await browser.close();
    }
    console.log(`${target} (page ${html})`);
}

run(process.argv[2] ?? "security-zone-dev").catch((e) => {
    console.error(e);
    process.exit(1);
});
