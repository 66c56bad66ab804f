import { PolicyResource, ReportViolation } from "@pulumi/policy";
import { ofType, RuleMeta, stackRule } from "../lib/rule";
import { ApprovalSettings, ApprovalSubject, SignedApproval, verifyApproval } from "../../components/mcp/approval";
import { deployedGuards } from "./guards";
import { DEFAULT_APPROVED_REGISTRIES, DEFAULT_MAX_DESCRIPTION_LENGTH, Finding, imageFindings, pinningFindings, poisoningFindings, schemaFindings, shadowingFindings, VetTool } from "./vetting";

const SERVER = "mcpsec:mcp:McpServer";

/** A server description as McpServer registers it: the fields a signature binds, plus the vetted tools. */
interface ServerDescription extends ApprovalSubject {
    tools: (VetTool & { sha256: string; scopes: string[] })[];
    signedApproval?: SignedApproval;
}

/** The MCP server descriptions of the stack (McpServer components record them as outputs). */
function servers(resources: PolicyResource[]): { resource: PolicyResource; spec: ServerDescription }[] {
    return ofType(resources, SERVER)
        .map((resource) => ({ resource, spec: resource.props.spec as ServerDescription | undefined }))
        .filter((s): s is { resource: PolicyResource; spec: ServerDescription } => !!s.spec && Array.isArray(s.spec.tools));
}

/** A rule that runs a vetting check on every server description and reports each finding on the server. */
function serverRule(meta: RuleMeta, check: (spec: ServerDescription, config: Record<string, unknown>) => Finding[]) {
    return stackRule(meta, (resources, args, report: ReportViolation) => {
        const config = args.getConfig<Record<string, unknown>>();
        for (const { resource, spec } of servers(resources)) {
            for (const f of check(spec, config)) {
                report(`${spec.name}${f.tool ? ` tool ${f.tool}` : ""}: ${f.message}.`, resource.urn);
            }
        }
    });
}

const base = { maestro: ["L3", "L7"] as RuleMeta["maestro"] };

export const toolPoisoning = serverRule({
    ...base,
    name: "mcp-tool-poisoning-indicators",
    description: "Every text of a tool the model reads (name, description, and every title, description, property name, default, example, enum and const value of its input schema) must be free of poisoning indicators: instructions aimed at the model (ignore earlier instructions, hide actions from the user, call tools the server does not offer), preference manipulation (use this tool, avoid others), shadowing of other tools, standing orders for every later turn (line jumping), requests to put secrets, the conversation or credential environment variables into a call, sensitive file paths, instruction-like or hidden markup, invisible, bidirectional or tag Unicode, terminal control characters, white-space padding, encoded text that decodes to words, Markdown images or data-carrying links to hosts outside the declared egress domains, or excessive length. The model reads these texts as instructions.",
    severity: "critical",
    controls: ["S6", "C5"],
    nist: ["SI-10", "SI-3", "SA-11"],
    threats: ["T1", "T2"],
    remediation: "Rewrite the tool description in mcpsec:servers[].tools (or fix the server and re-pin with `mcpsec pin`); run `mcpsec vet` in the server's own CI. Declare legitimate link domains in the server's egress.",
    configSchema: { properties: { maxDescriptionLength: { type: "integer", minimum: 64, maximum: 65536, default: DEFAULT_MAX_DESCRIPTION_LENGTH } } },
}, (spec, config) => spec.tools.flatMap((t) => poisoningFindings(t, { egress: spec.egress ?? [], siblings: spec.tools.map((s) => s.name), maxDescriptionLength: config.maxDescriptionLength as number | undefined })));

export const toolShadowing = stackRule({
    ...base,
    name: "mcp-tool-shadowing",
    description: "No two MCP servers in a stack may offer tools with the same or confusable names (case, separators, look-alike characters): a shadowing tool captures calls meant for another server's tool.",
    severity: "high",
    controls: ["S6", "H5"],
    nist: ["SI-10", "IA-3"],
    threats: ["T1"],
    remediation: "Rename one of the tools in mcpsec:servers[].tools (with a new approval), or host the servers in separate stacks that no client uses together.",
}, (resources, _args, report) => {
    const all = servers(resources);
    for (const f of shadowingFindings(all.map((s) => ({ name: s.spec.name, tools: s.spec.tools })))) {
        const owner = all.find((s) => f.message.includes(` of ${s.spec.name} has `));
        report(`${f.message}.`, owner?.resource.urn);
    }
});

export const toolRugPull = serverRule({
    ...base,
    name: "mcp-tool-pinned-digest",
    description: "Every tool's description and input schema must still hash to its pinned sha256. A mismatch means the tool changed after it was pinned (a rug pull, or an unreviewed update).",
    severity: "critical",
    controls: ["S6", "C4"],
    nist: ["SI-7", "CM-3", "SR-4"],
    threats: ["T7", "T1"],
    remediation: "Review the change, then re-pin (`mcpsec pin`) and record a new approval in mcpsec:servers[].tools[].approval.",
}, (spec) => spec.tools.flatMap((t) => pinningFindings(t, { requireApproval: false }).filter((f) => f.kind === "rug-pull")));

export const toolApproval = serverRule({
    ...base,
    name: "mcp-tool-approval-recorded",
    description: "Every tool must carry an approval record (who approved it, when, and which sha256), and the approved digest must be the tool's current one: a changed tool is not deployed without a new approval.",
    severity: "high",
    controls: ["S6", "C4"],
    nist: ["CM-3", "SA-10", "CM-14"],
    threats: ["T1", "T7"],
    remediation: "Add approval: { by, at, sha256 } to the tool in mcpsec:servers[].tools after review; sha256 is the digest `mcpsec pin` computes.",
}, (spec) => spec.tools.flatMap((t) => pinningFindings(t, { requireApproval: true }).filter((f) => f.kind === "approval")));

export const weakSchemas = stackRule({
    ...base,
    name: "mcp-tool-strict-input-schema",
    description: "Tool input schemas must be objects that type every property, and the schema in effect must refuse arguments it does not declare: closed by the schema itself (additionalProperties: false), or, where additionalProperties is unset, by the MCP guard deployed in front of the server (it closes such object schemas at run time; the announced, pinned schema is not rewritten). Without a guard an open schema fails; an explicitly open one (additionalProperties true or a schema) fails unless the tool is listed in the server's allowUndeclaredArguments opt-out.",
    severity: "medium",
    controls: ["C5", "S6"],
    nist: ["SI-10"],
    threats: ["T1", "T2"],
    remediation: "Deploy the server behind the MCP guard (mcpsec:guard.image; do not set mcpsec:guard.allowUnguarded or McpService unguarded), or set additionalProperties: false in the tool's inputSchema and re-pin; give every property a type. A tool that needs open arguments: list it in mcpsec:servers[].allowUndeclaredArguments.",
}, (resources, _args, report: ReportViolation) => {
    const guards = deployedGuards(resources);
    for (const { resource, spec } of servers(resources)) {
        const guard = guards.get(spec.name);
        for (const t of spec.tools) {
            for (const f of schemaFindings(t, { guarded: guard !== undefined, allowUndeclared: guard?.allowUndeclaredArguments.includes(t.name) ?? false })) {
                report(`${spec.name} tool ${f.tool}: ${f.message}.`, resource.urn);
            }
        }
    }
});

export const toolScopes = serverRule({
    ...base,
    name: "mcp-tool-scopes-declared",
    description: "Every tool must require at least one OAuth scope, so that access to each tool is granted explicitly.",
    severity: "high",
    controls: ["S5", "C2", "C3"],
    nist: ["AC-3", "AC-6"],
    threats: ["T4"],
    remediation: "List the scopes the tool needs in mcpsec:servers[].tools[].scopes.",
}, (spec) => spec.tools.flatMap((t) => pinningFindings(t, { requireApproval: false }).filter((f) => f.kind === "scopes")));

export const serverImage = serverRule({
    ...base,
    maestro: ["L4", "L7"],
    name: "mcp-server-image-approved",
    description: "MCP server images must be pinned by digest and come from an approved registry (private ECR by default; pack config approvedRegistries), closing the path of unreviewed or substituted images.",
    severity: "high",
    controls: ["C4"],
    nist: ["SR-4", "CM-14", "SI-7"],
    threats: ["T7"],
    remediation: "Push the image to an approved registry and give it as <repository>@sha256:<digest> in mcpsec:servers[].image.",
    configSchema: { properties: { approvedRegistries: { type: "array", items: { type: "string" }, minItems: 1, default: DEFAULT_APPROVED_REGISTRIES } } },
}, (spec, config) => imageFindings(spec.image, (config.approvedRegistries as string[] | undefined) ?? DEFAULT_APPROVED_REGISTRIES));

/** The signed-approval verdict of every server whose approvals are (or are not) required. */
function approvalRule(meta: RuleMeta, required: boolean) {
    return stackRule(meta, (resources, _args, report: ReportViolation) => {
        for (const { resource, spec } of servers(resources)) {
            const settings = (resource.props.approvals as ApprovalSettings | undefined) ?? { required: false, reviewerKeys: [] };
            if (settings.required !== required) {
                continue;
            }
            const verdict = verifyApproval(spec, spec.signedApproval, settings.reviewerKeys ?? []);
            if (!verdict.ok) {
                report(`${spec.name} ${verdict.reason}.`, resource.urn);
            }
        }
    });
}

const approvalMeta = {
    ...base,
    maestro: ["L3", "L4", "L7"] as RuleMeta["maestro"],
    controls: ["S6", "C4", "H5"] as RuleMeta["controls"],
    nist: ["CM-3", "CM-5", "SI-7", "SR-4"],
    threats: ["T7", "T1"] as RuleMeta["threats"],
    remediation: "Have a reviewer run `mcpsec approve <stack file> --server <name> --key <Ed25519 private key> --key-id <id>` and commit the signedApproval it writes to mcpsec:servers[].signedApproval; list the reviewer's public key in mcpsec:approvals.reviewers.",
};

export const serverApprovalSigned = approvalRule({
    ...approvalMeta,
    name: "mcp-server-approval-signed",
    description: "Where signed approvals are required (mcpsec:approvals.required, on by default in prod, production and prod-* environments), every MCP server must carry a reviewer's Ed25519 signature over the digest of its runtime description (image digest, run-as user, environment names and values, secret names and references, egress domains, every tool's digest and scopes), made with a key listed in mcpsec:approvals.reviewers: a new image, a changed launch environment or a new tool does not deploy under an old approval.",
    severity: "critical",
}, true);

export const serverApprovalSignedAdvisory = approvalRule({
    ...approvalMeta,
    name: "mcp-server-approval-signed-advisory",
    description: "Where signed approvals are not required (non-production environments by default), an MCP server without a valid reviewer signature over its runtime description is reported, so that the signature is in place before the stack is promoted.",
    severity: "medium",
    enforcementLevel: "advisory",
}, false);

export const mcpRules = [toolPoisoning, toolShadowing, toolRugPull, toolApproval, weakSchemas, toolScopes, serverImage, serverApprovalSigned, serverApprovalSignedAdvisory];
