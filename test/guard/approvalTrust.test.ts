/**
 * The guard trusts the reviewers' keys the deploy hands it (GUARD_APPROVAL_PUBLIC_KEYS from `mcpsec:approvals`), never the
 * key a manifest carries: whoever can write the manifest (the SSM parameter, the ConfigMap) could otherwise sign it
 * with a key of their own. Checked on the real start path (startGuard), and with the settings and manifests the
 * patterns render (task definition + the manifest of the recorded server description of security-zone-dev; pod template + ConfigMap of
 * microservices-dev with approvals required).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { loadStackConfig } from "../../cli/project";
import { synthesizeProgram } from "../../cli/synth";
import { signApproval } from "../../components/mcp/approval";
import { approvedManifest } from "../../components/mcp/server";
import { validateMcpServerSpec, type McpServerSpec } from "../../components/mcp/spec";
import { toolDigest } from "../../components/mcp/digest";
import { startGuard } from "../../guard/src/main";
import { loadSettings } from "../../guard/src/settings";
import { main } from "../../program";
import { ofType, project, ROOT } from "../helpers";
import { synthesizedStack } from "../runCache";
import { CLIENT_ID, startIssuer, type Issuer } from "./issuer";
import { RESOURCE } from "./harness";

const KEYS = path.join(ROOT, "test", "fixtures", "keys");
const reviewerPem = fs.readFileSync(path.join(KEYS, "reviewer-test.pem"), "utf8");
const otherPem = fs.readFileSync(path.join(KEYS, "other-test.pem"), "utf8");
const REVIEWER = { id: "reviewer-test", publicKey: "Z_6ocOrObEd7OLncIa659pb1FfzyzFZg9cvBWIOPSZ4" };
const OTHER_PUBLIC = signApproval(validateMcpServerSpec(specOf(), "x"), otherPem, "x", "2026-11-28").publicKey;

function specOf(): McpServerSpec {
    const t = { name: "get_ticket", description: "Returns one ticket.", inputSchema: { type: "object", properties: { id: { type: "string" } } }, scopes: ["tickets:read"] };
    return { name: "tickets", image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/tickets@sha256:${"a".repeat(64)}`, port: 8080, tools: [{ ...t, sha256: toolDigest(t) }] };
}

/** The tickets server's approved manifest, as the deploy publishes it: signed with `pem` (unless null) under `keyId`. */
function manifest(pem: string | null, keyId = REVIEWER.id): string {
    const spec = validateMcpServerSpec(specOf(), "tickets");
    return approvedManifest(pem === null ? spec : { ...spec, signedApproval: signApproval(spec, pem, keyId, "2026-11-28") }, RESOURCE);
}

describe("the guard's start: the manifest's approval against the deploy's reviewer keys", () => {
    let issuer: Issuer;
    beforeAll(async () => {
        issuer = await startIssuer(RESOURCE);
    });
    afterAll(async () => {
        await issuer.close();
    });
    const start = (manifestText: string, env: Record<string, string>) => startGuard({
        GUARD_SERVER_NAME: "tickets", GUARD_RESOURCE: RESOURCE, GUARD_ISSUER: issuer.issuer, GUARD_JWKS: issuer.jwksText(), GUARD_CLIENT_IDS: CLIENT_ID,
        GUARD_UPSTREAM_URL: "http://127.0.0.1:9/mcp", GUARD_TLS: "off", GUARD_LISTEN_HOST: "127.0.0.1", GUARD_LISTEN_PORT: "0", GUARD_REVERIFY_SECONDS: "0",
        GUARD_MANIFEST: manifestText, ...env,
    }, { auditSink: () => undefined });
    const keys = { GUARD_APPROVAL_PUBLIC_KEYS: `${REVIEWER.id}=${REVIEWER.publicKey}` };

    it("starts with a manifest signed by a reviewer key it was given, required or not", async () => {
        for (const required of ["true", "false"]) {
            const g = await start(manifest(reviewerPem), { ...keys, GUARD_APPROVALS_REQUIRED: required });
            expect(g.port).toBeGreaterThan(0);
            await g.stop();
        }
    });

    it("refuses a manifest signed with a key of the writer's own, although its signature verifies with the key it carries", async () => {
        await expect(start(manifest(otherPem, "mallory"), keys)).rejects.toThrow(/signed with key "mallory", which is not a reviewer key the guard trusts \(GUARD_APPROVAL_PUBLIC_KEYS: "reviewer-test"\)/);
        // Same id as the reviewer, another key: the id alone does not make a reviewer.
        await expect(start(manifest(otherPem), keys)).rejects.toThrow(/signed with key "reviewer-test", which is not a reviewer key the guard trusts/);
        // No reviewer keys at all (a stack without mcpsec:approvals.reviewers): a signature proves nothing, refused.
        await expect(start(manifest(otherPem, "mallory"), {})).rejects.toThrow(/which is not a reviewer key the guard trusts \(GUARD_APPROVAL_PUBLIC_KEYS: none\)/);
    });

    it("refuses a signature that does not verify with the reviewer key it names", async () => {
        const forged = JSON.parse(manifest(otherPem)) as { approval: { publicKey: string } };
        forged.approval.publicKey = REVIEWER.publicKey;
        await expect(start(JSON.stringify(forged), keys)).rejects.toThrow(/approval signature does not verify with key "reviewer-test"/);
    });

    it("refuses an unsigned manifest where approvals are required (the default with keys), and accepts it where they are not", async () => {
        await expect(start(manifest(null), keys)).rejects.toThrow(/carries no signed approval, and approvals are required for this stack/);
        await expect(start(manifest(null), { ...keys, GUARD_APPROVALS_REQUIRED: "true" })).rejects.toThrow(/carries no signed approval/);
        const g = await start(manifest(null), { ...keys, GUARD_APPROVALS_REQUIRED: "false" });
        await g.stop();
    });

    it("names the variable of bad approval settings", async () => {
        const base = { GUARD_SERVER_NAME: "tickets", GUARD_RESOURCE: RESOURCE, GUARD_ISSUER: issuer.issuer, GUARD_CLIENT_IDS: CLIENT_ID, GUARD_UPSTREAM_URL: "http://127.0.0.1:9/mcp", GUARD_MANIFEST: "{}" };
        expect(() => loadSettings({ ...base, GUARD_APPROVALS_REQUIRED: "true" })).toThrow(/GUARD_APPROVAL_PUBLIC_KEYS: is required but missing with GUARD_APPROVALS_REQUIRED=true/);
        expect(() => loadSettings({ ...base, GUARD_APPROVAL_PUBLIC_KEYS: `${REVIEWER.id}:${REVIEWER.publicKey}` })).toThrow(/GUARD_APPROVAL_PUBLIC_KEYS: .* is not allowed; expected <key id>=<Ed25519 public key>/);
        expect(() => loadSettings({ ...base, GUARD_APPROVAL_PUBLIC_KEYS: `a=${REVIEWER.publicKey},a=${OTHER_PUBLIC}` })).toThrow(/GUARD_APPROVAL_PUBLIC_KEYS: "a" is listed twice/);
        expect(() => loadSettings({ ...base, GUARD_APPROVAL_PUBLIC_KEYS: `a=${REVIEWER.publicKey}`, GUARD_APPROVALS_REQUIRED: "yes" })).toThrow(/GUARD_APPROVALS_REQUIRED: "yes" is not allowed; expected one of true, false/);
        expect(loadSettings({ ...base, GUARD_APPROVAL_PUBLIC_KEYS: `a=${REVIEWER.publicKey},b=${OTHER_PUBLIC}` }).approvals).toEqual({ required: true, reviewerKeys: [{ id: "a", publicKey: REVIEWER.publicKey }, { id: "b", publicKey: OTHER_PUBLIC }] });
        expect(loadSettings(base).approvals).toEqual({ required: false, reviewerKeys: [] });
    });

    it("the process exits 1 with one line saying why it refused to start", () => {
        const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), path.join(ROOT, "guard", "src", "main.ts")], {
            env: {
                PATH: process.env.PATH, GUARD_SERVER_NAME: "tickets", GUARD_RESOURCE: RESOURCE, GUARD_ISSUER: issuer.issuer, GUARD_JWKS: issuer.jwksText(), GUARD_CLIENT_IDS: CLIENT_ID,
                GUARD_UPSTREAM_URL: "http://127.0.0.1:9/mcp", GUARD_TLS: "off", GUARD_MANIFEST: manifest(otherPem, "mallory"), ...keys,
            },
            encoding: "utf8", timeout: 20_000,
        });
        expect(r.status).toBe(1);
        expect(r.stderr.trim()).toMatch(/^mcp-guard refused to start: the tools manifest is signed with key "mallory", which is not a reviewer key the guard trusts/);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }, 25_000);
});

type Env = Record<string, string>;

/** Starts the real guard with the settings a pattern rendered (issuer, upstream and listen address replaced) and a manifest. */
async function startRendered(rendered: Env, manifestText: string, issuer: Issuer) {
    const { GUARD_MANIFEST_FILE: _file, GUARD_JWKS_URL: _url, GUARD_JWKS: _jwks, ...kept } = rendered;
    void _file; void _url; void _jwks;
    return startGuard({
        ...kept, GUARD_ISSUER: issuer.issuer, GUARD_JWKS: issuer.jwksText(), GUARD_UPSTREAM_URL: "http://127.0.0.1:9/mcp", GUARD_TLS: "off",
        GUARD_LISTEN_HOST: "127.0.0.1", GUARD_LISTEN_PORT: "0", GUARD_REVERIFY_SECONDS: "0", GUARD_MANIFEST: manifestText,
    }, { auditSink: () => undefined });
}

/** The manifest with its approval replaced by one the writer of the manifest made with a key of their own. */
function resignedByWriter(manifestText: string, spec: Record<string, unknown>): string {
    const m = JSON.parse(manifestText) as { approval?: unknown };
    const s = validateMcpServerSpec(spec as unknown as McpServerSpec, "x");
    const again = JSON.parse(approvedManifest({ ...s, signedApproval: signApproval(s, otherPem, "mallory", "2026-11-28") }, (JSON.parse(manifestText) as { server: { url: string } }).server.url)) as { approval: unknown };
    return JSON.stringify({ ...m, approval: again.approval });
}

describe("the security zone hands each guard the stack's reviewer keys (security-zone-dev)", () => {
    let graph: ResourceGraph;
    let issuer: Issuer;
    beforeAll(async () => {
        graph = await synthesizedStack("security-zone-dev");
        issuer = await startIssuer("https://docs-search.dev.mcp.example.com/mcp");
    });
    afterAll(async () => {
        await issuer?.close();
    });

    it("the task definition carries the keys, the manifest parameter signed by them starts the guard, a re-signed one does not", async () => {
        const reviewers = (JSON.parse(graph.config["mcpsec:approvals"]) as { reviewers: { id: string; publicKey: string }[] }).reviewers;
        const [taskDefinition] = ofType(graph, "aws:ecs/taskDefinition:TaskDefinition");
        const containers = JSON.parse(String(taskDefinition.inputs.containerDefinitions)) as { name: string; environment: { name: string; value: string }[] }[];
        const guard = containers.find((c) => c.environment?.some((e) => e.name === "GUARD_UPSTREAM_URL"))!;
        const rendered = Object.fromEntries(guard.environment.map((e) => [e.name, e.value]));
        expect(rendered.GUARD_APPROVAL_PUBLIC_KEYS).toBe(reviewers.map((k) => `${k.id}=${k.publicKey}`).join(","));
        expect(rendered.GUARD_APPROVALS_REQUIRED).toBe("false");
        // The parameter's value is a secret (redacted in the graph): the zone writes approvedManifest of the server's
        // recorded description, rebuilt here from the McpServer inputs.
        expect(ofType(graph, "aws:ssm/parameter:Parameter").some((p) => String(p.inputs.name).endsWith("/docs-search/tools-manifest"))).toBe(true);
        const server = ofType(graph, "mcpsec:mcp:McpServer")[0];
        const spec = server.inputs.spec as Record<string, unknown>;
        const text = approvedManifest(validateMcpServerSpec(spec as unknown as McpServerSpec, "docs-search"), String(server.inputs.url));
        expect(JSON.parse(text)).toMatchObject({ approval: { keyId: "example-reviewer-test-only" } });
        const g = await startRendered(rendered, text, issuer);
        await g.stop();
        await expect(startRendered(rendered, resignedByWriter(text, spec), issuer)).rejects.toThrow(/signed with key "mallory", which is not a reviewer key the guard trusts \(GUARD_APPROVAL_PUBLIC_KEYS: "example-reviewer-test-only"\)/);
    }, 30_000);
});

describe("the microservices layer hands each guard the stack's reviewer keys (microservices-dev, approvals required)", () => {
    let graph: ResourceGraph;
    let issuer: Issuer;
    let servers: Record<string, unknown>[];
    beforeAll(async () => {
        const { config, secretKeys } = loadStackConfig(project, "microservices-dev");
        servers = (JSON.parse(config["mcpsec:servers"]) as Record<string, unknown>[]).map((raw, i) => ({ ...raw, signedApproval: signApproval(validateMcpServerSpec(raw as unknown as McpServerSpec, `mcpsec:servers[${i}]`), reviewerPem, REVIEWER.id, "2026-11-28") }));
        config["mcpsec:servers"] = JSON.stringify(servers);
        config["mcpsec:approvals"] = JSON.stringify({ reviewers: [REVIEWER], required: true });
        graph = await synthesizeProgram({ project: project.name, stack: "microservices-dev", config, secretKeys, program: main });
        issuer = await startIssuer("https://docs-search.mcp.k8s.example.com/mcp");
    });
    afterAll(async () => {
        await issuer?.close();
    });

    it("the pod template carries the keys (not the ConfigMap), the ConfigMap's signed manifest starts the guard, an unsigned or re-signed one does not", async () => {
        const deployment = ofType(graph, "kubernetes:apps/v1:Deployment").find((d) => (d.inputs.metadata as { namespace: string }).namespace === "mcp-docs-search")!;
        const guard = (deployment.inputs.spec as { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } }).template.spec.containers.find((c) => c.env?.some((e) => e.name === "GUARD_UPSTREAM_URL"))!;
        const rendered = Object.fromEntries(guard.env!.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
        expect(rendered).toMatchObject({ GUARD_APPROVAL_PUBLIC_KEYS: `${REVIEWER.id}=${REVIEWER.publicKey}`, GUARD_APPROVALS_REQUIRED: "true" });
        const configMap = ofType(graph, "kubernetes:core/v1:ConfigMap").find((c) => (c.inputs.metadata as { namespace: string }).namespace === "mcp-docs-search")!;
        const data = configMap.inputs.data as Record<string, string>;
        expect(Object.keys(data)).toEqual(["manifest.json"]);
        const text = data["manifest.json"];
        const g = await startRendered(rendered, text, issuer);
        await g.stop();
        const unsigned = JSON.parse(text) as Record<string, unknown>;
        delete unsigned.approval;
        await expect(startRendered(rendered, JSON.stringify(unsigned), issuer)).rejects.toThrow(/carries no signed approval, and approvals are required/);
        const spec = { ...servers[0] };
        delete spec.signedApproval;
        await expect(startRendered(rendered, resignedByWriter(text, spec), issuer)).rejects.toThrow(/signed with key "mallory", which is not a reviewer key the guard trusts/);
    }, 30_000);
});
