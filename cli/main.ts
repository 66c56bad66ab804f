import * as fs from "fs";
import * as path from "path";
import { Command, CommanderError, Option } from "commander";
import type { PackConfig } from "./analyzer";
import type { CheckTarget } from "./check";
import { EXIT, UsageError } from "./errors";
import type { ResourceGraph } from "./graph";
import { discoverPacks, PackProcess, startPackProcesses } from "./packProcess";
import { findProject, listStacks, loadStackConfig, ProjectInfo } from "./project";
import { formatCheckText, formatGraphText, formatSarif, stackFileUris } from "./report";
import { loadUserProgram, programStackConfig } from "./userProgram";

// The Pulumi program, the SDK and gRPC take about a second to load. They are loaded only once the command line
// is understood, so that `check` can start its policy packs first and let them boot in parallel. Under the bin
// script, tsx's CommonJS hook compiles required .ts files; under vitest, import() goes through its own loader.
const tsRequire = typeof require === "function" && typeof require.extensions?.[".ts"] === "function";
/* eslint-disable @typescript-eslint/no-require-imports */
const loadCheck = (): Promise<typeof import("./check")> => (tsRequire ? Promise.resolve(require("./check")) : import("./check"));
const loadSynth = (): Promise<typeof import("./synth")> => (tsRequire ? Promise.resolve(require("./synth")) : import("./synth"));
const loadManifestModule = (): Promise<typeof import("./manifest")> => (tsRequire ? Promise.resolve(require("./manifest")) : import("./manifest"));
const loadApprove = (): Promise<typeof import("./approve")> => (tsRequire ? Promise.resolve(require("./approve")) : import("./approve"));
const loadSecurityReport = (): Promise<typeof import("./securityReport")> => (tsRequire ? Promise.resolve(require("./securityReport")) : import("./securityReport"));
/* eslint-enable @typescript-eslint/no-require-imports */

/** The stack `mcpsec synth` and `mcpsec check` use when none is named. */
export const DEFAULT_STACK = "security-zone-dev";
/** The stack `--program` uses when none is named (its Pulumi.dev.yaml, if the program has one). */
export const PROGRAM_STACK = "dev";

const PACKAGE_ROOT = path.resolve(__dirname, "..");

interface Io {
    out: (text: string) => void;
    err: (text: string) => void;
    /** Whether progress lines go to stderr (a terminal). */
    progress: boolean;
}

function locateProject(dir: string | undefined): ProjectInfo {
    if (dir !== undefined) {
        return findProject(dir);
    }
    try {
        return findProject(process.cwd());
    } catch {
        return findProject(PACKAGE_ROOT);
    }
}

function readJsonFile(file: string, what: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
        return JSON.parse(text);
    } catch (e) {
        throw new UsageError(`${what} ${file} is not valid JSON: ${(e as Error).message}`);
    }
}

function readGraph(file: string): ResourceGraph {
    const g = readJsonFile(file, "graph") as Partial<ResourceGraph>;
    if (!g || g.version !== 1 || !Array.isArray(g.resources) || typeof g.stack !== "string" || typeof g.project !== "string") {
        throw new UsageError(`graph ${file} is not an mcpsec graph (expected the output of 'mcpsec synth --format json', version 1)`);
    }
    return { config: {}, secretPlaceholders: [], outputs: {}, ...g } as ResourceGraph;
}

function toolVersion(): string {
    return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

/** Is this error one the user caused and can fix (exit 2), rather than a fault of the tool (exit 3)? */
function isUserError(e: unknown): e is Error {
    if (!(e instanceof Error)) {
        return false;
    }
    const flags = e as unknown as { __pulumiRunError?: boolean; __pulumResourceError?: boolean };
    return e instanceof UsageError || flags.__pulumiRunError === true || flags.__pulumResourceError === true || e.name === "ConfigError";
}

function collect(value: string, previous: string[] = []): string[] {
    return [...previous, value];
}

function buildProgram(io: Io, setExit: (code: number) => void): Command {
    const program = new Command("mcpsec")
        .description("Offline synthesis and policy check of MCP Secure Blueprints stacks (no Pulumi CLI or cloud credentials needed).")
        .version(toolVersion())
        .configureOutput({ writeOut: io.out, writeErr: io.err })
        .exitOverride()
        .showHelpAfterError(false);

    program.command("synth")
        .description("run a stack's program under Pulumi's mock engine and print its resource graph")
        .option("-s, --stack <name>", `stack whose stacks/Pulumi.<name>.yaml is used (default: ${DEFAULT_STACK}; with --program: ${PROGRAM_STACK})`)
        .option("--stack-file <path>", "a stack config file to use instead of stacks/Pulumi.<stack>.yaml")
        .option("--project <dir>", "folder of the Pulumi project (default: found from the current folder)")
        .option("--program <dir>", "run your own Pulumi TypeScript program (a folder with Pulumi.yaml) instead of the blueprints")
        .option("--first-preview", "synthesize as a first 'pulumi preview' sees the program: outputs computed at apply are unknown")
        .addOption(new Option("-f, --format <format>", "output format").choices(["json", "text"]).default("json"))
        .option("-o, --output <file>", "write the output to a file instead of stdout")
        .action(async (opts: { stack?: string; stackFile?: string; project?: string; program?: string; firstPreview?: boolean; format: string; output?: string }) => {
            const synth = await loadSynth();
            const graph = opts.program !== undefined
                ? await synth.synthesizeUserProgram({ dir: opts.program, stack: opts.stack ?? PROGRAM_STACK, stackFile: opts.stackFile, firstPreview: opts.firstPreview })
                : await synth.synthesize({ project: locateProject(opts.project), stack: opts.stack ?? DEFAULT_STACK, stackFile: opts.stackFile, firstPreview: opts.firstPreview });
            const text = opts.format === "json" ? JSON.stringify(graph, null, 2) + "\n" : formatGraphText(graph);
            emit(io, text, opts.output);
            setExit(EXIT.ok);
        });

    program.command("check")
        .description("synthesize stacks and run the policy packs against them through the packs' Analyzer service")
        .option("-s, --stack <name>", "stack to check (repeatable)", collect)
        .option("-a, --all", "check every stack that has a config file in the project")
        .option("--stack-file <path>", "a stack config file to use instead of stacks/Pulumi.<stack>.yaml (with one --stack)")
        .option("-g, --graph <file>", "check a graph saved by 'mcpsec synth --format json' instead of synthesizing (repeatable)", collect)
        .option("-p, --pack <dir>", "policy pack folder (repeatable; default: every pack under policies/)", collect)
        .option("--first-preview", "synthesize as a first 'pulumi preview' sees the program (outputs computed at apply unknown) and list the policies that preview can only report as advisory")
        .option("--pack-config <file>", "JSON config for the pack given at the same position with --pack, as for 'pulumi preview --policy-pack-config'", collect)
        .option("--project <dir>", "folder of the Pulumi project (default: found from the current folder)")
        .option("--program <dir>", "check your own Pulumi TypeScript program (a folder with Pulumi.yaml; repeatable) with the blueprint packs", collect)
        .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json", "sarif"]).default("text"))
        .option("-o, --output <file>", "write the report to a file instead of stdout")
        .action(async (opts: { stack?: string[]; all?: boolean; stackFile?: string; graph?: string[]; pack?: string[]; firstPreview?: boolean; packConfig?: string[]; project?: string; program?: string[]; format: string; output?: string }) => {
            // With --program, the packs and the project are the tool's own; the programs bring their own Pulumi.yaml.
            const project = opts.program ? findProject(PACKAGE_ROOT) : locateProject(opts.project);
            if (opts.program && (opts.all || opts.graph || opts.project || (opts.stack?.length ?? 0) > 1)) {
                throw new UsageError("--program goes with at most one --stack (the programs' stack) and not with --all, --graph or --project");
            }
            if (opts.all && (opts.stack || opts.graph)) {
                throw new UsageError("--all checks every stack; do not combine it with --stack or --graph");
            }
            if (opts.stackFile && (opts.stack?.length ?? 0) > 1) {
                throw new UsageError("--stack-file goes with at most one --stack");
            }
            const stackNames = opts.all ? listStacks(project) : (opts.stack ?? (opts.graph ? [] : [DEFAULT_STACK]));
            if (opts.all && stackNames.length === 0) {
                throw new UsageError(`--all: no stack config files in ${project.stackConfigDir}`);
            }
            const targets: CheckTarget[] = opts.program ? opts.program.map((dir) => ({ program: dir, stack: opts.stack?.[0] ?? PROGRAM_STACK, stackFile: opts.stackFile })) : [
                ...stackNames.map((stack) => ({ stack, stackFile: opts.stackFile })),
                ...(opts.graph ?? []).map((g) => ({ graph: readGraph(g) })),
            ];
            const packs = opts.pack ?? discoverPacks(project);
            if ((opts.packConfig?.length ?? 0) > 0 && !opts.pack) {
                throw new UsageError("--pack-config pairs with --pack, in order: name the packs it configures");
            }
            if ((opts.packConfig?.length ?? 0) > packs.length) {
                throw new UsageError(`${opts.packConfig!.length} --pack-config files for ${packs.length} --pack folders`);
            }
            const packConfigs = (opts.packConfig ?? []).map((f) => readJsonFile(f, "pack config") as PackConfig);
            const started = Date.now();
            const progress = io.progress ? (m: string) => io.err(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`) : undefined;
            progress?.(`starting ${packs.length} policy pack(s)`);
            const processes: PackProcess[] = startPackProcesses(packs);
            let report: import("./check").CheckReport;
            try {
                report = await (await loadCheck()).runCheck({ project, targets, packs: processes, packConfigs, progress, firstPreview: opts.firstPreview });
            } catch (e) {
                processes.forEach((p) => p.child.kill());
                throw e;
            }
            let text: string;
            if (opts.format === "json") {
                text = JSON.stringify(report, null, 2) + "\n";
            } else if (opts.format === "sarif") {
                const files: Record<string, string> = {};
                for (const t of targets) {
                    if ("stack" in t && t.program === undefined) {
                        files[t.stack] = loadStackConfig(project, t.stack, t.stackFile).file;
                    }
                }
                // A program's findings point at its stack file (its entry point without one), relative to the current
                // folder (the repository root in CI), keyed by its project and stack.
                const programFiles: Record<string, string> = {};
                for (const t of targets) {
                    if ("stack" in t && t.program !== undefined) {
                        const p = loadUserProgram(t.program);
                        const c = programStackConfig(p, t.stack, t.stackFile);
                        programFiles[`${p.project.name}/${t.stack}`] = c.missing ? p.entry : c.file;
                    }
                }
                text = JSON.stringify(formatSarif(report, { ...stackFileUris(project.root, files), ...stackFileUris(process.cwd(), programFiles) }, toolVersion()), null, 2) + "\n";
            } else {
                text = formatCheckText(report);
            }
            emit(io, text, opts.output);
            setExit(report.ok ? EXIT.ok : EXIT.violations);
        });
    program.command("report")
        .description("write the security report of stacks: a self-contained HTML page and its Markdown twin (diagram, control coverage, incidents, policy results, accepted risks, cost)")
        .option("-s, --stack <name>", "stack to report on (repeatable)", collect)
        .option("-a, --all", "report on every stack that has a config file in the project")
        .option("--stack-file <path>", "a stack config file to use instead of stacks/Pulumi.<stack>.yaml (with one --stack)")
        .option("-o, --out <dir>", "folder for <stack>.html, <stack>.md and <stack>.svg", "mcpsec-report")
        .option("--project <dir>", "folder of the Pulumi project (default: found from the current folder)")
        .action(async (opts: { stack?: string[]; all?: boolean; stackFile?: string; out: string; project?: string }) => {
            const project = locateProject(opts.project);
            if (opts.all && opts.stack) {
                throw new UsageError("--all reports on every stack; do not combine it with --stack");
            }
            if (opts.stackFile && (opts.all || (opts.stack?.length ?? 0) !== 1)) {
                throw new UsageError("--stack-file goes with exactly one --stack");
            }
            const stacks = opts.all ? listStacks(project) : (opts.stack ?? [DEFAULT_STACK]);
            if (stacks.length === 0) {
                throw new UsageError(`--all: no stack config files in ${project.stackConfigDir}`);
            }
            const started = Date.now();
            const progress = io.progress ? (m: string) => io.err(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`) : undefined;
            const processes = startPackProcesses(discoverPacks(project));
            const { buildSecurityReports, writeSecurityReport } = await loadSecurityReport();
            let reports: import("./securityReport").SecurityReport[];
            try {
                reports = await buildSecurityReports({ project, stacks, stackFiles: opts.stackFile ? { [stacks[0]]: opts.stackFile } : undefined, packs: processes, toolVersion: toolVersion(), progress });
            } catch (e) {
                processes.forEach((p) => p.child.kill());
                throw e;
            }
            for (const r of reports) {
                const [html, markdown] = writeSecurityReport(r, opts.out);
                io.out(`${r.stack}: ${r.check.ok ? "PASS" : "FAIL"} (${r.check.counts.mandatory} mandatory, ${r.check.counts.advisory} advisory) -> ${html}, ${markdown}\n`);
            }
            setExit(reports.every((r) => r.check.ok) ? EXIT.ok : EXIT.violations);
        });

    program.command("vet")
        .description("check a tools manifest (an MCP tools/list result) for poisoning, weak schemas and changed tools, as the mcp pack does")
        .argument("<manifest>", "JSON file: {\"server\": {\"name\", \"image\", \"egress\"}, \"tools\": [...]}")
        .option("-e, --egress <domain>", "a domain the server may link to (repeatable; adds to server.egress)", collect)
        .option("--require-approval", "also require an approval record matching each tool's digest")
        .option("--require-scopes", "also require every tool to declare OAuth scopes")
        .option("--unguarded", "judge schemas for a deployment without the MCP guard: then additionalProperties left unset is a finding (by default the server is judged behind the guard, which refuses undeclared arguments of such schemas)")
        .option("--allow-open-schemas", "opt-out: accept input schemas that accept undeclared properties (explicitly, or unset with --unguarded); untyped properties are still findings")
        .option("--max-description-length <n>", "longest acceptable description", (v) => Number(v))
        .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
        .action(async (file: string, opts: { egress?: string[]; requireApproval?: boolean; requireScopes?: boolean; unguarded?: boolean; allowOpenSchemas?: boolean; maxDescriptionLength?: number; format: string }) => {
            const { loadManifest, vetToolsManifest } = await loadManifestModule();
            const manifest = loadManifest(file);
            const findings = vetToolsManifest(manifest, { egress: opts.egress ?? [], requireApproval: !!opts.requireApproval, requireScopes: !!opts.requireScopes, unguarded: !!opts.unguarded, allowOpenSchemas: !!opts.allowOpenSchemas, maxDescriptionLength: opts.maxDescriptionLength });
            if (opts.format === "json") {
                io.out(JSON.stringify({ version: 1, manifest: file, tools: manifest.tools.length, ok: findings.length === 0, findings }, null, 2) + "\n");
            } else {
                for (const f of findings) {
                    io.out(`[${f.kind}] ${f.tool ? `${f.tool}: ` : ""}${f.message}\n`);
                }
                io.out(`${findings.length === 0 ? "PASS" : "FAIL"}: ${manifest.tools.length} tool(s), ${findings.length} finding(s)\n`);
            }
            setExit(findings.length === 0 ? EXIT.ok : EXIT.violations);
        });

    program.command("pin")
        .description("compute each tool's sha256 (RFC 8785 canonical JSON of name, description, inputSchema)")
        .argument("<manifest>", "JSON tools manifest")
        .option("-w, --write", "write the digests into the manifest file")
        .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
        .action(async (file: string, opts: { write?: boolean; format: string }) => {
            const { loadManifest, pinManifest } = await loadManifestModule();
            const pinned = pinManifest(loadManifest(file));
            if (opts.write) {
                fs.writeFileSync(file, JSON.stringify(pinned, null, 2) + "\n");
            }
            io.out(opts.format === "json" ? JSON.stringify(pinned, null, 2) + "\n" : pinned.tools.map((t) => `${t.sha256}  ${t.name}\n`).join(""));
            setExit(EXIT.ok);
        });

    program.command("approve")
        .description("sign the runtime description of MCP servers (image, user, environment, secrets, egress, every tool digest) with a reviewer's Ed25519 key")
        .argument("[manifest]", "a stack config file (servers under mcpsec:servers) or one server description as JSON")
        .requiredOption("-k, --key <file>", "the reviewer's Ed25519 private key, PEM (openssl genpkey -algorithm ed25519 -out reviewer.pem)")
        .option("--key-id <id>", "the id of the key in mcpsec:approvals.reviewers")
        .option("--server <name>", "sign only this server of a stack file (repeatable)", collect)
        .option("--at <date>", "date of the approval, YYYY-MM-DD (default today)")
        .option("-w, --write", "write each signedApproval into the file")
        .option("--print-public-key", "print the public key to list in mcpsec:approvals.reviewers and stop")
        .addOption(new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text"))
        .action(async (file: string | undefined, opts: { key: string; keyId?: string; server?: string[]; at?: string; write?: boolean; printPublicKey?: boolean; format: string }) => {
            const { approveFile, publicKeyOf } = await loadApprove();
            if (opts.printPublicKey) {
                io.out(`${publicKeyOf(opts.key)}\n`);
                setExit(EXIT.ok);
                return;
            }
            if (!file || !opts.keyId) {
                throw new UsageError("approve needs <manifest> and --key-id (or --print-public-key)");
            }
            const result = approveFile(file, { key: opts.key, keyId: opts.keyId, servers: opts.server, at: opts.at, write: !!opts.write });
            io.out(opts.format === "json" ? JSON.stringify(result, null, 2) + "\n" : result.approvals.map((a) => `${a.server}: signed ${a.signedApproval.digest} with ${a.signedApproval.keyId}${opts.write ? ` (written to ${file})` : ""}\n  signedApproval: ${JSON.stringify(a.signedApproval)}\n`).join(""));
            setExit(EXIT.ok);
        });
    return program;
}

function emit(io: Io, text: string, file?: string): void {
    if (file) {
        fs.writeFileSync(file, text);
    } else {
        io.out(text);
    }
}

/** Runs the CLI; resolves to the exit code. Never throws. */
export async function main(argv: string[], io: Io = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    progress: process.stderr.isTTY === true,
}): Promise<number> {
    let code: number = EXIT.ok;
    const program = buildProgram(io, (c) => (code = c));
    try {
        await program.parseAsync(argv);
        return code;
    } catch (e) {
        if (e instanceof CommanderError) {
            return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
        }
        if (isUserError(e)) {
            io.err(`mcpsec: ${e.message}\n`);
            return EXIT.usage;
        }
        io.err(`mcpsec: internal error: ${(e as Error)?.message ?? String(e)}\n`);
        if (process.env.MCPSEC_DEBUG) {
            io.err(`${(e as Error)?.stack ?? ""}\n`);
        } else {
            io.err("mcpsec: set MCPSEC_DEBUG=1 for the stack trace\n");
        }
        return EXIT.internal;
    }
}
