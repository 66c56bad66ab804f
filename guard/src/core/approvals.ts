import { digestOfRuntime, ReviewerKey, SignedApproval, signatureValid } from "../../../components/mcp/approval";

/** A signed approval as the approved manifest carries it: the signature and the runtime description it covers. */
export interface ManifestApproval extends SignedApproval {
    runtime: { name?: string; image?: string; egress?: string[]; tools?: { name: string; sha256: string; scopes: string[] }[] };
}

const sameList = (a: string[] = [], b: string[] = []) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

/**
 * Accepts a manifest only if its signed approval verifies: the runtime description hashes to the signed digest, the
 * manifest's server and tools are the ones described, and the Ed25519 signature is valid (by a trusted reviewer key
 * when the guard is given any). With trusted keys, an unsigned manifest is refused; without, it is accepted (a stack
 * where approvals are not required). Throws an Error saying what failed; the caller fails closed. Pure.
 */
export function checkManifestApproval(m: { server: { name: string; image?: string; egress?: string[] }; tools: { name: string; sha256: string; scopes: string[] }[]; approval?: ManifestApproval }, trustedKeys: ReviewerKey[] = []): void {
    const a = m.approval;
    if (!a) {
        if (trustedKeys.length > 0) {
            throw new Error("the tools manifest carries no signed approval, and the guard trusts reviewer keys: sign the server with `mcpsec approve`");
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
    if (trustedKeys.length > 0 && !trustedKeys.some((k) => k.id === a.keyId && k.publicKey === a.publicKey)) {
        throw new Error(`the tools manifest is signed with key ${JSON.stringify(a.keyId)}, which the guard does not trust`);
    }
    if (!signatureValid(a.digest, a.publicKey, a.signature)) {
        throw new Error(`the tools manifest's approval signature does not verify with key ${JSON.stringify(a.keyId)}`);
    }
}
