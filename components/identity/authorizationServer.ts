import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ConfigError } from "../common/errors";
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
    /** Scopes of that server the agent may request. Default: all of them. */
    scopes?: string[];
}

export interface AuthorizationServerArgs {
    resources: ProtectedResource[];
    /** Redirect URIs of the MCP clients people use (authorization code flow). At least one, HTTPS or loopback. */
    callbackUrls: string[];
    agents?: AgentClient[];
    /** Access token lifetime in minutes, 5-60. Default 15. */
    accessTokenMinutes?: number;
    /** Refresh token lifetime in hours (rotated on use), 1-720. Default 12. */
    refreshTokenHours?: number;
    /** Minimum password length, 14-99. Default 14. */
    minimumPasswordLength?: number;
    /** Opt-out for throw-away stacks: allow deleting the user pool. Default false. */
    allowDeletion?: boolean;
    tags?: Record<string, string>;
}

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
        const unknown = (a.scopes ?? []).filter((s) => !server.scopes.includes(s));
        if (unknown.length > 0) {
            throw new ConfigError(key(`agents[${i}].scopes`), `${JSON.stringify(unknown)} is not allowed; server ${a.server} offers ${server.scopes.join(", ")}`);
        }
        if (!/^[a-z][a-z0-9-]{0,30}$/.test(a.name)) {
            throw new ConfigError(key(`agents[${i}].name`), `${JSON.stringify(a.name)} is not allowed; expected lower-case letters, digits and '-'`);
        }
    });
    return { accessTokenMinutes, refreshTokenHours, minimumPasswordLength };
}

/**
 * The OAuth 2.1 authorization server of the MCP servers (controls S5, C1, C3), on Amazon Cognito: a user pool with
 * MFA required (TOTP), threat protection enforced, a strong password policy, admin-created users only, no
 * user-existence leaks and deletion protection; a resource server per MCP server whose identifier is the server's
 * URL, with a scope per tool scope; a public client for people (authorization code flow only, no secret) and a
 * confidential client per agent (client credentials, scoped to one server); short access tokens, rotating refresh
 * tokens, revocation on; and each server's RFC 9728 protected resource metadata.
 *
 * Cognito does not offer DPoP (sender-constrained tokens), and cannot be told to require PKCE from a public
 * client: MCP clients must send it (the MCP authorization spec requires it). Both are partial in the control map.
 */
export class AuthorizationServer extends pulumi.ComponentResource {
    public readonly userPoolId: pulumi.Output<string>;
    public readonly issuer: pulumi.Output<string>;
    public readonly domain: pulumi.Output<string>;
    public readonly peopleClientId: pulumi.Output<string>;
    /** Agent name -> client id. Client secrets stay in Cognito (read them with the console or API). */
    public readonly agentClientIds: Record<string, pulumi.Output<string>>;
    /** Server name -> RFC 9728 metadata document (JSON). */
    public readonly metadataDocuments: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: AuthorizationServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const cfg = resolveAuthorizationServerArgs(name, args);
        super("mcpsec:identity:AuthorizationServer", name, {}, opts);
        const parent = { parent: this };
        const tags = componentTags("identity", name, args.tags);
        const region = aws.getRegionOutput({}, parent).region;

        const pool = new aws.cognito.UserPool(`${name}-users`, {
            userPoolTier: "PLUS",
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
        this.issuer = pulumi.interpolate`https://cognito-idp.${region}.amazonaws.com/${pool.id}`;

        const suffix = new random.RandomString(`${name}-domain`, { length: 8, special: false, upper: false }, parent);
        const domain = new aws.cognito.UserPoolDomain(`${name}-domain`, { userPoolId: pool.id, domain: pulumi.interpolate`${name}-${suffix.result}`, managedLoginVersion: 2 }, parent);
        this.domain = pulumi.interpolate`${domain.domain}.auth.${region}.amazoncognito.com`;

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
            explicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"],
            refreshTokenValidity: cfg.refreshTokenHours,
            refreshTokenRotation: { feature: "ENABLED", retryGracePeriodSeconds: 0 },
            ...tokenSettings,
        }, { parent: this, dependsOn });
        this.peopleClientId = people.id;

        this.agentClientIds = {};
        for (const agent of args.agents ?? []) {
            const server = args.resources.find((r) => r.name === agent.server)!;
            const scopes = (agent.scopes ?? server.scopes).map((s) => `${server.url}/${s}`);
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
        }

        this.metadataDocuments = Object.fromEntries(args.resources.map((r) => [
            r.name,
            this.issuer.apply((issuer) => JSON.stringify(protectedResourceMetadata(r.url, issuer, fullScopes.get(r.name)!, r.name))),
        ]));
        this.registerOutputs({ userPoolId: this.userPoolId, issuer: this.issuer, peopleClientId: this.peopleClientId });
    }
}
