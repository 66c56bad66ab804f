import { describe, expect, it } from "vitest";
import type { ResourceGraph } from "../../cli/graph";
import type { ControlRow } from "../../cli/securityReport/controls";
import { implementingComponents } from "../../cli/securityReport/coverage";

// The security report's coverage table names each control's components; the list must not depend on the order in
// which the program registered them (registration order is an implementation detail of the synthesis).
describe("a control's implementing components", () => {
    it("are listed by type and name, whatever the registration order", () => {
        const component = (type: string, name: string) => ({ urn: `urn:pulumi:s::p::${type}::${name}`, type, name, custom: false });
        const resources = [
            component("mcpsec:mcp:McpService", "mcp-prod-docs-search"),
            component("mcpsec:mcp:McpServer", "mcp-prod-tickets"),
            component("mcpsec:mcp:McpServer", "mcp-prod-docs-search"),
            component("mcpsec:mcp:McpService", "mcp-prod-tickets"),
            { urn: "urn:pulumi:s::p::aws:s3/bucket:Bucket::b", type: "aws:s3/bucket:Bucket", name: "b", custom: true },
        ];
        const row = { component: "McpServer and McpService" } as ControlRow;
        const graphOf = (rs: typeof resources) => ({ resources: rs } as unknown as ResourceGraph);
        const expected = ["McpServer mcp-prod-docs-search", "McpServer mcp-prod-tickets", "McpService mcp-prod-docs-search", "McpService mcp-prod-tickets"];
        expect(implementingComponents(row, graphOf(resources))).toEqual(expected);
        expect(implementingComponents(row, graphOf([...resources].reverse()))).toEqual(expected);
    });
});
