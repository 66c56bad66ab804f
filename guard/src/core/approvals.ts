import { ApprovalSettings, digestOfRuntime, SignedApproval, signatureValid } from "../../../components/mcp/approval";

/** A signed approval as the approved manifest carries it: the signature and the runtime description it covers. */
export interface ManifestApproval extends SignedApproval {
    runtime: { name?: string; image?: string; egress?: string[]; tools?: { name: string; sha256: string; scopes: string[] }[] };
}

const sameList = (a: string[] = [], b: string[] = []) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

/**
 * Accepts a manifest only if its signed approval verifies: the runtime description hashes to the signed digest, the
 * manifest's server and tools are the ones described, and the Ed25519 signature is valid. With `trust` (what the
 * deploy hands the guard: the reviewers' keys of `mcpsec:approvals`, and whether approvals are required), the signer
 * must be one of those keys (the key the manifest itself carries proves nothing: anyone who can write the manifest
 * can sign it with a key of their own), and an unsigned manifest is refused when approvals are required. Without
 * `trust` only the manifest's own consistency is checked. Throws an Error saying what failed; the caller fails
 * closed. Pure.
 */
export function checkManifestApproval(m: { server: { name: string; image?: string; egress?: string[] }; tools: { name: string; sha256: string; scopes: string[] }[]; approval?: ManifestApproval }, trust?: ApprovalSettings): void {
    const a = m.approval;
    if (!a) {
        if (trust?.required) {
            throw new Error("the tools manifest carries no signed approval, and approvals are required for this stack (GUARD_APPROVALS_REQUIRED): sign the server with `mcpsec approve`");
        }
        return;
    }
    if (!a.runtime || typeof a.runtime !== "object" || digestOfRuntime(a.runtime) !== a.digest) {
        throw new Error("the tools manifest's signed runtime description does not hash to its approved digest");
    }
    const r = a.runtime;
    const tools = r.tools ?? [];
    const described = (t: { name: string; sha256: string; scopes: string[] }) => tools.some((d) => d.name === t.name && d.sha256 === t.sha256 && sameList(d.scopes, t.scopes));
    if (r.name !== m.server.name || (m.server.image !== undefined && r.image !== m.server.image) || !sameList(r.egress, m.server.egress) || tools.length !== m.tools.length || !m.tools.every(described)) {
        throw new Error("the tools manifest's server or tools are not the ones its signed approval describes");
    }
    if (trust !== undefined && !trust.reviewerKeys.some((k) => k.id === a.keyId && k.publicKey === a.publicKey)) {
        const known = trust.reviewerKeys.map((k) => k.id);
        throw new Error(`the tools manifest is signed with key ${JSON.stringify(a.keyId)}, which is not a reviewer key the guard trusts (GUARD_APPROVAL_PUBLIC_KEYS: ${known.length > 0 ? known.map((k) => JSON.stringify(k)).join(", ") : "none"})`);
    }
    if (!signatureValid(a.digest, a.publicKey, a.signature)) {
        throw new Error(`the tools manifest's approval signature does not verify with key ${JSON.stringify(a.keyId)}`);
    }
}
