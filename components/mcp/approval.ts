import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from "crypto";
import canonicalize from "canonicalize";

/**
 * Signed approvals that bind a whole MCP server, not only its tool texts: a reviewer signs the digest of the server's
 * runtime description (image digest, run-as user, plain environment names and values, secret names and references,
 * egress domains, the tools whose arguments the guard leaves open, every tool's name, digest and scopes) with an Ed25519 key. Any change of those fields changes the
 * digest, so it deploys only with a new signature. The container command is the image's entrypoint: the spec has no
 * command override, and the image digest pins it.
 */

/** A reviewer's signature over one server's runtime description, as the server description carries it. */
export interface SignedApproval {
    /** The reviewer key that signed (an id listed in `mcpsec:approvals.reviewers`). */
    keyId: string;
    /** The signer's Ed25519 public key, base64url of its 32 bytes (the JWK `x`); must equal the reviewer key of `keyId`. */
    publicKey: string;
    /** Hex SHA-256 of the RFC 8785 canonical JSON of the runtime description that was signed ({@link runtimeDigest}). */
    digest: string;
    /** Ed25519 signature over `mcpsec-approval-v1:<digest>`, base64url of its 64 bytes. */
    signature: string;
    /** When it was signed (YYYY-MM-DD or ISO 8601). */
    at: string;
}

/** A reviewer's public key, as stack config lists it. */
export interface ReviewerKey {
    id: string;
    /** Ed25519 public key, base64url of its 32 bytes (the JWK `x`; `mcpsec approve` prints it). */
    publicKey: string;
}

/** What the mcp pack and the guard check signed approvals against. */
export interface ApprovalSettings {
    /** Unsigned or mis-signed servers fail the stack (prod); otherwise they are reported as advisory. */
    required: boolean;
    reviewerKeys: ReviewerKey[];
}

/**
 * The guard settings that carry a stack's approval settings to each guard at deploy (guard/src/settings.ts):
 * GUARD_APPROVALS_REQUIRED always, GUARD_APPROVAL_PUBLIC_KEYS (`<id>=<public key>`, comma-separated) when there are keys. They
 * sit in the task definition or pod template, not in the manifest: whoever can rewrite the manifest (the SSM
 * parameter, the ConfigMap) cannot also choose the keys it is checked against.
 */
export function approvalGuardEnv(approvals: ApprovalSettings | undefined): Record<string, string> {
    const a = approvals ?? { required: false, reviewerKeys: [] };
    return {
        GUARD_APPROVALS_REQUIRED: String(a.required),
        ...(a.reviewerKeys.length > 0 ? { GUARD_APPROVAL_PUBLIC_KEYS: a.reviewerKeys.map((k) => `${k.id}=${k.publicKey}`).join(",") } : {}),
    };
}

/** The fields of a server description a signature binds. */
export interface ApprovalSubject {
    name: string;
    image: string;
    user?: string;
    environment?: Record<string, string>;
    secrets?: Record<string, string>;
    egress?: string[];
    /** Tools whose arguments the guard leaves open (`allowUndeclaredArguments`): signed only when there are any. */
    allowUndeclaredArguments?: string[];
    /** The claim that carries the tenant of a multi-tenant server (`tenantClaim`): signed only when set. */
    tenantClaim?: string;
    tools: { name: string; sha256: string; scopes: string[] }[];
}

/** The runtime description a reviewer signs, in a stable shape (sorted lists; defaults filled in). */
export function runtimeDescription(s: ApprovalSubject): Record<string, unknown> {
    return {
        version: 1,
        name: s.name,
        image: s.image,
        user: s.user ?? "65532:65532",
        environment: { ...(s.environment ?? {}) },
        secrets: { ...(s.secrets ?? {}) },
        egress: [...(s.egress ?? [])].sort(),
        // Only when set, so that the digests signed before this field existed stay valid.
        ...((s.allowUndeclaredArguments ?? []).length > 0 ? { allowUndeclaredArguments: [...s.allowUndeclaredArguments!].sort() } : {}),
        ...(s.tenantClaim !== undefined ? { tenantClaim: s.tenantClaim } : {}),
        tools: [...s.tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((t) => ({ name: t.name, sha256: t.sha256, scopes: [...t.scopes].sort() })),
    };
}

/** Hex SHA-256 of the RFC 8785 (JCS) canonical JSON of a runtime description. */
export function digestOfRuntime(description: unknown): string {
    return createHash("sha256").update(canonicalize(description) ?? "", "utf8").digest("hex");
}

/** The digest a signed approval of this server must carry. */
export function runtimeDigest(s: ApprovalSubject): string {
    return digestOfRuntime(runtimeDescription(s));
}

/** The bytes that are signed: a fixed context string and the digest, so a signature means nothing elsewhere. */
export function approvalMessage(digest: string): Buffer {
    return Buffer.from(`mcpsec-approval-v1:${digest}`, "utf8");
}

/** An Ed25519 public key from its base64url raw form; throws when it is not one. */
export function reviewerPublicKey(raw: string): KeyObject {
    if (!/^[A-Za-z0-9_-]{43}$/.test(raw)) {
        throw new Error(`${JSON.stringify(raw)} is not an Ed25519 public key (43 base64url characters, the 32-byte key)`);
    }
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw }, format: "jwk" });
}

/** Signs a server's runtime description with an Ed25519 private key (PEM, PKCS#8 as `openssl genpkey -algorithm ed25519` writes). */
export function signApproval(s: ApprovalSubject, privateKeyPem: string, keyId: string, at: string): SignedApproval {
    const key = createPrivateKey(privateKeyPem);
    if (key.asymmetricKeyType !== "ed25519") {
        throw new Error(`the key is ${key.asymmetricKeyType ?? "not an asymmetric key"}; an Ed25519 private key is expected`);
    }
    const digest = runtimeDigest(s);
    const publicKey = (createPublicKey(key).export({ format: "jwk" }) as { x: string }).x;
    return { keyId, publicKey, digest, signature: sign(null, approvalMessage(digest), key).toString("base64url"), at };
}

export type ApprovalVerdict = { ok: true; keyId: string } | { ok: false; reason: string };

/** Checks a server's signed approval: present, of a reviewer key, over the current runtime digest, and valid. */
export function verifyApproval(s: ApprovalSubject, approval: SignedApproval | undefined, reviewerKeys: ReviewerKey[]): ApprovalVerdict {
    if (!approval) {
        return { ok: false, reason: "has no signed approval (sign it with `mcpsec approve`)" };
    }
    const reviewer = reviewerKeys.find((k) => k.id === approval.keyId);
    if (!reviewer) {
        return { ok: false, reason: `is signed with key ${JSON.stringify(approval.keyId)}, which is not a reviewer key in mcpsec:approvals.reviewers` };
    }
    if (reviewer.publicKey !== approval.publicKey) {
        return { ok: false, reason: `is signed with a public key that is not the reviewer key ${JSON.stringify(approval.keyId)} of mcpsec:approvals.reviewers` };
    }
    const actual = runtimeDigest(s);
    if (approval.digest !== actual) {
        return { ok: false, reason: `was approved as runtime description ${approval.digest.slice(0, 12)}..., but it is now ${actual.slice(0, 12)}... (image, user, environment, secrets, egress or tools changed): it needs a new signature` };
    }
    return signatureValid(approval.digest, reviewer.publicKey, approval.signature) ? { ok: true, keyId: reviewer.id } : { ok: false, reason: `carries a signature that does not verify with reviewer key ${JSON.stringify(reviewer.id)}` };
}

/** Whether `signature` (base64url) is an Ed25519 signature of the approval message of `digest` by `publicKey`. */
export function signatureValid(digest: string, publicKey: string, signature: string): boolean {
    try {
        return verify(null, approvalMessage(digest), reviewerPublicKey(publicKey), Buffer.from(signature, "base64url"));
    } catch {
        return false;
    }
}

/** Production environments (`prod`, `production`, `prod-*`): signed approvals are required there by default. */
export function isProductionEnvironment(environment: string): boolean {
    return /^prod(uction)?(-|$)/.test(environment);
}

export const KEY_ID = "^[A-Za-z0-9_.@:-]{1,64}$";
export const RAW_KEY = "^[A-Za-z0-9_-]{43}$";

/** JSON Schema of a signed approval in a server description. */
export const signedApprovalSchema = {
    type: "object", additionalProperties: false, required: ["keyId", "publicKey", "digest", "signature", "at"],
    properties: {
        keyId: { type: "string", pattern: KEY_ID, description: "the id of a reviewer key in mcpsec:approvals.reviewers" },
        publicKey: { type: "string", pattern: RAW_KEY, description: "the signer's Ed25519 public key, 43 base64url characters" },
        digest: { type: "string", pattern: "^[a-f0-9]{64}$", description: "64 lower-case hex digits (the runtime digest that was signed)" },
        signature: { type: "string", pattern: "^[A-Za-z0-9_-]{86}$", description: "an Ed25519 signature, 86 base64url characters" },
        at: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}(T[0-9:.]+(Z|[+-]\\d{2}:\\d{2}))?$", description: "the date of the signature (YYYY-MM-DD or ISO 8601)" },
    },
    description: "the output of `mcpsec approve`: {keyId, publicKey, digest, signature, at}",
} as const;
