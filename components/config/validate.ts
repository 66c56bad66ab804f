import Ajv from "ajv";
import { cidrContains, parseCidr } from "../common/cidr";
import { checkUnique, ConfigError, describeAjvError, showValue } from "../common/errors";
import { PUBLIC_ENDPOINT_MIN_PREFIX, publicEndpointBlockProblem } from "../eks/endpoint";
import type { SiemDestination } from "../observability/siemExport";
import { checkMcpServerSpec, McpServerSpec, ResolvedMcpServerSpec } from "../mcp/spec";
import type { ApprovalSettings, ReviewerKey } from "../mcp/approval";
import { resolveApprovals } from "../mcp/approvalConfig";

export { ConfigError };
import { AGENTCORE_MCP_VERSIONS, AGENTCORE_ONLY_API_GATEWAY_KEYS, apiGatewaySchema, awsRegionSchema, blueprintSchema, DEFAULT_INTERFACE_ENDPOINTS, LOG_RETENTION_DAYS, PatternName, REST_ONLY_API_GATEWAY_KEYS } from "./schema";

/** Network settings with every default filled in. */
export interface NetworkConfig {
    cidrBlock: string;
    availabilityZoneCount: number;
    flowLogRetentionDays: (typeof LOG_RETENTION_DAYS)[number];
    interfaceEndpoints: string[];
    allowPublicIpOnLaunch: boolean;
    /** A Transit Gateway attachment, routes filled in (default: the allowed networks outside the zone). */
    transitGateway?: { id: string; routes: string[] };
}

/** Entry point settings with defaults filled in. */
export interface EdgeConfig {
    domainName: string;
    certificateArn: string;
    allowedCidrs: string[];
    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" | "ELBSecurityPolicy-TLS13-1-2-Res-2021-06" | "ELBSecurityPolicy-TLS13-1-3-2021-06" | "ELBSecurityPolicy-FS-1-2-Res-2020-10";
    rateLimitPerIp: number;
    rateLimitPerToken: number;
    maxRequestBodyBytes: number;
    allowedMethods?: string[];
    privateLink?: { allowedPrincipals: string[]; allowedCidrs: string[] };
}

/** OAuth settings (defaults are applied by the identity component). */
export interface IdentityConfig {
    callbackUrls: string[];
    agents?: { name: string; server: string; scopes: string[] }[];
    accessTokenMinutes?: number;
    refreshTokenHours?: number;
}

/**
 * The archive's default object lock mode for an environment: compliance for production (`prod`, `production`, or
 * starting with `prod-`), where evidence must survive any credential; governance elsewhere, where throw-away stacks
 * must stay deletable (its bypass is still denied by the bucket policy).
 */
export function archiveLockModeFor(environment: string): "compliance" | "governance" {
    return /^prod(uction)?(-|$)/.test(environment) ? "compliance" : "governance";
}

/** Operations settings with defaults filled in. */
export interface OperationsConfig {
    accountServices: { cloudTrail: "create" | "existing"; guardDuty: "create" | "existing"; securityHub: "create" | "existing"; inspector: "create" | "existing"; config: "create" | "existing" };
    alertEmails: string[];
    retentionDays: number;
    /** Object lock mode of the archive (default by environment: see archiveLockModeFor). */
    archiveLockMode: "compliance" | "governance";
    siem?: SiemDestination;
}

/** In-cluster layer settings (pattern microservices). */
export interface KubernetesConfig {
    domainName: string;
    tlsSecretName: string;
    oauthIssuer: string;
    jwksUri?: string;
    /** Refused (a role shared by every server's secret store): see secretsRoleArns. */
    secretsRoleArn?: string;
    /** Per server name, the IAM role (IRSA) of that server's secret store. */
    secretsRoleArns?: Record<string, string>;
    installAddons?: boolean;
    /** OAuth client ids whose tokens the guard accepts (required when the guard is deployed). */
    clientIds?: string[];
    /** eks: the stack creates the cluster in its own zone (mcpsec:eks); existing: the layer only (default). */
    cluster?: "eks" | "existing";
}

/** The EKS cluster settings with defaults filled in (`mcpsec:eks`). */
export interface EksConfig {
    version: "1.34" | "1.35" | "1.36";
    adminRoleArn: string;
    apiAllowedCidrs: string[];
    /** Opt-out: a public API endpoint reachable from these blocks. */
    allowPublicEndpointFrom?: string[];
    /** The container log shipper's image (AWS for Fluent Bit in this account's ECR, by digest); required by the EKS zone. */
    logShipperImage?: string;
    nodes: {
        amiType: "BOTTLEROCKET_x86_64" | "BOTTLEROCKET_ARM_64" | "AL2023_x86_64_STANDARD" | "AL2023_ARM_64_STANDARD";
        instanceTypes: string[];
        desiredSize: number;
        minSize: number;
        maxSize: number;
        volumeSizeGiB: number;
    };
}

/** The validated stack configuration the program runs on. */
export interface BlueprintConfig {
    pattern: PatternName;
    environment: string;
    region: string;
    tags: Record<string, string>;
    network: NetworkConfig;
    /** Present when the stack configures an entry point (the security zone requires one). */
    edge?: EdgeConfig;
    identity?: IdentityConfig;
    operations: OperationsConfig;
    kubernetes?: KubernetesConfig;
    /** Present when the stack configures an EKS cluster (`mcpsec:kubernetes.cluster: eks`). */
    eks?: EksConfig;
    /** AWS quotas the account declares raised; the rest are the defaults. */
    quotas: QuotasConfig;
    /** The guard every server runs behind. */
    guard: GuardConfig;
    /** API Gateway in front of the zone (pattern api-gateway). */
    apiGateway?: ApiGatewayConfig;
    /** Reviewer keys for signed server approvals, and whether they are required (by default in production). */
    approvals: ApprovalSettings;
    servers: ResolvedMcpServerSpec[];
}

/** The MCP guard settings with defaults filled in (`image` is undefined only with `allowUnguarded`, checked by the patterns). */
export interface GuardConfig {
    image?: string;
    port: number;
    dlpMode: "redact" | "block" | "log";
    piiClasses: ("email" | "credit_card" | "us_ssn" | "iban")[];
    allowUnguarded: boolean;
}

/** Amazon API Gateway settings of the api-gateway pattern (kind rest), defaults filled in. */
export interface RestApiGatewayConfig {
    kind: "rest";
    endpointType: "REGIONAL" | "PRIVATE";
    domainName: string;
    certificateArn: string;
    securityPolicy: "TLS_1_2" | "SecurityPolicy_TLS13_1_3_2025_09";
    mutualTls?: { truststoreUri: string; truststoreVersion?: string };
    vpcEndpointIds: string[];
    stageName: string;
    throttle: { rateLimit: number; burstLimit: number };
    clients: { name: string; rateLimit: number; burstLimit: number; quotaPerDay?: number }[];
    executionLogLevel: "ERROR" | "INFO";
    accountCloudWatchRole: "create" | "existing";
}

/** Amazon Bedrock AgentCore Gateway settings of the api-gateway pattern (kind agentcore), defaults filled in. */
export interface AgentcoreGatewayConfig {
    kind: "agentcore";
    /** MCP session lifetime (seconds from initialize), 900-28800. */
    sessionTimeoutSeconds: number;
    /** MCP protocol versions the gateway announces. */
    mcpVersions: (typeof AGENTCORE_MCP_VERSIONS)[number][];
    /** Requests per server per 5 minutes the entry point admits from the gateway (all users together). */
    rateLimitPerServer: number;
    /** Concurrent executions reserved for each interceptor Lambda. */
    interceptorConcurrency: number;
}

/** The gateway in front of the zone in the api-gateway pattern. */
export type ApiGatewayConfig = RestApiGatewayConfig | AgentcoreGatewayConfig;

type RawApiGateway = Partial<Omit<RestApiGatewayConfig, "kind">> & Partial<Omit<AgentcoreGatewayConfig, "kind">> & { kind?: "rest" | "agentcore" };

/**
 * The gateway settings with defaults, and what the schema cannot say: keys of one kind refused with the other (a
 * key that would be silently ignored is an error), rest needs its custom domain, PRIVATE needs endpoints, mutual TLS
 * needs REGIONAL with TLS_1_2.
 */
function checkApiGateway(input: RawApiGateway | undefined): ApiGatewayConfig | undefined {
    if (!input) {
        return undefined;
    }
    const kind = input.kind ?? "rest";
    const foreign = kind === "rest" ? AGENTCORE_ONLY_API_GATEWAY_KEYS : REST_ONLY_API_GATEWAY_KEYS;
    const misplaced = foreign.find((k) => input[k] !== undefined);
    if (misplaced !== undefined) {
        throw new ConfigError(`mcpsec:apiGateway.${misplaced}`, `${showValue(input[misplaced])} is not allowed with kind ${kind}; it is a setting of kind ${kind === "rest" ? "agentcore" : "rest"} only (kind ${kind} takes ${(kind === "rest" ? REST_ONLY_API_GATEWAY_KEYS : AGENTCORE_ONLY_API_GATEWAY_KEYS).join(", ")})`);
    }
    if (kind === "agentcore") {
        return { kind, sessionTimeoutSeconds: input.sessionTimeoutSeconds ?? 3600, mcpVersions: [...(input.mcpVersions ?? AGENTCORE_MCP_VERSIONS)], rateLimitPerServer: input.rateLimitPerServer ?? 30000, interceptorConcurrency: input.interceptorConcurrency ?? 100 };
    }
    for (const key of ["domainName", "certificateArn"] as const) {
        if (input[key] === undefined) {
            throw new ConfigError(`mcpsec:apiGateway.${key}`, `is required but missing for kind rest; expected ${apiGatewaySchema.properties[key].description}`);
        }
    }
    const config: RestApiGatewayConfig = {
        kind,
        endpointType: input.endpointType ?? "REGIONAL",
        domainName: input.domainName!,
        certificateArn: input.certificateArn!,
        securityPolicy: input.securityPolicy ?? "TLS_1_2",
        mutualTls: input.mutualTls && { ...input.mutualTls },
        vpcEndpointIds: [...(input.vpcEndpointIds ?? [])],
        stageName: input.stageName ?? "mcp",
        throttle: { rateLimit: input.throttle?.rateLimit ?? 50, burstLimit: input.throttle?.burstLimit ?? 100 },
        clients: (input.clients ?? []).map((c) => ({ ...c })),
        executionLogLevel: input.executionLogLevel ?? "ERROR",
        accountCloudWatchRole: input.accountCloudWatchRole ?? "create",
    };
    if (config.endpointType === "PRIVATE" && config.vpcEndpointIds.length === 0) {
        throw new ConfigError("mcpsec:apiGateway.vpcEndpointIds", "is required but missing for endpointType PRIVATE; expected the execute-api interface endpoints (vpce-...) the clients call the API through");
    }
    if (config.endpointType === "REGIONAL" && config.vpcEndpointIds.length > 0) {
        throw new ConfigError("mcpsec:apiGateway.vpcEndpointIds", `${showValue(config.vpcEndpointIds)} is not allowed with endpointType REGIONAL; a regional API is public: set endpointType PRIVATE to admit only these endpoints`);
    }
    if (config.mutualTls && (config.endpointType !== "REGIONAL" || config.securityPolicy !== "TLS_1_2")) {
        throw new ConfigError("mcpsec:apiGateway.mutualTls", `is not allowed with endpointType ${config.endpointType} and securityPolicy ${config.securityPolicy}; API Gateway offers mutual TLS on REGIONAL custom domains with the TLS_1_2 security policy only`);
    }
    checkUnique(config.clients, (i) => `mcpsec:apiGateway.clients[${i}].name`, (c) => c.name);
    return config;
}

/** AWS quotas the blueprint counts against (defaults filled in). */
export interface QuotasConfig {
    cognitoResourceServersPerPool: number;
}

const ajv = new Ajv({ allErrors: false, verbose: true, strict: true, unicodeRegExp: true });
const validateBlueprint = ajv.compile(blueprintSchema);
const validateRegion = ajv.compile(awsRegionSchema);

function checkCidr(cidr: string): void {
    const [address, prefix] = cidr.split("/");
    const octets = address.split(".").map(Number);
    if (octets.some((o) => o > 255)) {
        throw new ConfigError("mcpsec:network.cidrBlock", `${showValue(cidr)} is not allowed; expected octets from 0 to 255`);
    }
    const value = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - Number(prefix));
    if (value % size !== 0) {
        throw new ConfigError("mcpsec:network.cidrBlock", `${showValue(cidr)} is not allowed; the address must be the first of its /${prefix} block`);
    }
    const privateRanges: [number, number][] = [
        [10 * 2 ** 24, 8],
        [(172 * 256 + 16) * 2 ** 16, 12],
        [(192 * 256 + 168) * 2 ** 16, 16],
    ];
    const inPrivate = privateRanges.some(([base, bits]) => Math.floor(value / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)) && Number(prefix) >= bits);
    if (!inPrivate) {
        throw new ConfigError("mcpsec:network.cidrBlock", `${showValue(cidr)} is not allowed; expected a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)`);
    }
}

/** An IPv4 block whose octets fit and whose address starts its block. */
function checkBlock(key: string, cidr: string): void {
    try {
        parseCidr(cidr);
    } catch (e) {
        throw new ConfigError(key, `${showValue(cidr)} is not allowed; ${(e as Error).message.replace(/^"[^"]*" /, "")}: expected an IPv4 CIDR block such as 10.20.0.0/16`);
    }
}

/**
 * The guard settings with defaults: an image is required unless the stack opts out with `allowUnguarded`, and the
 * guard's port may not be a server's own port (the server listens on 127.0.0.1 beside it).
 */
function checkGuard(guard: Partial<GuardConfig> | undefined, servers: McpServerSpec[]): GuardConfig {
    const allowUnguarded = guard?.allowUnguarded ?? false;
    if (guard?.image === undefined && !allowUnguarded) {
        throw new ConfigError("mcpsec:guard.image", "is required but missing; expected the guard image pinned by digest (<registry>/<repository>@sha256:<64 hex>, built from guard/Dockerfile), or mcpsec:guard.allowUnguarded: true to deploy servers without it (reported as a violation)");
    }
    const port = guard?.port ?? 8443;
    const clash = servers.findIndex((s) => s.port === port);
    if (clash >= 0) {
        throw new ConfigError(`mcpsec:servers[${clash}].port`, `${port} is not allowed; it is the guard's port (mcpsec:guard.port), and the server listens beside the guard in the same task or pod: expected another port`);
    }
    return { image: guard?.image, port, dlpMode: guard?.dlpMode ?? "redact", piiClasses: [...(guard?.piiClasses ?? [])], allowUnguarded };
}

/** The EKS settings with defaults; node sizes in order, networks valid and never the whole internet. */
type RawEks = Partial<Omit<EksConfig, "nodes">> & { adminRoleArn: string; nodes?: Partial<EksConfig["nodes"]> };

function checkEks(e: RawEks): EksConfig {
    const n: Partial<EksConfig["nodes"]> = e.nodes ?? {};
    const nodes: EksConfig["nodes"] = {
        amiType: n.amiType ?? "BOTTLEROCKET_x86_64",
        instanceTypes: [...(n.instanceTypes ?? ["m7i.large"])],
        desiredSize: n.desiredSize ?? Math.max(2, n.minSize ?? 2),
        minSize: n.minSize ?? 2,
        maxSize: n.maxSize ?? Math.max(4, n.desiredSize ?? 2),
        volumeSizeGiB: n.volumeSizeGiB ?? 50,
    };
    if (!(nodes.minSize <= nodes.desiredSize && nodes.desiredSize <= nodes.maxSize)) {
        throw new ConfigError("mcpsec:eks.nodes", `minSize ${nodes.minSize}, desiredSize ${nodes.desiredSize}, maxSize ${nodes.maxSize} is not allowed; expected minSize <= desiredSize <= maxSize`);
    }
    (e.apiAllowedCidrs ?? []).forEach((c, i) => checkBlock(`mcpsec:eks.apiAllowedCidrs[${i}]`, c));
    (e.allowPublicEndpointFrom ?? []).forEach((c, i) => {
        const key = `mcpsec:eks.allowPublicEndpointFrom[${i}]`;
        checkBlock(key, c);
        const problem = publicEndpointBlockProblem(c);
        if (problem !== undefined) {
            throw new ConfigError(key, `${showValue(c)} is not allowed (${problem}); a public API endpoint must be limited to the operators' networks, never the whole internet: list their public blocks, each /${PUBLIC_ENDPOINT_MIN_PREFIX} or narrower`);
        }
    });
    return {
        version: e.version ?? "1.35",
        adminRoleArn: e.adminRoleArn,
        apiAllowedCidrs: [...(e.apiAllowedCidrs ?? [])],
        ...(e.allowPublicEndpointFrom ? { allowPublicEndpointFrom: [...e.allowPublicEndpointFrom] } : {}),
        ...(e.logShipperImage !== undefined ? { logShipperImage: e.logShipperImage } : {}),
        nodes,
    };
}

/**
 * Validates the raw `mcpsec:` namespace (keys without the prefix, values already parsed from JSON)
 * plus `aws:region`, and returns the configuration with every default filled in.
 * Throws {@link ConfigError} on the first problem. Never mutates its input.
 */
export function validateBlueprintConfig(raw: Record<string, unknown>, region: unknown): BlueprintConfig {
    if (!validateBlueprint(raw)) {
        throw describeAjvError("mcpsec:", validateBlueprint.errors!);
    }
    if (!validateRegion(region)) {
        const err = validateRegion.errors![0];
        throw new ConfigError("aws:region", region === undefined ? `is required but missing; expected ${awsRegionSchema.description}` : `${showValue(err.data)} is not allowed; expected ${awsRegionSchema.description}`);
    }
    const input = raw as unknown as {
        pattern: PatternName;
        environment: string;
        tags?: Record<string, string>;
        network?: Partial<NetworkConfig>;
        edge?: Partial<EdgeConfig> & { domainName: string; certificateArn: string };
        identity?: IdentityConfig;
        operations?: Partial<OperationsConfig> & { accountServices?: Partial<OperationsConfig["accountServices"]> };
        kubernetes?: KubernetesConfig;
        eks?: RawEks;
        quotas?: Partial<QuotasConfig>;
        guard?: Partial<GuardConfig>;
        apiGateway?: RawApiGateway;
        approvals?: { reviewers?: ReviewerKey[]; required?: boolean };
        servers: McpServerSpec[];
    };
    const network: NetworkConfig = {
        cidrBlock: input.network?.cidrBlock ?? "10.40.0.0/16",
        availabilityZoneCount: input.network?.availabilityZoneCount ?? 3,
        flowLogRetentionDays: input.network?.flowLogRetentionDays ?? 365,
        interfaceEndpoints: [...(input.network?.interfaceEndpoints ?? DEFAULT_INTERFACE_ENDPOINTS)],
        allowPublicIpOnLaunch: input.network?.allowPublicIpOnLaunch ?? false,
    };
    checkCidr(network.cidrBlock);
    const edge: EdgeConfig | undefined = input.edge && {
        domainName: input.edge.domainName,
        certificateArn: input.edge.certificateArn,
        allowedCidrs: [...(input.edge.allowedCidrs ?? [network.cidrBlock])],
        sslPolicy: input.edge.sslPolicy ?? "ELBSecurityPolicy-TLS13-1-2-2021-06",
        rateLimitPerIp: input.edge.rateLimitPerIp ?? 1000,
        rateLimitPerToken: input.edge.rateLimitPerToken ?? 600,
        maxRequestBodyBytes: input.edge.maxRequestBodyBytes ?? 8192,
        allowedMethods: input.edge.allowedMethods && [...input.edge.allowedMethods],
        privateLink: input.edge.privateLink && { allowedPrincipals: [...input.edge.privateLink.allowedPrincipals], allowedCidrs: [...input.edge.privateLink.allowedCidrs] },
    };
    if (edge?.allowedCidrs.includes("0.0.0.0/0")) {
        throw new ConfigError("mcpsec:edge.allowedCidrs", `["0.0.0.0/0"] is not allowed; the zone's entry point is internal: list the networks that reach it (peered VPCs, VPN)`);
    }
    edge?.allowedCidrs.forEach((c, i) => checkBlock(`mcpsec:edge.allowedCidrs[${i}]`, c));
    const tgw = input.network?.transitGateway as { id: string; routes?: string[] } | undefined;
    if (tgw) {
        const routes = tgw.routes ?? (edge?.allowedCidrs ?? []).filter((c) => !cidrContains(network.cidrBlock, c));
        if (routes.length === 0) {
            throw new ConfigError("mcpsec:network.transitGateway.routes", `is required here: mcpsec:edge.allowedCidrs names no network outside the zone ${network.cidrBlock}; expected the IPv4 blocks of the enterprise networks behind the Transit Gateway`);
        }
        routes.forEach((r, i) => {
            const key = tgw.routes ? `mcpsec:network.transitGateway.routes[${i}]` : "mcpsec:network.transitGateway.routes (unset, so taken from mcpsec:edge.allowedCidrs)";
            checkBlock(key, r);
            if (parseCidr(r).prefix === 0) {
                throw new ConfigError(key, `${showValue(r)} is not allowed; a default route would send everything, the internet included, to the Transit Gateway: list the enterprise networks`);
            }
            // A block around the zone is fine (the zone's local route is more specific); one inside it would send the
            // zone's own traffic to the Transit Gateway.
            if (cidrContains(network.cidrBlock, r)) {
                throw new ConfigError(key, `${showValue(r)} is not allowed; it lies inside the zone's ${network.cidrBlock} (mcpsec:network.cidrBlock) and would take the zone's own traffic to the Transit Gateway: list networks outside the zone`);
            }
        });
        network.transitGateway = { id: tgw.id, routes: [...routes] };
    }
    checkUnique(input.servers, (i) => `mcpsec:servers[${i}].name`, (s) => s.name);
    const eks = input.eks && checkEks(input.eks);
    return {
        pattern: input.pattern,
        environment: input.environment,
        region: region as string,
        tags: { ...(input.tags ?? {}) },
        network,
        edge,
        identity: input.identity && structuredClone(input.identity),
        operations: {
            accountServices: { cloudTrail: "create", guardDuty: "create", securityHub: "create", inspector: "create", config: "create", ...(input.operations?.accountServices ?? {}) },
            alertEmails: [...(input.operations?.alertEmails ?? [])],
            retentionDays: input.operations?.retentionDays ?? 365,
            archiveLockMode: input.operations?.archiveLockMode ?? archiveLockModeFor(input.environment),
            siem: input.operations?.siem && structuredClone(input.operations.siem),
        },
        kubernetes: input.kubernetes && { ...input.kubernetes },
        eks,
        quotas: { cognitoResourceServersPerPool: input.quotas?.cognitoResourceServersPerPool ?? 25 },
        guard: checkGuard(input.guard, input.servers),
        apiGateway: checkApiGateway(input.apiGateway),
        approvals: resolveApprovals(input.approvals, input.environment),
        servers: input.servers.map((s, i) => checkMcpServerSpec(s, `mcpsec:servers[${i}]`)),
    };
}
