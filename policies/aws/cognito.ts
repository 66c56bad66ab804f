import { Props, resourceRule } from "../lib/rule";

const POOL = ["aws:cognito/userPool:UserPool"];
const CLIENT = ["aws:cognito/userPoolClient:UserPoolClient"];
const MINUTES: Record<string, number> = { seconds: 1 / 60, minutes: 1, hours: 60, days: 1440 };

/** Access token lifetime of a client in minutes (Cognito's defaults: unit hours, 60 minutes when unset). */
export function accessTokenMinutes(props: Props): number {
    if (props.accessTokenValidity === undefined || props.accessTokenValidity === null) {
        return 60;
    }
    const unit = String(props.tokenValidityUnits?.accessToken ?? "hours");
    return Number(props.accessTokenValidity) * (MINUTES[unit] ?? 60);
}

export const poolMfaRequired = resourceRule({
    name: "aws-cognito-user-pool-mfa-required",
    description: "User pools that issue tokens for MCP servers must require MFA for every person (TOTP or WebAuthn). A stolen password alone must not yield a token for tools.",
    severity: "high",
    controls: ["C3", "S5", "H2"],
    nist: ["IA-2(1)", "IA-2(2)"],
    maestro: ["L6"],
    threats: ["T4"],
    remediation: "Use the AuthorizationServer component (components/identity), which sets mfaConfiguration ON with TOTP.",
}, POOL, (props, _args, report) => {
    if (props.mfaConfiguration !== "ON") {
        report(`mfaConfiguration is ${props.mfaConfiguration ?? "OFF (the default)"}.`);
    } else if (props.softwareTokenMfaConfiguration?.enabled !== true && !props.webAuthnConfiguration) {
        report("MFA is on but neither TOTP nor WebAuthn is enabled (SMS alone is phishable).");
    }
});

export const poolThreatProtection = resourceRule({
    name: "aws-cognito-user-pool-threat-protection",
    description: "User pools must enforce threat protection (compromised-credential and adaptive-authentication checks), so risky sign-ins are blocked rather than only logged.",
    severity: "medium",
    controls: ["C3", "C1"],
    nist: ["IA-2", "SI-4", "AC-7"],
    maestro: ["L6"],
    threats: ["T4"],
    remediation: "Set userPoolAddOns.advancedSecurityMode to ENFORCED (Plus tier), as AuthorizationServer does.",
}, POOL, (props, _args, report) => {
    if (props.userPoolAddOns?.advancedSecurityMode !== "ENFORCED") {
        report(`advancedSecurityMode is ${props.userPoolAddOns?.advancedSecurityMode ?? "OFF"}.`);
    }
});

export const poolPasswordPolicy = resourceRule({
    name: "aws-cognito-user-pool-password-policy",
    description: "User pool passwords must be at least the minimum length (14 unless the pack config sets minimumLength) and use all four character classes; temporary passwords must expire within 7 days.",
    severity: "medium",
    controls: ["S5", "H2"],
    nist: ["IA-5(1)"],
    maestro: ["L6"],
    threats: ["T4"],
    remediation: "Use AuthorizationServer (minimumPasswordLength, default 14), or set passwordPolicy accordingly.",
    configSchema: { properties: { minimumLength: { type: "integer", minimum: 8, maximum: 99, default: 14 } } },
}, POOL, (props, args, report) => {
    const min = args.getConfig<{ minimumLength?: number }>().minimumLength ?? 14;
    const p = (props.passwordPolicy ?? {}) as Props;
    const length = Number(p.minimumLength ?? 8);
    if (length < min) {
        report(`minimumLength is ${length}; at least ${min} is required.`);
    }
    // Without a passwordPolicy Cognito requires all four classes; with one, a class left out is not required.
    const missing = props.passwordPolicy ? ["requireLowercase", "requireUppercase", "requireNumbers", "requireSymbols"].filter((k) => p[k] !== true) : [];
    if (missing.length > 0) {
        report(`character classes not required: ${missing.join(", ")}.`);
    }
    if (Number(p.temporaryPasswordValidityDays ?? 7) > 7) {
        report(`temporary passwords live ${p.temporaryPasswordValidityDays} days.`);
    }
});

export const poolDeletionProtection = resourceRule({
    name: "aws-cognito-user-pool-deletion-protection",
    description: "User pools must have deletion protection: deleting one signs every person and agent out of every MCP server at once.",
    severity: "low",
    controls: ["S5"],
    nist: ["CP-10", "CM-3"],
    maestro: ["L6"],
    threats: ["T5"],
    remediation: "Leave AuthorizationServer's allowDeletion unset (deletionProtection ACTIVE).",
}, POOL, (props, _args, report) => {
    if (props.deletionProtection !== "ACTIVE") {
        report(`deletionProtection is ${props.deletionProtection ?? "INACTIVE (the default)"}.`);
    }
});

export const clientTokenLifetime = resourceRule({
    name: "aws-cognito-client-access-token-lifetime",
    description: "App clients must issue short-lived access tokens: at most the bound (60 minutes unless the pack config sets maxAccessTokenMinutes; the blueprint issues 15). A leaked token is then useful for minutes, not hours.",
    severity: "high",
    controls: ["S5", "C2"],
    nist: ["IA-5", "AC-12", "SC-23"],
    maestro: ["L6"],
    threats: ["T4"],
    remediation: "Set mcpsec:identity.accessTokenMinutes (5-60, default 15); AuthorizationServer sets accessTokenValidity in minutes.",
    configSchema: { properties: { maxAccessTokenMinutes: { type: "integer", minimum: 5, maximum: 1440, default: 60 } } },
}, CLIENT, (props, args, report) => {
    const max = args.getConfig<{ maxAccessTokenMinutes?: number }>().maxAccessTokenMinutes ?? 60;
    const minutes = accessTokenMinutes(props);
    if (minutes > max) {
        report(`access tokens live ${minutes} minutes; the bound is ${max}.`);
    }
});

export const clientCodeFlowOnly = resourceRule({
    name: "aws-cognito-client-code-flow-only",
    description: "App clients must not use the implicit flow or password sign-in: public clients (no secret) use only the authorization code flow (with PKCE, as MCP requires), confidential clients code or client credentials.",
    severity: "high",
    controls: ["S5", "C1"],
    nist: ["IA-2", "IA-8", "SC-23"],
    maestro: ["L6"],
    threats: ["T4"],
    remediation: "Use AuthorizationServer's clients: people get code flow only, agents client credentials; never allowedOauthFlows implicit or ALLOW_USER_PASSWORD_AUTH.",
}, CLIENT, (props, _args, report) => {
    const flows = (props.allowedOauthFlows ?? []) as string[];
    if (flows.includes("implicit")) {
        report("allowedOauthFlows includes implicit: tokens in URL fragments, no PKCE.");
    }
    if (props.generateSecret !== true && flows.some((f) => f !== "code")) {
        report(`a public client (no secret) allows ${flows.filter((f) => f !== "code").join(", ")}; only code is safe without a secret.`);
    }
    const auth = (props.explicitAuthFlows ?? []) as string[];
    const password = auth.filter((f) => /USER_PASSWORD_AUTH|ADMIN_USER_PASSWORD_AUTH|ADMIN_NO_SRP_AUTH|CUSTOM_AUTH_FLOW_ONLY/.test(f));
    if (password.length > 0) {
        report(`explicitAuthFlows allows ${password.join(", ")} (passwords sent to the client, MFA-less paths).`);
    }
});

export const clientRevocation = resourceRule({
    name: "aws-cognito-client-revocation-and-privacy",
    description: "App clients must allow token revocation and must not reveal whether a user exists, so a compromised session can be cut off and accounts cannot be enumerated.",
    severity: "medium",
    controls: ["S5", "C3"],
    nist: ["AC-12", "IA-6"],
    maestro: ["L6"],
    threats: ["T4"],
    remediation: "Set enableTokenRevocation: true and preventUserExistenceErrors: ENABLED, as AuthorizationServer does.",
}, CLIENT, (props, _args, report) => {
    if (props.enableTokenRevocation === false) {
        report("enableTokenRevocation is false.");
    }
    if (props.preventUserExistenceErrors !== "ENABLED") {
        report(`preventUserExistenceErrors is ${props.preventUserExistenceErrors ?? "LEGACY (the default)"}.`);
    }
});

export const cognitoRules = [poolMfaRequired, poolThreatProtection, poolPasswordPolicy, poolDeletionProtection, clientTokenLifetime, clientCodeFlowOnly, clientRevocation];
