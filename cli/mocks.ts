import { createHash } from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { SECRET_PLACEHOLDER } from "./graph";

/** The account the offline synthesis pretends to deploy into (AWS's documentation example account). */
export const MOCK_ACCOUNT_ID = "123456789012";

const AZ_COUNT: Record<string, number> = { "us-east-1": 6, "us-west-2": 4, "ap-northeast-1": 3 };

/** Elastic Load Balancing's log-delivery account per region (older regions; newer ones use a service principal). */
const ELB_ACCOUNTS: Record<string, string> = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980", "us-west-2": "797873946194",
    "ca-central-1": "985666609251", "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-west-3": "009996457667",
    "eu-central-1": "054676820928", "eu-north-1": "897822967062", "ap-northeast-1": "582318560864", "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266", "ap-south-1": "718504428378", "sa-east-1": "507241528517",
};

function hex(seed: string, length: number): string {
    return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

function uuid(seed: string): string {
    const h = hex(seed, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface MockState {
    id: string;
    state: Record<string, unknown>;
}

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Ctx {
    name: string;
    seed: string;
    inputs: Inputs;
    region: string;
    account: string;
    partition: string;
}

/** Physical name as the provider's auto-naming would pick it: logical name plus a random suffix. */
function autoName(c: Ctx, key = "name"): string {
    return c.inputs[key] ?? (c.inputs[`${key}Prefix`] ? `${c.inputs[`${key}Prefix`]}${hex(c.seed, 26)}` : `${c.name}-${hex(c.seed, 7)}`);
}

/** EC2-style id, e.g. `vpc-0a1b2c3d4e5f67890`. */
function ec2Id(prefix: string, c: Ctx): string {
    return `${prefix}-0${hex(c.seed, 16)}`;
}

function ec2Arn(c: Ctx, kind: string, id: string): string {
    return `arn:${c.partition}:ec2:${c.region}:${c.account}:${kind}/${id}`;
}

/** Per-type computed outputs in each service's real formats. Types not listed get an id only. */
const RESOURCE_MOCKS: Record<string, (c: Ctx) => MockState> = {
    "aws:ec2/vpc:Vpc": (c) => {
        const id = ec2Id("vpc", c);
        return {
            id,
            state: {
                arn: ec2Arn(c, "vpc", id),
                ownerId: c.account,
                defaultNetworkAclId: ec2Id("acl", { ...c, seed: `${c.seed}/acl` }),
                defaultRouteTableId: ec2Id("rtb", { ...c, seed: `${c.seed}/rtb` }),
                defaultSecurityGroupId: ec2Id("sg", { ...c, seed: `${c.seed}/sg` }),
                mainRouteTableId: ec2Id("rtb", { ...c, seed: `${c.seed}/rtb` }),
                instanceTenancy: c.inputs.instanceTenancy ?? "default",
            },
        };
    },
    "aws:ec2/subnet:Subnet": (c) => {
        const id = ec2Id("subnet", c);
        return { id, state: { arn: ec2Arn(c, "subnet", id), ownerId: c.account, mapPublicIpOnLaunch: c.inputs.mapPublicIpOnLaunch ?? false } };
    },
    "aws:ec2/securityGroup:SecurityGroup": (c) => {
        const id = ec2Id("sg", c);
        return { id, state: { arn: ec2Arn(c, "security-group", id), ownerId: c.account, name: autoName(c) } };
    },
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": (c) => {
        const id = ec2Id("sg", c);
        return { id, state: { arn: ec2Arn(c, "security-group", id), ownerId: c.account, name: "default" } };
    },
    "aws:ec2/networkAcl:NetworkAcl": (c) => {
        const id = ec2Id("acl", c);
        return { id, state: { arn: ec2Arn(c, "network-acl", id), ownerId: c.account } };
    },
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": (c) => {
        const id = c.inputs.defaultNetworkAclId ?? ec2Id("acl", c);
        return { id, state: { arn: ec2Arn(c, "network-acl", id), ownerId: c.account, ingress: c.inputs.ingress ?? [], egress: c.inputs.egress ?? [] } };
    },
    "aws:ec2/routeTable:RouteTable": (c) => {
        const id = ec2Id("rtb", c);
        return { id, state: { arn: ec2Arn(c, "route-table", id), ownerId: c.account } };
    },
    "aws:ec2/defaultRouteTable:DefaultRouteTable": (c) => {
        const id = c.inputs.defaultRouteTableId ?? ec2Id("rtb", c);
        return { id, state: { arn: ec2Arn(c, "route-table", id), ownerId: c.account } };
    },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (c) => ({ id: ec2Id("rtbassoc", c), state: {} }),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (c) => {
        const id = ec2Id("vpce", c);
        const dns = `${id}-${hex(c.seed, 8)}.${String(c.inputs.serviceName ?? "").split(".").slice(3).join(".")}.${c.region}.vpce.amazonaws.com`;
        return {
            id,
            state: {
                arn: ec2Arn(c, "vpc-endpoint", id),
                ownerId: c.account,
                state: "available",
                dnsEntries: c.inputs.vpcEndpointType === "Interface" ? [{ dnsName: dns, hostedZoneId: "Z7HUB22UULQXV" }] : [],
                prefixListId: c.inputs.vpcEndpointType === "Gateway" ? `pl-${hex(c.seed, 8)}` : undefined,
            },
        };
    },
    "aws:ec2/flowLog:FlowLog": (c) => {
        const id = ec2Id("fl", c);
        return { id, state: { arn: ec2Arn(c, "vpc-flow-log", id) } };
    },
    "aws:kms/key:Key": (c) => {
        const id = uuid(c.seed);
        return { id, state: { arn: `arn:${c.partition}:kms:${c.region}:${c.account}:key/${id}`, keyId: id, keyUsage: c.inputs.keyUsage ?? "ENCRYPT_DECRYPT" } };
    },
    "aws:kms/alias:Alias": (c) => {
        const name = c.inputs.name ?? `alias/${c.name}-${hex(c.seed, 7)}`;
        return { id: name, state: { name, arn: `arn:${c.partition}:kms:${c.region}:${c.account}:${name}` } };
    },
    "aws:cloudwatch/logGroup:LogGroup": (c) => {
        const name = autoName(c);
        return { id: name, state: { name, arn: `arn:${c.partition}:logs:${c.region}:${c.account}:log-group:${name}` } };
    },
    "aws:iam/role:Role": (c) => {
        const name = autoName(c);
        const path = c.inputs.path ?? "/";
        return { id: name, state: { name, path, arn: `arn:${c.partition}:iam::${c.account}:role${path}${name}`, uniqueId: `AROA${hex(c.seed, 17).toUpperCase()}` } };
    },
    "aws:iam/rolePolicy:RolePolicy": (c) => {
        const name = autoName(c);
        return { id: `${c.inputs.role}:${name}`, state: { name } };
    },
    "aws:cognito/userPool:UserPool": (c) => {
        const id = `${c.region}_${hex(c.seed, 9).replace(/[0-9]/g, (d) => "ABCDEFGHIJ"[Number(d)])}`;
        return { id, state: { arn: `arn:${c.partition}:cognito-idp:${c.region}:${c.account}:userpool/${id}`, endpoint: `cognito-idp.${c.region}.amazonaws.com/${id}`, name: autoName(c) } };
    },
    "aws:cognito/userPoolClient:UserPoolClient": (c) => {
        const id = hex(c.seed, 26).replace(/[0-9]/g, (d) => "klmnopqrst"[Number(d)]);
        // The provider marks clientSecret secret; the offline graph never holds even a fake one in clear.
        return { id, state: { clientSecret: c.inputs.generateSecret ? SECRET_PLACEHOLDER : undefined } };
    },
    "aws:cognito/resourceServer:ResourceServer": (c) => ({ id: `${c.inputs.userPoolId}|${c.inputs.identifier}`, state: { scopeIdentifiers: ((c.inputs.scopes ?? []) as { scopeName: string }[]).map((s) => `${c.inputs.identifier}/${s.scopeName}`) } }),
    "aws:cognito/userPoolDomain:UserPoolDomain": (c) => ({ id: String(c.inputs.domain), state: { cloudfrontDistribution: `d${hex(c.seed, 13)}.cloudfront.net`, awsAccountId: c.account } }),
    "random:index/randomString:RandomString": (c) => {
        const length = Number(c.inputs.length ?? 16);
        const result = Array.from({ length }, (_, i) => "abcdefghijklmnopqrstuvwxyz0123456789"[parseInt(hex(`${c.seed}/${i}`, 2), 16) % 36]).join("");
        return { id: "none", state: { result } };
    },
    "aws:sns/topic:Topic": (c) => {
        const name = autoName(c);
        const arn = `arn:${c.partition}:sns:${c.region}:${c.account}:${name}`;
        return { id: arn, state: { name, arn } };
    },
    "aws:cloudtrail/trail:Trail": (c) => {
        const name = autoName(c);
        const arn = `arn:${c.partition}:cloudtrail:${c.region}:${c.account}:trail/${name}`;
        return { id: arn, state: { name, arn, homeRegion: c.region } };
    },
    "aws:lambda/function:Function": (c) => {
        const name = autoName(c);
        const arn = `arn:${c.partition}:lambda:${c.region}:${c.account}:function:${name}`;
        return { id: name, state: { name, arn, invokeArn: `arn:${c.partition}:apigateway:${c.region}:lambda:path/2015-03-31/functions/${arn}/invocations`, qualifiedArn: `${arn}:$LATEST`, version: "$LATEST" } };
    },
    "aws:sqs/queue:Queue": (c) => {
        const name = autoName(c);
        const url = `https://sqs.${c.region}.amazonaws.com/${c.account}/${name}`;
        return { id: url, state: { name, url, arn: `arn:${c.partition}:sqs:${c.region}:${c.account}:${name}` } };
    },
    "aws:cloudwatch/eventRule:EventRule": (c) => {
        const name = autoName(c);
        return { id: name, state: { name, arn: `arn:${c.partition}:events:${c.region}:${c.account}:rule/${name}` } };
    },
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (c) => {
        const name = autoName(c);
        const arn = `arn:${c.partition}:firehose:${c.region}:${c.account}:deliverystream/${name}`;
        return { id: arn, state: { name, arn } };
    },
    "aws:guardduty/detector:Detector": (c) => {
        const id = hex(c.seed, 32);
        return { id, state: { accountId: c.account, arn: `arn:${c.partition}:guardduty:${c.region}:${c.account}:detector/${id}` } };
    },
    "aws:secretsmanager/secret:Secret": (c) => {
        const name = autoName(c);
        const arn = `arn:${c.partition}:secretsmanager:${c.region}:${c.account}:secret:${name}-${hex(c.seed, 6)}`;
        return { id: arn, state: { name, arn } };
    },
    "aws:ssm/parameter:Parameter": (c) => {
        // The provider's ARN of a name with a leading slash has no double slash (parameter/mcpsec/...).
        const name = String(c.inputs.name ?? autoName(c));
        return { id: name, state: { name, arn: `arn:${c.partition}:ssm:${c.region}:${c.account}:parameter/${name.replace(/^\//, "")}`, version: 1 } };
    },
    "aws:cfg/recorder:Recorder": (c) => ({ id: c.inputs.name ?? "default", state: { name: c.inputs.name ?? "default" } }),
    "aws:cfg/rule:Rule": (c) => {
        const name = autoName(c);
        return { id: name, state: { name, arn: `arn:${c.partition}:config:${c.region}:${c.account}:config-rule/config-rule-${hex(c.seed, 6)}`, ruleId: `config-rule-${hex(c.seed, 6)}` } };
    },
    "random:index/randomPassword:RandomPassword": () => ({ id: "none", state: { result: SECRET_PLACEHOLDER, bcryptHash: SECRET_PLACEHOLDER } }),
    "aws:ecr/repository:Repository": (c) => {
        const name = c.inputs.name ?? autoName(c);
        return { id: name, state: { name, arn: `arn:${c.partition}:ecr:${c.region}:${c.account}:repository/${name}`, registryId: c.account, repositoryUrl: `${c.account}.dkr.ecr.${c.region}.amazonaws.com/${name}` } };
    },
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": (c) => ({ id: String(c.inputs.repository ?? c.name), state: { registryId: c.account } }),
    "aws:ecs/cluster:Cluster": (c) => {
        const name = autoName(c);
        const arn = `arn:${c.partition}:ecs:${c.region}:${c.account}:cluster/${name}`;
        return { id: arn, state: { name, arn } };
    },
    "aws:ecs/service:Service": (c) => {
        const name = autoName(c);
        const cluster = String(c.inputs.cluster ?? "default").split("/").pop();
        const arn = `arn:${c.partition}:ecs:${c.region}:${c.account}:service/${cluster}/${name}`;
        return { id: arn, state: { name, arn } };
    },
    "aws:ecs/taskDefinition:TaskDefinition": (c) => {
        const family = c.inputs.family ?? c.name;
        const arn = `arn:${c.partition}:ecs:${c.region}:${c.account}:task-definition/${family}:1`;
        return { id: family, state: { arn, arnWithoutRevision: `arn:${c.partition}:ecs:${c.region}:${c.account}:task-definition/${family}`, revision: 1 } };
    },
    "aws:lb/loadBalancer:LoadBalancer": (c) => {
        const name = (c.inputs.name ?? `${c.name.slice(0, 24)}-${hex(c.seed, 7)}`) as string;
        const kind = c.inputs.loadBalancerType === "network" ? "net" : "app";
        const arn = `arn:${c.partition}:elasticloadbalancing:${c.region}:${c.account}:loadbalancer/${kind}/${name}/${hex(c.seed, 16)}`;
        const prefix = c.inputs.internal ? "internal-" : "";
        return { id: arn, state: { name, arn, arnSuffix: arn.split(":loadbalancer/")[1], dnsName: `${prefix}${name}-${parseInt(hex(c.seed, 8), 16)}.${c.region}.elb.amazonaws.com`, zoneId: "Z32O12XQLNTSW2" } };
    },
    "aws:lb/targetGroup:TargetGroup": (c) => {
        const name = (c.inputs.name ?? `${c.name.slice(0, 24)}-${hex(c.seed, 7)}`) as string;
        const arn = `arn:${c.partition}:elasticloadbalancing:${c.region}:${c.account}:targetgroup/${name}/${hex(c.seed, 16)}`;
        return { id: arn, state: { name, arn, arnSuffix: arn.split(":")[5] } };
    },
    "aws:lb/listener:Listener": (c) => {
        const lb = String(c.inputs.loadBalancerArn ?? "").split(":loadbalancer/")[1] ?? `app/${c.name}/${hex(c.name, 16)}`;
        const arn = `arn:${c.partition}:elasticloadbalancing:${c.region}:${c.account}:listener/${lb}/${hex(c.seed, 16)}`;
        return { id: arn, state: { arn } };
    },
    "aws:lb/listenerRule:ListenerRule": (c) => {
        const listener = String(c.inputs.listenerArn ?? "").split(":listener/")[1] ?? `app/${c.name}/${hex(c.name, 16)}/${hex(c.name, 16)}`;
        const arn = `arn:${c.partition}:elasticloadbalancing:${c.region}:${c.account}:listener-rule/${listener}/${hex(c.seed, 16)}`;
        return { id: arn, state: { arn } };
    },
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": (c) => ({ id: `${c.inputs.targetGroupArn}-${hex(c.seed, 8)}`, state: {} }),
    "aws:wafv2/webAcl:WebAcl": (c) => {
        const name = autoName(c);
        const id = uuid(c.seed);
        const scope = c.inputs.scope === "CLOUDFRONT" ? "global" : "regional";
        const region = scope === "global" ? "us-east-1" : c.region;
        return { id, state: { name, arn: `arn:${c.partition}:wafv2:${region}:${c.account}:${scope}/webacl/${name}/${id}`, capacity: 1200, lockToken: uuid(`${c.seed}/lock`) } };
    },
    // API Gateway (REST): ids of 10 lower-case alphanumerics, ARNs without an account (arn:aws:apigateway:<region>::/...).
    "aws:apigateway/restApi:RestApi": (c) => {
        const id = hex(c.seed, 10);
        return { id, state: { arn: `arn:${c.partition}:apigateway:${c.region}::/restapis/${id}`, rootResourceId: hex(`${c.seed}/root`, 10), executionArn: `arn:${c.partition}:execute-api:${c.region}:${c.account}:${id}`, createdDate: "2026-11-28T00:00:00Z" } };
    },
    "aws:apigateway/resource:Resource": (c) => ({ id: hex(c.seed, 6), state: { path: `/${c.inputs.pathPart}` } }),
    "aws:apigateway/authorizer:Authorizer": (c) => ({ id: hex(c.seed, 6), state: { arn: `arn:${c.partition}:apigateway:${c.region}::/restapis/${c.inputs.restApi}/authorizers/${hex(c.seed, 6)}` } }),
    "aws:apigateway/model:Model": (c) => ({ id: hex(c.seed, 6), state: {} }),
    "aws:apigateway/requestValidator:RequestValidator": (c) => ({ id: hex(c.seed, 6), state: {} }),
    "aws:apigateway/deployment:Deployment": (c) => ({ id: hex(c.seed, 6), state: { createdDate: "2026-11-28T00:00:00Z" } }),
    "aws:apigateway/stage:Stage": (c) => {
        const api = String(c.inputs.restApi);
        return { id: `ags-${api}-${c.inputs.stageName}`, state: {
            arn: `arn:${c.partition}:apigateway:${c.region}::/restapis/${api}/stages/${c.inputs.stageName}`,
            executionArn: `arn:${c.partition}:execute-api:${c.region}:${c.account}:${api}/${c.inputs.stageName}`,
            invokeUrl: `https://${api}.execute-api.${c.region}.amazonaws.com/${c.inputs.stageName}`,
        } };
    },
    "aws:apigateway/domainName:DomainName": (c) => {
        const domainNameId = hex(c.seed, 10);
        const isPrivate = JSON.stringify(c.inputs.endpointConfiguration ?? {}).includes("PRIVATE");
        return { id: isPrivate ? `${c.inputs.domainName}/${domainNameId}` : String(c.inputs.domainName), state: {
            arn: isPrivate ? `arn:${c.partition}:apigateway:${c.region}:${c.account}:/domainnames/${c.inputs.domainName}+${domainNameId}` : `arn:${c.partition}:apigateway:${c.region}::/domainnames/${c.inputs.domainName}`,
            domainNameId: isPrivate ? domainNameId : undefined,
            regionalDomainName: isPrivate ? undefined : `d-${hex(c.seed, 10)}.execute-api.${c.region}.amazonaws.com`,
            regionalZoneId: isPrivate ? undefined : "ZLY8HYME6SFDD",
        } };
    },
    "aws:apigateway/apiKey:ApiKey": (c) => ({ id: hex(c.seed, 10), state: { arn: `arn:${c.partition}:apigateway:${c.region}::/apikeys/${hex(c.seed, 10)}`, value: SECRET_PLACEHOLDER } }),
    "aws:apigateway/usagePlan:UsagePlan": (c) => ({ id: hex(c.seed, 6), state: { arn: `arn:${c.partition}:apigateway:${c.region}::/usageplans/${hex(c.seed, 6)}` } }),
    "aws:apigatewayv2/vpcLink:VpcLink": (c) => {
        const id = hex(c.seed, 6);
        return { id, state: { arn: `arn:${c.partition}:apigateway:${c.region}::/vpclinks/${id}`, name: c.inputs.name ?? c.name } };
    },
    "aws:wafv2/webAclAssociation:WebAclAssociation": (c) => ({ id: `${c.inputs.webAclArn},${c.inputs.resourceArn}`, state: {} }),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (c) => ({ id: String(c.inputs.resourceArn), state: {} }),
    "aws:s3/bucket:Bucket": (c) => {
        const bucket = (c.inputs.bucket ?? `${c.name}-${hex(c.seed, 7)}`).toLowerCase();
        return { id: bucket, state: { bucket, arn: `arn:${c.partition}:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com`, bucketRegionalDomainName: `${bucket}.s3.${c.region}.amazonaws.com`, hostedZoneId: "Z1BKCTXD74EZPE" } };
    },
    "aws:ec2/vpcEndpointService:VpcEndpointService": (c) => {
        const id = ec2Id("vpce-svc", c);
        return { id, state: { arn: ec2Arn(c, "vpc-endpoint-service", id), serviceName: `com.amazonaws.vpce.${c.region}.${id}`, serviceType: "Interface", state: "Available" } };
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (c) => {
        const id = ec2Id("sgr", c);
        return { id, state: { arn: ec2Arn(c, "security-group-rule", id), securityGroupRuleId: id } };
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (c) => {
        const id = ec2Id("sgr", c);
        return { id, state: { arn: ec2Arn(c, "security-group-rule", id), securityGroupRuleId: id } };
    },
    // Egress: internet and NAT gateways, and AWS Network Firewall with one endpoint per mapped subnet, reported as
    // AWS reports it (firewallStatuses[].syncStates[].attachments[].endpointId, a GWLB-style `vpce-` id).
    "aws:ec2/internetGateway:InternetGateway": (c) => {
        const id = ec2Id("igw", c);
        return { id, state: { arn: ec2Arn(c, "internet-gateway", id), ownerId: c.account } };
    },
    "aws:ec2/eip:Eip": (c) => ({ id: ec2Id("eipalloc", c), state: { allocationId: ec2Id("eipalloc", c), publicIp: `198.51.100.${parseInt(hex(c.seed, 2), 16) % 254 + 1}`, domain: "vpc" } }),
    "aws:ec2/natGateway:NatGateway": (c) => ({ id: ec2Id("nat", c), state: { networkInterfaceId: ec2Id("eni", c), privateIp: "10.0.0.10", connectivityType: c.inputs.connectivityType ?? "public" } }),
    "aws:ec2/route:Route": (c) => ({ id: `r-${c.inputs.routeTableId}${hex(c.seed, 10)}`, state: { origin: "CreateRoute", state: "active" } }),
    "aws:networkfirewall/ruleGroup:RuleGroup": (c) => {
        const name = autoName(c);
        const arn = `arn:${c.partition}:network-firewall:${c.region}:${c.account}:${c.inputs.type === "STATELESS" ? "stateless" : "stateful"}-rulegroup/${name}`;
        return { id: arn, state: { name, arn, updateToken: uuid(`${c.seed}/token`) } };
    },
    "aws:networkfirewall/firewallPolicy:FirewallPolicy": (c) => {
        const name = autoName(c);
        const arn = `arn:${c.partition}:network-firewall:${c.region}:${c.account}:firewall-policy/${name}`;
        return { id: arn, state: { name, arn, updateToken: uuid(`${c.seed}/token`) } };
    },
    "aws:networkfirewall/firewall:Firewall": (c) => {
        const name = autoName(c);
        const arn = `arn:${c.partition}:network-firewall:${c.region}:${c.account}:firewall/${name}`;
        const mappings = (c.inputs.subnetMappings ?? []) as { subnetId: string }[];
        return {
            id: arn,
            state: {
                name, arn, updateToken: uuid(`${c.seed}/token`),
                firewallStatuses: [{
                    syncStates: mappings.map((m, i) => ({
                        availabilityZone: `${c.region}${"abcdef"[i % 6]}`,
                        attachments: [{ subnetId: m.subnetId, endpointId: ec2Id("vpce", { ...c, seed: `${c.seed}/${m.subnetId}` }), status: "READY" }],
                    })),
                    transitGatewayAttachmentSyncStates: [],
                }],
            },
        };
    },
    "aws:networkfirewall/loggingConfiguration:LoggingConfiguration": (c) => ({ id: String(c.inputs.firewallArn), state: {} }),
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": (c) => {
        const id = `rslvr-fdl-${hex(c.seed, 16)}`;
        return { id, state: { arn: `arn:${c.partition}:route53resolver:${c.region}:${c.account}:firewall-domain-list/${id}` } };
    },
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": (c) => {
        const id = `rslvr-frg-${hex(c.seed, 16)}`;
        return { id, state: { arn: `arn:${c.partition}:route53resolver:${c.region}:${c.account}:firewall-rule-group/${id}`, ownerId: c.account, shareStatus: "NOT_SHARED" } };
    },
    "aws:route53/resolverFirewallRule:ResolverFirewallRule": (c) => ({ id: `${c.inputs.firewallRuleGroupId}:${c.inputs.firewallDomainListId}`, state: {} }),
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": (c) => {
        const id = `rslvr-frgassoc-${hex(c.seed, 16)}`;
        return { id, state: { arn: `arn:${c.partition}:route53resolver:${c.region}:${c.account}:firewall-rule-group-association/${id}` } };
    },
    "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": (c) => ({ id: `rslvr-fc-${hex(c.seed, 16)}`, state: { ownerId: c.account } }),
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": (c) => {
        const id = `rslvr-qlc-${hex(c.seed, 16)}`;
        return { id, state: { arn: `arn:${c.partition}:route53resolver:${c.region}:${c.account}:resolver-query-log-config/${id}`, ownerId: c.account, shareStatus: "NOT_SHARED" } };
    },
    // EKS: the cluster as DescribeCluster reports it (endpoint, CA, OIDC issuer, the security group EKS creates), the
    // node group with the Auto Scaling group EKS made for it, launch templates with their version.
    "aws:eks/cluster:Cluster": (c) => {
        const name = autoName(c);
        const id = hex(c.seed, 32).toUpperCase();
        const vpc = (c.inputs.vpcConfig ?? {}) as Record<string, unknown>;
        return {
            id: name,
            state: {
                name, arn: `arn:${c.partition}:eks:${c.region}:${c.account}:cluster/${name}`,
                endpoint: `https://${id}.gr7.${c.region}.eks.amazonaws.com`,
                certificateAuthority: { data: Buffer.from(`mock CA of ${name}`).toString("base64") },
                identities: [{ oidcs: [{ issuer: `https://oidc.eks.${c.region}.amazonaws.com/id/${id}` }] }],
                vpcConfig: { ...vpc, clusterSecurityGroupId: ec2Id("sg", { ...c, seed: `${c.seed}/cluster-sg` }), vpcId: ec2Id("vpc", { ...c, seed: `${c.seed}/vpc` }) },
                platformVersion: "eks.1", status: "ACTIVE", clusterId: uuid(c.seed),
            },
        };
    },
    "aws:eks/nodeGroup:NodeGroup": (c) => {
        const name = String(c.inputs.nodeGroupName ?? autoName(c));
        const id = uuid(c.seed);
        return {
            id: `${c.inputs.clusterName}:${name}`,
            state: {
                nodeGroupName: name, arn: `arn:${c.partition}:eks:${c.region}:${c.account}:nodegroup/${c.inputs.clusterName}/${name}/${id}`, status: "ACTIVE",
                resources: [{ autoscalingGroups: [{ name: `eks-${name}-${id}` }], remoteAccessSecurityGroupId: "" }],
            },
        };
    },
    "aws:eks/addon:Addon": (c) => ({ id: `${c.inputs.clusterName}:${c.inputs.addonName}`, state: { arn: `arn:${c.partition}:eks:${c.region}:${c.account}:addon/${c.inputs.clusterName}/${c.inputs.addonName}/${uuid(c.seed)}`, addonVersion: "v1.0.0-eksbuild.1" } }),
    "aws:eks/accessEntry:AccessEntry": (c) => ({ id: `${c.inputs.clusterName}:${c.inputs.principalArn}`, state: { accessEntryArn: `arn:${c.partition}:eks:${c.region}:${c.account}:access-entry/${c.inputs.clusterName}/role/${c.account}/${uuid(c.seed)}` } }),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": (c) => ({ id: `${c.inputs.clusterName}#${c.inputs.principalArn}#${c.inputs.policyArn}`, state: {} }),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (c) => {
        const host = String(c.inputs.url ?? "").replace(/^https:\/\//, "");
        const arn = `arn:${c.partition}:iam::${c.account}:oidc-provider/${host}`;
        return { id: arn, state: { arn } };
    },
    "aws:ec2/launchTemplate:LaunchTemplate": (c) => {
        const id = ec2Id("lt", c);
        return { id, state: { arn: ec2Arn(c, "launch-template", id), latestVersion: 1, defaultVersion: 1, name: autoName(c) } };
    },
    "aws:autoscaling/attachment:Attachment": (c) => ({ id: `${c.inputs.autoscalingGroupName}-${hex(c.seed, 8)}`, state: {} }),
    // Bedrock AgentCore: gateway ids are the name and 10 lower-case alphanumerics (arn:aws:bedrock-agentcore:<region>:<account>:gateway/<id>).
    "aws:bedrock/agentcoreGateway:AgentcoreGateway": (c) => {
        const id = `${c.inputs.name ?? autoName(c)}-${hex(c.seed, 10)}`;
        return { id, state: { gatewayId: id, gatewayArn: `arn:${c.partition}:bedrock-agentcore:${c.region}:${c.account}:gateway/${id}`, gatewayUrl: `https://${id}.gateway.bedrock-agentcore.${c.region}.amazonaws.com/mcp` } };
    },
    "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget": (c) => ({ id: `${c.inputs.gatewayIdentifier},${hex(c.seed, 10).toUpperCase()}`, state: { targetId: hex(c.seed, 10).toUpperCase() } }),
    "aws:bedrock/agentcorePolicyEngine:AgentcorePolicyEngine": (c) => {
        const id = `${c.inputs.name ?? autoName(c)}-${hex(c.seed, 10)}`;
        return { id, state: { policyEngineId: id, policyEngineArn: `arn:${c.partition}:bedrock-agentcore:${c.region}:${c.account}:policy-engine/${id}` } };
    },
    "aws:bedrock/agentcorePolicy:AgentcorePolicy": (c) => {
        const id = `${c.inputs.name ?? autoName(c)}-${hex(c.seed, 10)}`;
        return { id: `${c.inputs.policyEngineId},${id}`, state: { policyId: id, policyArn: `arn:${c.partition}:bedrock-agentcore:${c.region}:${c.account}:policy-engine/${c.inputs.policyEngineId}/policy/${id}` } };
    },
    "aws:bedrock/agentcoreOauth2CredentialProvider:AgentcoreOauth2CredentialProvider": (c) => {
        const name = c.inputs.name ?? autoName(c);
        return { id: name, state: { credentialProviderArn: `arn:${c.partition}:bedrock-agentcore:${c.region}:${c.account}:token-vault/default/oauth2credentialprovider/${name}`, clientSecretArns: [{ secretArn: `arn:${c.partition}:secretsmanager:${c.region}:${c.account}:secret:bedrock-agentcore-identity!default/oauth2/${name}-${hex(c.seed, 6)}` }] } };
    },
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": (c) => ({ id: c.inputs.name, state: { arn: `arn:${c.partition}:logs:${c.region}:${c.account}:delivery-source:${c.inputs.name}`, service: "bedrock-agentcore" } }),
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": (c) => ({ id: c.inputs.name, state: { arn: `arn:${c.partition}:logs:${c.region}:${c.account}:delivery-destination:${c.inputs.name}` } }),
    "aws:cloudwatch/logDelivery:LogDelivery": (c) => ({ id: hex(c.seed, 16), state: { arn: `arn:${c.partition}:logs:${c.region}:${c.account}:delivery:${hex(c.seed, 16)}` } }),
    "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation": (c) => ({ id: `rslvr-qlcassoc-${hex(c.seed, 16)}`, state: {} }),
};

/**
 * Answers the mock engine's calls with outputs in the providers' real formats, so that references between
 * resources (ARNs in policies, ids in associations) resolve as they would in a deployment.
 */
export class BlueprintMocks implements pulumi.runtime.Mocks {
    private readonly partition = "aws";

    constructor(
        private readonly region: string,
        private readonly account: string = MOCK_ACCOUNT_ID,
    ) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
        if (args.type.startsWith("pulumi:providers:")) {
            return { id: uuid(`provider/${args.name}`), state: args.inputs };
        }
        const ctx: Ctx = { name: args.name, seed: `${args.type}/${args.name}`, inputs: args.inputs, region: this.region, account: this.account, partition: this.partition };
        const mock = RESOURCE_MOCKS[args.type];
        const { id, state } = mock ? mock(ctx) : { id: `${args.name}-${hex(ctx.seed, 8)}`, state: {} };
        const outputs: Record<string, unknown> = { ...args.inputs, ...state };
        if (args.type.startsWith("aws:") && args.inputs.tags) {
            outputs.tagsAll = args.inputs.tags;
        }
        if (args.type.startsWith("aws:") && outputs.region === undefined) {
            outputs.region = this.region;
        }
        return { id, state: outputs };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        const region = this.region;
        switch (args.token) {
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { accountId: this.account, arn: `arn:${this.partition}:iam::${this.account}:user/offline-check`, id: this.account, userId: `AIDA${hex("user", 17).toUpperCase()}` };
            case "aws:index/getRegion:getRegion":
                return { id: region, name: region, region, endpoint: `ec2.${region}.amazonaws.com`, description: region };
            case "aws:index/getPartition:getPartition":
                return { id: this.partition, partition: this.partition, dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
            case "aws:index/getAvailabilityZones:getAvailabilityZones": {
                const letters = "abcdef".slice(0, AZ_COUNT[region] ?? 3).split("");
                return {
                    id: region,
                    names: letters.map((l) => `${region}${l}`),
                    zoneIds: letters.map((_, i) => `${region.split("-").map((p) => p[0]).join("")}${region.slice(-1)}-az${i + 1}`),
                    groupNames: letters.map(() => region),
                };
            }
            case "aws:ec2/getVpc:getVpc":
                // A VPC given by id only (components used on their own): a private block, as the blueprints use.
                return { id: args.inputs.id, cidrBlock: "10.0.0.0/16", arn: `arn:${this.partition}:ec2:${region}:${this.account}:vpc/${args.inputs.id}` };
            case "aws:elb/getServiceAccount:getServiceAccount": {
                const elb = ELB_ACCOUNTS[region];
                if (!elb) {
                    throw new Error(`offline synthesis knows no Elastic Load Balancing account for region ${region}`);
                }
                return { id: elb, arn: `arn:${this.partition}:iam::${elb}:root` };
            }
            default:
                throw new Error(`offline synthesis has no answer for the data source ${args.token}; add it to cli/mocks.ts`);
        }
    }
}
