// Regenerates docs/incidents.md (and its data, docs/incidents.json, which the security report reads) from the incident replay (test/incidents): runs every scenario on every pattern stack
// and writes the table of outcomes. Part of `npm run docs`; test/incidents/incidents.test.ts fails when it is stale.
import * as fs from "fs";
import * as path from "path";
import { activeColumns, replay, ROOT } from "../test/incidents/engine";
import { SCENARIOS } from "../test/incidents/scenarios";
import { renderIncidentData, renderIncidents } from "../test/incidents/table";

export async function writeIncidentsDoc(): Promise<void> {
    const columns = activeColumns();
    const results = await replay(SCENARIOS, columns);
    fs.writeFileSync(path.join(ROOT, "docs", "incidents.md"), renderIncidents(results, columns));
    fs.writeFileSync(path.join(ROOT, "docs", "incidents.json"), renderIncidentData(results, columns));
}

if (require.main === module) {
    writeIncidentsDoc().then(() => process.exit(0), (e: unknown) => {
        process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
        process.exit(1);
    });
}
