/**
 * Signed approvals (issue 14): a reviewer's Ed25519 signature binds a server's whole runtime description. Keys are
 * the committed TEST-ONLY keys of test/fixtures/keys.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main";
import { runtimeDigest, signApproval, verifyApproval, type ApprovalSubject } from "../../components/mcp/approval";
import { resolveApprovals } from "../../components/mcp/approvalConfig";
import { approvedManifest } from "../../components/mcp/server";
import { validateMcpServerSpec } from "../../components/mcp/spec";
import { toolDigest } from "../../components/mcp/digest";
import { parseManifest } from "../../guard/src/core/manifest";
import { ROOT } from "../helpers";

const KEYS = path.join(ROOT, "test", "fixtures", "keys");
const reviewerPem = fs.readFileSync(path.join(KEYS, "reviewer-test.pem"), "utf8");
const otherPem = fs.readFileSync(path.join(KEYS, "other-test.pem"), "utf8");
const REVIEWER = { id: "reviewer-test", publicKey: "Z_6ocOrObEd7OLncIa659pb1FfzyzFZg9cvBWIOPSZ4" };

const toolBase = { name: "get_page", description: "Returns one page.", inputSchema: { type: "object", properties: { path: { type: "string" } }, additionalProperties: false }, scopes: ["docs:read"] };
const spec = () => validateMcpServerSpec({
    name: "docs", image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs@sha256:${"a".repeat(64)}`, port: 8080,
    environment: { LOG_LEVEL: "info" }, secrets: { DB_URL: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:docs-db-AbCdEf" },
    egress: ["api.github.com"], tools: [{ ...toolBase, sha256: toolDigest(toolBase) }],
});

describe("signing and verifying a server's runtime description", () => {
    it("accepts a valid signature by a reviewer key", () => {
        const s = spec();
        const a = signApproval(s, reviewerPem, REVIEWER.id, "2026-11-28");
        expect(a.publicKey).toBe(REVIEWER.publicKey);
        expect(a.digest).toBe(runtimeDigest(s));
        expect(verifyApproval(s, a, [REVIEWER])).toEqual({ ok: true, keyId: "reviewer-test" });
    });

    it("refuses a tampered digest, a wrong key, a forged public key and a missing signature", () => {
        const s = spec();
        const a = signApproval(s, reviewerPem, REVIEWER.id, "2026-11-28");
        expect(verifyApproval(s, { ...a, digest: "f".repeat(64) }, [REVIEWER])).toMatchObject({ ok: false, reason: expect.stringMatching(/needs a new signature/) });
        expect(verifyApproval(s, { ...a, signature: signApproval(s, otherPem, REVIEWER.id, "2026-11-28").signature }, [REVIEWER])).toMatchObject({ ok: false, reason: expect.stringMatching(/does not verify/) });
        expect(verifyApproval(s, signApproval(s, otherPem, REVIEWER.id, "2026-11-28"), [REVIEWER])).toMatchObject({ ok: false, reason: expect.stringMatching(/not the reviewer key/) });
        expect(verifyApproval(s, { ...a, keyId: "someone-else" }, [REVIEWER])).toMatchObject({ ok: false, reason: expect.stringMatching(/not a reviewer key in mcpsec:approvals.reviewers/) });
        expect(verifyApproval(s, undefined, [REVIEWER])).toMatchObject({ ok: false, reason: expect.stringMatching(/has no signed approval/) });
    });

    it.each<[string, (s: ApprovalSubject) => void]>([
        ["a new image digest", (s) => (s.image = s.image.replace(/a{64}$/, "b".repeat(64)))],
        ["NODE_OPTIONS preloading a script", (s) => (s.environment = { ...s.environment, NODE_OPTIONS: "--require /tmp/hook.js" })],
        ["a changed environment value", (s) => (s.environment = { LOG_LEVEL: "debug" })],
        ["another secret", (s) => (s.secrets = { ...s.secrets, EXTRA: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf" })],
        ["a new egress domain", (s) => (s.egress = [...(s.egress ?? []), "uploads.example.net"])],
        ["a changed tool digest", (s) => (s.tools = s.tools.map((t) => ({ ...t, sha256: "0".repeat(64) })))],
        ["a wider tool scope", (s) => (s.tools = s.tools.map((t) => ({ ...t, scopes: [...t.scopes, "docs:write"] })))],
        ["root as the user", (s) => (s.user = "0")],
        ["a tool opened to undeclared arguments", (s) => (s.allowUndeclaredArguments = ["get_page"])],
    ])("invalidates the signature on %s", (_label, change) => {
        const s = spec();
        const a = signApproval(s, reviewerPem, REVIEWER.id, "2026-11-28");
        change(s);
        expect(verifyApproval(s, a, [REVIEWER])).toMatchObject({ ok: false, reason: expect.stringMatching(/needs a new signature/) });
    });

    it("does not depend on key order or list order", () => {
        const s = spec();
        const reordered = { ...s, egress: [...s.egress].reverse(), environment: { ...s.environment } };
        expect(runtimeDigest(reordered)).toBe(runtimeDigest(s));
    });
});

describe("mcpsec:approvals", () => {
    it("requires signatures in production environments by default, and can be set either way", () => {
        expect(resolveApprovals(undefined, "prod").required).toBe(true);
        expect(resolveApprovals(undefined, "production-eu").required).toBe(true);
        expect(resolveApprovals(undefined, "dev").required).toBe(false);
        expect(resolveApprovals({ required: true }, "dev").required).toBe(true);
    });

    it("names the key of a bad or repeated reviewer key", () => {
        expect(() => resolveApprovals({ reviewers: [{ id: "a", publicKey: "x".repeat(42) }] }, "prod")).toThrow(/mcpsec:approvals.reviewers\[0\].publicKey: .* is not an Ed25519 public key/);
        expect(() => resolveApprovals({ reviewers: [REVIEWER, { ...REVIEWER }] }, "prod")).toThrow(/mcpsec:approvals.reviewers\[1\].id/);
    });
});

describe("the guard accepts only a manifest whose approval verifies", () => {
    const expectFor = (keys?: typeof REVIEWER[]) => ({ serverName: "docs", resource: "https://docs.example.com/mcp", approvals: keys && { required: true, reviewerKeys: keys } });
    const signed = () => {
        const s = spec();
        return { ...s, signedApproval: signApproval(s, reviewerPem, REVIEWER.id, "2026-11-28") };
    };

    it("accepts the signed manifest the deploy publishes, with and without pinned keys", () => {
        const text = approvedManifest(signed(), "https://docs.example.com/mcp");
        expect(parseManifest(text, expectFor([REVIEWER])).approval?.keyId).toBe("reviewer-test");
        expect(parseManifest(text, expectFor()).tools.map((t) => t.name)).toEqual(["get_page"]);
    });

    it("refuses a manifest whose tools, digest or signer changed, and an unsigned one when keys are pinned", () => {
        const m = JSON.parse(approvedManifest(signed(), "https://docs.example.com/mcp"));
        const withTool = { ...m, tools: [...m.tools, { name: "delete_all", sha256: "1".repeat(64), scopes: ["docs:read"] }] };
        expect(() => parseManifest(JSON.stringify(withTool), expectFor())).toThrow(/not the ones its signed approval describes/);
        const tampered = { ...m, approval: { ...m.approval, runtime: { ...m.approval.runtime, egress: ["evil.example.net"] } } };
        expect(() => parseManifest(JSON.stringify(tampered), expectFor())).toThrow(/does not hash to its approved digest/);
        const s = spec();
        const other = JSON.parse(approvedManifest({ ...s, signedApproval: signApproval(s, otherPem, "mallory", "2026-11-28") }, "https://docs.example.com/mcp"));
        expect(() => parseManifest(JSON.stringify(other), expectFor([REVIEWER]))).toThrow(/signed with key "mallory", which is not a reviewer key the guard trusts/);
        const forged = { ...other, approval: { ...other.approval, keyId: REVIEWER.id, publicKey: REVIEWER.publicKey } };
        expect(() => parseManifest(JSON.stringify(forged), expectFor([REVIEWER]))).toThrow(/signature does not verify/);
        const unsigned = approvedManifest(spec(), "https://docs.example.com/mcp");
        expect(() => parseManifest(unsigned, expectFor([REVIEWER]))).toThrow(/carries no signed approval/);
        expect(parseManifest(unsigned, expectFor()).server.name).toBe("docs");
    });
});

describe("mcpsec approve", () => {
    const run = async (...args: string[]) => {
        let out = "";
        let err = "";
        const code = await main(["node", "mcpsec", "approve", ...args], { out: (t) => (out += t), err: (t) => (err += t), progress: false });
        return { code, out, err };
    };

    it("prints the public key to list in mcpsec:approvals.reviewers", async () => {
        expect(await run("--key", path.join(KEYS, "reviewer-test.pem"), "--print-public-key")).toMatchObject({ code: 0, out: `${REVIEWER.publicKey}\n` });
    });

    it("signs every server of a stack file in place, keeping comments, and the signatures verify", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-approve-"));
        const file = path.join(dir, "Pulumi.x.yaml");
        const original = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.security-zone-dev.yaml"), "utf8");
        fs.writeFileSync(file, original);
        const r = await run(file, "--key", path.join(KEYS, "reviewer-test.pem"), "--key-id", REVIEWER.id, "--write", "--at", "2026-11-28");
        expect(r.code).toBe(0);
        const written = fs.readFileSync(file, "utf8");
        expect(written).toContain(original.split("\n").find((l) => l.trim().startsWith("#")));
        const servers = (YAML.parse(written) as { config: { "mcpsec:servers": unknown[] } }).config["mcpsec:servers"];
        for (const [i, raw] of servers.entries()) {
            const s = validateMcpServerSpec(raw, `mcpsec:servers[${i}]`);
            expect(s.signedApproval?.at).toBe("2026-11-28");
            expect(verifyApproval(s, s.signedApproval, [REVIEWER]).ok).toBe(true);
        }
    });

    it("refuses a key that is not Ed25519 and an unknown server, exit 2", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-approve-"));
        const rsa = path.join(dir, "rsa.pem");
        const { generateKeyPairSync } = await import("crypto");
        fs.writeFileSync(rsa, generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }));
        expect(await run(path.join(ROOT, "stacks", "Pulumi.security-zone-dev.yaml"), "--key", rsa, "--key-id", "x")).toMatchObject({ code: 2, err: expect.stringMatching(/is rsa; expected an Ed25519 private key/) });
        expect(await run(path.join(ROOT, "stacks", "Pulumi.security-zone-dev.yaml"), "--key", path.join(KEYS, "reviewer-test.pem"), "--key-id", "x", "--server", "nope")).toMatchObject({ code: 2, err: expect.stringMatching(/--server "nope": .* has no such server/) });
    });
});
