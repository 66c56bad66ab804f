// The AgentCore interceptor fixtures (test/fixtures/agentcore, each labelled with the AWS page it follows) and the
// example server they describe, shared by test/guard/agentcore*.test.ts.
import * as fs from "fs";
import * as path from "path";
import { toolDigest } from "../../components/mcp/digest";
import type { McpServerSpec } from "../../components/mcp/spec";
import { ROOT } from "../helpers";

export const FIXTURES = path.join(ROOT, "test", "fixtures", "agentcore");

export function fixtureText(name: string): string {
    return fs.readFileSync(path.join(FIXTURES, name), "utf8");
}

/** A fresh parsed copy of a fixture (tests change them). */
export function fixture(name: string): Record<string, unknown> {
    return JSON.parse(fixtureText(name)) as Record<string, unknown>;
}

export const TOOLS = fixture("tools.json") as { target: string; server: { name: string; url: string }; tools: { name: string; description: string; inputSchema: Record<string, unknown>; scopes: string[] }[] };

/** A GitHub token of the documented shape, made at run time (no credential sits in the fixtures; they say {{SECRET}}). */
export const SECRET = `ghp_${"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"}`;

/** The fixture with {{SECRET}} replaced by {@link SECRET}. */
export function withSecret(name: string): Record<string, unknown> {
    return JSON.parse(fixtureText(name).replace("{{SECRET}}", SECRET)) as Record<string, unknown>;
}

/** The example server of tools.json as a server description (digest-pinned image, pinned tools). */
export function ticketsSpec(): McpServerSpec {
    return {
        name: TOOLS.server.name,
        image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/tickets@sha256:${"a".repeat(64)}`,
        port: 8080,
        tools: TOOLS.tools.map((t) => ({ ...t, sha256: toolDigest(t) })),
    };
}
