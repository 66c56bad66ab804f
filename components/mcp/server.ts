import * as pulumi from "@pulumi/pulumi";
import { ApprovalSettings, runtimeDescription } from "./approval";
import { McpServerSpec, ResolvedMcpServerSpec, validateMcpServerSpec } from "./spec";

export interface McpServerArgs {
    /** The server description; validated before anything is created. */
    spec: McpServerSpec | ResolvedMcpServerSpec;
    /** The URL clients use (`https://<host><path>`); the server's identity as an OAuth resource. */
    url: pulumi.Input<string>;
    /**
     * Reviewer keys the server's signed approval is checked against (by the mcp pack), and whether a valid signature
     * is required. Default: no keys, not required (the pack then reports an unsigned server as advisory).
     */
    approvals?: ApprovalSettings;
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
        // The signed runtime description travels with its signature: the guard checks the one against the other,
        // and the manifest's server and tools against the description (guard/src/core/approvals.ts).
        ...(spec.signedApproval ? { approval: { ...spec.signedApproval, runtime: runtimeDescription(spec) } } : {}),
    });
}

export class McpServer extends pulumi.ComponentResource {
    public readonly spec: ResolvedMcpServerSpec;
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: McpServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const spec = validateMcpServerSpec(args.spec, `McpServer "${name}".spec`);
        const approvals: ApprovalSettings = args.approvals ?? { required: false, reviewerKeys: [] };
        super("mcpsec:mcp:McpServer", name, { spec, url: args.url, approvals }, opts);
        this.spec = spec;
        this.url = pulumi.output(args.url);
        // The description is an output too: stack policies (the mcp pack) read components by their outputs.
        this.registerOutputs({ spec, url: this.url, approvals });
    }
}
