import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { parseJwkSet } from "../common/jwks";
import { policyJson, PolicyStatement } from "../common/iam";
import { dataActionsOnEveryResource, passesAnyRole } from "../common/resourceScope";
import { componentTags } from "../common/tags";
import { guardDutyAgentRepositoryArn } from "../detection/guardDutyAgent";
import { approvalGuardEnv, ApprovalSettings } from "../mcp/approval";
import { checkMcpServerEnvironment, McpServerSpec, ResolvedMcpServerSpec, validateMcpServerSpec } from "../mcp/spec";

export interface McpServiceArgs {
    /** The server to run (validated again here, so the component is safe to use on its own). */
    server: McpServerSpec | ResolvedMcpServerSpec;
    /** ECS cluster the service runs in. */
    clusterArn: pulumi.Input<string>;
    vpcId: pulumi.Input<string>;
    /** Private subnets for the tasks. Tasks never get a public IP. */
    subnetIds: pulumi.Input<string>[];
    /** The only security group admitted to the server's port: the entry point (load balancer) of the pattern. */
    entrySecurityGroupId: pulumi.Input<string>;
    /** Security group of the VPC interface endpoints: tasks may send HTTPS to it (ECR, logs, secrets, STS). */
    endpointSecurityGroupId: pulumi.Input<string>;
    /** Prefix list of the S3 gateway endpoint, for ECR image layers. */
    s3PrefixListId?: pulumi.Input<string>;
    /**
     * CIDR block of the VPC. GuardDuty's automated agent configuration puts its own `guardduty-data` endpoint in the
     * VPC, behind a security group of its own that admits the VPC CIDR; the task may send HTTPS to this block so its
     * GuardDuty agent reaches that endpoint. Default: looked up from `vpcId`.
     */
    vpcCidrBlock?: pulumi.Input<string>;
    /**
     * Customer managed KMS keys that encrypt the server's secrets: the execution role may decrypt with them only
     * through Secrets Manager (`kms:ViaService`). Default: `kmsKeyArn` (the zone key). A secret under the AWS managed
     * key `aws/secretsmanager` needs no grant; a key in another account also needs its key policy to admit the role.
     */
    secretsKmsKeyArns?: pulumi.Input<string>[];
    /**
     * GuardDuty's Fargate agent repository of the stack's region. Default: the repository the GuardDuty user guide
     * lists for the region (components/detection/guardDutyAgent.ts); give it for a region missing from that table.
     */
    guardDutyAgentRepositoryArn?: pulumi.Input<string>;
    /**
     * Opt-out: no permission to pull GuardDuty's runtime agent and no HTTPS to its endpoint, for accounts where
     * GuardDuty Runtime Monitoring of Fargate is off. Default false: the agent GuardDuty injects can start and report.
     */
    disableGuardDutyAgent?: boolean;
    /** KMS key for the repository (when created) and the log group. */
    kmsKeyArn: pulumi.Input<string>;
    /** Target group the service registers its tasks in. */
    targetGroupArn?: pulumi.Input<string>;
    /** Days the log group keeps the server's logs. Default 365. */
    logRetentionDays?: number;
    /** CPU architecture of the image. Default X86_64. */
    cpuArchitecture?: "X86_64" | "ARM64";
    /**
     * Extra permissions of the task role (the server's own AWS access). Default none. Wildcard actions are refused:
     * name each action.
     */
    taskRoleStatements?: PolicyStatement[];
    /**
     * Create an ECR repository `mcp/<server>` for the server (immutable tags, scan on push, KMS), to push its image
     * into before the service can start. Default false: the server's image is pulled from the repository its
     * reference names, which this component does not own (creating `mcp/<server>` when the image already lives
     * there would fail with RepositoryAlreadyExistsException); the execution role may pull from that repository only.
     */
    createRepository?: boolean;
    /**
     * The MCP guard (guard/) that runs beside the server in the same task and is the only way in: the target group
     * and the security group name the guard's HTTPS port, the server listens on 127.0.0.1 only. Required unless
     * `unguarded` is true.
     */
    guard?: McpGuardArgs;
    /**
     * Opt-out: run the server without the guard, its own port admitted from the entry point and registered in the
     * target group (plain HTTP from the load balancer). Default false; reported as a mandatory violation by
     * aws-ecs-service-reachable-only-through-guard and aws-elb-target-group-https.
     */
    unguarded?: boolean;
    /** Opt-out: allow ECS Exec into the tasks (an interactive shell). Default false; reported by the policies. */
    enableExecuteCommand?: boolean;
    /** Tags added to every resource. */
    tags?: Record<string, string>;
}

/** The guard beside a server: what it enforces comes from the stack (identity, server URL, approved manifest). */
export interface McpGuardArgs {
    /** The guard image pinned by digest (`<registry>/<repository>@sha256:<64 hex>`, built from guard/Dockerfile). */
    image: string;
    /** The guard's HTTPS port, the only port of the task the entry point reaches. Default 8443. */
    port?: number;
    /** The token issuer (Cognito: `https://cognito-idp.<region>.amazonaws.com/<pool id>`). */
    issuer: pulumi.Input<string>;
    /**
     * The issuer's signing keys (a JSON Web Key Set, JSON), handed to the guard at deploy (GUARD_JWKS): the guard
     * fetches nothing, so the task needs no route to the issuer (the security zone passes its user pool's set,
     * `userPoolJwks`). Without it the guard fetches `jwksUrl`. Not together with `jwksUrl` or `jwksEgressCidr`.
     */
    jwks?: pulumi.Input<string>;
    /** Where the guard fetches the issuer's signing keys when `jwks` is not given. Default `<issuer>/.well-known/jwks.json`. */
    jwksUrl?: pulumi.Input<string>;
    /** The server's URL: its OAuth resource identifier (scopes `<resource>/<scope>`, `aud` when present) and Host. */
    resource: string;
    /** Host names clients may send besides the resource's host. Default none. */
    allowedHosts?: string[];
    /** OAuth client ids whose tokens the guard accepts (people's client and this server's agents): at least one. */
    clientIds: pulumi.Input<string>[];
    /**
     * ARN of the SSM SecureString that holds the approved tools manifest (`approvedManifest`); ECS injects it as
     * GUARD_MANIFEST, so the execution role may read this one parameter.
     */
    manifestParameterArn: pulumi.Input<string>;
    /** Customer managed key of that parameter: the execution role may decrypt with it only through SSM. */
    manifestKmsKeyArn: pulumi.Input<string>;
    /**
     * Without `jwks`: the block the guard reaches `jwksUrl` in, on 443. Default 0.0.0.0/0 (Cognito serves a pool's JWKS
     * only on its public host, so such a request needs a route out and an egress firewall that names that host).
     * Give a narrower block for a JWKS inside the VPC. The security zone passes `jwks` instead and opens nothing.
     */
    jwksEgressCidr?: string;
    /** What the guard does with a credential or PII found in a tool result. Default redact. */
    dlpMode?: "redact" | "block" | "log";
    /** PII classes looked for in tool results (email, credit_card, us_ssn, iban). Default none. */
    piiClasses?: string[];
    /**
     * The stack's approval settings (`mcpsec:approvals`): the reviewers' public keys the guard checks the manifest's
     * signature against, and whether it refuses an unsigned manifest (GUARD_APPROVAL_PUBLIC_KEYS, GUARD_APPROVALS_REQUIRED in
     * the task definition, out of reach of whoever can write the manifest parameter). Default: no keys, not required
     * (then a signed manifest is refused too: no key is trusted to have signed it).
     */
    approvals?: ApprovalSettings;
}

/** Name of the guard's container in the task; a server of that name is refused. */
export const GUARD_CONTAINER = "mcp-guard";
/** The guard's health path (GUARD_HEALTH_PATH), which the target group checks over HTTPS. */
export const GUARD_HEALTH_PATH = "/health";
/** CPU units and MiB of the task that the guard's container takes; the server container gets the rest. */
export const GUARD_CPU = 128;
export const GUARD_MEMORY = 256;

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([^@:]+)(@sha256:[a-f0-9]{64}|:[A-Za-z0-9_.-]+)?$/;

/** Repository of an ECR image reference (with its registry URL), or undefined for other registries. */
export function ecrRepositoryOf(image: string): { account: string; region: string; repository: string; url: string } | undefined {
    const m = ECR_IMAGE.exec(image);
    return m ? { account: m[1], region: m[2], repository: m[4], url: `${m[1]}.dkr.ecr.${m[2]}.amazonaws.com${m[3] ?? ""}/${m[4]}` } : undefined;
}

/** A secret reference without the `:json-key:version-stage:version-id` suffix ECS accepts. */
export function secretArnOf(valueFrom: string): string {
    return valueFrom.split(":").slice(0, 7).join(":");
}

/**
 * One MCP server as a hardened ECS Fargate service (controls S3, H3, C4), behind its MCP guard (S2, S6, C1, C3, C5,
 * H5): the guard runs as a second essential container of the same task, serves HTTPS on its port (the only port the
 * entry point reaches and the target group names) and forwards checked requests to the server on 127.0.0.1. The image pulled from the ECR repository
 * its reference names (or, on request, a repository of its own with immutable tags, scan on push and KMS), a task
 * that runs read-only, as a non-root user, with every Linux capability dropped and an
 * init process; secrets injected from Secrets Manager; logs to an encrypted log group; execution and task roles of
 * its own, scoped to its repository, log group and secrets; a security group that admits only the entry point and
 * lets out only HTTPS (to the VPC endpoints, the S3 prefix list, the VPC's block for GuardDuty's endpoint, and the
 * internet through the zone's egress firewall when the server declares egress); no public IP, no ECS Exec,
 * deployments that roll back on failure.
 */
export class McpService extends pulumi.ComponentResource {
    public readonly serviceName: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    /** The repository the image is pulled from (created or referenced); undefined for an image outside ECR. */
    public readonly repositoryUrl: pulumi.Output<string | undefined>;
    public readonly logGroupName: pulumi.Output<string>;
    /** Where the decision audit lines go: the guard's own log group, or the server's when it runs unguarded. */
    public readonly auditLogGroupName: pulumi.Output<string>;
    public readonly executionRoleArn: pulumi.Output<string>;
    public readonly taskRoleArn: pulumi.Output<string>;
    public readonly taskDefinitionArn: pulumi.Output<string>;

    constructor(name: string, args: McpServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const server = validateMcpServerSpec(args.server, `McpService "${name}".server`);
        for (const [i, s] of (args.taskRoleStatements ?? []).entries()) {
            for (const action of [s.Action].flat()) {
                if (action === "*" || action.endsWith(":*") || !/^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(action)) {
                    throw new ConfigError(`McpService "${name}".taskRoleStatements[${i}].Action`, `${JSON.stringify(action)} is not allowed; expected one named action such as "s3:GetObject" (no wildcard for a whole service)`);
                }
            }
            // Resources given as plain strings are judged here; outputs are judged by the pack (aws-iam-attached-policies-least-privilege).
            const resources = [s.Resource ?? []].flat().filter((r): r is string => typeof r === "string");
            const actions = [s.Action].flat();
            if (s.Effect === "Allow" && actions.some((a) => /^iam:passrole$/i.test(a)) && (s.Resource === undefined || resources.some(passesAnyRole))) {
                throw new ConfigError(`McpService "${name}".taskRoleStatements[${i}].Resource`, `${JSON.stringify(s.Resource)} is not allowed for iam:PassRole; expected the full ARN of each role to pass, without a wildcard`);
            }
            const everywhere = s.Effect === "Allow" ? dataActionsOnEveryResource(actions, resources) : [];
            if (everywhere.length > 0) {
                throw new ConfigError(`McpService "${name}".taskRoleStatements[${i}].Resource`, `${JSON.stringify(s.Resource)} is not allowed for ${everywhere.join(", ")}; expected the ARNs of the secrets, buckets, keys ... the server uses (these actions are scoped to resources, so "*" grants every one of the account)`);
            }
        }
        const guardArgs = checkGuardArgs(name, server, args);
        super("mcpsec:compute:McpService", name, {}, opts);
        const environmentChecked = pulumi.output(checkMcpServerEnvironment(server, `McpService "${name}".server`).then(() => true));
        const parent = { parent: this };
        const tags = (suffix: string) => ({ ...componentTags("compute", `${name}-${suffix}`, args.tags), "mcpsec:server": server.name });
        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const partition = aws.getPartitionOutput({}, parent).partition;

        const imageRepo = ecrRepositoryOf(server.image);
        const repository = (args.createRepository ?? false) ? new aws.ecr.Repository(`${name}-repo`, {
            name: `mcp/${server.name}`,
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
            tags: tags("repo"),
        }, parent) : undefined;
        if (repository) {
            new aws.ecr.LifecyclePolicy(`${name}-repo`, {
                repository: repository.name,
                policy: JSON.stringify({
                    rules: [
                        { rulePriority: 1, description: "Expire untagged images after 14 days", selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 }, action: { type: "expire" } },
                        { rulePriority: 2, description: "Keep the last 50 images", selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 50 }, action: { type: "expire" } },
                    ],
                }),
            }, parent);
        }
        this.repositoryUrl = repository ? repository.repositoryUrl : pulumi.output(imageRepo?.url);

        const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
            name: `/mcpsec/${name}`,
            retentionInDays: args.logRetentionDays ?? 365,
            kmsKeyId: args.kmsKeyArn,
            tags: tags("logs"),
        }, parent);
        this.logGroupName = logGroup.name;
        // The guard's audit lines go to a group of their own: the McpAlerts filters read it, and the server (which the
        // guard exists to distrust) cannot write forged tool_call_denied / tool_changed lines there.
        const guardLogGroup = guardArgs ? new aws.cloudwatch.LogGroup(`${name}-guard-logs`, {
            name: `/mcpsec/${name}/guard`,
            retentionInDays: args.logRetentionDays ?? 365,
            kmsKeyId: args.kmsKeyArn,
            tags: tags("guard-logs"),
        }, parent) : undefined;
        this.auditLogGroupName = guardLogGroup ? guardLogGroup.name : logGroup.name;

        const trust = policyJson({
            Effect: "Allow",
            Principal: { Service: "ecs-tasks.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: {
                StringEquals: { "aws:SourceAccount": account },
                ArnLike: { "aws:SourceArn": pulumi.interpolate`arn:${partition}:ecs:${region}:${account}:*` },
            },
        });

        // Pull from the created repository and from the image's; an image named `mcp/<server>` with a created
        // repository is taken to live in it (one ARN). Images from other registries need no ECR permission here
        // (the patterns without an internet route cannot pull them anyway).
        const repositoryArns: pulumi.Input<string>[] = repository ? [repository.arn] : [];
        if (imageRepo && !(repository && imageRepo.repository === `mcp/${server.name}`)) {
            repositoryArns.push(pulumi.interpolate`arn:${partition}:ecr:${imageRepo.region}:${imageRepo.account}:repository/${imageRepo.repository}`);
        }
        const guardRepo = guardArgs ? ecrRepositoryOf(guardArgs.image) : undefined;
        if (guardRepo) {
            repositoryArns.push(pulumi.interpolate`arn:${partition}:ecr:${guardRepo.region}:${guardRepo.account}:repository/${guardRepo.repository}`);
        }
        const secretArns = [...new Set(Object.values(server.secrets).map(secretArnOf))];
        const executionStatements: PolicyStatement[] = [
            { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            ...(repositoryArns.length > 0 ? [{ Sid: "PullImage", Effect: "Allow" as const, Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: repositoryArns }] : []),
            { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: guardLogGroup ? [pulumi.interpolate`${logGroup.arn}:log-stream:*`, pulumi.interpolate`${guardLogGroup.arn}:log-stream:*`] : pulumi.interpolate`${logGroup.arn}:log-stream:*` },
        ];
        if (secretArns.length > 0) {
            executionStatements.push({ Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArns });
            // Secrets under a customer managed key: Secrets Manager decrypts with the caller's permission on the key.
            executionStatements.push({
                Sid: "DecryptSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: args.secretsKmsKeyArns ?? [args.kmsKeyArn],
                Condition: { StringEquals: { "kms:ViaService": pulumi.interpolate`secretsmanager.${region}.amazonaws.com` } },
            });
        }
        if (guardArgs) {
            // ECS reads the approved manifest for the guard (secrets valueFrom the parameter ARN): ssm:GetParameters on
            // that one parameter, and the SecureString's key only through SSM (Amazon ECS developer guide, "Pass
            // Systems Manager parameters as environment variables"; the zone's ssm interface endpoint carries it).
            executionStatements.push(
                { Sid: "ReadGuardManifest", Effect: "Allow", Action: "ssm:GetParameters", Resource: guardArgs.manifestParameterArn },
                {
                    Sid: "DecryptGuardManifest", Effect: "Allow", Action: "kms:Decrypt", Resource: guardArgs.manifestKmsKeyArn,
                    Condition: { StringEquals: { "kms:ViaService": pulumi.interpolate`ssm.${region}.amazonaws.com` } },
                },
            );
        }
        const guardDuty = !(args.disableGuardDutyAgent ?? false);
        if (guardDuty) {
            const agentRepository = args.guardDutyAgentRepositoryArn ?? pulumi.all([region, partition]).apply(([r, p]) => {
                const arn = guardDutyAgentRepositoryArn(r, p);
                if (arn === undefined) {
                    throw new pulumi.RunError(`McpService "${name}": no GuardDuty Fargate agent repository is known for region ${r}; pass guardDutyAgentRepositoryArn (the repository the GuardDuty user guide lists for ${r}) or disableGuardDutyAgent: true`);
                }
                return arn;
            });
            // GuardDuty adds its runtime agent as a sidecar to every new task; the execution role pulls it, and GuardDuty
            // authenticates the agent with this role (GuardDuty user guide: Fargate prerequisites, agent connectivity).
            executionStatements.push(
                { Sid: "PullGuardDutyAgent", Effect: "Allow", Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: agentRepository },
                { Sid: "GuardDutyAgentTelemetry", Effect: "Allow", Action: "guardduty:SendSecurityTelemetry", Resource: "*" },
            );
        }
        const executionRole = new aws.iam.Role(`${name}-execution`, {
            description: `ECS pulls the image and injects the secrets of MCP server ${server.name}`,
            assumeRolePolicy: trust,
            tags: tags("execution-role"),
        }, parent);
        new aws.iam.RolePolicy(`${name}-execution`, { role: executionRole.id, policy: policyJson(...executionStatements) }, parent);
        this.executionRoleArn = executionRole.arn;

        const taskRole = new aws.iam.Role(`${name}-task`, {
            description: `AWS access of MCP server ${server.name} itself (none unless granted)`,
            assumeRolePolicy: trust,
            tags: tags("task-role"),
        }, parent);
        if ((args.taskRoleStatements ?? []).length > 0) {
            new aws.iam.RolePolicy(`${name}-task`, { role: taskRole.id, policy: policyJson(...args.taskRoleStatements!) }, parent);
        }
        this.taskRoleArn = taskRole.arn;

        // The one port the entry point reaches: the guard's (the server listens on 127.0.0.1 beside it; in awsvpc mode
        // both share the task's interface, so this security group is what keeps the server's port closed).
        const entryPort = guardArgs ? guardArgs.port : server.port;
        const sg = new aws.ec2.SecurityGroup(`${name}-task`, {
            vpcId: args.vpcId,
            description: guardArgs ? `MCP server ${server.name}: its guard's port from the entry point only` : `MCP server ${server.name} (unguarded): its port from the entry point only`,
            // No inline ingress/egress: the rules are the separate resources below (mixing both makes the provider
            // overwrite one with the other). On create the provider removes AWS's default allow-all egress rule.
            tags: tags("task-sg"),
        }, parent);
        this.securityGroupId = sg.id;
        new aws.vpc.SecurityGroupIngressRule(`${name}-from-entry`, {
            securityGroupId: sg.id,
            referencedSecurityGroupId: args.entrySecurityGroupId,
            ipProtocol: "tcp", fromPort: entryPort, toPort: entryPort,
            description: guardArgs ? "HTTPS to the MCP guard from the entry point" : "MCP traffic from the entry point (unguarded)",
        }, parent);
        new aws.vpc.SecurityGroupEgressRule(`${name}-to-endpoints`, {
            securityGroupId: sg.id,
            referencedSecurityGroupId: args.endpointSecurityGroupId,
            ipProtocol: "tcp", fromPort: 443, toPort: 443,
            description: "HTTPS to AWS service endpoints",
        }, parent);
        if (guardDuty) {
            new aws.vpc.SecurityGroupEgressRule(`${name}-to-guardduty`, {
                securityGroupId: sg.id,
                cidrIpv4: args.vpcCidrBlock ?? aws.ec2.getVpcOutput({ id: args.vpcId }, parent).cidrBlock,
                ipProtocol: "tcp", fromPort: 443, toPort: 443,
                description: "HTTPS to the guardduty-data endpoint GuardDuty creates in this VPC (runtime agent)",
            }, parent);
        }
        if (args.s3PrefixListId !== undefined) {
            new aws.vpc.SecurityGroupEgressRule(`${name}-to-s3`, {
                securityGroupId: sg.id,
                prefixListId: args.s3PrefixListId,
                ipProtocol: "tcp", fromPort: 443, toPort: 443,
                description: "HTTPS to S3 through the gateway endpoint (image layers)",
            }, parent);
        }
        // A guard given its issuer's keys (guard.jwks) fetches nothing: no route out for it.
        const jwksCidr = guardArgs && guardArgs.jwks === undefined ? guardArgs.jwksEgressCidr ?? "0.0.0.0/0" : undefined;
        if (server.egress.length > 0 || jwksCidr === "0.0.0.0/0") {
            // Only a server that declares egress domains (or whose guard fetches its issuer's keys from the internet)
            // may open HTTPS beyond the endpoints; the zone's route sends it through the egress firewall, which passes
            // only the declared domains and the issuer's host (EgressFirewall). One rule: AWS refuses a duplicate.
            new aws.vpc.SecurityGroupEgressRule(`${name}-to-egress`, {
                securityGroupId: sg.id,
                cidrIpv4: "0.0.0.0/0",
                ipProtocol: "tcp", fromPort: 443, toPort: 443,
                description: server.egress.length > 0 ? "HTTPS to the declared egress domains, through the egress firewall" : "HTTPS to the token issuer's JWKS, through the egress firewall",
            }, parent);
        } else if (jwksCidr !== undefined) {
            new aws.vpc.SecurityGroupEgressRule(`${name}-to-jwks`, {
                securityGroupId: sg.id,
                cidrIpv4: jwksCidr,
                ipProtocol: "tcp", fromPort: 443, toPort: 443,
                description: "HTTPS to the token issuer's JWKS",
            }, parent);
        }

        // SDKs that still default to the global STS name (sts.amazonaws.com) cannot reach it from a zone without an
        // internet route (nor resolve it past the DNS Firewall): they use the regional endpoint, which the zone's sts
        // interface endpoint serves (AWS SDKs and Tools reference guide, "AWS STS Regional endpoints"). A server that
        // sets the variable itself keeps its own value.
        const own = (key: string) => server.environment[key] !== undefined || server.secrets[key] !== undefined;
        const environment: Record<string, string> = {
            ...(own("AWS_STS_REGIONAL_ENDPOINTS") ? {} : { AWS_STS_REGIONAL_ENDPOINTS: "regional" }),
            // Behind the guard the server must listen on loopback only: images are expected to honour HOST (the
            // security group, which admits only the guard's port, is the enforcement either way).
            ...(guardArgs && !own("HOST") ? { HOST: "127.0.0.1" } : {}),
            ...server.environment,
        };
        const container = {
            name: server.name,
            image: server.image,
            essential: true,
            user: server.user,
            readonlyRootFilesystem: true,
            privileged: false,
            cpu: guardArgs ? server.cpu - GUARD_CPU : server.cpu,
            memory: guardArgs ? server.memory - GUARD_MEMORY : server.memory,
            linuxParameters: { capabilities: { add: [], drop: ["ALL"] }, initProcessEnabled: true },
            // Behind the guard no port mapping: the guard reaches the server on 127.0.0.1 inside the task.
            portMappings: guardArgs ? [] : [{ containerPort: server.port, protocol: "tcp", name: "mcp", appProtocol: "http" }],
            environment: Object.entries(environment).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => ({ name: k, value: v })),
            secrets: Object.entries(server.secrets).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => ({ name: k, valueFrom: v })),
            mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
            logConfiguration: {
                logDriver: "awslogs",
                options: { "awslogs-group": logGroup.name, "awslogs-region": region, "awslogs-stream-prefix": "mcp", mode: "non-blocking", "max-buffer-size": "25m" },
            },
            stopTimeout: 30,
        };
        const guardContainer = guardArgs ? guardContainerOf(guardArgs, server, guardLogGroup!.name, region) : undefined;
        const taskDefinition = new aws.ecs.TaskDefinition(`${name}-task`, {
            family: name,
            cpu: String(server.cpu),
            memory: String(server.memory),
            networkMode: "awsvpc",
            requiresCompatibilities: ["FARGATE"],
            runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: args.cpuArchitecture ?? "X86_64" },
            executionRoleArn: executionRole.arn,
            taskRoleArn: taskRole.arn,
            // The root filesystem is read-only: /tmp is the one writable path, on the task's ephemeral storage.
            volumes: [{ name: "tmp" }],
            // The plain environment is checked for credentials by value (asynchronous detector): a finding fails
            // the deployment with a ConfigError before the task definition is created.
            containerDefinitions: pulumi.all([environmentChecked, pulumi.jsonStringify(guardContainer ? [container, guardContainer] : [container])]).apply(([, json]) => json),
            tags: tags("task"),
        }, parent);
        this.taskDefinitionArn = taskDefinition.arn;

        const service = new aws.ecs.Service(`${name}-service`, {
            name: server.name,
            cluster: args.clusterArn,
            taskDefinition: taskDefinition.arn,
            desiredCount: server.desiredCount,
            launchType: "FARGATE",
            platformVersion: "LATEST",
            networkConfiguration: { subnets: args.subnetIds, securityGroups: [sg.id], assignPublicIp: false },
            deploymentCircuitBreaker: { enable: true, rollback: true },
            deploymentMinimumHealthyPercent: 100,
            deploymentMaximumPercent: 200,
            enableExecuteCommand: args.enableExecuteCommand ?? false,
            enableEcsManagedTags: true,
            propagateTags: "SERVICE",
            loadBalancers: args.targetGroupArn !== undefined
                ? [guardArgs ? { targetGroupArn: args.targetGroupArn, containerName: GUARD_CONTAINER, containerPort: guardArgs.port } : { targetGroupArn: args.targetGroupArn, containerName: server.name, containerPort: server.port }]
                : undefined,
            healthCheckGracePeriodSeconds: args.targetGroupArn !== undefined ? 60 : undefined,
            tags: tags("service"),
        }, parent);
        this.serviceName = service.name;

        this.registerOutputs({ serviceName: this.serviceName, securityGroupId: this.securityGroupId, repositoryUrl: this.repositoryUrl });
    }
}

type CheckedGuard = Omit<McpGuardArgs, "port"> & { port: number };

/** The guard arguments checked against the server (or undefined for an explicit `unguarded`); ConfigError naming the argument. */
function checkGuardArgs(name: string, server: ResolvedMcpServerSpec, args: McpServiceArgs): CheckedGuard | undefined {
    const key = `McpService "${name}"`;
    if (args.guard === undefined) {
        if (args.unguarded !== true) {
            throw new ConfigError(`${key}.guard`, "is required but missing; expected the guard beside the server ({ image, issuer, resource, clientIds, manifestParameterArn, manifestKmsKeyArn }), or unguarded: true to expose the server's own port (reported as a violation)");
        }
        return undefined;
    }
    if (args.unguarded === true) {
        throw new ConfigError(`${key}.unguarded`, "true is not allowed together with guard; expected one of them");
    }
    const g = args.guard;
    if (!/^[^\s@]+@sha256:[a-f0-9]{64}$/.test(g.image)) {
        throw new ConfigError(`${key}.guard.image`, `${JSON.stringify(g.image)} is not allowed; expected the guard image pinned by digest (<registry>/<repository>@sha256:<64 hex>)`);
    }
    const port = g.port ?? 8443;
    if (!Number.isInteger(port) || port < 1024 || port > 65535 || port === server.port) {
        throw new ConfigError(`${key}.guard.port`, `${port} is not allowed; expected a port from 1024 to 65535 other than the server's own (${server.port})`);
    }
    let resource: URL | undefined;
    try {
        resource = new URL(g.resource);
    } catch {
        resource = undefined;
    }
    if (!resource || resource.protocol !== "https:" || resource.hash || resource.search) {
        throw new ConfigError(`${key}.guard.resource`, `${JSON.stringify(g.resource)} is not allowed; expected the server's https URL (https://<host><path>)`);
    }
    if (g.jwks !== undefined && (g.jwksUrl !== undefined || g.jwksEgressCidr !== undefined)) {
        throw new ConfigError(`${key}.guard.${g.jwksUrl !== undefined ? "jwksUrl" : "jwksEgressCidr"}`, "is not allowed together with guard.jwks; expected either the issuer's keys (jwks, nothing fetched) or where to fetch them (jwksUrl, jwksEgressCidr)");
    }
    if (g.clientIds.length === 0) {
        throw new ConfigError(`${key}.guard.clientIds`, "[] is not allowed; expected at least one OAuth client id whose tokens may call the server");
    }
    if (server.name === GUARD_CONTAINER) {
        throw new ConfigError(`${key}.server.name`, `${JSON.stringify(server.name)} is not allowed; it is the name of the guard's container, expected another name`);
    }
    // A set the guard would refuse at start (or that would refuse every token: RSA under 2048 bits, key_ops without
    // verify) fails the deploy here, naming the key, instead of an outage of the running service.
    const jwks = g.jwks === undefined ? undefined : pulumi.output(g.jwks).apply((text) => {
        const parsed = parseJwkSet(text);
        if (!parsed.ok) {
            throw new ConfigError(`${key}.guard.jwks`, `is not allowed: ${parsed.detail}; expected the issuer's JSON Web Key Set of public signing keys`);
        }
        return text;
    });
    return { ...g, port, jwks };
}

/**
 * The guard's container: hardened as the server's (read-only root, numeric non-root user, no capability, init
 * process), its settings from the stack, the approved manifest injected from SSM, HTTPS on its port (certificate
 * made at start: the load balancer does not validate target certificates), its own log group, a health check.
 */
function guardContainerOf(g: CheckedGuard, server: ResolvedMcpServerSpec, logGroupName: pulumi.Output<string>, region: pulumi.Output<string>) {
    const resource = new URL(g.resource);
    const env: Record<string, pulumi.Input<string>> = {
        GUARD_SERVER_NAME: server.name,
        GUARD_RESOURCE: g.resource,
        GUARD_RESOURCE_METADATA_URL: `${resource.origin}/.well-known/oauth-protected-resource${resource.pathname === "/" ? "" : resource.pathname}`,
        GUARD_ISSUER: g.issuer,
        ...(g.jwks !== undefined ? { GUARD_JWKS: g.jwks } : { GUARD_JWKS_URL: g.jwksUrl ?? pulumi.interpolate`${g.issuer}/.well-known/jwks.json` }),
        GUARD_CLIENT_IDS: pulumi.all(g.clientIds).apply((ids) => [...new Set(ids)].join(",")),
        GUARD_UPSTREAM_URL: `http://127.0.0.1:${server.port}${server.path}`,
        GUARD_LISTEN_PORT: String(g.port),
        GUARD_HEALTH_PATH: GUARD_HEALTH_PATH,
        GUARD_TLS: "self-signed",
        GUARD_ALLOWED_HOSTS: [...new Set([resource.host, ...(g.allowedHosts ?? [])])].join(","),
        GUARD_DLP_MODE: g.dlpMode ?? "redact",
        ...((g.piiClasses ?? []).length > 0 ? { GUARD_DLP_PII: g.piiClasses!.join(",") } : {}),
        ...approvalGuardEnv(g.approvals),
        ...(server.allowUndeclaredArguments.length > 0 ? { GUARD_ALLOW_UNDECLARED_ARGUMENTS: server.allowUndeclaredArguments.join(",") } : {}),
        ...(server.tenantClaim !== undefined ? { GUARD_TENANT_CLAIM: server.tenantClaim } : {}),
    };
    // The health check runs inside the container with the image's own node (guard/Dockerfile): GET of the health
    // path over HTTPS on loopback (its certificate is self-signed, so it is not validated on this hop).
    const probe = `require("https").get({host:"127.0.0.1",port:${g.port},path:"${GUARD_HEALTH_PATH}",rejectUnauthorized:false},(r)=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))`;
    return {
        name: GUARD_CONTAINER,
        image: g.image,
        essential: true,
        user: "65532:65532",
        readonlyRootFilesystem: true,
        privileged: false,
        cpu: GUARD_CPU,
        memory: GUARD_MEMORY,
        linuxParameters: { capabilities: { add: [], drop: ["ALL"] }, initProcessEnabled: true },
        portMappings: [{ containerPort: g.port, protocol: "tcp", name: "mcp-guard" }],
        environment: Object.entries(env).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => ({ name: k, value: v })),
        secrets: [{ name: "GUARD_MANIFEST", valueFrom: g.manifestParameterArn }],
        healthCheck: { command: ["CMD", "node", "-e", probe], interval: 15, timeout: 5, retries: 3, startPeriod: 30 },
        logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": logGroupName, "awslogs-region": region, "awslogs-stream-prefix": "guard", mode: "non-blocking", "max-buffer-size": "25m" },
        },
        stopTimeout: 30,
    };
}
