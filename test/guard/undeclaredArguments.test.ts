/**
 * Arguments a tool's schema does not declare (issue 14 follow-up): most published servers announce input schemas
 * without `additionalProperties` (79 of the 114 tools of test/fixtures/corpus/real), so the guard closes them at run
 * time instead of anyone rewriting the announced (pinned) schema. A real tool from that corpus, served on loopback as
 * announced, called through the guard with the MCP SDK client.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedSchema } from "../../guard/src/core/manifest";
import { ROOT } from "../helpers";
import { startHarness, type Harness } from "./harness";
import type { ToolDef } from "./upstream";

interface Recorded { package: string; tools: { name: string; description: string; inputSchema: Record<string, unknown> }[] }
const memory = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "fixtures", "corpus", "real", "modelcontextprotocol__server-memory.json"), "utf8")) as Recorded;
const announced = memory.tools.find((t) => t.name === "create_entities")!;

describe("closedSchema", () => {
    it("closes object schemas that list properties and leave additionalProperties unset, recursively, and nothing else", () => {
        const schema = {
            type: "object",
            properties: {
                entities: { type: "array", items: { type: "object", properties: { name: { type: "string" } } } },
                meta: { type: "object", properties: { a: { type: "string" } }, additionalProperties: true },
                labels: { type: "object", additionalProperties: { type: "string" } },
                free: { type: "object" },
                either: { anyOf: [{ type: "object", properties: { x: { type: "string" } } }], properties: { y: { type: "string" } } },
            },
        };
        type Node = { additionalProperties?: unknown; items?: Node; properties: Record<string, Node> };
        const closed = closedSchema(schema) as Node;
        const p = closed.properties;
        expect(closed.additionalProperties).toBe(false);
        expect(p.entities.items?.additionalProperties).toBe(false);
        expect(p.meta.additionalProperties).toBe(true);
        expect(p.labels.additionalProperties).toEqual({ type: "string" });
        expect(p.free).toEqual({ type: "object" });
        expect(p.either.additionalProperties).toBeUndefined();
        // The approved schema itself is untouched (the pin is over the schema as announced).
        expect(schema).not.toHaveProperty("additionalProperties");
        expect(schema.properties.entities.items).not.toHaveProperty("additionalProperties");
    });
});

describe(`a real server's tool without additionalProperties (${memory.package} ${announced.name}), behind the guard`, () => {
    const calls: Record<string, unknown>[] = [];
    const tool: ToolDef & { scopes: string[] } = {
        name: announced.name, description: announced.description, inputSchema: announced.inputSchema, scopes: ["tickets:read"],
        call: (args) => {
            calls.push(args);
            return { content: [{ type: "text", text: "created" }] };
        },
    };
    const entity = { name: "Ada", entityType: "person", observations: ["wrote the first program"] };
    let closedGuard: Harness;
    let openGuard: Harness;
    beforeAll(async () => {
        expect(announced.inputSchema).not.toHaveProperty("additionalProperties");
        closedGuard = await startHarness([tool]);
        openGuard = await startHarness([tool], {}, { GUARD_ALLOW_UNDECLARED_ARGUMENTS: announced.name });
    });
    afterAll(async () => {
        await closedGuard?.close();
        await openGuard?.close();
    });

    it("lists the tool with its schema as announced (nothing rewritten) and forwards declared arguments", async () => {
        const { client } = await closedGuard.connect(await closedGuard.issuer.token());
        const listed = (await client.listTools()).tools.find((t) => t.name === announced.name);
        expect(listed?.inputSchema).toEqual(announced.inputSchema);
        const result = await client.callTool({ name: announced.name, arguments: { entities: [entity] } });
        expect(result.content).toEqual([{ type: "text", text: "created" }]);
        expect(calls.at(-1)).toEqual({ entities: [entity] });
    });

    it("refuses an argument the schema does not declare, at the top and inside an item, before the server sees it", async () => {
        const { client } = await closedGuard.connect(await closedGuard.issuer.token());
        const before = calls.length;
        await expect(client.callTool({ name: announced.name, arguments: { entities: [entity], exfiltrate: "~/.ssh/id_rsa" } })).rejects.toThrow(/Invalid arguments for tool create_entities: arguments must NOT have additional properties \("exfiltrate"\)/);
        await expect(client.callTool({ name: announced.name, arguments: { entities: [{ ...entity, note: "x" }] } })).rejects.toThrow(/\/entities\/0 must NOT have additional properties \("note"\)/);
        expect(calls.length).toBe(before);
        expect([...closedGuard.audit].reverse().find((a) => a.event === "tool_call_denied")).toMatchObject({ reason: "invalid_arguments", tool: announced.name });
    });

    it("forwards undeclared arguments of a tool listed in GUARD_ALLOW_UNDECLARED_ARGUMENTS (the per-server opt-out)", async () => {
        const { client } = await openGuard.connect(await openGuard.issuer.token());
        await client.callTool({ name: announced.name, arguments: { entities: [entity], extra: "kept" } });
        expect(calls.at(-1)).toEqual({ entities: [entity], extra: "kept" });
    });
});
