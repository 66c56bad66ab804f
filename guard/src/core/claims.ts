/** The caller as the guard verified it: what the upstream receives in the guard's identity headers. */
export interface Identity {
    subject: string;
    clientId: string;
    /** Scopes of this server the token carries, without the `<resource>/` prefix (`tickets:read`). */
    scopes: string[];
    tenant?: string;
}

export interface ClaimRules {
    resource: string;
    clientIds: string[];
    tokenUse: string | undefined;
    tenantClaim: string | undefined;
}

export type ClaimVerdict = { ok: true; identity: Identity } | { ok: false; reason: string; detail: string };

function scopesOf(payload: Record<string, unknown>): string[] {
    if (typeof payload.scope === "string") {
        return payload.scope.split(" ").filter((s) => s.length > 0);
    }
    if (Array.isArray(payload.scp) && payload.scp.every((s) => typeof s === "string")) {
        return payload.scp as string[];
    }
    return [];
}

/**
 * Checks the claims of a token whose signature, issuer, algorithm and times were verified: `token_use`, the client,
 * the audience when present, and that it carries scopes of this server (`<resource>/<scope>`, as the identity block
 * issues them). Pure.
 */
export function checkClaims(payload: Record<string, unknown>, rules: ClaimRules): ClaimVerdict {
    if (typeof payload.sub !== "string" || payload.sub.length === 0 || payload.sub.length > 256) {
        return { ok: false, reason: "no_subject", detail: "the token has no subject" };
    }
    if (rules.tokenUse !== undefined && payload.token_use !== rules.tokenUse) {
        return { ok: false, reason: "wrong_token_use", detail: `the token is not an ${rules.tokenUse} token` };
    }
    const clientId = typeof payload.client_id === "string" ? payload.client_id : typeof payload.azp === "string" ? payload.azp : undefined;
    if (clientId === undefined || !rules.clientIds.includes(clientId)) {
        return { ok: false, reason: "client_not_allowed", detail: "the token was issued to a client that may not call this server" };
    }
    if (payload.aud !== undefined) {
        const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
        if (!aud.includes(rules.resource)) {
            return { ok: false, reason: "wrong_audience", detail: "the token was issued for another resource" };
        }
    }
    const prefix = `${rules.resource}/`;
    const scopes = scopesOf(payload).filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length)).filter((s) => s.length > 0);
    if (scopes.length === 0) {
        return { ok: false, reason: "not_for_this_server", detail: "the token carries no scope of this server" };
    }
    const identity: Identity = { subject: payload.sub, clientId, scopes };
    if (rules.tenantClaim !== undefined) {
        const tenant = payload[rules.tenantClaim];
        if (typeof tenant !== "string" || !/^[A-Za-z0-9_.:-]{1,128}$/.test(tenant)) {
            return { ok: false, reason: "no_tenant", detail: `the token has no valid ${rules.tenantClaim} claim` };
        }
        identity.tenant = tenant;
    }
    return { ok: true, identity };
}
