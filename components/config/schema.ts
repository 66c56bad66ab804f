import { mcpServerSchema } from "../mcp/spec";
import { approvalsSchema } from "../mcp/approvalConfig";

/**
 * JSON Schema of the blueprint's stack configuration (namespace `mcpsec`).
 *
 * Every `description` here doubles as the "what is allowed" part of the error a user sees
 * when a value does not fit, so write it for that reader.
 */

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const PATTERNS = ["security-zone", "api-gateway", "microservices"] as const;
export type PatternName = (typeof PATTERNS)[number];

/** Interface endpoints a Fargate MCP server needs to pull images, log and read secrets without internet egress. */
export const DEFAULT_INTERFACE_ENDPOINTS = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "kms", "sts"] as const;

const cidr = { type: "string", pattern: "^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d|[12]\\d|3[0-2])$", description: "an IPv4 CIDR block" } as const;

/**
 * Networks the zone's NACL admits on 443, one rule each: AWS's default quota is 20 rules per NACL per direction
 * and the zone's own traffic takes 4 (components/network MAX_ALLOWED_CIDRS).
 */
export const MAX_EDGE_ALLOWED_CIDRS = 16;

export const networkSchema = {
    type: "object",
    additionalProperties: false,
    properties: {
        cidrBlock: {
            type: "string",
            pattern: "^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(1[6-9]|2[0-4])$",
            description: "an IPv4 CIDR block with a prefix from /16 to /24",
        },
        availabilityZoneCount: { type: "integer", minimum: 2, maximum: 6, description: "an integer from 2 to 6" },
        flowLogRetentionDays: {
            enum: [...LOG_RETENTION_DAYS],
            description: `one of the CloudWatch Logs retention periods (${LOG_RETENTION_DAYS.join(", ")})`,
        },
        interfaceEndpoints: {
            type: "array",
            uniqueItems: true,
            maxItems: 30,
            items: {
                type: "string",
                pattern: "^[a-z0-9-]+(\\.[a-z0-9-]+)*$",
                description: "an AWS service endpoint name such as 'ecr.api' or 'secretsmanager'",
            },
            description: "a list of distinct AWS service endpoint names",
        },
        allowPublicIpOnLaunch: {
            type: "boolean",
            description: "true or false (true gives instances public IPs and is reported as a violation)",
        },
        transitGateway: {
            type: "object", additionalProperties: false, required: ["id"],
            properties: {
                id: { type: "string", pattern: "^tgw-([0-9a-f]{8}|[0-9a-f]{17})$", description: "a Transit Gateway id: 'tgw-' and 8 or 17 hex digits" },
                routes: {
                    type: "array", minItems: 1, maxItems: 40, uniqueItems: true, items: cidr,
                    description: "1-40 IPv4 blocks of the enterprise networks routed to the Transit Gateway (default: mcpsec:edge.allowedCidrs outside the zone); never 0.0.0.0/0, none inside the zone (a route table holds 50 routes by default)",
                },
            },
            description: "a Transit Gateway attachment of the private subnets: {id, routes?}",
        },
    },
} as const;

export const edgeSchema = {
    type: "object",
    additionalProperties: false,
    required: ["domainName", "certificateArn"],
    properties: {
        domainName: {
            type: "string", pattern: "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$",
            description: "a DNS domain; each server is served at https://<server>.<domainName>",
        },
        certificateArn: {
            type: "string", pattern: "^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[0-9a-f-]{36}$",
            description: "an ACM certificate ARN covering *.<domainName>",
        },
        allowedCidrs: {
            type: "array", minItems: 1, maxItems: MAX_EDGE_ALLOWED_CIDRS, uniqueItems: true, items: cidr,
            description: `1-${MAX_EDGE_ALLOWED_CIDRS} CIDR blocks of the networks allowed to reach the zone's entry point on 443 (each takes one rule of the zone's network ACL, which holds 20 per direction by default; aggregate wider blocks for more networks)`,
        },
        sslPolicy: {
            enum: ["ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-FS-1-2-Res-2020-10"],
            description: "a TLS 1.2+ load balancer policy (ELBSecurityPolicy-TLS13-1-2-2021-06, ...-TLS13-1-2-Res-2021-06, ...-TLS13-1-3-2021-06, ...-FS-1-2-Res-2020-10)",
        },
        rateLimitPerIp: { type: "integer", minimum: 10, maximum: 2000000000, description: "requests per client IP per 5 minutes, 10 or more" },
        rateLimitPerToken: { type: "integer", minimum: 10, maximum: 2000000000, description: "requests per bearer token per 5 minutes, 10 or more" },
        maxRequestBodyBytes: { type: "integer", minimum: 1, maximum: 8192, description: "1 to 8192 bytes (what a regional web ACL inspects)" },
        allowedMethods: {
            type: "array", minItems: 1, maxItems: 50, uniqueItems: true,
            items: { type: "string", pattern: "^[a-z][A-Za-z0-9_/]{0,99}$", description: "a JSON-RPC method name such as tools/call" },
            description: "the JSON-RPC methods the edge admits",
        },
        privateLink: {
            type: "object", additionalProperties: false, required: ["allowedPrincipals", "allowedCidrs"],
            properties: {
                allowedPrincipals: {
                    type: "array", minItems: 1, maxItems: 50, uniqueItems: true,
                    items: { type: "string", pattern: "^arn:aws[a-z-]*:iam::\\d{12}:(root|role/.+|user/.+)$", description: "an IAM principal ARN" },
                    description: "IAM principals allowed to connect endpoints",
                },
                allowedCidrs: { type: "array", minItems: 1, maxItems: 50, uniqueItems: true, items: cidr, description: "1-50 CIDR blocks of consumers" },
            },
            description: "a PrivateLink endpoint service in front of the entry point",
        },
    },
    description: "the entry point settings",
} as const;

export const identitySchema = {
    type: "object",
    additionalProperties: false,
    required: ["callbackUrls"],
    properties: {
        callbackUrls: {
            type: "array", minItems: 1, maxItems: 100, uniqueItems: true,
            items: { type: "string", pattern: "^(https://[^\\s#]+|http://(localhost|127\\.0\\.0\\.1|\\[::1\\])(:\\d+)?(/[^\\s#]*)?)$", description: "an https redirect URI, or http on a loopback address" },
            description: "redirect URIs of the MCP clients people use",
        },
        agents: {
            type: "array", maxItems: 100,
            items: {
                type: "object", additionalProperties: false, required: ["name", "server", "scopes"],
                properties: {
                    name: { type: "string", pattern: "^[a-z][a-z0-9-]{0,30}$", description: "lower-case letters, digits and '-'" },
                    server: { type: "string", description: "the name of a server in mcpsec:servers" },
                    scopes: { type: "array", minItems: 1, uniqueItems: true, items: { type: "string" }, description: "the scopes of that server the agent may request (at least one; there is no all-scopes default)" },
                },
            },
            description: "machine clients, each allowed to call one server",
        },
        accessTokenMinutes: { type: "integer", minimum: 5, maximum: 60, description: "5 to 60 minutes" },
        refreshTokenHours: { type: "integer", minimum: 1, maximum: 720, description: "1 to 720 hours" },
    },
    description: "the OAuth authorization server settings",
} as const;

const ownership = { enum: ["create", "existing"], description: "create (managed by this stack) or existing (the organization runs it; not managed here)" } as const;

export const operationsSchema = {
    type: "object",
    additionalProperties: false,
    properties: {
        accountServices: {
            type: "object", additionalProperties: false,
            properties: { cloudTrail: ownership, guardDuty: ownership, securityHub: ownership, inspector: ownership, config: ownership },
            description: "for each account-wide service (cloudTrail, guardDuty, securityHub, inspector, config): create or existing",
        },
        alertEmails: {
            type: "array", maxItems: 20, uniqueItems: true,
            items: { type: "string", pattern: "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", description: "an email address" },
            description: "addresses subscribed to the alert topic",
        },
        retentionDays: { enum: [...LOG_RETENTION_DAYS].filter((d) => d >= 90), description: "a CloudWatch Logs retention period of 90 days or more, for the archive and the trail" },
        archiveLockMode: { enum: ["compliance", "governance"], description: "compliance or governance (object lock mode of the archive; default compliance when the environment is prod or production or starts with prod-, governance otherwise)" },
        siem: {
            oneOf: [
                { type: "object", additionalProperties: false, required: ["type", "url", "credentialsSecretArn"], properties: { type: { const: "http" }, url: { type: "string", pattern: "^https://\\S+$" }, name: { type: "string" }, credentialsSecretArn: { type: "string", pattern: "^arn:aws[a-z-]*:secretsmanager:" } } },
                { type: "object", additionalProperties: false, required: ["type", "hecEndpoint", "hecTokenSecretArn"], properties: { type: { const: "splunk" }, hecEndpoint: { type: "string", pattern: "^https://\\S+$" }, hecTokenSecretArn: { type: "string", pattern: "^arn:aws[a-z-]*:secretsmanager:" } } },
            ],
            description: "a SIEM: {type: http, url, credentialsSecretArn} or {type: splunk, hecEndpoint, hecTokenSecretArn} (Firehose cannot deliver CloudWatch Logs to OpenSearch: use an HTTP endpoint in front of it)",
        },
    },
    description: "the operations settings",
} as const;

export const kubernetesSchema = {
    type: "object",
    additionalProperties: false,
    required: ["domainName", "tlsSecretName", "oauthIssuer"],
    properties: {
        domainName: { type: "string", pattern: "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", description: "a DNS domain; servers are served at https://<server>.<domainName>" },
        tlsSecretName: { type: "string", pattern: "^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", description: "the name of a TLS secret in istio-ingress" },
        oauthIssuer: { type: "string", pattern: "^https://\\S+$", description: "the https issuer URL of the OAuth authorization server" },
        jwksUri: { type: "string", pattern: "^https://\\S+$", description: "the https JWKS URI (default <issuer>/.well-known/jwks.json)" },
        secretsRoleArn: { type: "string", description: "no longer accepted (one role shared by every server's secret store); use secretsRoleArns" },
        secretsRoleArns: {
            type: "object", maxProperties: 50,
            propertyNames: { pattern: "^[a-z][a-z0-9-]{0,30}$", description: "a server name" },
            additionalProperties: { type: "string", pattern: "^arn:aws[a-z-]*:iam::\\d{12}:role/\\S+$", description: "an IAM role ARN" },
            description: "a map from server name to the IAM role ARN (IRSA) of that server's secret store, one role per server (cluster: existing)",
        },
        installAddons: { type: "boolean", description: "true or false (false when Istio and the External Secrets Operator are installed already)" },
        cluster: { enum: ["eks", "existing"], description: "eks (the stack creates the EKS cluster in its own zone, mcpsec:eks) or existing (the layer only, on the cluster of the stack's Kubernetes provider; default)" },
        clientIds: {
            type: "array", minItems: 1, maxItems: 50, uniqueItems: true,
            items: { type: "string", pattern: "^[A-Za-z0-9_.:-]{1,128}$", description: "an OAuth client id (letters, digits, _.:-, 1-128 characters)" },
            description: "the OAuth client ids whose tokens the guard accepts (1-50 distinct ids; required with the guard)",
        },
    },
    description: "the in-cluster layer settings",
} as const;

export const tagsSchema = {
    type: "object",
    maxProperties: 40,
    propertyNames: {
        pattern: "^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]{1,128}$",
        description: "1-128 letters, digits, spaces or _.:/=+-@, not starting with 'aws:'",
    },
    additionalProperties: {
        type: "string",
        pattern: "^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]{0,256}$",
        description: "0-256 letters, digits, spaces or _.:/=+-@",
    },
    description: "a map of at most 40 tag keys to string values",
} as const;

/** AWS quotas the account has raised above their defaults (see components/patterns/quotas.ts). */
export const quotasSchema = {
    type: "object",
    additionalProperties: false,
    properties: {
        cognitoResourceServersPerPool: {
            type: "integer", minimum: 25, maximum: 300,
            description: "25 to 300: Cognito resource servers per user pool (quota L-7CDAF993) as raised in this account and region",
        },
    },
    description: "AWS quotas raised in the account: {cognitoResourceServersPerPool}",
} as const;

/** PII classes the guard's DLP can find in tool results (besides credentials, which it always looks for). */
export const GUARD_PII_CLASSES = ["email", "credit_card", "us_ssn", "iban"] as const;

/** The MCP guard in front of every server (guard/): its image and how it treats tool results. */
export const guardSchema = {
    type: "object",
    additionalProperties: false,
    properties: {
        image: {
            type: "string",
            pattern: "^[a-z0-9][a-z0-9._-]*(:[0-9]+)?(/[a-z0-9][a-z0-9._/-]*)?@sha256:[a-f0-9]{64}$",
            description: "the guard image pinned by digest (<registry>/<repository>@sha256:<64 hex>), built from guard/Dockerfile",
        },
        port: { type: "integer", minimum: 1024, maximum: 65535, description: "the guard's HTTPS port, 1024-65535 (default 8443)" },
        dlpMode: { enum: ["redact", "block", "log"], description: "redact, block or log (what the guard does with a credential or PII class found in a tool result; default redact)" },
        piiClasses: {
            type: "array", uniqueItems: true, items: { enum: [...GUARD_PII_CLASSES], description: `one of ${GUARD_PII_CLASSES.join(", ")}` },
            description: `PII classes to look for in tool results: any of ${GUARD_PII_CLASSES.join(", ")} (default none)`,
        },
        allowUnguarded: {
            type: "boolean",
            description: "true or false (opt-out: true deploys servers without the guard in front; every such server is reported as a mandatory violation)",
        },
    },
    description: "the MCP guard settings: {image, port, dlpMode, piiClasses, allowUnguarded}",
} as const;

/** MCP protocol versions an AgentCore gateway may announce (AWS: 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28), less those the zone's guard and request model refuse (2025-03-26 allowed JSON-RPC batches; 2026-07-28 is stateless, without initialize). */
export const AGENTCORE_MCP_VERSIONS = ["2025-06-18", "2025-11-25"] as const;

/** Keys of mcpsec:apiGateway that only kind rest (Amazon API Gateway) reads. */
export const REST_ONLY_API_GATEWAY_KEYS = ["endpointType", "domainName", "certificateArn", "securityPolicy", "mutualTls", "vpcEndpointIds", "stageName", "throttle", "clients", "executionLogLevel", "accountCloudWatchRole"] as const;
/** Keys of mcpsec:apiGateway that only kind agentcore (Amazon Bedrock AgentCore Gateway) reads. */
export const AGENTCORE_ONLY_API_GATEWAY_KEYS = ["sessionTimeoutSeconds", "mcpVersions", "rateLimitPerServer", "interceptorConcurrency"] as const;

/** Pattern 2 (api-gateway): Amazon API Gateway (kind rest) or AgentCore Gateway (kind agentcore) in front of the zone (components/apigateway, components/agentcore). */
export const apiGatewaySchema = {
    type: "object",
    additionalProperties: false,
    properties: {
        kind: { enum: ["rest", "agentcore"], description: "rest (Amazon API Gateway REST APIs, one per server; default) or agentcore (one Amazon Bedrock AgentCore Gateway with Cedar policies and interceptors)" },
        sessionTimeoutSeconds: { type: "integer", minimum: 900, maximum: 28800, description: "kind agentcore: the MCP session lifetime in seconds, 900-28800, counted from initialize (default 3600)" },
        mcpVersions: {
            type: "array", minItems: 1, uniqueItems: true, items: { enum: [...AGENTCORE_MCP_VERSIONS], description: `one of ${AGENTCORE_MCP_VERSIONS.join(", ")}` },
            description: `kind agentcore: the MCP protocol versions the gateway announces, any of ${AGENTCORE_MCP_VERSIONS.join(", ")} (default all)`,
        },
        rateLimitPerServer: { type: "integer", minimum: 10, maximum: 2000000000, description: "kind agentcore: requests per server per 5 minutes, all users together, that the entry point admits from the gateway (every call carries the gateway's one token; the per-user limits are on the gateway's web ACL), 10 or more (default 30000)" },
        interceptorConcurrency: { type: "integer", minimum: 1, maximum: 1000, description: "kind agentcore: concurrent executions reserved for each of the two interceptor Lambdas, 1-1000 (default 100; the account's Lambda concurrency must leave 100 unreserved beyond twice this)" },
        endpointType: { enum: ["REGIONAL", "PRIVATE"], description: "REGIONAL (public, custom domain only) or PRIVATE (only through the execute-api interface endpoints of vpcEndpointIds); default REGIONAL" },
        domainName: {
            type: "string", pattern: "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$",
            description: "the API's custom domain; each server is served at https://<domainName>/<server>/<path>",
        },
        certificateArn: {
            type: "string", pattern: "^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[0-9a-f-]{36}$",
            description: "an ACM certificate ARN (in the stack's region) covering domainName",
        },
        securityPolicy: { enum: ["TLS_1_2", "SecurityPolicy_TLS13_1_3_2025_09"], description: "TLS_1_2 (TLS 1.2 and 1.3; needed for mutual TLS) or SecurityPolicy_TLS13_1_3_2025_09 (TLS 1.3 only, strict endpoint access); default TLS_1_2" },
        mutualTls: {
            type: "object", additionalProperties: false, required: ["truststoreUri"],
            properties: {
                truststoreUri: { type: "string", pattern: "^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/\\S+$", description: "s3://<bucket>/<key> of the PEM bundle of client CA certificates" },
                truststoreVersion: { type: "string", minLength: 1, maxLength: 1024, description: "the S3 object version of the truststore" },
            },
            description: "mutual TLS for agent clients (REGIONAL with TLS_1_2 only): {truststoreUri, truststoreVersion}",
        },
        vpcEndpointIds: {
            type: "array", minItems: 1, maxItems: 20, uniqueItems: true,
            items: { type: "string", pattern: "^vpce-([0-9a-f]{8}|[0-9a-f]{17})$", description: "a VPC endpoint id: 'vpce-' and 8 or 17 hex digits" },
            description: "the execute-api interface endpoints a PRIVATE API admits (1-20; required with PRIVATE)",
        },
        stageName: { type: "string", pattern: "^[A-Za-z0-9_]{1,64}$", description: "1-64 letters, digits or _ (default mcp)" },
        throttle: {
            type: "object", additionalProperties: false,
            properties: {
                rateLimit: { type: "number", exclusiveMinimum: 0, maximum: 10000, description: "steady requests per second per server API, above 0 and at most 10000 (default 50)" },
                burstLimit: { type: "integer", minimum: 1, maximum: 5000, description: "burst requests per server API, 1-5000 (default 100)" },
            },
            description: "stage throttling of every server's API: {rateLimit, burstLimit}",
        },
        clients: {
            type: "array", maxItems: 50,
            items: {
                type: "object", additionalProperties: false, required: ["name", "rateLimit", "burstLimit"],
                properties: {
                    name: { type: "string", pattern: "^[a-z][a-z0-9-]{0,30}$", description: "lower-case letters, digits and '-'" },
                    rateLimit: { type: "number", exclusiveMinimum: 0, maximum: 10000, description: "requests per second, above 0" },
                    burstLimit: { type: "integer", minimum: 1, maximum: 5000, description: "burst requests, 1-5000" },
                    quotaPerDay: { type: "integer", minimum: 1, description: "requests per day, 1 or more" },
                },
            },
            description: "per-client usage plans (an API key each; with any, EVERY caller must send one of these keys in x-api-key besides the bearer token, or gets 403: for agents you hand keys to, not for MCP clients that cannot set headers; identification for throttling, never authentication)",
        },
        executionLogLevel: { enum: ["ERROR", "INFO"], description: "ERROR or INFO (execution logs never carry bodies; default ERROR)" },
        accountCloudWatchRole: { enum: ["create", "existing"], description: "create (this stack sets the region's API Gateway CloudWatch role) or existing (the organization set it)" },
    },
    description: "the gateway settings of the api-gateway pattern: kind rest needs domainName and certificateArn; kind agentcore takes sessionTimeoutSeconds, mcpVersions, rateLimitPerServer and interceptorConcurrency",
} as const;

/** Kubernetes versions in Amazon EKS standard support (components/eks EKS_VERSIONS). */
export const EKS_VERSION_CHOICES = ["1.34", "1.35", "1.36"] as const;

/** The EKS cluster of the microservices pattern (`mcpsec:kubernetes.cluster: eks`). */
export const eksSchema = {
    type: "object",
    additionalProperties: false,
    required: ["adminRoleArn"],
    properties: {
        version: { enum: [...EKS_VERSION_CHOICES], description: `a Kubernetes version in Amazon EKS standard support: ${EKS_VERSION_CHOICES.join(", ")} (default 1.35)` },
        adminRoleArn: { type: "string", pattern: "^arn:aws[a-z-]*:iam::\\d{12}:role/\\S+$", description: "the IAM role ARN that gets cluster admin through an EKS access entry (who runs kubectl and deploys the layer)" },
        apiAllowedCidrs: { type: "array", maxItems: 20, uniqueItems: true, items: cidr, description: "up to 20 IPv4 blocks of operator networks (VPN) that may reach the private API endpoint besides the zone, each inside mcpsec:edge.allowedCidrs (the networks the zone routes)" },
        allowPublicEndpointFrom: {
            type: "array", minItems: 1, maxItems: 40, uniqueItems: true, items: cidr,
            description: "opt-out: also a public API endpoint, reachable only from these 1-40 IPv4 blocks, each /16 or narrower (never 0.0.0.0/0 or a split of it); reported as a violation",
        },
        logShipperImage: {
            type: "string",
            pattern: "^\\d{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/[a-z0-9][a-z0-9._/-]*@sha256:[a-f0-9]{64}$",
            description: "the AWS for Fluent Bit image (public.ecr.aws/aws-observability/aws-for-fluent-bit, 3.x) copied to ECR in the stack's Region and pinned by digest (<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>); it ships the guards' container logs to CloudWatch Logs",
        },
        nodes: {
            type: "object", additionalProperties: false,
            properties: {
                amiType: { enum: ["BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64", "AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD"], description: "BOTTLEROCKET_x86_64 (default), BOTTLEROCKET_ARM_64, AL2023_x86_64_STANDARD or AL2023_ARM_64_STANDARD" },
                instanceTypes: { type: "array", minItems: 1, maxItems: 10, uniqueItems: true, items: { type: "string", pattern: "^[a-z][a-z0-9-]*\\.[a-z0-9]+$", description: "an EC2 instance type such as m7i.large" }, description: "1-10 EC2 instance types (default [m7i.large])" },
                desiredSize: { type: "integer", minimum: 1, maximum: 100, description: "1-100 nodes (default 2)" },
                minSize: { type: "integer", minimum: 1, maximum: 100, description: "1-100 nodes (default 2)" },
                maxSize: { type: "integer", minimum: 1, maximum: 100, description: "1-100 nodes (default 4)" },
                volumeSizeGiB: { type: "integer", minimum: 20, maximum: 1000, description: "20-1000 GiB (default 50)" },
            },
            description: "the managed node group: {amiType, instanceTypes, desiredSize, minSize, maxSize, volumeSizeGiB}",
        },
    },
    description: "the EKS cluster settings: {adminRoleArn, version, apiAllowedCidrs, allowPublicEndpointFrom, logShipperImage, nodes}",
} as const;

/** The whole `mcpsec:` namespace. Keys not listed here are rejected, so typos cannot pass silently. */
export const blueprintSchema = {
    type: "object",
    additionalProperties: false,
    required: ["pattern", "environment", "servers"],
    properties: {
        pattern: { enum: [...PATTERNS], description: `one of ${PATTERNS.join(", ")}` },
        environment: {
            type: "string",
            pattern: "^[a-z][a-z0-9-]{0,15}$",
            description: "lower-case letters, digits and '-', 1-16 characters, starting with a letter",
        },
        tags: tagsSchema,
        network: networkSchema,
        edge: edgeSchema,
        identity: identitySchema,
        operations: operationsSchema,
        kubernetes: kubernetesSchema,
        eks: eksSchema,
        quotas: quotasSchema,
        guard: guardSchema,
        apiGateway: apiGatewaySchema,
        approvals: approvalsSchema,
        servers: { type: "array", minItems: 1, maxItems: 50, items: mcpServerSchema, description: "a list of 1-50 MCP servers" },
    },
} as const;

/** Keys of the `aws` namespace the blueprint reads, with their schema. */
export const awsRegionSchema = {
    type: "string",
    pattern: "^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d{1,2}$",
    description: "an AWS region name such as eu-west-1",
} as const;
