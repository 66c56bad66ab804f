import * as path from "path";
import * as esbuild from "esbuild";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, showValue } from "../common/errors";
import type { ApprovalSettings } from "../mcp/approval";
import { approvedManifest } from "../mcp/server";
import type { ResolvedMcpServerSpec } from "../mcp/spec";
import { TARGET_NAME } from "../../guard/src/agentcore/events";
import type { InterceptorConfig, InterceptorKind } from "../../guard/src/agentcore/interceptor";
import { parseManifest } from "../../guard/src/core/manifest";
import { PII_CLASSES, type DlpMode, type PiiClass } from "../../guard/src/settings";

/** One approved tool definition: what its pin (sha256) covers. */
export interface ToolDefinition {
    name: string;
    description: string;
    inputSchema: Record<string, unknown>;
}

/** One gateway target (one MCP server) as the interceptors know it. */
export interface InterceptorTarget {
    /** The gateway target's name: its tools reach clients as `<target>___<tool>`. Pattern `^([0-9a-zA-Z]-?){1,100}$`. */
    target: string;
    /** The server's approved manifest text (components/mcp `approvedManifest`), as the ECS guard gets it. */
    manifest: string;
    /**
     * The approved definitions (description, input schema) of the manifest's tools, each hashing to its pin: the
     * REQUEST interceptor validates arguments against them (it never asks the server). Without them every tools/call
     * is refused as not verified (fail closed). {@link interceptorTarget} fills them from the server description.
     */
    definitions?: ToolDefinition[];
    /** Tools whose arguments may carry undeclared properties (`mcpsec:servers[].allowUndeclaredArguments`). Default none. */
    allowUndeclaredArguments?: string[];
}

export interface InterceptorSettings {
    targets: InterceptorTarget[];
    /** Reviewer keys the manifests' signed approvals must verify with, and whether a signature is required. Default none, not required. */
    approvals?: ApprovalSettings;
    /** DLP on results (RESPONSE): mode (default `redact`) and PII classes (default none), as the guard's GUARD_DLP_MODE/GUARD_DLP_PII. */
    dlp?: { mode?: DlpMode; pii?: PiiClass[] };
}

/** The handler of the archive's bundle. */
export const INTERCEPTOR_HANDLER = "index.handler";
/**
 * The newest Lambda Node.js runtime (Node.js 24, supported since November 2025; nodejs22.x is older and reaches its
 * deprecation first). The bundle targets Node.js 20 syntax, so it runs on any supported Node.js runtime.
 */
export const INTERCEPTOR_RUNTIME = "nodejs24.x";

const ROOT = path.resolve(__dirname, "..", "..");
const ENTRY = path.join(ROOT, "guard", "src", "agentcore", "lambda.ts");

let bundle: string | undefined;

/**
 * The interceptor code as one CommonJS file (the guard's core, Ajv, secretlint and their dependencies), built once per
 * process with esbuild. Deterministic: the same sources give the same bytes (paths in it are relative to the
 * project root, no source map, no timestamps), so an unchanged stack shows no diff of the functions' code.
 */
export function interceptorBundle(): string {
    if (bundle === undefined) {
        const result = esbuild.buildSync({
            entryPoints: [ENTRY],
            absWorkingDir: ROOT,
            bundle: true,
            platform: "node",
            target: "node20",
            format: "cjs",
            write: false,
            minifyWhitespace: true,
            minifySyntax: true,
            legalComments: "none",
            logLevel: "silent",
        });
        bundle = result.outputFiles[0].text;
    }
    return bundle;
}

/** The interceptor's view of one server: its approved manifest with the approved definitions of its tools. */
export function interceptorTarget(target: string, spec: ResolvedMcpServerSpec, url: string): InterceptorTarget {
    return {
        target,
        manifest: approvedManifest(spec, url),
        definitions: spec.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema })),
        allowUndeclaredArguments: [...spec.allowUndeclaredArguments],
    };
}

/**
 * The files of an interceptor archive besides the code: `interceptor.json` and one `manifests/<target>.json` per
 * target (the manifest with its tools' definitions merged in). Checked at deploy: target names, manifests that parse,
 * definitions that hash to their pins. The signed approvals are verified by the function at cold start against the
 * reviewer keys written here, exactly as the ECS guard verifies them (and the mcp pack at deploy). Pure.
 */
export function interceptorFiles(kind: InterceptorKind, settings: InterceptorSettings): Record<string, string> {
    if (kind !== "request" && kind !== "response") {
        throw new ConfigError("interceptor kind", `${showValue(kind)} is not allowed; expected request or response`);
    }
    if (!Array.isArray(settings.targets) || settings.targets.length === 0) {
        throw new ConfigError("interceptor targets", "(empty) is not allowed; expected at least one gateway target with its approved manifest");
    }
    const mode = settings.dlp?.mode ?? "redact";
    if (!["redact", "block", "log"].includes(mode)) {
        throw new ConfigError("interceptor dlp.mode", `${showValue(mode)} is not allowed; expected redact, block or log`);
    }
    const pii = settings.dlp?.pii ?? [];
    const badPii = pii.find((p) => !PII_CLASSES.includes(p));
    if (badPii !== undefined) {
        throw new ConfigError("interceptor dlp.pii", `${showValue(badPii)} is not allowed; expected some of ${PII_CLASSES.join(", ")}`);
    }
    const files: Record<string, string> = {};
    const targets: InterceptorConfig["targets"] = [];
    settings.targets.forEach((t, i) => {
        const key = `interceptor targets[${i}]`;
        if (typeof t.target !== "string" || !TARGET_NAME.test(t.target)) {
            throw new ConfigError(`${key}.target`, `${showValue(t.target)} is not allowed; expected a gateway target name: letters and digits, single '-' between them, 1-100 characters`);
        }
        if (targets.some((o) => o.target === t.target)) {
            throw new ConfigError(`${key}.target`, `${showValue(t.target)} is listed twice; expected each gateway target once`);
        }
        let manifest: { server?: { name?: unknown; url?: unknown }; tools?: { name: string; description?: string; inputSchema?: Record<string, unknown> }[]; approval?: unknown };
        try {
            manifest = JSON.parse(t.manifest) as typeof manifest;
        } catch {
            throw new ConfigError(`${key}.manifest`, "is not valid JSON; expected the approved manifest text (approvedManifest)");
        }
        const tools = Array.isArray(manifest?.tools) ? manifest.tools : [];
        if (t.definitions !== undefined) {
            for (const d of t.definitions) {
                const tool = tools.find((x) => x.name === d.name);
                if (tool === undefined) {
                    throw new ConfigError(`${key}.definitions`, `${showValue(d.name)} is not a tool of the manifest; expected definitions of the manifest's tools only`);
                }
                tool.description = d.description;
                tool.inputSchema = d.inputSchema;
            }
            const missing = tools.find((x) => !t.definitions!.some((d) => d.name === x.name));
            if (missing !== undefined) {
                throw new ConfigError(`${key}.definitions`, `has no definition of ${showValue(missing.name)}; expected one per tool of the manifest (its calls could never be validated)`);
            }
        } else {
            pulumi.log.warn(`AgentCore interceptor target ${t.target}: no approved tool definitions given; its tools/call requests will be refused as not verified (pass definitions, see interceptorTarget)`);
        }
        const text = JSON.stringify(manifest);
        const serverName = String(manifest?.server?.name ?? "");
        const resource = String(manifest?.server?.url ?? "");
        try {
            // Structure and pins now; the signed approval at cold start, against the trusted keys.
            const { approval: _approval, ...unsigned } = manifest;
            parseManifest(JSON.stringify(unsigned), { serverName, resource });
        } catch (e) {
            throw new ConfigError(`${key}.manifest`, `${(e as Error).message}; expected the approved manifest of the target's server`);
        }
        const manifestFile = `manifests/${t.target}.json`;
        files[manifestFile] = text;
        targets.push({ target: t.target, serverName, resource, manifestFile, allowUndeclaredArguments: [...(t.allowUndeclaredArguments ?? [])] });
    });
    const config: InterceptorConfig = {
        version: 1,
        kind,
        approvals: settings.approvals ?? { required: false, reviewerKeys: [] },
        dlp: { mode, pii: [...pii] },
        targets,
    };
    return { "interceptor.json": JSON.stringify(config), ...files };
}

/**
 * The code of one AgentCore Gateway interceptor Lambda (`runtime: INTERCEPTOR_RUNTIME`, `handler:
 * INTERCEPTOR_HANDLER`): the bundled guard core as `index.js`, its configuration and the approved manifests as JSON
 * files beside it.
 */
export function interceptorArchive(kind: InterceptorKind, settings: InterceptorSettings): pulumi.asset.AssetArchive {
    const files = interceptorFiles(kind, settings);
    const assets: Record<string, pulumi.asset.Asset> = { "index.js": new pulumi.asset.StringAsset(interceptorBundle()) };
    for (const [name, text] of Object.entries(files)) {
        assets[name] = new pulumi.asset.StringAsset(text);
    }
    return new pulumi.asset.AssetArchive(assets);
}
