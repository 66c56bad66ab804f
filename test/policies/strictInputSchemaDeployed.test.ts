/**
 * mcp-tool-strict-input-schema judges the schema in effect on a synthesized stack: a tool exactly as a published
 * server announces it (additionalProperties unset, test/fixtures/corpus/real) deploys behind the guard, which closes it
 * at run time; the same tool without the guard fails. The rule runs through @pulumi/policy's analyzer functions on the
 * requests `mcpsec check` builds (test/incidents/engine.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { loadStackConfig } from "../../cli/project";
import { synthesizeProgram } from "../../cli/synth";
import { toolDigest } from "../../components/mcp/digest";
import { main } from "../../program";
import { project, ROOT } from "../helpers";
import { evaluatePacks } from "../incidents/engine";

const real = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "fixtures", "corpus", "real", "modelcontextprotocol__server-memory.json"), "utf8")) as { tools: { name: string; description: string; inputSchema: Record<string, unknown> }[] };
const announced = real.tools.find((t) => t.name === "create_entities")!;

/** security-zone-dev whose first server offers create_entities as announced (or `schema` merged in); guarded or not. */
async function verdicts(guarded: boolean, opts: { schema?: Record<string, unknown>; allowUndeclared?: boolean } = {}): Promise<{ messages: string[]; guardEnv: Record<string, string> }> {
    const { config, secretKeys } = loadStackConfig(project, "security-zone-dev");
    const servers = JSON.parse(config["mcpsec:servers"]) as Record<string, unknown>[];
    const tool = { name: announced.name, description: announced.description, inputSchema: { ...announced.inputSchema, ...opts.schema }, scopes: ["docs:read"] };
    const sha = toolDigest(tool);
    const first: Record<string, unknown> = { ...servers[0], tools: [{ ...tool, sha256: sha, approval: { by: "security-review@example.com", at: "2026-11-28", sha256: sha } }] };
    delete first.signedApproval;
    if (opts.allowUndeclared) {
        first.allowUndeclaredArguments = [announced.name];
    }
    config["mcpsec:servers"] = JSON.stringify([first, ...servers.slice(1)]);
    if (!guarded) {
        config["mcpsec:guard"] = JSON.stringify({ allowUnguarded: true });
    }
    const graph = await synthesizeProgram({ project: project.name, stack: "security-zone-dev", config, secretKeys, program: main });
    const task = graph.resources.find((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition");
    const containers = JSON.parse(String(task?.inputs.containerDefinitions ?? "[]")) as { environment?: { name: string; value: string }[] }[];
    const guard = containers.find((c) => c.environment?.some((e) => e.name === "GUARD_UPSTREAM_URL"));
    const guardEnv = Object.fromEntries((guard?.environment ?? []).map((e) => [e.name, e.value]));
    return { messages: (await evaluatePacks(graph, ["mcp-tool-strict-input-schema"])).map((v) => v.message), guardEnv };
}

describe("mcp-tool-strict-input-schema on a deployed real server's tool", () => {
    it("passes behind the guard (it closes the unset additionalProperties) and fails without it", async () => {
        const guarded = await verdicts(true);
        expect(guarded.guardEnv.GUARD_SERVER_NAME).toBe("docs-search");
        expect(guarded.guardEnv).not.toHaveProperty("GUARD_ALLOW_UNDECLARED_ARGUMENTS");
        expect(guarded.messages).toEqual([]);
        expect((await verdicts(false)).messages).toEqual([expect.stringMatching(/docs-search tool create_entities: input schema accepts arbitrary extra properties \(additionalProperties is unset, and no MCP guard runs in front of the server/)]);
    }, 30_000);

    it("an explicitly open schema passes only with the server's allowUndeclaredArguments, which the guard is given", async () => {
        const opted = await verdicts(true, { schema: { additionalProperties: true }, allowUndeclared: true });
        expect(opted.guardEnv.GUARD_ALLOW_UNDECLARED_ARGUMENTS).toBe("create_entities");
        expect(opted.messages).toEqual([]);
    }, 30_000);
});
