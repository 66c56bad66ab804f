import { readFileSync } from "fs";
import * as path from "path";
import { Interceptor } from "./interceptor";
import type { InterceptorOutput } from "./events";

/**
 * The Lambda entry of both AgentCore Gateway interceptors (`index.handler` in the archive that
 * components/agentcore/interceptor.ts builds): the same bundle, told which point it serves by the `interceptor.json`
 * beside it, which also names the manifest files (kept in the archive, not in environment variables: Lambda allows
 * 4 KB of those in all). Loading starts during the function's init phase and is awaited by the first invocation.
 */
const here = __dirname;

/**
 * Audit lines go straight to stdout, one write per line: Lambda freezes the environment when the handler returns,
 * so nothing may wait for a later turn of the event loop.
 */
const sink = (line: string) => {
    process.stdout.write(line);
};

const loading: Promise<Interceptor> = Interceptor.load((file) => {
    // Only files inside the archive: a name with a path separator or `..` is refused like a missing file.
    if (file !== path.basename(file) && !/^manifests\/[0-9A-Za-z-]{1,100}\.json$/.test(file)) {
        throw new Error(`refusing to read ${JSON.stringify(file)} outside the archive`);
    }
    return readFileSync(path.join(here, file), "utf8");
}, sink);

export async function handler(event: unknown, context?: { awsRequestId?: string }): Promise<InterceptorOutput> {
    return (await loading).handle(event, context?.awsRequestId);
}
