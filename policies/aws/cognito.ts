import { ofType, Props, refersTo, resourceRule, stackRule } from "../lib/rule";

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
    description: "User pools must enforce threat protection (compromised-credential and adaptive-authentication checks), so risky sign-ins are blocked rather than only logged; it needs the Plus plan, which an unset userPoolTier does not give.",
    severity: "medium",
    controls: ["C3", "C1"],
    nist: ["IA-2", "SI-4", "AC-7"],
    maestro: ["L6"],
    threats: ["T4"],
    remediation: "Set userPoolTier PLUS and userPoolAddOns.advancedSecurityMode ENFORCED, as AuthorizationServer does.",
}, POOL, (props, _args, report) => {
    if (props.userPoolAddOns?.advancedSecurityMode !== "ENFORCED") {
        report(`advancedSecurityMode is ${props.userPoolAddOns?.advancedSecurityMode ?? "OFF"}.`);
    }
    // Threat protection is a Plus feature; left unset, the plan is Cognito's default (Essentials for new pools).
    if (props.userPoolTier !== "PLUS") {
        report(`userPoolTier is ${props.userPoolTier ?? "unset (Cognito's default plan, Essentials)"}; threat protection needs PLUS.`);
    }
})

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

/** The explicit auth flows Cognito gives an app client created without ExplicitAuthFlows. */
export const COGNITO_DEFAULT_AUTH_FLOWS = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"];

/** The one explicit flow a client that rotates refresh tokens may list (Cognito refuses ALLOW_REFRESH_TOKEN_AUTH there). */
export const ROTATING_CLIENT_AUTH_FLOWS = ["ALLOW_USER_SRP_AUTH"];

export const clientCodeFlowOnly = resourceRule({
    name: "aws-cognito-client-code-flow-only",
    description: "App clients must use the authorization server (allowedOauthFlowsUserPoolClient true) and no implicit flow or API sign-in: public clients (no secret) use only the authorization code flow (with PKCE, as MCP requires) and rotate refresh tokens (OAuth 2.1 and the MCP authorization spec require rotation for public clients), confidential clients code or client credentials. explicitAuthFlows holds only ALLOW_REFRESH_TOKEN_AUTH on a client without rotation, and only ALLOW_USER_SRP_AUTH on a client with rotation: Cognito refuses ALLOW_REFRESH_TOKEN_AUTH together with rotation (the client is never created and nobody can sign in). Left unset or empty, Cognito allows refresh, SRP and custom sign-in.",
    severity: "high",
    controls: ["S5", "C1"],
    nist: ["IA-2", "IA-8", "SC-23", "IA-5"],
    maestro: ["L6"],
    threats: ["T4"],
    remediation: "Use AuthorizationServer's clients: allowedOauthFlowsUserPoolClient true; people: code flow only, refreshTokenRotation ENABLED, explicitAuthFlows [ALLOW_USER_SRP_AUTH]; agents: client credentials, explicitAuthFlows [ALLOW_REFRESH_TOKEN_AUTH]; never implicit, password or custom sign-in.",
}, CLIENT, (props, _args, report) => {
    const flows = (props.allowedOauthFlows ?? []) as string[];
    const isPublic = props.generateSecret !== true;
    if (props.allowedOauthFlowsUserPoolClient !== true) {
        report(`allowedOauthFlowsUserPoolClient is ${props.allowedOauthFlowsUserPoolClient ?? "unset (false)"}: the client cannot use the authorization server, only the user pool API's sign-in flows.`);
    }
    if (flows.includes("implicit")) {
        report("allowedOauthFlows includes implicit: tokens in URL fragments, no PKCE.");
    }
    if (isPublic && flows.some((f) => f !== "code")) {
        report(`a public client (no secret) allows ${flows.filter((f) => f !== "code").join(", ")}; only code is safe without a secret.`);
    }
    const rotating = props.refreshTokenRotation?.feature === "ENABLED";
    if (isPublic && flows.includes("code") && !rotating) {
        report(`a public code-flow client does not rotate refresh tokens (refreshTokenRotation.feature is ${props.refreshTokenRotation?.feature ?? "unset"}): a stolen refresh token stays usable until it expires; OAuth 2.1 and the MCP authorization spec require rotation for public clients.`);
    }
    // Left unset (or empty, which the provider does not send), Cognito gives a client its default flows.
    const listed = Array.isArray(props.explicitAuthFlows) && props.explicitAuthFlows.length > 0;
    const auth = (listed ? props.explicitAuthFlows : COGNITO_DEFAULT_AUTH_FLOWS) as string[];
    const how = listed ? "allows" : `is ${props.explicitAuthFlows ? "empty" : "unset"}, so Cognito allows`;
    if (rotating && auth.includes("ALLOW_REFRESH_TOKEN_AUTH")) {
        report(`refreshTokenRotation is ENABLED and explicitAuthFlows ${how} ALLOW_REFRESH_TOKEN_AUTH: Cognito refuses that combination ("not a permitted ExplicitAuthFlow when refresh token rotation is enabled"), so the client, and the managed login branding that depends on it, are never created and nobody can sign in. List ${ROTATING_CLIENT_AUTH_FLOWS.join(", ")} only; refresh goes through the token endpoint.`);
    }
    const permitted = rotating ? ROTATING_CLIENT_AUTH_FLOWS : ["ALLOW_REFRESH_TOKEN_AUTH"];
    const signIn = auth.filter((f) => f !== "ALLOW_REFRESH_TOKEN_AUTH" && !permitted.includes(f));
    if (signIn.length > 0) {
        report(`explicitAuthFlows ${how} ${signIn.join(", ")}: sign-in through the user pool API, outside the authorization code flow (passwords sent to the client, custom challenges${rotating ? "" : ", SRP on a client that does not need it"}).`);
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
    // Unset is compliant: Cognito turns revocation on for every client it creates without the parameter.
    if (props.enableTokenRevocation === false) {
        report("enableTokenRevocation is false.");
    }
    if (props.preventUserExistenceErrors !== "ENABLED") {
        report(`preventUserExistenceErrors is ${props.preventUserExistenceErrors ?? "LEGACY (the default)"}.`);
    }
});

export const poolAdminCreateOnly = resourceRule({
    name: "aws-cognito-user-pool-admin-create-only",
    description: "User pools must not let anyone sign themselves up: only administrators create the people who may get tokens for MCP servers. Left unset, allowAdminCreateUserOnly is false and self sign-up is open.",
    severity: "high",
    controls: ["S5", "C3"],
    nist: ["AC-2", "IA-5"],
    maestro: ["L6"],
    threats: ["T4"],
    remediation: "Set adminCreateUserConfig.allowAdminCreateUserOnly true, as AuthorizationServer does.",
}, POOL, (props, _args, report) => {
    if (props.adminCreateUserConfig?.allowAdminCreateUserOnly !== true) {
        report(`allowAdminCreateUserOnly is ${props.adminCreateUserConfig?.allowAdminCreateUserOnly ?? "unset (false)"}: anyone who reaches the domain can sign up.`);
    }
});

const usesCode = (client: Props) => client.allowedOauthFlowsUserPoolClient === true && ((client.allowedOauthFlows ?? []) as string[]).includes("code");

export const managedLoginBranded = stackRule({
    name: "aws-cognito-managed-login-branding",
    description: "When a user pool domain serves managed login (managedLoginVersion 2), every app client that signs people in with the authorization code flow must have a managed login branding style, or managed login has no sign-in pages for it and people cannot sign in to MCP servers.",
    severity: "medium",
    controls: ["S5"],
    nist: ["IA-2", "CP-10"],
    maestro: ["L6"],
    threats: ["T5"],
    remediation: "Use AuthorizationServer (it assigns Cognito's default style to the people client), add an aws.cognito.ManagedLoginBranding with useCognitoProvidedValues for the client, or set managedLoginVersion 1 (classic hosted UI).",
}, (resources, _args, report) => {
    const brandings = ofType(resources, "aws:cognito/managedLoginBranding:ManagedLoginBranding");
    const clients = ofType(resources, CLIENT[0]).filter((c) => usesCode(c.props));
    for (const domain of ofType(resources, "aws:cognito/userPoolDomain:UserPoolDomain").filter((d) => Number(d.props.managedLoginVersion) === 2)) {
        const pool = ofType(resources, POOL[0]).find((p) => refersTo(domain, "userPoolId", p));
        const own = clients.filter((c) => pool ? refersTo(c, "userPoolId", pool) : c.props.userPoolId === domain.props.userPoolId);
        for (const client of own.filter((c) => !brandings.some((b) => refersTo(b, "clientId", c)))) {
            report(`App client ${client.name} uses the code flow on a managed login (version 2) domain but has no branding style: its sign-in pages do not exist.`, client.urn);
        }
    }
});

const FUNCTION = "aws:lambda/function:Function";
const PERMISSION = "aws:lambda/permission:Permission";

export const poolScopesPerPerson = stackRule({
    name: "aws-cognito-people-scopes-per-group",
    description: "A user pool whose code-flow clients may request MCP scopes (custom scopes) must customize access tokens with a pre-token-generation trigger of event version V2_0 or V3_0 (the Lambda that keeps only the scopes of a person's groups), on the Essentials or Plus plan. The trigger must be a Lambda function of the same stack (so its code is reviewed with it; the pack cannot judge a function it cannot see) that this pool, and only this pool, may invoke (a lambda:InvokeFunction permission for cognito-idp.amazonaws.com whose sourceArn is the pool). Without it, every person who can sign in gets every scope the client allows, on every server.",
    severity: "high",
    controls: ["S5", "C3"],
    nist: ["AC-6", "AC-3"],
    maestro: ["L6", "L7"],
    threats: ["T4"],
    remediation: "Use AuthorizationServer (a group per server and scope, its V2_0 scope trigger and the Lambda permission for the pool), or give each client only the scopes every person of the pool may have.",
}, (resources, _args, report) => {
    const clients = ofType(resources, CLIENT[0]).filter((c) => usesCode(c.props) && ((c.props.allowedOauthScopes ?? []) as string[]).some((s) => s.includes("/")));
    for (const pool of ofType(resources, POOL[0])) {
        const own = clients.filter((c) => refersTo(c, "userPoolId", pool));
        if (own.length === 0) {
            continue;
        }
        const trigger = pool.props.lambdaConfig?.preTokenGenerationConfig as Props | undefined;
        if (!trigger?.lambdaArn || !["V2_0", "V3_0"].includes(String(trigger.lambdaVersion))) {
            report(`User pool ${pool.name} lets ${own.map((c) => c.name).join(", ")} request MCP scopes but customizes no access token (pre-token generation ${trigger?.lambdaVersion ?? "unset"}; V2_0 or V3_0 is needed): every person gets every scope.`, pool.urn);
            continue;
        }
        if (pool.props.userPoolTier === "LITE") {
            report(`User pool ${pool.name} is on the Lite plan, where access-token customization is not available.`, pool.urn);
        }
        const fn = ofType(resources, FUNCTION).find((f) => f.props.arn === trigger.lambdaArn || ((pool.propertyDependencies.lambdaConfig ?? []).some((d) => d.urn === f.urn)));
        if (!fn) {
            report(`User pool ${pool.name}'s pre-token-generation trigger ${String(trigger.lambdaArn)} is not a Lambda function of this stack: what it does to scopes cannot be reviewed or judged here.`, pool.urn);
            continue;
        }
        const invocable = ofType(resources, PERMISSION).some((p) =>
            refersTo(p, "function", fn, ["name"]) && p.props.action === "lambda:InvokeFunction" && p.props.principal === "cognito-idp.amazonaws.com" && refersTo(p, "sourceArn", pool));
        if (!invocable) {
            report(`User pool ${pool.name}'s trigger ${fn.name} has no lambda:InvokeFunction permission for cognito-idp.amazonaws.com with sourceArn the pool: Cognito cannot call it (sign-in fails) or, with a broader permission, any pool could.`, pool.urn);
        }
    }
});

/** The resource server a custom scope belongs to: everything before its last '/' (scope names cannot contain '/'). */
const resourceServerOf = (scope: string) => scope.slice(0, scope.lastIndexOf("/"));

export const clientCredentialsOneServer = resourceRule({
    name: "aws-cognito-client-credentials-one-server",
    description: "A client-credentials app client (an agent) must hold the scopes of one MCP server only: every custom scope it allows starts with the same resource server identifier (the server's URL). An agent client holding several servers' scopes gets tokens good on all of them, so one leaked client secret opens every server.",
    severity: "high",
    controls: ["S5", "C3"],
    nist: ["AC-6", "IA-4"],
    maestro: ["L6", "L7"],
    threats: ["T4"],
    remediation: "Declare one agent entry per server in mcpsec:identity.agents (AuthorizationServer creates a client per agent and server), each with only the scopes it needs.",
}, CLIENT, (props, _args, report) => {
    if (!((props.allowedOauthFlows ?? []) as string[]).includes("client_credentials")) {
        return;
    }
    const servers = [...new Set(((props.allowedOauthScopes ?? []) as string[]).filter((s) => s.includes("/")).map(resourceServerOf))];
    if (servers.length > 1) {
        report(`the client-credentials client holds scopes of ${servers.length} resource servers (${servers.join(", ")}); an agent client must be limited to one server.`);
    }
});

export const cognitoRules = [poolMfaRequired, poolThreatProtection, poolPasswordPolicy, poolDeletionProtection, poolAdminCreateOnly, clientTokenLifetime, clientCodeFlowOnly, clientRevocation, managedLoginBranded, poolScopesPerPerson, clientCredentialsOneServer];
