/**
 * The interceptor archive as Lambda receives it (components/agentcore/interceptor.ts): the esbuild bundle is the
 * same bytes on every build (no diff for an unchanged stack), and the bundled `index.handler`, unpacked with its
 * `interceptor.json` and manifests, answers documented events: it refuses invalid arguments (REQUEST) and redacts a
 * secret with the bundled secretlint (RESPONSE).
 */
import * as fs from "fs";
import { createRequire } from "module";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { INTERCEPTOR_HANDLER, INTERCEPTOR_RUNTIME, interceptorArchive, interceptorBundle, interceptorFiles, interceptorTarget } from "../../components/agentcore/interceptor";
import { validateMcpServerSpec } from "../../components/mcp/spec";
import type { InterceptorOutput } from "../../guard/src/agentcore/events";
import { ROOT } from "../helpers";
import { fixture, SECRET, ticketsSpec, TOOLS, withSecret } from "./agentcoreFixtures";

const spec = validateMcpServerSpec(ticketsSpec(), "tickets");
const settings = { targets: [interceptorTarget(TOOLS.target, spec, TOOLS.server.url)] };

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Unpacks the archive's files as Lambda does into its task root and loads `index.js` like the runtime. */
function unpack(kind: "request" | "response"): (event: unknown) => Promise<InterceptorOutput> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mcpsec-${kind}-interceptor-`));
    dirs.push(dir);
    const files = { "index.js": interceptorBundle(), ...interceptorFiles(kind, settings) };
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
    }
    const [file, fn] = INTERCEPTOR_HANDLER.split(".");
    const mod = createRequire(__filename)(path.join(dir, `${file}.js`)) as Record<string, (e: unknown, c: unknown) => Promise<InterceptorOutput>>;
    return (event) => mod[fn](event, { awsRequestId: "test-request" });
}

/** What the bundled handler writes to stdout (its audit lines, CloudWatch's in Lambda) while `run` runs. */
async function stdoutOf<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
    });
    try {
        const result = await run();
        return { result, lines: written.join("").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>) };
    } finally {
        spy.mockRestore();
    }
}

describe("interceptor archive", () => {
    it("bundles deterministically and names the handler, runtime and files Lambda needs", async () => {
        const first = interceptorBundle();
        expect(interceptorBundle()).toBe(first);
        expect(first).not.toContain(ROOT);
        expect(INTERCEPTOR_RUNTIME).toBe("nodejs24.x");
        const a = interceptorArchive("request", settings);
        const b = interceptorArchive("request", settings);
        const texts = async (archive: typeof a) => Object.fromEntries(await Promise.all(Object.entries(await archive.assets).map(async ([k, v]) => [k, await (v as { text: Promise<string> }).text])));
        const ta = await texts(a);
        expect(Object.keys(ta).sort()).toEqual(["index.js", "interceptor.json", "manifests/tickets.json"]);
        expect(await texts(b)).toEqual(ta);
        expect(JSON.parse(ta["interceptor.json"] as string)).toMatchObject({ version: 1, kind: "request", approvals: { required: false }, dlp: { mode: "redact" }, targets: [{ target: "tickets", serverName: "tickets", resource: TOOLS.server.url }] });
        // Its own bytes differ between the points only in the configuration, never in the code.
        const tr = await texts(interceptorArchive("response", settings));
        expect(tr["index.js"]).toBe(ta["index.js"]);
    });

    it("the bundled REQUEST handler refuses invalid arguments and passes valid ones", async () => {
        const handler = unpack("request");
        const { result: ok } = await stdoutOf(() => handler(fixture("request-tools-call.json")));
        expect(ok.mcp.transformedGatewayRequest?.body).toMatchObject({ method: "tools/call", params: { name: "tickets___search_tickets" } });
        const bad = fixture("request-tools-call.json") as unknown as { mcp: { rawGatewayRequest: { body: string }; gatewayRequest: { body: { params: { arguments: unknown } } } } };
        bad.mcp.gatewayRequest.body.params.arguments = { query: "printer", limit: 500 };
        bad.mcp.rawGatewayRequest.body = JSON.stringify(bad.mcp.gatewayRequest.body);
        const { result: refused, lines } = await stdoutOf(() => handler(bad));
        expect(lines).toEqual([expect.objectContaining({ event: "tool_call_denied", reason: "invalid_arguments", tool: "tickets___search_tickets", server: "tickets", lambda_request_id: "test-request" })]);
        expect(refused.mcp.transformedGatewayRequest).toBeUndefined();
        expect(refused.mcp.transformedGatewayResponse?.body).toMatchObject({ id: 7, error: { code: -32602 } });
    });

    it("the bundled RESPONSE handler redacts a secret with the bundled detector", async () => {
        const handler = unpack("response");
        const { result: out, lines } = await stdoutOf(() => handler(withSecret("response-tools-call.json")));
        expect(lines.filter((l) => l.event === "dlp_redacted")).toEqual([expect.objectContaining({ kinds: ["GitHub token"], tool: "tickets___search_tickets", server: "tickets" })]);
        const text = JSON.stringify(out.mcp.transformedGatewayResponse?.body);
        expect(text).not.toContain(SECRET);
        expect(text).toContain("[REDACTED:GitHub token]");
    });
});

describe("interceptor archive inputs", () => {
    it.each([
        [{ targets: [] }, "interceptor targets"],
        [{ targets: [{ ...settings.targets[0], target: "tickets_v2" }] }, "interceptor targets[0].target"],
        [{ targets: [settings.targets[0], settings.targets[0]] }, "interceptor targets[1].target"],
        [{ targets: [{ ...settings.targets[0], manifest: "{" }] }, "interceptor targets[0].manifest"],
        [{ targets: [{ ...settings.targets[0], definitions: [{ ...settings.targets[0].definitions![0], description: "Changed." }, settings.targets[0].definitions![1]] }] }, "interceptor targets[0].manifest"],
        [{ targets: [{ ...settings.targets[0], definitions: settings.targets[0].definitions!.slice(1) }] }, "interceptor targets[0].definitions"],
        [{ ...settings, dlp: { mode: "off" as never } }, "interceptor dlp.mode"],
    ])("refuses %j naming %s", (bad, key) => {
        expect(() => interceptorFiles("request", bad)).toThrow(expect.objectContaining({ name: "ConfigError", key }));
    });
});
