import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ConfigError } from "../common/errors";
import { hardenedFunction } from "../common/lambda";
import { componentTags } from "../common/tags";
import { protectedResourceMetadata } from "./protectedResource";

/** One MCP server as an OAuth protected resource. */
export interface ProtectedResource {
    /** Server name. */
    name: string;
    /** The server's URL: the resource server identifier and the RFC 8707 `resource` (token audience). */
    url: string;
    /** Scopes the server's tools require (from the tools manifest). */
    scopes: string[];
}

/** An agent (machine client) allowed to call one server with some of its scopes. */
export interface AgentClient {
    name: string;
    server: string;
    /** Scopes of that server the agent may request: at least one, named explicitly (there is no "all" default). */
    scopes: string[];
}

export interface AuthorizationServerArgs {
    resources: ProtectedResource[];
    /** Redirect URIs of the MCP clients people use (authorization code flow). At least one, HTTPS or loopback. */
    callbackUrls: string[];
    agents?: AgentClient[];
    /** KMS key (ARN) that encrypts the scope trigger's log group (the zone key in the patterns). */
    logKmsKeyArn: pulumi.Input<string>;
    /** Days the scope trigger's log group keeps records. Default 365. */
    logRetentionDays?: number;
    /** Access token lifetime in minutes, 5-60. Default 15. */
    accessTokenMinutes?: number;
    /** Refresh token lifetime in hours, 1-720. Default 12. Refresh tokens rotate on use (each is good for one refresh). */
    refreshTokenHours?: number;
    /** Minimum password length, 14-99. Default 14. */
    minimumPasswordLength?: number;
    /** Opt-out for throw-away stacks: allow deleting the user pool. Default false. */
    allowDeletion?: boolean;
    tags?: Record<string, string>;
}

/**
 * The explicit auth flows of the people client, which rotates refresh tokens: Cognito refuses ALLOW_REFRESH_TOKEN_AUTH
 * there, and an unset list would give Cognito's default (refresh, SRP and custom sign-in). SRP only.
 */
export const PEOPLE_AUTH_FLOWS = ["ALLOW_USER_SRP_AUTH"] as const;

/** The most a blueprint access token may live (minutes); the identity policy checks the same bound. */
export const MAX_ACCESS_TOKEN_MINUTES = 60;

/** Validates and fills in the arguments; throws a ConfigError naming the argument. Pure. */
export function resolveAuthorizationServerArgs(name: string, args: AuthorizationServerArgs) {
    const key = (k: string) => `AuthorizationServer "${name}".${k}`;
    const accessTokenMinutes = args.accessTokenMinutes ?? 15;
    if (!Number.isInteger(accessTokenMinutes) || accessTokenMinutes < 5 || accessTokenMinutes > MAX_ACCESS_TOKEN_MINUTES) {
        throw new ConfigError(key("accessTokenMinutes"), `${accessTokenMinutes} is not allowed; expected 5 to ${MAX_ACCESS_TOKEN_MINUTES} minutes (short-lived tokens)`);
    }
    const refreshTokenHours = args.refreshTokenHours ?? 12;
    if (!Number.isInteger(refreshTokenHours) || refreshTokenHours < 1 || refreshTokenHours > 720) {
        throw new ConfigError(key("refreshTokenHours"), `${refreshTokenHours} is not allowed; expected 1 to 720 hours`);
    }
    const minimumPasswordLength = args.minimumPasswordLength ?? 14;
    if (!Number.isInteger(minimumPasswordLength) || minimumPasswordLength < 14 || minimumPasswordLength > 99) {
        throw new ConfigError(key("minimumPasswordLength"), `${minimumPasswordLength} is not allowed; expected 14 to 99`);
    }
    if (args.callbackUrls.length === 0) {
        throw new ConfigError(key("callbackUrls"), "[] is not allowed; expected 1 or more redirect URIs of MCP clients");
    }
    args.callbackUrls.forEach((u, i) => {
        if (!/^https:\/\/[^\s#]+$/.test(u) && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/[^\s#]*)?$/.test(u)) {
            throw new ConfigError(key(`callbackUrls[${i}]`), `${JSON.stringify(u)} is not allowed; expected an https URI, or http on a loopback address (no fragment)`);
        }
    });
    const servers = new Map(args.resources.map((r) => [r.name, r]));
    (args.agents ?? []).forEach((a, i) => {
        const server = servers.get(a.server);
        if (!server) {
            throw new ConfigError(key(`agents[${i}].server`), `${JSON.stringify(a.server)} is not allowed; expected one of the servers: ${[...servers.keys()].join(", ")}`);
        }
        if (!Array.isArray(a.scopes) || a.scopes.length === 0) {
            throw new ConfigError(key(`agents[${i}].scopes`), `${JSON.stringify(a.scopes)} is not allowed; name the scopes of server ${a.server} the agent may request (${server.scopes.join(", ")})`);
        }
        const unknown = a.scopes.filter((s) => !server.scopes.includes(s));
        if (unknown.length > 0) {
            throw new ConfigError(key(`agents[${i}].scopes`), `${JSON.stringify(unknown)} is not allowed; server ${a.server} offers ${server.scopes.join(", ")}`);
        }
        if (!/^[a-z][a-z0-9-]{0,30}$/.test(a.name)) {
            throw new ConfigError(key(`agents[${i}].name`), `${JSON.stringify(a.name)} is not allowed; expected lower-case letters, digits and '-'`);
        }
    });
    const groups = scopeGroups(args.resources);
    const seen = new Map<string, string>();
    for (const g of groups) {
        if (g.groupName.length > 128) {
            throw new ConfigError(key("resources"), `the group for scope ${JSON.stringify(g.scope)} of server ${g.server} would be named ${JSON.stringify(g.groupName)} (${g.groupName.length} characters); Cognito group names have at most 128: shorten the scope`);
        }
        const other = seen.get(g.resourceSuffix);
        if (other !== undefined) {
            throw new ConfigError(key("resources"), `the scopes ${JSON.stringify(other)} and ${JSON.stringify(g.groupName)} differ only in punctuation; rename one`);
        }
        seen.set(g.resourceSuffix, g.groupName);
    }
    return { accessTokenMinutes, refreshTokenHours, minimumPasswordLength, groups };
}

/** One Cognito group per server and scope: membership grants that one scope of that one server. */
export interface ScopeGroup {
    server: string;
    scope: string;
    /** `<server>/<scope>`, e.g. `tickets/tickets:write`. */
    groupName: string;
    /** The scope as it appears in an access token: `<server URL>/<scope>`. */
    fullScope: string;
    /** Safe for a Pulumi resource name. */
    resourceSuffix: string;
}

/** The groups that grant people scopes, one per server and scope. Pure. */
export function scopeGroups(resources: ProtectedResource[]): ScopeGroup[] {
    return resources.flatMap((r) => [...new Set(r.scopes)].map((scope) => ({
        server: r.name,
        scope,
        groupName: `${r.name}/${scope}`,
        fullScope: `${r.url}/${scope}`,
        resourceSuffix: `${r.name}-${scope.replace(/[^A-Za-z0-9_-]/g, "-")}`,
    })));
}

/**
 * Source of the pre-token-generation trigger (event version V2_0, Node.js 22, no dependencies). Cognito calls it
 * before it issues tokens to a person (sign-in and refresh); it removes from the access token every custom scope
 * (`<resource server>/<scope>`) that none of the person's groups grants, so a person gets only the scopes of the
 * groups they belong to, whatever the client asked for. Standard scopes (openid, email) pass. `GRANTS` is
 * replaced by the group -> scopes map at deploy time.
 */
export const SCOPE_TRIGGER_HANDLER = `
const GRANTS = __GRANTS__;

export const handler = async (event) => {
    const groups = event.request?.groupConfiguration?.groupsToOverride ?? [];
    const granted = new Set(groups.flatMap((g) => GRANTS[g] ?? []));
    const requested = event.request?.scopes ?? [];
    // Custom scopes always contain '/' (resource server identifier + '/' + scope name): deny those not granted.
    const suppressed = requested.filter((s) => s.includes("/") && !granted.has(s));
    event.response = { claimsAndScopeOverrideDetails: { accessTokenGeneration: { scopesToSuppress: suppressed } } };
    console.log(JSON.stringify({
        event: "mcp_scopes_filtered", triggerSource: event.triggerSource, userName: event.userName,
        clientId: event.callerContext?.clientId, groups, suppressed,
        kept: requested.filter((s) => !suppressed.includes(s)),
    }));
    return event;
};
`;

/** The trigger's source with its group -> scopes map filled in. */
export function scopeTriggerSource(groups: ScopeGroup[]): string {
    const grants: Record<string, string[]> = {};
    for (const g of groups) {
        (grants[g.groupName] ??= []).push(g.fullScope);
    }
    return SCOPE_TRIGGER_HANDLER.replace("__GRANTS__", () => JSON.stringify(grants));
}

/**
 * The OAuth 2.1 authorization server of the MCP servers (controls S5, C1, C3), on Amazon Cognito: a user pool with
 * MFA required (TOTP), threat protection enforced (Plus plan), a strong password policy, admin-created users only,
 * no user-existence leaks and deletion protection; a resource server per MCP server whose identifier is the server's
 * URL, with a scope per tool scope; managed login (version 2) with Cognito's default branding style on the people
 * client; a public client for people (authorization code flow only, no secret) whose access tokens carry only the
 * scopes of the groups the person belongs to (a group per server and scope, enforced by a pre-token-generation
 * trigger); a confidential client per agent (client credentials, scoped to one server and the scopes named); short
 * access tokens, refresh tokens rotated on use (the people client lists only SRP as explicit flow: Cognito refuses
 * ALLOW_REFRESH_TOKEN_AUTH with rotation), revocation on; and each server's RFC 9728 protected resource metadata.
 *
 * Cognito does not offer DPoP (sender-constrained tokens), and cannot be told to require PKCE from a public
 * client: MCP clients must send it (the MCP authorization spec requires it). Both are partial in the control map.
 */
export class AuthorizationServer extends pulumi.ComponentResource {
    public readonly userPoolId: pulumi.Output<string>;
    /** The user pool's ARN (an API Gateway Cognito authorizer names it). */
    public readonly userPoolArn: pulumi.Output<string>;
    public readonly issuer: pulumi.Output<string>;
    public readonly domain: pulumi.Output<string>;
    public readonly peopleClientId: pulumi.Output<string>;
    /** Agent name -> client id. Client secrets stay in Cognito (read them with the console or API). */
    public readonly agentClientIds: Record<string, pulumi.Output<string>>;
    /** Agent name/server -> client secret (a Pulumi secret), for a component that holds the agent's credentials itself (components/agentcore). */
    public readonly agentClientSecrets: Record<string, pulumi.Output<string>>;
    /** Server name -> RFC 9728 metadata document (JSON). */
    public readonly metadataDocuments: Record<string, pulumi.Output<string>>;
    /** Group name -> the access-token scope membership grants (add people to these groups to give them scopes). */
    public readonly scopeGroups: Record<string, string>;
    /** ARN of the pre-token-generation Lambda that removes scopes a person's groups do not grant. */
    public readonly scopeTriggerArn: pulumi.Output<string>;

    constructor(name: string, args: AuthorizationServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const cfg = resolveAuthorizationServerArgs(name, args);
        super("mcpsec:identity:AuthorizationServer", name, {}, opts);
        const parent = { parent: this };
        const tags = componentTags("identity", name, args.tags);
        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const trigger = this.scopeTrigger(name, cfg.groups, args, tags);
        this.scopeTriggerArn = trigger.arn;

        const pool = new aws.cognito.UserPool(`${name}-users`, {
            // Plus: threat protection (ENFORCED) needs it; access-token customization (trigger V2_0) needs Essentials or Plus.
            userPoolTier: "PLUS",
            // V2_0 customizes access tokens issued to people; client-credentials tokens (V3_0) are already bounded by
            // each agent client's allowedOauthScopes, so the trigger stays out of the machine path.
            lambdaConfig: { preTokenGenerationConfig: { lambdaArn: trigger.arn, lambdaVersion: "V2_0" } },
            mfaConfiguration: "ON",
            softwareTokenMfaConfiguration: { enabled: true },
            userPoolAddOns: { advancedSecurityMode: "ENFORCED" },
            passwordPolicy: {
                minimumLength: cfg.minimumPasswordLength,
                requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true,
                temporaryPasswordValidityDays: 1,
                passwordHistorySize: 24,
            },
            adminCreateUserConfig: { allowAdminCreateUserOnly: true },
            usernameAttributes: ["email"],
            autoVerifiedAttributes: ["email"],
            accountRecoverySetting: { recoveryMechanisms: [{ name: "verified_email", priority: 1 }] },
            deletionProtection: args.allowDeletion ? "INACTIVE" : "ACTIVE",
            tags,
        }, parent);
        this.userPoolId = pool.id;
        this.userPoolArn = pool.arn;
        this.issuer = pulumi.interpolate`https://cognito-idp.${region}.amazonaws.com/${pool.id}`;
        new aws.lambda.Permission(`${name}-scopes-invoke`, {
            action: "lambda:InvokeFunction", function: trigger.name, principal: "cognito-idp.amazonaws.com", sourceArn: pool.arn, sourceAccount: account,
        }, parent);
        this.scopeGroups = {};
        for (const g of cfg.groups) {
            new aws.cognito.UserGroup(`${name}-${g.resourceSuffix}`, {
                userPoolId: pool.id, name: g.groupName, description: `Grants ${g.fullScope} (MCP server ${g.server})`,
            }, parent);
            this.scopeGroups[g.groupName] = g.fullScope;
        }

        const suffix = new random.RandomString(`${name}-domain`, { length: 8, special: false, upper: false }, parent);
        const domain = new aws.cognito.UserPoolDomain(`${name}-domain`, { userPoolId: pool.id, domain: pulumi.interpolate`${name}-${suffix.result}`, managedLoginVersion: 2 }, parent);
        this.domain = pulumi.interpolate`${domain.domain}.auth.${region}.amazoncognito.com`;
        // Managed login (version 2), Cognito's current sign-in pages (the classic hosted UI is version 1). Its pages
        // serve an app client only once a branding style is assigned to that client. Passkeys are not enabled (they
        // would need ALLOW_USER_AUTH on the client and a WebAuthn configuration on the pool); sign-in is password + TOTP.

        const resourceServers = new Map<string, aws.cognito.ResourceServer>();
        const fullScopes = new Map<string, string[]>();
        for (const r of args.resources) {
            const rs = new aws.cognito.ResourceServer(`${name}-${r.name}`, {
                userPoolId: pool.id,
                identifier: r.url,
                name: r.name,
                scopes: r.scopes.map((s) => ({ scopeName: s, scopeDescription: `MCP server ${r.name}: ${s}` })),
            }, parent);
            resourceServers.set(r.name, rs);
            fullScopes.set(r.name, r.scopes.map((s) => `${r.url}/${s}`));
        }
        const dependsOn = [...resourceServers.values()];
        const tokenSettings = {
            accessTokenValidity: cfg.accessTokenMinutes,
            idTokenValidity: cfg.accessTokenMinutes,
            tokenValidityUnits: { accessToken: "minutes", idToken: "minutes", refreshToken: "hours" },
            enableTokenRevocation: true,
            preventUserExistenceErrors: "ENABLED",
            authSessionValidity: 3,
        };

        const people = new aws.cognito.UserPoolClient(`${name}-people`, {
            userPoolId: pool.id,
            generateSecret: false,
            allowedOauthFlowsUserPoolClient: true,
            allowedOauthFlows: ["code"],
            allowedOauthScopes: ["openid", "email", ...[...fullScopes.values()].flat()],
            callbackUrls: args.callbackUrls,
            supportedIdentityProviders: ["COGNITO"],
            // Refresh tokens rotate on use (OAuth 2.1 and the MCP authorization spec require it for public clients).
            // Cognito refuses ALLOW_REFRESH_TOKEN_AUTH on a rotating client ("not a permitted ExplicitAuthFlow when
            // refresh token rotation is enabled"): people refresh at the token endpoint (refresh_token grant), which
            // needs no explicit flow. SRP is the one flow listed: it never sends the password, MFA still applies, and
            // its API tokens carry no MCP scope (custom scopes come only from the authorization code flow).
            explicitAuthFlows: [...PEOPLE_AUTH_FLOWS],
            refreshTokenValidity: cfg.refreshTokenHours,
            refreshTokenRotation: { feature: "ENABLED", retryGracePeriodSeconds: 0 },
            ...tokenSettings,
        }, { parent: this, dependsOn });
        this.peopleClientId = people.id;
        // Cognito's default style: without a style assigned to the client, managed login has no pages for it.
        new aws.cognito.ManagedLoginBranding(`${name}-people-branding`, { userPoolId: pool.id, clientId: people.id, useCognitoProvidedValues: true }, { parent: this, dependsOn: [domain] });

        this.agentClientIds = {};
        this.agentClientSecrets = {};
        for (const agent of args.agents ?? []) {
            const server = args.resources.find((r) => r.name === agent.server)!;
            const scopes = agent.scopes.map((s) => `${server.url}/${s}`);
            const client = new aws.cognito.UserPoolClient(`${name}-agent-${agent.name}-${agent.server}`, {
                userPoolId: pool.id,
                generateSecret: true,
                allowedOauthFlowsUserPoolClient: true,
                allowedOauthFlows: ["client_credentials"],
                allowedOauthScopes: scopes,
                supportedIdentityProviders: ["COGNITO"],
                explicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"],
                refreshTokenValidity: 1,
                ...tokenSettings,
            }, { parent: this, dependsOn, additionalSecretOutputs: ["clientSecret"] });
            this.agentClientIds[`${agent.name}/${agent.server}`] = client.id;
            this.agentClientSecrets[`${agent.name}/${agent.server}`] = pulumi.secret(client.clientSecret);
        }

        this.metadataDocuments = Object.fromEntries(args.resources.map((r) => [
            r.name,
            this.issuer.apply((issuer) => JSON.stringify(protectedResourceMetadata(r.url, issuer, fullScopes.get(r.name)!, r.name))),
        ]));
        this.registerOutputs({ userPoolId: this.userPoolId, issuer: this.issuer, peopleClientId: this.peopleClientId, scopeTriggerArn: this.scopeTriggerArn });
    }

    /**
     * The pre-token-generation Lambda: its own role (logs to its group, X-Ray segments, nothing else), an encrypted log
     * group with retention, active tracing. Cognito calls it synchronously and fails the sign-in when it fails (fail
     * closed), so a dead-letter queue does not apply (Lambda sends only asynchronous invocations there). No reserved
     * concurrency: a low cap would throttle sign-ins; the function calls nothing and returns in milliseconds.
     */
    private scopeTrigger(name: string, groups: ScopeGroup[], args: AuthorizationServerArgs, tags: Record<string, string>): aws.lambda.Function {
        return hardenedFunction(this, `${name}-scopes`, {
            roleDescription: "Pre-token-generation trigger: keeps only the scopes of a person's groups",
            logRetentionDays: args.logRetentionDays ?? 365,
            logKmsKeyArn: args.logKmsKeyArn,
            function: {
                description: "Cognito pre-token generation: removes MCP scopes a person's groups do not grant",
                runtime: "nodejs22.x",
                handler: "index.handler",
                timeout: 5,
                memorySize: 128,
                code: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(scopeTriggerSource(groups)) }),
            },
        }, tags).fn;
    }
}
