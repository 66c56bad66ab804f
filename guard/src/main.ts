import { readFileSync } from "fs";
import { generate } from "selfsigned";
import { parseManifest, ToolRegistry } from "./core/manifest";
import { startHeartbeat } from "./audit";
import { verifyUpstreamTools } from "./prime";
import { Guard, type GuardOptions } from "./proxy";
import { loadSettings, SettingsError, type GuardSettings } from "./settings";

export { Guard, loadSettings, SettingsError };

function readManifest(settings: GuardSettings): string {
    if (settings.manifest.source === "env") {
        return settings.manifest.text;
    }
    try {
        return readFileSync(settings.manifest.path, "utf8");
    } catch (e) {
        throw new SettingsError("GUARD_MANIFEST_FILE", `cannot read ${JSON.stringify(settings.manifest.path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
}

/** A certificate for the hop from the load balancer (ALB does not validate target certificates): made at start. */
async function tlsMaterial(settings: GuardSettings): Promise<GuardOptions["tls"]> {
    if (settings.tls.mode === "off") {
        return undefined;
    }
    if (settings.tls.mode === "files") {
        return { cert: readFileSync(settings.tls.certFile, "utf8"), key: readFileSync(settings.tls.keyFile, "utf8") };
    }
    const host = new URL(settings.resource).hostname;
    const pems = await generate([{ name: "commonName", value: host }], {
        keyType: "rsa", keySize: 2048, algorithm: "sha256", notBeforeDate: new Date(Date.now() - 60_000), notAfterDate: new Date(Date.now() + 30 * 86_400_000),
        extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: host }] }],
    });
    return { cert: pems.cert, key: pems.private };
}

export interface StartedGuard {
    guard: Guard;
    port: number;
    stop(): Promise<void>;
}

/**
 * Starts a guard from environment variables: settings checked, manifest loaded (a missing or bad manifest stops the
 * start: fail closed), TLS material made, upstream tools verified in the background and again every
 * GUARD_REVERIFY_SECONDS.
 */
export async function startGuard(env: Record<string, string | undefined>, opts: GuardOptions = {}): Promise<StartedGuard> {
    const settings = loadSettings(env);
    // The approval is checked against the reviewer keys the deploy handed over (GUARD_APPROVAL_PUBLIC_KEYS), never against
    // the key the manifest carries: a manifest that is unsigned where approvals are required, signed by another key,
    // or whose signature does not verify stops the start (the error is the one line the process writes).
    const manifest = parseManifest(readManifest(settings), { serverName: settings.serverName, resource: settings.resource, approvals: settings.approvals });
    const registry = new ToolRegistry(manifest, { allowUndeclaredArguments: settings.allowUndeclaredArguments });
    const guard = new Guard(settings, registry, { tls: opts.tls ?? await tlsMaterial(settings), ...opts });
    const port = await guard.listen();
    guard.audit.log({ event: "guard_started", port, tools: registry.toolNames.length, tls: settings.tls.mode, heartbeat_seconds: settings.heartbeatSeconds });
    const stopHeartbeat = startHeartbeat(guard.audit, settings.heartbeatSeconds);

    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const verify = async (attempt: number): Promise<void> => {
        try {
            const r = await verifyUpstreamTools(guard);
            guard.audit.log({ event: "guard_started", reason: "upstream_tools_verified", ...r });
            if (settings.reverifySeconds > 0 && !stopped) {
                timer = setTimeout(() => void verify(0), settings.reverifySeconds * 1000);
                timer.unref();
            }
        } catch (e) {
            guard.audit.log({ event: "guard_error", reason: "upstream_tools_not_verified", detail: (e as Error).message.slice(0, 200), attempt });
            if (!stopped) {
                timer = setTimeout(() => void verify(attempt + 1), Math.min(30_000, 250 * 2 ** Math.min(attempt, 7)));
                timer.unref();
            }
        }
    };
    void verify(0);
    return {
        guard, port,
        async stop() {
            stopped = true;
            clearTimeout(timer);
            stopHeartbeat();
            await guard.close();
        },
    };
}

if (require.main === module) {
    // Installed before the start: a signal while the guard starts ends the process through process.exit, which
    // writes any audit line still buffered (the default action would drop them).
    let started: StartedGuard | undefined;
    let stopping = false;
    const shutdown = (signal: string) => {
        if (stopping) {
            return;
        }
        stopping = true;
        if (started === undefined) {
            process.exit(0);
        }
        started.guard.audit.log({ event: "guard_stopped", reason: signal });
        started.stop().then(() => process.exit(0), () => process.exit(1));
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
    startGuard(process.env).then((s) => {
        started = s;
    }, (e: unknown) => {
        process.stderr.write(`mcp-guard refused to start: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
    });
}
