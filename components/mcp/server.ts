import * as pulumi from "@pulumi/pulumi";
import { McpServerSpec, ResolvedMcpServerSpec, validateMcpServerSpec } from "./spec";

export interface McpServerArgs {
    /** The server description; validated before anything is created. */
    spec: McpServerSpec | ResolvedMcpServerSpec;
    /** The URL clients use (`https://<host><path>`); the server's identity as an OAuth resource. */
    url: pulumi.Input<string>;
}

/**
 * The approved description of one MCP server in the stack: image, port, egress allowlist and the tools manifest
 * with each tool's scopes and sha256. It creates no cloud resource itself; it records the description as its
 * inputs so that policies (and `mcpsec check`) can vet it, and parents the resources that run the server.
 */
/** The approved manifest runtime components verify tools against: server identity and each tool's pin and approval. */
export function approvedManifest(spec: ResolvedMcpServerSpec, url: string): string {
    return JSON.stringify({
        version: 1,
        server: { name: spec.name, url, image: spec.image, egress: spec.egress },
        tools: spec.tools.map((t) => ({ name: t.name, sha256: t.sha256, scopes: t.scopes, ...(t.approval ? { approval: t.approval } : {}) })),
    });
}

export class McpServer extends pulumi.ComponentResource {
    public readonly spec: ResolvedMcpServerSpec;
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: McpServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const spec = validateMcpServerSpec(args.spec, `McpServer "${name}".spec`);
        super("mcpsec:mcp:McpServer", name, { spec, url: args.url }, opts);
        this.spec = spec;
        this.url = pulumi.output(args.url);
        // The description is an output too: stack policies (the mcp pack) read components by their outputs.
        this.registerOutputs({ spec, url: this.url });
    }
}
