import { mcpWebAclRules } from "../../components/edge/webAcl";
import { Props } from "../../policies/lib/rule";
import { Fixture, FixtureResource } from "./harness";
import { egressPolicy, networkCases, networkFirewall } from "./network.cases";
import { apiGatewayCases } from "./apigateway.cases";
import { agentcoreCases } from "./agentcore.cases";
import { eksCases } from "./eks.cases";
import { endpointPolicy } from "../../components/network/endpointPolicies";

// Factories of compliant resources; each failing case breaks one property.
const vpc = (name = "vpc", props: Props = {}): FixtureResource => ({ type: "aws:ec2/vpc:Vpc", name, props: { cidrBlock: "10.0.0.0/16", arn: `arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0${name}`, ...props } });
const flowLog = (vpcName = "vpc", props: Props = {}): FixtureResource => ({ type: "aws:ec2/flowLog:FlowLog", name: `${vpcName}-fl`, props: { trafficType: "ALL", vpcId: "vpc-unknown", ...props }, refs: { vpcId: [vpcName] } });
const defaultSg = (vpcName = "vpc", props: Props = {}): FixtureResource => ({ type: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", name: `${vpcName}-default-sg`, props: { ingress: [], egress: [], ...props }, refs: { vpcId: [vpcName] } });
const subnet = (props: Props = {}): Props => ({ vpcId: "vpc-1", cidrBlock: "10.0.0.0/20", mapPublicIpOnLaunch: false, ...props });
const naclEntry = (props: Props = {}): Props => ({ ruleNo: 100, action: "allow", protocol: "tcp", cidrBlock: "10.0.0.0/16", fromPort: 0, toPort: 65535, ...props });
const logGroup = (props: Props = {}): Props => ({ name: "/mcpsec/x", retentionInDays: 365, kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k", ...props });
const kmsKey = (props: Props = {}): Props => ({ enableKeyRotation: true, deletionWindowInDays: 30, ...props });
const sgRes = (props: Props = {}): FixtureResource => ({ type: "aws:ec2/securityGroup:SecurityGroup", name: "task", props: { id: "sg-task", vpcId: "vpc-1", ...props } });
const sgEgress = (): FixtureResource => ({ type: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", name: "task-to-endpoints", props: { securityGroupId: "unknown", ipProtocol: "tcp", fromPort: 443, toPort: 443, referencedSecurityGroupId: "sg-endpoints" }, refs: { securityGroupId: ["task"] } });
// Network fixtures: a zone VPC, a workload subnet used by an ECS service, its route table, a Network Firewall.
const netVpc = (): FixtureResource => vpc("zone", { id: "vpc-0zone" });
const workloadSubnet = (): FixtureResource => ({ type: "aws:ec2/subnet:Subnet", name: "private-0", props: { id: "subnet-0a", vpcId: "vpc-0zone", cidrBlock: "10.0.0.0/20" }, refs: { vpcId: ["zone"] } });
const mcpService = (): FixtureResource => ({ type: "aws:ecs/service:Service", name: "docs-svc", props: { launchType: "FARGATE", networkConfiguration: { subnets: ["subnet-0a"], securityGroups: ["sg-task"], assignPublicIp: false } } });
const routeTable = (name = "private-rt", props: Props = {}): FixtureResource => ({ type: "aws:ec2/routeTable:RouteTable", name, props: { id: `rtb-${name}`, vpcId: "vpc-0zone", ...props }, refs: { vpcId: ["zone"] } });
const rtAssociation = (subnetName = "private-0", table = "private-rt"): FixtureResource => ({ type: "aws:ec2/routeTableAssociation:RouteTableAssociation", name: `${subnetName}-assoc`, props: { subnetId: "unknown", routeTableId: "unknown" }, refs: { subnetId: [subnetName], routeTableId: [table] } });
const route = (name: string, props: Props, table = "private-rt"): FixtureResource => ({ type: "aws:ec2/route:Route", name, props: { routeTableId: "unknown", ...props }, refs: { routeTableId: [table] } });
const zone = (...extra: FixtureResource[]): FixtureResource[] => [netVpc(), workloadSubnet(), mcpService(), routeTable(), rtAssociation(), ...egressPolicy(), ...extra];
const PASS_EVERYTHING = "arn:aws:network-firewall:eu-west-1:123456789012:firewall-policy/pass-everything";
const zoneSg = (props: Props = {}): FixtureResource => ({ type: "aws:ec2/securityGroup:SecurityGroup", name: "task", props: { id: "sg-task", vpcId: "vpc-0zone", ...props }, refs: { vpcId: ["zone"] } });
const endpointCtx = { account: "123456789012", region: "eu-west-1", partition: "aws", guardDutyAgentRepositoryArn: "arn:aws:ecr:eu-west-1:694911143906:repository/aws-guardduty-agent-fargate" };
const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const interfaceEndpoint = (svc: string, policy?: string): Props => ({ vpcEndpointType: "Interface", serviceName: `com.amazonaws.eu-west-1.${svc}`, privateDnsEnabled: true, ...(policy === undefined ? {} : { policy }) });
const anyone = (statement: Props) => doc({ Effect: "Allow", Principal: "*", ...statement });

const container = (props: Props = {}): Props => ({
    name: "docs", image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs@sha256:${"c".repeat(64)}`, user: "65532:65532",
    readonlyRootFilesystem: true, privileged: false, memory: 512,
    linuxParameters: { capabilities: { add: [], drop: ["ALL"] }, initProcessEnabled: true },
    logConfiguration: { logDriver: "awslogs", options: {} },
    environment: [{ name: "LOG_LEVEL", value: "info" }],
    secrets: [{ name: "API_TOKEN", valueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf" }],
    ...props,
});
const taskDef = (c: Props = {}, props: Props = {}): Props => ({ cpu: "256", memory: "512", requiresCompatibilities: ["FARGATE"], networkMode: "awsvpc", containerDefinitions: JSON.stringify([container(c)]), ...props });
const TASK = "aws:ecs/taskDefinition:TaskDefinition";
/** Credential-shaped test values (not real), assembled at run time so the source holds no literal token. */
const FAKE = {
    github: ["ghp", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"].join("_"),
    slack: ["xoxb", "123456789012", "1234567890123", "AbCdEfGhIjKlMnOpQrStUvWx"].join("-"),
    jwt: [Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url"), Buffer.from('{"sub":"agent-1"}').toString("base64url"), "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"].join("."),
    pem: ["-----BEGIN RSA PRIVATE KEY-----", ..."MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB".repeat(3).match(/.{1,64}/g)!, "-----END RSA PRIVATE KEY-----"].join("\n"),
};
/** The guard container beside a server (McpService): listens on 8443, forwards to the server on 127.0.0.1:8080. */
const guardContainer = (props: Props = {}): Props => container({
    name: "mcp-guard", image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard@sha256:${"9".repeat(64)}`, secrets: [],
    portMappings: [{ containerPort: 8443, protocol: "tcp" }],
    environment: [{ name: "GUARD_SERVER_NAME", value: "docs-search" }, { name: "GUARD_UPSTREAM_URL", value: "http://127.0.0.1:8080/mcp" }, { name: "GUARD_LISTEN_PORT", value: "8443" }],
    ...props,
});
const sgIngress = (name: string, port: number): FixtureResource => ({ type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name, props: { securityGroupId: "unknown", ipProtocol: "tcp", fromPort: port, toPort: port, referencedSecurityGroupId: "sg-entry" }, refs: { securityGroupId: ["task"] } });
/** A guarded ECS service: task (server + guard), service bound to the guard, its security group admitting the guard's port. */
function guarded(opts: { containers?: Props[]; binding?: Props; ingressPort?: number | null; inlineIngress?: Props[] } = {}): FixtureResource[] {
    const containers = opts.containers ?? [container({ portMappings: [] }), guardContainer()];
    return [
        { type: TASK, name: "docs-task", props: { ...taskDef(), containerDefinitions: JSON.stringify(containers) } },
        { type: "aws:ecs/service:Service", name: "docs-svc", props: { ...ecsService({ networkConfiguration: { subnets: ["subnet-1"], securityGroups: ["sg-task"], assignPublicIp: false } }), taskDefinition: "unknown", loadBalancers: [{ targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/docs/0123", containerName: "mcp-guard", containerPort: 8443, ...opts.binding }] }, refs: { taskDefinition: ["docs-task"] } },
        sgRes(opts.inlineIngress ? { ingress: opts.inlineIngress } : {}),
        ...(opts.ingressPort === null ? [] : [sgIngress("from-entry", opts.ingressPort ?? 8443)]),
    ];
}
const ecsService = (props: Props = {}): Props => ({ launchType: "FARGATE", enableExecuteCommand: false, networkConfiguration: { subnets: ["subnet-1"], securityGroups: ["sg-1"], assignPublicIp: false }, ...props });
const repo = (props: Props = {}): Props => ({ name: "mcp/docs", imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true }, encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: "arn:aws:kms:eu-west-1:123456789012:key/k" }], ...props });
const REPO = "aws:ecr/repository:Repository";
const registryScan = (rules: Props[], scanType = "BASIC"): FixtureResource => ({ type: "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration", name: "registry-scanning", props: { scanType, rules } });
const doc = (...statements: Props[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const alb = (name = "alb", props: Props = {}): FixtureResource => ({ type: "aws:lb/loadBalancer:LoadBalancer", name, props: { loadBalancerType: "application", internal: true, arn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/${name}/0123456789abcdef`, ...props } });
const association = (target = "alb"): FixtureResource => ({ type: "aws:wafv2/webAclAssociation:WebAclAssociation", name: `${target}-waf`, props: { resourceArn: "unknown", webAclArn: "arn:acl" }, refs: { resourceArn: [target] } });
const LB = "aws:lb/loadBalancer:LoadBalancer";
const LISTENER = "aws:lb/listener:Listener";
const lbListener = (name: string, lbName: string, protocol: string, defaultActions: Props[] = [{ type: "fixed-response", fixedResponse: { statusCode: "404" } }], tgs: string[] = []): FixtureResource => ({ type: LISTENER, name, props: { protocol, loadBalancerArn: "unknown", defaultActions, arn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/${lbName}/0123/${name}` }, refs: { loadBalancerArn: [lbName], ...(tgs.length > 0 ? { defaultActions: tgs } : {}) } });
const targetGroup = (name: string, props: Props = {}): FixtureResource => ({ type: "aws:lb/targetGroup:TargetGroup", name, props: { arn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/0123`, targetType: "ip", protocol: "HTTP", port: 8080, healthCheck: { enabled: true, path: "/health" }, ...props } });
const listenerRule = (name: string, listener: string, actions: Props[], tgs: string[] = []): FixtureResource => ({ type: "aws:lb/listenerRule:ListenerRule", name, props: { listenerArn: "unknown", priority: 2000, actions }, refs: { listenerArn: [listener], ...(tgs.length > 0 ? { actions: tgs } : {}) } });
const webAcl = (name = "acl", props: Props = {}): FixtureResource => ({ type: "aws:wafv2/webAcl:WebAcl", name, props: { arn: `arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/${name}/id`, ...props } });
const wafLogging = (acl = "acl", props: Props = {}): FixtureResource => ({ type: "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", name: `${acl}-logging`, props: { resourceArn: "unknown", logDestinationConfigs: ["arn:logs"], redactedFields: [{ singleHeader: { name: "authorization" } }], ...props }, refs: { resourceArn: [acl] } });
const ruleJson = (groups: string[], rate = true) => JSON.stringify([
    ...groups.map((g, i) => ({ Name: g, Priority: i, Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: g } }, OverrideAction: { None: {} } })),
    ...(rate ? [{ Name: "rate", Priority: 9, Statement: { RateBasedStatement: { Limit: 100, AggregateKeyType: "IP" } }, Action: { Block: {} } }] : []),
]);
const WEB_ACL = "aws:wafv2/webAcl:WebAcl";
/** The McpWebAcl rules (API JSON form), for fixtures that weaken them. */
const mcpRules = (): Props[] => mcpWebAclRules({ allowedMethods: ["tools/call"], rateLimitPerIp: 100, rateLimitPerToken: 100, maxBodyBytes: 8192, mcpPaths: ["/mcp"] });
const uriPath = (SearchString: string, PositionalConstraint = "EXACTLY"): Props => ({ ByteMatchStatement: { SearchString, FieldToMatch: { UriPath: {} }, PositionalConstraint, TextTransformations: [{ Priority: 0, Type: "NONE" }] } });
const httpMethod = (SearchString: string): Props => ({ ByteMatchStatement: { SearchString, FieldToMatch: { Method: {} }, PositionalConstraint: "EXACTLY", TextTransformations: [{ Priority: 0, Type: "NONE" }] } });
const withOverride = (action: string): string => JSON.stringify(mcpRules().map((r) => (r.Name === "AWSManagedRulesCommonRuleSet" ? { ...r, Statement: { ManagedRuleGroupStatement: { ...r.Statement.ManagedRuleGroupStatement, RuleActionOverrides: [{ Name: "SizeRestrictions_BODY", ActionToUse: { [action]: {} } }] } } } : r)));
const dataProtection = (props: Props = {}): Props => ({ dataProtections: [{ action: "SUBSTITUTION", field: { fieldType: "SINGLE_HEADER", fieldKeys: ["authorization"] }, ...props }] });
const BASELINE = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"];
const bucket = (name = "logs"): FixtureResource => ({ type: "aws:s3/bucket:Bucket", name, props: { bucket: `${name}-abc`, arn: `arn:aws:s3:::${name}-abc` } });
const pab = (b = "logs", props: Props = {}): FixtureResource => ({ type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: `${b}-pab`, props: { bucket: "unknown", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...props }, refs: { bucket: [b] } });
const tlsOnly = { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::logs-abc", "arn:aws:s3:::logs-abc/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } };
const bucketPolicy = (b = "logs", policy = doc(tlsOnly)): FixtureResource => ({ type: "aws:s3/bucketPolicy:BucketPolicy", name: `${b}-policy`, props: { bucket: "unknown", policy }, refs: { bucket: [b] } });

const taggedBucket = (name: string, tags: Record<string, string>, props: Props = {}): FixtureResource => ({ ...bucket(name), props: { ...bucket(name).props, tags, ...props } });
const accessLogging = (source: string, target: string, props: Props = {}): FixtureResource => ({ type: "aws:s3/bucketLogging:BucketLogging", name: `${source}-access-logging`, props: { bucket: "unknown", targetBucket: "unknown", targetPrefix: `s3/${source}/`, ...props }, refs: { bucket: [source], targetBucket: [target] } });
const EXEMPT = { "mcpsec:access-log-exemption": "terminal access-log bucket - receives the S3 server access logs of the other buckets" };
const lockedBucket = (name = "archive"): FixtureResource => ({ ...bucket(name), props: { ...bucket(name).props, objectLockEnabled: true } });
const lockConfig = (mode: string | undefined, b = "archive"): FixtureResource => ({ type: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", name: `${b}-lock`, props: { bucket: "unknown", ...(mode ? { rule: { defaultRetention: { mode, days: 365 } } } : {}) }, refs: { bucket: [b] } });
const denyBypass = { Sid: "DenyGovernanceBypass", Effect: "Deny", Principal: "*", Action: "s3:BypassGovernanceRetention", Resource: "arn:aws:s3:::archive-abc/*" };
const lockFor = (retention: Props, b = "archive"): FixtureResource => ({ ...lockConfig("COMPLIANCE", b), props: { bucket: "unknown", rule: { defaultRetention: retention } } });
const s3LogDelivery = { Sid: "S3ServerAccessLogDelivery", Effect: "Allow", Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject", Resource: "arn:aws:s3:::access-logs-abc/*", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } };

const POOL = "aws:cognito/userPool:UserPool";
const CLIENT = "aws:cognito/userPoolClient:UserPoolClient";
const pool = (props: Props = {}): Props => ({
    userPoolTier: "PLUS", adminCreateUserConfig: { allowAdminCreateUserOnly: true },
    mfaConfiguration: "ON", softwareTokenMfaConfiguration: { enabled: true }, userPoolAddOns: { advancedSecurityMode: "ENFORCED" }, deletionProtection: "ACTIVE",
    passwordPolicy: { minimumLength: 14, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true, temporaryPasswordValidityDays: 1 },
    ...props,
});
const peopleClient = (props: Props = {}): Props => ({
    generateSecret: false, allowedOauthFlows: ["code"], allowedOauthFlowsUserPoolClient: true, explicitAuthFlows: ["ALLOW_USER_SRP_AUTH"],
    refreshTokenRotation: { feature: "ENABLED", retryGracePeriodSeconds: 0 },
    accessTokenValidity: 15, tokenValidityUnits: { accessToken: "minutes" }, enableTokenRevocation: true, preventUserExistenceErrors: "ENABLED",
    ...props,
});
const agentClient = (props: Props = {}): Props => peopleClient({ generateSecret: true, allowedOauthFlows: ["client_credentials"], explicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"], refreshTokenRotation: undefined, ...props });

const poolRes = (name = "users", props: Props = {}): FixtureResource => ({ type: POOL, name, props: pool({ id: `eu-west-1_${name}`, arn: `arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_${name}`, ...props }) });
const clientRes = (name = "people", props: Props = {}, poolName = "users"): FixtureResource => ({ type: CLIENT, name, props: peopleClient({ id: `client-${name}`, userPoolId: "unknown", allowedOauthScopes: ["openid", "https://docs.example.com/mcp/docs:read"], ...props }), refs: { userPoolId: [poolName] } });
const domainRes = (version: number | undefined, poolName = "users"): FixtureResource => ({ type: "aws:cognito/userPoolDomain:UserPoolDomain", name: "domain", props: { domain: "mcp-auth", userPoolId: "unknown", ...(version === undefined ? {} : { managedLoginVersion: version }) }, refs: { userPoolId: [poolName] } });
const brandingRes = (clientName = "people"): FixtureResource => ({ type: "aws:cognito/managedLoginBranding:ManagedLoginBranding", name: `${clientName}-branding`, props: { clientId: "unknown", userPoolId: "unknown", useCognitoProvidedValues: true }, refs: { clientId: [clientName], userPoolId: ["users"] } });
const scopeTrigger = { preTokenGenerationConfig: { lambdaArn: "arn:aws:lambda:eu-west-1:123456789012:function:scopes", lambdaVersion: "V2_0" } };
const triggerFn = (): FixtureResource => ({ type: "aws:lambda/function:Function", name: "scopes", props: { name: "scopes", arn: scopeTrigger.preTokenGenerationConfig.lambdaArn } });
const triggerPermission = (props: Props = {}): FixtureResource => ({ type: "aws:lambda/permission:Permission", name: "scopes-invoke", props: { action: "lambda:InvokeFunction", function: "scopes", principal: "cognito-idp.amazonaws.com", sourceArn: "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_users", ...props } });
const withTrigger = (...extra: FixtureResource[]): FixtureResource[] => [poolRes("users", { lambdaConfig: scopeTrigger }), triggerFn(), triggerPermission(), ...extra];

const secret = (name = "api", props: Props = {}): FixtureResource => ({ type: "aws:secretsmanager/secret:Secret", name, props: { kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k", arn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`, ...props } });
const rotation = (name = "api"): FixtureResource => ({ type: "aws:secretsmanager/secretRotation:SecretRotation", name: `${name}-rotation`, props: { secretId: "unknown", rotationRules: { automaticallyAfterDays: 30 } }, refs: { secretId: [name] } });
const trail = (props: Props = {}): Props => ({ isMultiRegionTrail: true, enableLogFileValidation: true, kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k", cloudWatchLogsGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:t:*", enableLogging: true, ...props });
const ecsSvc = (): FixtureResource => ({ type: "aws:ecs/service:Service", name: "docs", props: {} });
const detector = (props: Props = {}): FixtureResource => ({ type: "aws:guardduty/detector:Detector", name: "gd", props: { enable: true, arn: "arn:aws:guardduty:eu-west-1:123456789012:detector/abc", ...props } });
const runtime = (props: Props = {}): FixtureResource => ({ type: "aws:guardduty/detectorFeature:DetectorFeature", name: "rt", props: { detectorId: "unknown", name: "RUNTIME_MONITORING", status: "ENABLED", additionalConfigurations: [{ name: "ECS_FARGATE_AGENT_MANAGEMENT", status: "ENABLED" }], ...props }, refs: { detectorId: ["gd"] } });

const SUBNET = "aws:ec2/subnet:Subnet";
const NACL = "aws:ec2/networkAcl:NetworkAcl";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

export interface RuleCases {
    pass: Fixture[];
    fail: (Fixture & { expect: RegExp })[];
}

/** Pass and fail fixtures for every rule of the mcpsec-aws pack (the registry test requires both). */
export const awsCases: Record<string, RuleCases> = {
    ...networkCases,
    ...apiGatewayCases,
    ...agentcoreCases,
    ...eksCases,
    "aws-ec2-vpc-flow-logs-enabled": {
        pass: [
            { label: "VPC with an ALL flow log", resources: [vpc(), flowLog()] },
            { label: "flow log referring to the VPC by id string", resources: [vpc(), { ...flowLog("vpc", { vpcId: "vpc-0vpc" }), refs: {} }] },
            { label: "ALL besides a REJECT log", resources: [vpc(), flowLog(), { ...flowLog("vpc", { trafficType: "REJECT" }), name: "second" }] },
        ],
        fail: [
            { label: "VPC without flow log", resources: [vpc(), vpc("other"), flowLog("other")], expect: /VPC vpc has no flow log/ },
            { label: "only rejected traffic logged", resources: [vpc(), flowLog("vpc", { trafficType: "REJECT" })], expect: /only for REJECT traffic/ },
        ],
    },
    "aws-ec2-default-security-group-closed": {
        pass: [{ label: "managed and empty", resources: [vpc(), defaultSg()] }],
        fail: [
            { label: "not managed", resources: [vpc()], expect: /default security group of VPC vpc is not managed/ },
            { label: "an ingress rule", resources: [vpc(), defaultSg("vpc", { ingress: [{ protocol: "-1", self: true, fromPort: 0, toPort: 0 }] })], expect: /1 ingress and 0 egress rules/ },
            { label: "an egress rule", resources: [vpc(), defaultSg("vpc", { egress: [{ protocol: "-1", cidrBlocks: ["0.0.0.0/0"], fromPort: 0, toPort: 0 }] })], expect: /0 ingress and 1 egress rules/ },
        ],
    },
    "aws-ec2-subnet-no-public-ip": {
        pass: [
            { label: "private subnet", type: SUBNET, props: subnet() },
            { label: "unset (AWS default false)", type: SUBNET, props: subnet({ mapPublicIpOnLaunch: undefined }) },
        ],
        fail: [
            { label: "public IPv4 on launch", type: SUBNET, props: subnet({ mapPublicIpOnLaunch: true }), expect: /mapPublicIpOnLaunch is true/ },
            { label: "IPv6 on creation", type: SUBNET, props: subnet({ assignIpv6AddressOnCreation: true }), expect: /globally routable IPv6/ },
        ],
    },
    "aws-ec2-security-group-no-mixed-rules": {
        pass: [
            { label: "rule resources only", resources: [sgRes(), sgEgress()] },
            { label: "inline rules only", resources: [sgRes({ egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: ["sg-endpoints"] }] })] },
            { label: "read-back list that mirrors the rule resources", resources: [sgRes({ egress: [{ protocol: "6", fromPort: 443, toPort: 443, securityGroups: ["sg-endpoints"] }] }), sgEgress()] },
        ],
        fail: [
            { label: "egress: [] inline beside an egress rule resource (the old McpService)", resources: [sgRes({ egress: [] }), sgEgress()], expect: /Security group task sets egress: \[\] inline and has 1 separate egress rule resource\(s\) \(task-to-endpoints\)/ },
            { label: "an inline rule beside a rule resource", resources: [sgRes({ ingress: [{ protocol: "tcp", fromPort: 8080, toPort: 8080, cidrBlocks: ["10.0.0.0/8"] }] }), { type: "aws:ec2/securityGroupRule:SecurityGroupRule", name: "task-from-alb", props: { type: "ingress", protocol: "tcp", fromPort: 8080, toPort: 8080, sourceSecurityGroupId: "sg-alb", securityGroupId: "unknown" }, refs: { securityGroupId: ["task"] } }], expect: /inline ingress rules \(ingress\|tcp\|8080\|8080\|10.0.0.0\/8\)/ },
        ],
    },
    "aws-ec2-security-group-no-internet-rule": {
        pass: [
            { label: "entry point open to the enterprise networks, tasks out to the endpoints only", resources: [netVpc(), zoneSg({ ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/8", "172.16.0.0/12"] }] }), sgEgress()] },
            { label: "tasks out to the S3 gateway endpoint's prefix list", resources: [netVpc(), zoneSg(), { type: "aws:ec2/vpcEndpoint:VpcEndpoint", name: "s3", props: { vpcEndpointType: "Gateway", serviceName: "com.amazonaws.eu-west-1.s3", prefixListId: "pl-6da54004" } }, { type: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", name: "to-s3", props: { securityGroupId: "unknown", ipProtocol: "tcp", fromPort: 443, toPort: 443, prefixListId: "unknown" }, refs: { securityGroupId: ["task"], prefixListId: ["s3"] } }] },
            { label: "entry point open to a carrier-grade NAT range and an IPv6 ULA", resources: [netVpc(), zoneSg({ ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["100.64.0.0/10"], ipv6CidrBlocks: ["fd00:1234::/32"] }] })] },
            { label: "egress to 0.0.0.0/0 where the default route leaves through the Network Firewall", resources: zone(networkFirewall(), route("out", { destinationCidrBlock: "0.0.0.0/0", vpcEndpointId: "vpce-0firewall" }), zoneSg({ egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] })) },
        ],
        fail: [
            { label: "HTTPS from 0.0.0.0/0 inline (passed the old rules)", resources: [netVpc(), zoneSg({ ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] })], expect: /security group task admits tcp 443-443 from 0.0.0.0\/0 \(task\)/ },
            { label: "SSH from ::/0 as a rule resource", resources: [zoneSg(), { type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name: "ssh", props: { securityGroupId: "unknown", ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv6: "::/0" }, refs: { securityGroupId: ["task"] } }], expect: /admits tcp 22-22 from ::\/0 \(ssh\)/ },
            { label: "the internet split in two halves", resources: [zoneSg(), { type: "aws:ec2/securityGroupRule:SecurityGroupRule", name: "halves", props: { type: "ingress", protocol: "tcp", fromPort: 8080, toPort: 8080, cidrBlocks: ["0.0.0.0/1", "128.0.0.0/1"], securityGroupId: "unknown" }, refs: { securityGroupId: ["task"] } }], expect: /from 0.0.0.0\/1, 128.0.0.0\/1/ },
            { label: "all egress in a VPC with no route out", resources: [netVpc(), zoneSg({ egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] })], expect: /lets all traffic out to 0.0.0.0\/0 \(task\), and its VPC's default route does not leave through a Network Firewall/ },
            // Weakened configurations the review found passing (issue 17, finding 7).
            { label: "ingress from public EC2 address space (3/8, 52/8, 54/8)", resources: [netVpc(), zoneSg({ ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["3.0.0.0/8", "52.0.0.0/8", "54.0.0.0/8"] }] })], expect: /security group task admits tcp 443-443 from 3.0.0.0\/8, 52.0.0.0\/8, 54.0.0.0\/8 \(task\): public address space/ },
            { label: "egress to every /8 block one by one, no firewall", resources: [netVpc(), zoneSg({ egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: Array.from({ length: 223 }, (_, i) => `${i + 1}.0.0.0/8`) }] })], expect: /security group task lets tcp 443-443 out to 1.0.0.0\/8, 2.0.0.0\/8, 3.0.0.0\/8, 4.0.0.0\/8, 5.0.0.0\/8 and 216 more \(task\)/ },
            { label: "ingress from a prefix list that is not a gateway endpoint's", resources: [netVpc(), zoneSg(), { type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name: "from-list", props: { securityGroupId: "unknown", ipProtocol: "tcp", fromPort: 443, toPort: 443, prefixListId: "pl-0partner" }, refs: { securityGroupId: ["task"] } }], expect: /security group task admits tcp 443-443 from prefix list pl-0partner, which is not the prefix list of a gateway endpoint in the stack/ },
            { label: "all egress through a firewall whose policy is outside the stack (finding 5)", resources: zone(networkFirewall(PASS_EVERYTHING), route("out", { destinationCidrBlock: "0.0.0.0/0", vpcEndpointId: "vpce-0firewall" }), zoneSg({ egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] })), expect: /security group task lets all traffic out to 0.0.0.0\/0 \(task\), and its VPC's default route does not leave through a Network Firewall whose policy filters by domain/ },
            { label: "egress rule resource where the default route goes to a NAT gateway", resources: zone(networkFirewall(), route("out", { destinationCidrBlock: "0.0.0.0/0", natGatewayId: "nat-0abc" }), zoneSg(), { type: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", name: "out", props: { securityGroupId: "unknown", ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }, refs: { securityGroupId: ["task"] } }), expect: /lets tcp 443-443 out to 0.0.0.0\/0 \(out\)/ },
        ],
    },
    "aws-ec2-workload-subnet-no-internet-route": {
        pass: [
            { label: "no route out, a Transit Gateway route to the enterprise network", resources: zone(route("tgw", { destinationCidrBlock: "172.16.0.0/12", transitGatewayId: "tgw-0123456789abcdef0" })) },
            { label: "default route to the Network Firewall endpoint; NAT and IGW only in the firewall and public subnets", resources: zone(
                networkFirewall(), route("out", { destinationCidrBlock: "0.0.0.0/0", vpcEndpointId: "vpce-0firewall" }),
                routeTable("firewall-rt"), route("fw-out", { destinationCidrBlock: "0.0.0.0/0", natGatewayId: "nat-0abc" }, "firewall-rt"),
                routeTable("public-rt", { routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: "igw-0abc" }] }),
            ) },
            { label: "firewall endpoint recorded as a dependency", resources: zone(networkFirewall(), { ...route("out", { destinationCidrBlock: "0.0.0.0/0", vpcEndpointId: "vpce-unknown" }), refs: { routeTableId: ["private-rt"], vpcEndpointId: ["egress-fw"] } }) },
        ],
        fail: [
            { label: "default route to a NAT gateway (passed the old rules)", resources: zone(route("out", { destinationCidrBlock: "0.0.0.0/0", natGatewayId: "nat-0abc" })), expect: /Subnet private-0 runs MCP workloads and its route table private-rt sends 0.0.0.0\/0 to natGatewayId nat-0abc\./ },
            { label: "inline route to an internet gateway", resources: [netVpc(), workloadSubnet(), mcpService(), routeTable("private-rt", { routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: "igw-0abc" }] }), rtAssociation()], expect: /sends 0.0.0.0\/0 to gatewayId igw-0abc/ },
            { label: "a public block through the internet gateway, not a default route", resources: zone({ type: "aws:ec2/internetGateway:InternetGateway", name: "igw", props: { id: "igw-0def" } }, route("paste", { destinationCidrBlock: "198.51.100.0/24", gatewayId: "igw-0def" })), expect: /sends 198.51.100.0\/24 to gatewayId igw-0def/ },
            { label: "default route to a Transit Gateway (egress filtered nowhere here)", resources: zone(route("out", { destinationCidrBlock: "0.0.0.0/0", transitGatewayId: "tgw-0123456789abcdef0" })), expect: /to transitGatewayId tgw-0123456789abcdef0, not through a Network Firewall endpoint/ },
            { label: "default route to a firewall whose policy is outside the stack (finding 5)", resources: zone(networkFirewall(PASS_EVERYTHING), route("out", { destinationCidrBlock: "0.0.0.0/0", vpcEndpointId: "vpce-0firewall" })), expect: /sends 0.0.0.0\/0 to vpcEndpointId vpce-0firewall, through firewall egress-fw whose policy arn:aws:network-firewall:eu-west-1:123456789012:firewall-policy\/pass-everything is not in the stack/ },
            { label: "default route to a firewall whose policy passes everything (finding 5)", resources: [netVpc(), workloadSubnet(), mcpService(), routeTable(), rtAssociation(), ...egressPolicy({ statefulDefaultActions: ["aws:pass"] }), networkFirewall(), route("out", { destinationCidrBlock: "0.0.0.0/0", vpcEndpointId: "vpce-0firewall" })], expect: /through firewall egress-fw whose policy egress-policy does not filter by domain/ },
            { label: "default route to a VPC endpoint that is not the firewall", resources: zone(networkFirewall(), route("out", { destinationCidrBlock: "0.0.0.0/0", vpcEndpointId: "vpce-0other" })), expect: /not through a Network Firewall endpoint/ },
            { label: "no explicit association: the VPC's main route table has an internet route", resources: [netVpc(), workloadSubnet(), mcpService(), { type: "aws:ec2/defaultRouteTable:DefaultRouteTable", name: "main-rt", props: { defaultRouteTableId: "rtb-main", routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: "igw-0abc" }] }, refs: { defaultRouteTableId: ["zone"] } }], expect: /route table main-rt sends 0.0.0.0\/0/ },
            { label: "a MainRouteTableAssociation makes a table with an internet route the VPC's main table (finding 7)", resources: [netVpc(), workloadSubnet(), mcpService(), { type: "aws:ec2/defaultRouteTable:DefaultRouteTable", name: "main-rt", props: { defaultRouteTableId: "rtb-main", routes: [] }, refs: { defaultRouteTableId: ["zone"] } }, routeTable("open-rt", { routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: "igw-0abc" }] }), { type: "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation", name: "swap", props: { vpcId: "vpc-0zone", routeTableId: "rtb-open-rt" }, refs: { vpcId: ["zone"], routeTableId: ["open-rt"] } }], expect: /Subnet private-0 runs MCP workloads and its route table open-rt sends 0.0.0.0\/0 to gatewayId igw-0abc/ },
            { label: "EKS node group subnet with IPv6 out through an egress-only gateway", resources: [netVpc(), workloadSubnet(), { type: "aws:eks/nodeGroup:NodeGroup", name: "nodes", props: { subnetIds: ["subnet-0a"] } }, routeTable(), rtAssociation(), route("v6", { destinationIpv6CidrBlock: "::/0", egressOnlyGatewayId: "eigw-0abc" })], expect: /sends ::\/0 to egressOnlyGatewayId eigw-0abc/ },
        ],
    },
    "aws-ec2-vpc-endpoint-policy-restricted": {
        pass: [
            ...["ecr.api", "ecr.dkr", "logs", "secretsmanager", "kms", "sts", "guardduty-data"].map((svc) => ({ label: `SegmentedVpc's ${svc} policy`, type: ENDPOINT, props: interfaceEndpoint(svc, JSON.stringify(endpointPolicy(svc, endpointCtx))) })),
            { label: "SegmentedVpc's S3 gateway policy (layer bucket readable without a principal condition)", type: ENDPOINT, props: { vpcEndpointType: "Gateway", serviceName: "com.amazonaws.eu-west-1.s3", policy: JSON.stringify(endpointPolicy("s3", endpointCtx)) } },
            { label: "organization-pinned policy (principals and resources)", type: ENDPOINT, props: interfaceEndpoint("sts", anyone({ Action: "*", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123def4", "aws:ResourceOrgID": "o-abc123def4" } } })) },
            { label: "a named principal on a named log group", type: ENDPOINT, props: interfaceEndpoint("logs", doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:role/exec" }, Action: "logs:PutLogEvents", Resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/mcpsec/docs:*" })) },
            { label: "the account's principals may pull named repositories of a central image account", type: ENDPOINT, props: interfaceEndpoint("ecr.dkr", doc(JSON.parse(JSON.stringify(endpointPolicy("ecr.dkr", endpointCtx).Statement[0])), { Sid: "CentralImages", Effect: "Allow", Principal: { AWS: "*" }, Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: "arn:aws:ecr:eu-west-1:210987654321:repository/platform/docs", Condition: { StringEquals: { "aws:PrincipalAccount": "123456789012" } } })) },
            { label: "Gateway Load Balancer endpoint (no policy support)", type: ENDPOINT, props: { vpcEndpointType: "GatewayLoadBalancer", serviceName: "com.amazonaws.vpce.eu-west-1.vpce-svc-0123" } },
            { label: "SegmentedVpc's ec2 policy (EKS nodes' Describe calls, which name no resource)", type: ENDPOINT, props: interfaceEndpoint("ec2", JSON.stringify(endpointPolicy("ec2", endpointCtx))) },
            { label: "SegmentedVpc's sts policy with IRSA (web identity to the account's IRSA roles)", type: ENDPOINT, props: interfaceEndpoint("sts", JSON.stringify(endpointPolicy("sts", { ...endpointCtx, allowWebIdentity: true }))) },
        ],
        fail: [
            { label: "interface endpoint without a policy (passed the old rules)", type: ENDPOINT, props: interfaceEndpoint("secretsmanager"), expect: /the endpoint to com.amazonaws.eu-west-1.secretsmanager has no policy/ },
            { label: "gateway endpoint without a policy", type: ENDPOINT, props: { vpcEndpointType: "Gateway", serviceName: "com.amazonaws.eu-west-1.s3" }, expect: /has no policy/ },
            { label: "AWS's full-access default written out", type: ENDPOINT, props: interfaceEndpoint("kms", anyone({ Action: "*", Resource: "*" })), expect: /statement #0 admits any principal to "\*" on "\*"/ },
            { label: "layer-bucket statement widened to every bucket", type: ENDPOINT, props: { vpcEndpointType: "Gateway", serviceName: "com.amazonaws.eu-west-1.s3", policy: anyone({ Sid: "Layers", Action: "s3:GetObject", Resource: "arn:aws:s3:::*/*" }) }, expect: /statement Layers admits any principal to "s3:GetObject" on "arn:aws:s3:::\*\/\*"/ },
            { label: "account condition that admits any account", type: ENDPOINT, props: interfaceEndpoint("sts", anyone({ Action: "*", Resource: "*", Condition: { StringLike: { "aws:PrincipalAccount": "*" } } })), expect: /no exact aws:PrincipalAccount/ },
            { label: "allow by NotPrincipal", type: ENDPOINT, props: interfaceEndpoint("logs", doc({ Effect: "Allow", NotPrincipal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "*", Resource: "*" })), expect: /allows by exclusion/ },
            // Weakened configurations the review found passing (issue 17, finding 4).
            { label: "StringLike account condition ?* (any account)", type: ENDPOINT, props: interfaceEndpoint("secretsmanager", anyone({ Sid: "Any", Action: "*", Resource: "*", Condition: { StringLike: { "aws:PrincipalAccount": "?*", "aws:ResourceAccount": "?*" } } })), expect: /statement Any admits any principal/ },
            { label: "any principal may write to one named outside bucket (exfiltration path)", type: ENDPOINT, props: { vpcEndpointType: "Gateway", serviceName: "com.amazonaws.eu-west-1.s3", policy: anyone({ Sid: "Exfil", Action: "s3:PutObject", Resource: "arn:aws:s3:::attacker-exfil-bucket/*" }) }, expect: /statement Exfil admits any principal to "s3:PutObject" on "arn:aws:s3:::attacker-exfil-bucket\/\*"/ },
            { label: "the account's principals may write to one named bucket outside the account", type: ENDPOINT, props: { vpcEndpointType: "Gateway", serviceName: "com.amazonaws.eu-west-1.s3", policy: anyone({ Sid: "Exfil", Action: "s3:PutObject", Resource: "arn:aws:s3:::attacker-exfil-bucket/*", Condition: { StringEquals: { "aws:PrincipalAccount": "123456789012" } } }) }, expect: /statement Exfil lets "s3:PutObject" reach "arn:aws:s3:::attacker-exfil-bucket\/\*" outside the endpoint's account: only reads/ },
            { label: "principal account pinned, resource account not", type: ENDPOINT, props: interfaceEndpoint("secretsmanager", anyone({ Sid: "OwnPrincipals", Action: "*", Resource: "*", Condition: { StringEquals: { "aws:PrincipalAccount": "123456789012" } } })), expect: /statement OwnPrincipals pins no resource account/ },
            { label: "a named principal of another account beside the account's own statement", type: ENDPOINT, props: interfaceEndpoint("secretsmanager", doc(JSON.parse(JSON.stringify(endpointPolicy("secretsmanager", endpointCtx).Statement[0])), { Sid: "Partner", Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:role/partner" }, Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf" })), expect: /statement Partner names principal\(s\) of account 999999999999, not 123456789012/ },
            { label: "web identity to another account's roles", type: ENDPOINT, props: interfaceEndpoint("sts", doc(JSON.parse(JSON.stringify(endpointPolicy("sts", endpointCtx).Statement[0])), { Sid: "Irsa", Effect: "Allow", Principal: "*", Action: "sts:AssumeRoleWithWebIdentity", Resource: "arn:aws:iam::999999999999:role/*" })), expect: /statement Irsa admits any principal to "sts:AssumeRoleWithWebIdentity"/ },
            { label: "web identity beside any other sts action", type: ENDPOINT, props: interfaceEndpoint("sts", doc(JSON.parse(JSON.stringify(endpointPolicy("sts", endpointCtx).Statement[0])), { Sid: "Irsa", Effect: "Allow", Principal: "*", Action: ["sts:AssumeRoleWithWebIdentity", "sts:AssumeRole"], Resource: "arn:aws:iam::123456789012:role/*" })), expect: /statement Irsa admits any principal/ },
            { label: "ec2 Describe statement widened to every ec2 action", type: ENDPOINT, props: interfaceEndpoint("ec2", doc(JSON.parse(JSON.stringify(endpointPolicy("ec2", endpointCtx).Statement[0])), { Sid: "Describe", Effect: "Allow", Principal: { AWS: "*" }, Action: "ec2:*", Resource: "*", Condition: { StringEquals: { "aws:PrincipalAccount": "123456789012" } } })), expect: /statement Describe pins no resource account/ },
            { label: "a named principal of another account (the endpoint's owner known)", type: ENDPOINT, props: { ...interfaceEndpoint("logs", doc({ Sid: "Partner", Effect: "Allow", Principal: { AWS: "999999999999" }, Action: "logs:PutLogEvents", Resource: "*", Condition: { StringEquals: { "aws:ResourceAccount": "123456789012" } } })), ownerId: "123456789012" }, expect: /statement Partner names principal\(s\) of account 999999999999, not 123456789012/ },
        ],
    },
    "aws-ec2-network-acl-no-admin-ingress-from-internet": {
        pass: [
            { label: "zone-only and split ephemeral ranges", type: NACL, props: { ingress: [naclEntry(), naclEntry({ ruleNo: 120, cidrBlock: "0.0.0.0/0", fromPort: 1024, toPort: 3388 }), naclEntry({ ruleNo: 130, cidrBlock: "0.0.0.0/0", fromPort: 3390, toPort: 65535 })] } },
            { label: "deny entry for SSH from anywhere", type: NACL, props: { ingress: [naclEntry({ action: "deny", cidrBlock: "0.0.0.0/0", fromPort: 22, toPort: 22 })] } },
            { label: "egress rule resource", type: "aws:ec2/networkAclRule:NetworkAclRule", props: { egress: true, ruleAction: "allow", protocol: "-1", cidrBlock: "0.0.0.0/0", ruleNumber: 100 } },
        ],
        fail: [
            { label: "all traffic from anywhere", type: NACL, props: { ingress: [naclEntry({ protocol: "-1", cidrBlock: "0.0.0.0/0", fromPort: 0, toPort: 0 })] }, expect: /Rule 100 allows -1 ports 0-0 from 0.0.0.0\/0/ },
            { label: "SSH from anywhere (IPv6)", type: NACL, props: { ingress: [naclEntry({ cidrBlock: undefined, ipv6CidrBlock: "::/0", fromPort: 22, toPort: 22 })] }, expect: /from ::\/0/ },
            { label: "ephemeral range that covers RDP", type: NACL, props: { ingress: [naclEntry({ cidrBlock: "0.0.0.0/0", fromPort: 1024, toPort: 65535 })] }, expect: /ports 1024-65535/ },
            { label: "default NACL with an open rule", type: "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", props: { ingress: [naclEntry({ protocol: "all", cidrBlock: "0.0.0.0/0" })] }, expect: /allows all/ },
            { label: "standalone rule resource", type: "aws:ec2/networkAclRule:NetworkAclRule", props: { egress: false, ruleAction: "allow", protocol: "6", cidrBlock: "0.0.0.0/0", fromPort: 3389, toPort: 3389, ruleNumber: 200 }, expect: /Rule 200/ },
            { label: "SSH from the internet in two halves (finding 7)", type: NACL, props: { ingress: [naclEntry({ ruleNo: 100, cidrBlock: "0.0.0.0/1", fromPort: 22, toPort: 22 }), naclEntry({ ruleNo: 110, cidrBlock: "128.0.0.0/1", fromPort: 22, toPort: 22 })] }, expect: /Rule 100 allows tcp ports 22-22 from 0.0.0.0\/1[\s\S]*Rule 110 allows tcp ports 22-22 from 128.0.0.0\/1/ },
            { label: "RDP from a public block", type: NACL, props: { ingress: [naclEntry({ cidrBlock: "52.0.0.0/8", fromPort: 3389, toPort: 3389 })] }, expect: /Rule 100 allows tcp ports 3389-3389 from 52.0.0.0\/8/ },
        ],
    },
    "aws-cloudwatch-log-group-encrypted": {
        pass: [{ label: "customer key", type: LOG_GROUP, props: logGroup() }],
        fail: [{ label: "no key", type: LOG_GROUP, props: logGroup({ kmsKeyId: undefined }), expect: /no kmsKeyId/ }],
    },
    "aws-cloudwatch-log-group-retention": {
        pass: [
            { label: "one year", type: LOG_GROUP, props: logGroup() },
            { label: "never expires", type: LOG_GROUP, props: logGroup({ retentionInDays: undefined }) },
            { label: "lower minimum from pack config", type: LOG_GROUP, props: logGroup({ retentionInDays: 90 }), config: { minimumRetentionDays: 90 } },
        ],
        fail: [
            { label: "30 days", type: LOG_GROUP, props: logGroup({ retentionInDays: 30 }), expect: /retentionInDays is 30; the minimum is 365/ },
            { label: "below a raised minimum", type: LOG_GROUP, props: logGroup({ retentionInDays: 365 }), config: { minimumRetentionDays: 400 }, expect: /the minimum is 400/ },
        ],
    },
    "aws-kms-key-rotation-enabled": {
        pass: [
            { label: "rotating symmetric key", type: "aws:kms/key:Key", props: kmsKey() },
            { label: "asymmetric signing key (cannot rotate)", type: "aws:kms/key:Key", props: kmsKey({ enableKeyRotation: false, customerMasterKeySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY" }) },
        ],
        fail: [
            { label: "rotation off", type: "aws:kms/key:Key", props: kmsKey({ enableKeyRotation: false }), expect: /enableKeyRotation is not true/ },
            { label: "rotation unset", type: "aws:kms/key:Key", props: kmsKey({ enableKeyRotation: undefined }), expect: /enableKeyRotation is not true/ },
        ],
    },
    "aws-ecs-task-read-only-root-filesystem": {
        pass: [{ label: "hardened container", type: TASK, props: taskDef() }],
        fail: [
            { label: "writable root", type: TASK, props: taskDef({ readonlyRootFilesystem: false }), expect: /Container docs: readonlyRootFilesystem is not true/ },
            { label: "unset", type: TASK, props: taskDef({ readonlyRootFilesystem: undefined }), expect: /readonlyRootFilesystem is not true/ },
            // An empty task passed every container rule before.
            { label: "container definitions not known (passed before)", type: TASK, props: taskDef({}, { containerDefinitions: undefined }), expect: /containerDefinitions is not known/ },
            { label: "container definitions not JSON (passed before)", type: TASK, props: taskDef({}, { containerDefinitions: "[{" }), expect: /containerDefinitions is not known/ },
        ],
    },
    "aws-ecs-task-non-root-user": {
        pass: [{ label: "uid:gid", type: TASK, props: taskDef() }, { label: "uid only", type: TASK, props: taskDef({ user: "1000" }) }],
        fail: [
            { label: "no user", type: TASK, props: taskDef({ user: undefined }), expect: /no user is set/ },
            { label: "root by name", type: TASK, props: taskDef({ user: "root" }), expect: /user is "root", not a numeric uid/ },
            { label: "uid 0", type: TASK, props: taskDef({ user: "0:0" }), expect: /user is 0:0 \(root\)/ },
            { label: "a name that may be uid 0 (passed before)", type: TASK, props: taskDef({ user: "toor" }), expect: /user is "toor", not a numeric uid/ },
            { label: "container definitions not known (passed before)", type: TASK, props: taskDef({}, { containerDefinitions: undefined }), expect: /containerDefinitions is not known/ },
        ],
    },
    "aws-ecs-task-not-privileged": {
        pass: [{ label: "unprivileged", type: TASK, props: taskDef() }],
        fail: [{ label: "privileged", type: TASK, props: taskDef({ privileged: true }), expect: /privileged is true/ }],
    },
    "aws-ecs-task-drop-all-capabilities": {
        pass: [{ label: "drop ALL", type: TASK, props: taskDef() }],
        fail: [
            { label: "nothing dropped", type: TASK, props: taskDef({ linuxParameters: { initProcessEnabled: true } }), expect: /drop does not contain ALL/ },
            { label: "one added back", type: TASK, props: taskDef({ linuxParameters: { capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } } }), expect: /capabilities are added back: NET_ADMIN/ },
        ],
    },
    "aws-ecs-task-no-new-privileges": {
        pass: [
            { label: "Fargate-only task (option not available there)", type: TASK, props: taskDef() },
            { label: "EC2 task with the option", type: TASK, props: taskDef({ dockerSecurityOptions: ["no-new-privileges"] }, { requiresCompatibilities: ["EC2"] }) },
        ],
        fail: [
            { label: "EC2 task without it", type: TASK, props: taskDef({}, { requiresCompatibilities: ["EC2"] }), expect: /lacks no-new-privileges/ },
            { label: "compatibilities unset (EC2 by default)", type: TASK, props: taskDef({}, { requiresCompatibilities: undefined }), expect: /lacks no-new-privileges/ },
        ],
    },
    "aws-ecs-task-resource-limits": {
        pass: [{ label: "task limits", type: TASK, props: taskDef() }],
        fail: [
            { label: "no task cpu", type: TASK, props: taskDef({}, { cpu: undefined }), expect: /The task sets no cpu/ },
            { label: "no memory anywhere", type: TASK, props: taskDef({ memory: undefined }, { memory: undefined }), expect: /Container docs has no memory limit/ },
        ],
    },
    "aws-ecs-task-logging-configured": {
        pass: [{ label: "awslogs", type: TASK, props: taskDef() }],
        fail: [{ label: "no log driver", type: TASK, props: taskDef({ logConfiguration: undefined }), expect: /logConfiguration is not set/ }],
    },
    "aws-ecs-task-no-secrets-in-environment": {
        pass: [
            { label: "secrets from Secrets Manager", type: TASK, props: taskDef() },
            { label: "plain settings, a public key and a URL without credentials", type: TASK, props: taskDef({ environment: [{ name: "LOG_LEVEL", value: "debug" }, { name: "SIGNING_PUBLIC_KEY", value: "ssh-ed25519 AAAAC3Nza" }, { name: "UPSTREAM_URL", value: "https://api.example.com/v1" }] }) },
            { label: "names that point at a credential, and harmless command and labels", type: TASK, props: taskDef({
                environment: [{ name: "CLIENT_SECRET_ARN", value: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:c-AbCdEf" }, { name: "PRIVATE_KEY_PATH", value: "/run/keys/tls.pem" }],
                command: ["serve", "--port", "8080", "--password-file=/run/secrets/db"], dockerLabels: { "com.example.digest": `sha256:${"a".repeat(64)}` },
            }) },
        ],
        fail: [
            { label: "token in environment", type: TASK, props: taskDef({ environment: [{ name: "GITHUB_TOKEN", value: "x" }] }), expect: /carry credentials: GITHUB_TOKEN/ },
            { label: "AWS key as a value", type: TASK, props: taskDef({ environment: [{ name: "CONFIG", value: "key=AKIAABCDEFGHIJKLMNOP" }] }), expect: /carry credentials: CONFIG \(AWS credential\)/ },
            // Each of these passed the old rule (names without SECRET/TOKEN/API_KEY, values other than AKIA/ASIA keys).
            { label: "a *_KEY name", type: TASK, props: taskDef({ environment: [{ name: "STRIPE_KEY", value: "x" }] }), expect: /carry credentials: STRIPE_KEY/ },
            { label: "GitHub token as a value", type: TASK, props: taskDef({ environment: [{ name: "UPSTREAM", value: FAKE.github }] }), expect: /UPSTREAM \(GitHub token\)/ },
            { label: "Slack bot token as a value", type: TASK, props: taskDef({ environment: [{ name: "NOTIFY", value: FAKE.slack }] }), expect: /NOTIFY \(Slack token or webhook\)/ },
            { label: "JWT as a value", type: TASK, props: taskDef({ environment: [{ name: "AUTHZ", value: FAKE.jwt }] }), expect: /AUTHZ \(JSON Web Token\)/ },
            { label: "PEM private key as a value", type: TASK, props: taskDef({ environment: [{ name: "TLS", value: FAKE.pem }] }), expect: /TLS \(private key\)/ },
            { label: "password in a connection string", type: TASK, props: taskDef({ environment: [{ name: "DATABASE_URL", value: "postgres://app:s3cr3t-pass@db.internal:5432/app" }] }), expect: /DATABASE_URL \(database connection string/ },
            // Each of these passed the rule before this change (finding 6 of the issue 17 review).
            { label: "redis URL with a password", type: TASK, props: taskDef({ environment: [{ name: "CACHE", value: "redis://:s3cr3tpw@cache.internal:6379/0" }] }), expect: /CACHE \(password in a URL\)/ },
            { label: "Azure storage account key", type: TASK, props: taskDef({ environment: [{ name: "STORAGE", value: "DefaultEndpointsProtocol=https;AccountName=logs;AccountKey=bG9ncy1rZXktMDEyMzQ1Njc4OQ==;EndpointSuffix=core.windows.net" }] }), expect: /STORAGE \(password or account key in a connection string\)/ },
            { label: "a *_PASS name", type: TASK, props: taskDef({ environment: [{ name: "DB_PASS", value: "x" }] }), expect: /DB_PASS \(variable named like a credential\)/ },
            { label: "GitHub token in the command", type: TASK, props: taskDef({ command: ["serve", `--token=${FAKE.github}`] }), expect: /command\[1\] \(GitHub token\)/ },
            { label: "GitHub token in the entry point", type: TASK, props: taskDef({ entryPoint: ["/bin/server", FAKE.github] }), expect: /entryPoint\[1\] \(GitHub token\)/ },
            { label: "JWT in a Docker label", type: TASK, props: taskDef({ dockerLabels: { "com.example.auth": FAKE.jwt } }), expect: /dockerLabels.com.example.auth \(JSON Web Token\)/ },
            { label: "environment files (unreadable here)", type: TASK, props: taskDef({ environmentFiles: [{ type: "s3", value: "arn:aws:s3:::cfg-bucket/docs.env" }] }), expect: /environmentFiles \(arn:aws:s3:::cfg-bucket\/docs.env\) put variables in the environment that this check cannot read/ },
            { label: "container definitions not known (passed before)", type: TASK, props: taskDef({}, { containerDefinitions: undefined }), expect: /containerDefinitions is not known/ },
        ],
    },
    "aws-ecs-task-image-pinned-by-digest": {
        pass: [{ label: "digest", type: TASK, props: taskDef() }],
        fail: [
            { label: "tag", type: TASK, props: taskDef({ image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs:latest" }), expect: /is not pinned by digest/ },
            { label: "short digest", type: TASK, props: taskDef({ image: "repo@sha256:abc" }), expect: /is not pinned by digest/ },
        ],
    },
    "aws-ecs-service-no-public-ip": {
        pass: [{ label: "private", type: "aws:ecs/service:Service", props: ecsService() }],
        fail: [{ label: "public IP", type: "aws:ecs/service:Service", props: ecsService({ networkConfiguration: { subnets: ["s"], assignPublicIp: true } }), expect: /assignPublicIp is true/ }],
    },
    "aws-ecs-service-reachable-only-through-guard": {
        pass: [
            { label: "target group on the guard's port, server unmapped, only the guard's port admitted", resources: guarded() },
            { label: "a service in no target group", resources: [{ ...guarded()[0] }, { ...guarded()[1], props: { ...guarded()[1].props, loadBalancers: undefined } }] },
        ],
        fail: [
            // Each passed the pack before issue 10: nothing judged where a target group reaches inside the task.
            { label: "target group reaches the server's port directly (unguarded)", resources: guarded({ containers: [container({ portMappings: [{ containerPort: 8080, protocol: "tcp" }] })], binding: { containerName: "docs", containerPort: 8080 }, ingressPort: 8080 }), expect: /its target group reaches container docs on port 8080 directly, not through an MCP guard/ },
            { label: "target group on the server container beside a guard", resources: guarded({ binding: { containerName: "docs", containerPort: 8080 } }), expect: /reaches container docs on port 8080 directly/ },
            { label: "target group on the guard container but the server's port", resources: guarded({ binding: { containerName: "mcp-guard", containerPort: 8080 } }), expect: /reaches the guard container mcp-guard on port 8080, not on the port the guard listens on \(8443\)/ },
            { label: "security group admits the server's port too", resources: [...guarded(), sgIngress("entry-8080", 8080)], expect: /ingress rule entry-8080 of task admits the server's port 8080/ },
            { label: "security group admits every port inline", resources: guarded({ inlineIngress: [{ protocol: "-1", fromPort: 0, toPort: 0, securityGroups: ["sg-entry"] }], ingressPort: null }), expect: /security group task admits the server's port 8080/ },
            { label: "server container maps its port beside the guard", resources: guarded({ containers: [container({ portMappings: [{ containerPort: 8080, protocol: "tcp" }] }), guardContainer()] }), expect: /container docs maps port 8080/ },
            { label: "guard image by tag", resources: guarded({ containers: [container(), guardContainer({ image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard:latest" })] }), expect: /guard container mcp-guard runs image .*guard:latest", not pinned by digest/ },
            { label: "task definition not in the stack", resources: guarded().filter((r) => r.type !== TASK), expect: /its task definition is not in this stack/ },
            // The guard refuses to start without a server name or with an upstream that carries a query: such a
            // container is no guard (policies/lib/guard.ts), so the target group reaches an unguarded container.
            { label: "guard container without GUARD_SERVER_NAME", resources: guarded({ containers: [container(), guardContainer({ environment: [{ name: "GUARD_UPSTREAM_URL", value: "http://127.0.0.1:8080/mcp" }] })] }), expect: /reaches container mcp-guard on port 8443 directly, not through an MCP guard/ },
            { label: "guard upstream with a query string", resources: guarded({ containers: [container(), guardContainer({ environment: [{ name: "GUARD_SERVER_NAME", value: "docs-search" }, { name: "GUARD_UPSTREAM_URL", value: "http://127.0.0.1:8080/mcp?x=1" }] })] }), expect: /reaches container mcp-guard on port 8443 directly, not through an MCP guard/ },
        ],
    },
    "aws-ecs-service-execute-command-disabled": {
        pass: [{ label: "exec off", type: "aws:ecs/service:Service", props: ecsService() }, { label: "unset", type: "aws:ecs/service:Service", props: ecsService({ enableExecuteCommand: undefined }) }],
        fail: [{ label: "exec on", type: "aws:ecs/service:Service", props: ecsService({ enableExecuteCommand: true }), expect: /enableExecuteCommand is true/ }],
    },
    "aws-ecr-repository-immutable-tags": {
        pass: [{ label: "immutable", type: REPO, props: repo() }, { label: "immutable with exclusion mode but no filter", type: REPO, props: repo({ imageTagMutability: "IMMUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters: [] }) }],
        fail: [
            // Passed the old rule, which read only the mode's prefix.
            { label: "exclusion filters reopen mutable tags", type: REPO, props: repo({ imageTagMutability: "IMMUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters: [{ filter: "latest", filterType: "WILDCARD" }, { filter: "dev-*", filterType: "WILDCARD" }] }), expect: /exclusion filters "latest", "dev-\*": tags that match them are mutable/ },
            { label: "mutable", type: REPO, props: repo({ imageTagMutability: "MUTABLE" }), expect: /imageTagMutability is MUTABLE/ },
            { label: "default", type: REPO, props: repo({ imageTagMutability: undefined }), expect: /the default/ },
        ],
    },
    "aws-ecr-repository-scan-on-push": {
        pass: [{ label: "scan on push", type: REPO, props: repo() }],
        fail: [{ label: "no scan", type: REPO, props: repo({ imageScanningConfiguration: { scanOnPush: false } }), expect: /scanOnPush is not true/ }],
    },
    "aws-ecr-registry-scanning-covers-repositories": {
        pass: [
            { label: "no registry configuration (repository settings apply)", resources: [{ type: REPO, name: "docs", props: repo() }] },
            { label: "scan on push for mcp/*", resources: [{ type: REPO, name: "docs", props: repo() }, registryScan([{ scanFrequency: "SCAN_ON_PUSH", repositoryFilters: [{ filter: "mcp/*", filterType: "WILDCARD" }] }])] },
            { label: "enhanced continuous scan of everything", resources: [{ type: REPO, name: "docs", props: repo() }, registryScan([{ scanFrequency: "CONTINUOUS_SCAN", repositoryFilters: [{ filter: "*", filterType: "WILDCARD" }] }], "ENHANCED")] },
        ],
        fail: [
            // The repository says scanOnPush: true (the old rules passed it), but the registry's rules skip it.
            { label: "filters that skip the MCP repository", resources: [{ type: REPO, name: "docs", props: repo() }, registryScan([{ scanFrequency: "SCAN_ON_PUSH", repositoryFilters: [{ filter: "prod-*", filterType: "WILDCARD" }] }])], expect: /Repository mcp\/docs matches no registry scanning rule/ },
            { label: "only manual scans", resources: [{ type: REPO, name: "docs", props: repo() }, registryScan([{ scanFrequency: "MANUAL", repositoryFilters: [{ filter: "*", filterType: "WILDCARD" }] }])], expect: /matches only MANUAL rules/ },
        ],
    },
    "aws-ecr-repository-kms-encrypted": {
        pass: [{ label: "KMS", type: REPO, props: repo() }],
        fail: [
            { label: "AES256", type: REPO, props: repo({ encryptionConfigurations: [{ encryptionType: "AES256" }] }), expect: /not encrypted with KMS/ },
            { label: "unset", type: REPO, props: repo({ encryptionConfigurations: undefined }), expect: /not encrypted with KMS/ },
        ],
    },
    "aws-iam-no-wildcard-actions": {
        pass: [
            { label: "named actions, wildcard-only action on *", type: "aws:iam/rolePolicy:RolePolicy", props: { policy: doc({ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }, { Effect: "Allow", Action: ["logs:PutLogEvents"], Resource: "arn:aws:logs:eu-west-1:123456789012:log-group:x:*" }) } },
            { label: "wildcard in a Deny", type: "aws:iam/policy:Policy", props: { policy: doc({ Effect: "Deny", Action: "*", Resource: "*" }) } },
            { label: "role without inline policies", type: "aws:iam/role:Role", props: { assumeRolePolicy: doc({ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "ecs-tasks.amazonaws.com" } }) } },
        ],
        fail: [
            { label: "Action *", type: "aws:iam/rolePolicy:RolePolicy", props: { policy: doc({ Sid: "All", Effect: "Allow", Action: "*", Resource: "*" }) }, expect: /statement All allows \*/ },
            { label: "service wildcard", type: "aws:iam/policy:Policy", props: { policy: doc({ Effect: "Allow", Action: ["s3:*"], Resource: "*" }) }, expect: /allows s3:\*/ },
            { label: "partial wildcard", type: "aws:iam/rolePolicy:RolePolicy", props: { policy: doc({ Effect: "Allow", Action: ["secretsmanager:Get*"], Resource: "*" }) }, expect: /allows secretsmanager:Get\*/ },
            { label: "NotAction", type: "aws:iam/rolePolicy:RolePolicy", props: { policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) }, expect: /NotAction/ },
            { label: "inline policy of a role", type: "aws:iam/role:Role", props: { inlinePolicies: [{ name: "wide", policy: doc({ Effect: "Allow", Action: "kms:*", Resource: "*" }) }] }, expect: /inline policy wide: statement \? allows kms:\*/ },
        ],
    },
    "aws-iam-attached-policies-least-privilege": {
        pass: [
            {
                label: "AWS service-role policy and a scoped customer policy attached", resources: [
                    { type: "aws:iam/role:Role", name: "config", props: { name: "config-role", arn: "arn:aws:iam::123456789012:role/config-role" } },
                    { type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "config", props: { role: "config-role", policyArn: "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole" }, refs: { role: ["config"] } },
                    { type: "aws:iam/policy:Policy", name: "deploy", props: { arn: "arn:aws:iam::123456789012:policy/deploy", policy: doc({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/mcp-task", Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } } }) } },
                    { type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "deploy", props: { role: "config-role", policyArn: "unknown" }, refs: { role: ["config"], policyArn: ["deploy"] } },
                ],
            },
            { label: "a Deny of everything", resources: [{ type: "aws:iam/role:Role", name: "r", props: { name: "r", inlinePolicies: [{ name: "deny", policy: doc({ Effect: "Deny", Action: "*", Resource: "*" }) }] } }] },
            { label: "wildcard-only actions on \"*\", data actions on named resources, a read-only AWS managed service role", resources: [{ type: "aws:iam/role:Role", name: "exec", props: { name: "exec", managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"], inlinePolicies: [{ name: "run", policy: doc(
                { Effect: "Allow", Action: ["ecr:GetAuthorizationToken", "xray:PutTraceSegments", "guardduty:SendSecurityTelemetry"], Resource: "*" },
                { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mcpsec/docs-AbCdEf" },
                { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/mcpsec/docs:*" },
            ) }] } }] },
        ],
        fail: [
            {
                label: "AdministratorAccess by RolePolicyAttachment (passed the inline-only rule)", resources: [
                    { type: "aws:iam/role:Role", name: "task", props: { name: "task-role" } },
                    { type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name: "admin", props: { role: "task-role", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }, refs: { role: ["task"] } },
                ], expect: /role task: the AWS managed policy AdministratorAccess is attached/,
            },
            { label: "PowerUserAccess in managedPolicyArns", resources: [{ type: "aws:iam/role:Role", name: "task", props: { name: "task-role", managedPolicyArns: ["arn:aws:iam::aws:policy/PowerUserAccess"] } }], expect: /PowerUserAccess is attached/ },
            {
                label: "a *FullAccess policy to users and groups by PolicyAttachment", resources: [
                    { type: "aws:iam/user:User", name: "ops", props: { name: "ops" } },
                    { type: "aws:iam/policyAttachment:PolicyAttachment", name: "s3", props: { users: ["ops"], policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" } },
                ], expect: /user ops: the AWS managed policy AmazonS3FullAccess is attached/,
            },
            {
                label: "customer managed policy with a wildcard, attached to a group", resources: [
                    { type: "aws:iam/group:Group", name: "devs", props: { name: "devs" } },
                    { type: "aws:iam/policy:Policy", name: "wide", props: { arn: "arn:aws:iam::123456789012:policy/wide", policy: doc({ Sid: "Everything", Effect: "Allow", Action: "secretsmanager:*", Resource: "*" }) } },
                    { type: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", name: "wide", props: { group: "devs", policyArn: "arn:aws:iam::123456789012:policy/wide" } },
                ], expect: /group devs: attached policy wide: statement Everything allows secretsmanager:\*/,
            },
            {
                label: "iam:PassRole on * in an inline role policy (named action: passed the wildcard rule)", resources: [
                    { type: "aws:iam/role:Role", name: "task", props: { name: "task-role" } },
                    { type: "aws:iam/rolePolicy:RolePolicy", name: "pass", props: { role: "task-role", policy: doc({ Sid: "Pass", Effect: "Allow", Action: "iam:PassRole", Resource: "*" }) }, refs: { role: ["task"] } },
                ], expect: /role task: policy pass statement Pass allows iam:PassRole on any role/,
            },
            // Weakened configurations the review found passing (issue 17, finding 8).
            ...["SecretsManagerReadWrite", "ReadOnlyAccess", "AmazonDynamoDBReadOnlyAccess"].map((policy) => ({
                label: `the broad AWS managed policy ${policy}`, resources: [{ type: "aws:iam/role:Role", name: "task", props: { name: "task-role", managedPolicyArns: [`arn:aws:iam::aws:policy/${policy}`] } }],
                expect: new RegExp(`role task: the AWS managed policy ${policy} is attached; it grants`),
            })),
            {
                label: "iam:PassRole on every ARN of the account", resources: [
                    { type: "aws:iam/role:Role", name: "task", props: { name: "task-role" } },
                    { type: "aws:iam/rolePolicy:RolePolicy", name: "pass", props: { role: "task-role", policy: doc({ Sid: "Pass", Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:*" }) }, refs: { role: ["task"] } },
                ], expect: /statement Pass allows iam:PassRole on any role/,
            },
            {
                label: "iam:PassRole on a role-name prefix", resources: [
                    { type: "aws:iam/role:Role", name: "task", props: { name: "task-role" } },
                    { type: "aws:iam/rolePolicy:RolePolicy", name: "pass", props: { role: "task-role", policy: doc({ Sid: "Pass", Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/mcp-*" }) }, refs: { role: ["task"] } },
                ], expect: /statement Pass allows iam:PassRole on any role/,
            },
            {
                label: "named data actions on every secret and bucket (Resource \"*\")", resources: [
                    { type: "aws:iam/role:Role", name: "task", props: { name: "task-role" } },
                    { type: "aws:iam/rolePolicy:RolePolicy", name: "data", props: { role: "task-role", policy: doc({ Sid: "Data", Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "s3:PutObject"], Resource: "*" }) }, refs: { role: ["task"] } },
                ], expect: /statement Data allows secretsmanager:GetSecretValue, s3:PutObject on every resource \(\*\)/,
            },
            {
                label: "a data action on every secret of the account", resources: [
                    { ...{ type: "aws:iam/role:Role", name: "task", props: { name: "task-role" } }, props: { name: "task-role", inlinePolicies: [{ name: "secrets", policy: doc({ Sid: "Secrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:*" }) }] } },
                ], expect: /statement Secrets allows secretsmanager:GetSecretValue on every resource \(arn:aws:secretsmanager:eu-west-1:123456789012:secret:\*\)/,
            },
        ],
    },
    "aws-elb-alb-has-web-acl": {
        pass: [
            { label: "associated", resources: [alb(), association()] },
            { label: "network load balancer needs none", resources: [alb("nlb", { loadBalancerType: "network" })] },
            { label: "associated by ARN string", resources: [alb(), { ...association(), props: { resourceArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/alb/0123456789abcdef" }, refs: {} }] },
        ],
        fail: [
            { label: "ALB without web ACL", resources: [alb(), alb("other"), association("other")], expect: /LoadBalancer alb has no web ACL associated/ },
            { label: "REST API stage without web ACL", resources: [{ type: "aws:apigateway/stage:Stage", name: "prod", props: { stageName: "prod" } }], expect: /Stage prod has no web ACL/ },
        ],
    },
    "aws-elb-listener-tls": {
        pass: [
            { label: "HTTPS with TLS 1.2/1.3", type: LISTENER, props: { protocol: "HTTPS", port: 443, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" } },
            { label: "HTTP that redirects", type: LISTENER, props: { protocol: "HTTP", port: 80, defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }] } },
            { label: "TCP passthrough (TLS ends behind)", type: LISTENER, props: { protocol: "TCP", port: 443 } },
            { label: "policy allowed by pack config", type: LISTENER, props: { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04" }, config: { allowedPolicies: ["ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04"] } },
        ],
        fail: [
            { label: "TLS 1.0 policy", type: LISTENER, props: { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-2016-08" }, expect: /sslPolicy is ELBSecurityPolicy-2016-08/ },
            { label: "no policy", type: LISTENER, props: { protocol: "TLS" }, expect: /load balancer default/ },
            { label: "plain HTTP forwarding", type: LISTENER, props: { protocol: "HTTP", defaultActions: [{ type: "forward", targetGroupArn: "tg" }] }, expect: /other than redirect to HTTPS/ },
        ],
    },
    "aws-elb-listener-rules-safe": {
        pass: [
            { label: "host rule forwarding to a health-checked target group of a WAF-protected ALB", resources: [alb(), association(), lbListener("https", "alb", "HTTPS"), targetGroup("docs"), listenerRule("docs", "https", [{ type: "forward", targetGroupArn: "unknown" }], ["docs"])] },
            { label: "PrivateLink NLB forwarding to the ALB (alb-type target group)", resources: [alb("nlb", { loadBalancerType: "network" }), lbListener("tls", "nlb", "TCP", [{ type: "forward", targetGroupArn: "unknown" }], ["alb-target"]), targetGroup("alb-target", { targetType: "alb", protocol: "TCP" })] },
            { label: "metadata fixed response", resources: [alb(), association(), lbListener("https", "alb", "HTTPS"), listenerRule("metadata", "https", [{ type: "fixed-response", fixedResponse: { statusCode: "200" } }])] },
            { label: "redirects that keep the host", resources: [alb(), association(), lbListener("https", "alb", "HTTPS"), listenerRule("same", "https", [{ type: "redirect", redirect: { protocol: "HTTPS", host: "#{host}", path: "/mcp" } }]), listenerRule("unset", "https", [{ type: "redirect", redirect: { protocol: "HTTPS", path: "/mcp" } }])] },
        ],
        fail: [
            // Each passed the old rules, which judged listeners' default actions only and needed no WAF on an NLB.
            { label: "a rule of an HTTP listener that forwards", resources: [alb(), association(), lbListener("http", "alb", "HTTP", [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443" } }]), targetGroup("docs"), listenerRule("docs", "http", [{ type: "forward", targetGroupArn: "unknown" }], ["docs"])], expect: /Listener rule docs of plain-HTTP listener http does forward instead of redirecting to HTTPS/ },
            { label: "a rule that redirects to HTTP", resources: [alb(), association(), lbListener("https", "alb", "HTTPS"), listenerRule("old", "https", [{ type: "redirect", redirect: { protocol: "HTTP", port: "80", host: "legacy.example.com" } }])], expect: /Listener rule old redirects to HTTP/ },
            { label: "forwarding to a target group without health checks", resources: [alb(), association(), lbListener("https", "alb", "HTTPS"), targetGroup("docs", { healthCheck: { enabled: false } }), listenerRule("docs", "https", [{ type: "forward", forward: { targetGroups: [{ arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/docs/0123", weight: 1 }] } }])], expect: /forwards to target group docs, whose health check is disabled/ },
            // Each passed the old rule, which judged only target groups of the stack and any redirect host (review finding 8).
            { label: "an NLB listener to a target group that is not in the stack", resources: [alb("nlb", { loadBalancerType: "network" }), lbListener("tcp", "nlb", "TCP", [{ type: "forward", targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/elsewhere/0abc" }])], expect: /Listener tcp forwards to target group arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup\/elsewhere\/0abc, which is not in this stack, through network load balancer nlb/ },
            { label: "a weighted NLB forward to a target group not in the stack", resources: [alb("nlb", { loadBalancerType: "network" }), lbListener("tcp", "nlb", "TCP", [{ type: "forward", forward: { targetGroups: [{ arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/elsewhere/0abc", weight: 1 }] } }])], expect: /targetgroup\/elsewhere\/0abc, which is not in this stack/ },
            { label: "an HTTPS redirect to another host (open redirect)", resources: [alb(), association(), lbListener("https", "alb", "HTTPS"), listenerRule("away", "https", [{ type: "redirect", redirect: { protocol: "HTTPS", host: "evil.example.com", port: "443" } }])], expect: /Listener rule away redirects to another host \(evil.example.com\)/ },
            { label: "an NLB listener straight to a server's target group (around the WAF)", resources: [alb(), association(), alb("nlb", { loadBalancerType: "network" }), lbListener("tcp", "nlb", "TCP", [{ type: "forward", targetGroupArn: "unknown" }], ["docs"]), targetGroup("docs")], expect: /Listener tcp forwards to target group docs through network load balancer nlb, which no web ACL can inspect: a path around the WAF/ },
        ],
    },
    "aws-elb-target-group-https": {
        pass: [
            { label: "HTTPS to the guard, HTTPS health checks", type: "aws:lb/targetGroup:TargetGroup", props: { targetType: "ip", protocol: "HTTPS", port: 8443, healthCheck: { enabled: true, protocol: "HTTPS", path: "/health" } } },
            { label: "the PrivateLink hop (alb-type, TCP)", type: "aws:lb/targetGroup:TargetGroup", props: { targetType: "alb", protocol: "TCP", port: 443 } },
            // Pattern 3: HTTPS traffic to the mesh gateway's NodePort, readiness checks on its status NodePort (no request data).
            { label: "HTTPS traffic, HTTP health check on another (status) port", type: "aws:lb/targetGroup:TargetGroup", props: { targetType: "instance", protocol: "HTTPS", port: 30443, healthCheck: { enabled: true, protocol: "HTTP", port: "30021", path: "/healthz/ready" } } },
        ],
        fail: [
            // Passed the pack before issue 10 (InternalAlb's own target groups were HTTP).
            { label: "plain HTTP to the server", type: "aws:lb/targetGroup:TargetGroup", props: { targetType: "ip", protocol: "HTTP", port: 8080, healthCheck: { enabled: true, protocol: "HTTP", path: "/health" } }, expect: /protocol is HTTP: requests reach the targets in clear text/ },
            { label: "HTTPS with the default (HTTP) health check", type: "aws:lb/targetGroup:TargetGroup", props: { targetType: "ip", protocol: "HTTPS", port: 8443, healthCheck: { enabled: true, path: "/health" } }, expect: /healthCheck.protocol is unset \(HTTP\) while the targets serve HTTPS/ },
            { label: "HTTP health check on the traffic port named by number", type: "aws:lb/targetGroup:TargetGroup", props: { targetType: "instance", protocol: "HTTPS", port: 30443, healthCheck: { enabled: true, protocol: "HTTP", port: "30443", path: "/healthz/ready" } }, expect: /healthCheck.protocol is HTTP while the targets serve HTTPS/ },
        ],
    },
    "aws-elb-alb-drop-invalid-headers": {
        pass: [{ label: "dropping", type: LB, props: { loadBalancerType: "application", dropInvalidHeaderFields: true, desyncMitigationMode: "strictest" } }, { label: "NLB", type: LB, props: { loadBalancerType: "network" } }],
        fail: [
            { label: "not dropping", type: LB, props: { loadBalancerType: "application" }, expect: /dropInvalidHeaderFields is not true/ },
            { label: "monitor mode", type: LB, props: { dropInvalidHeaderFields: true, desyncMitigationMode: "monitor" }, expect: /desyncMitigationMode is monitor/ },
        ],
    },
    "aws-elb-access-logs-enabled": {
        pass: [{ label: "logging", type: LB, props: { loadBalancerType: "application", accessLogs: { enabled: true, bucket: "b" } } }],
        fail: [{ label: "no access logs", type: LB, props: { loadBalancerType: "application" }, expect: /accessLogs are not enabled/ }],
    },
    "aws-elb-deletion-protection": {
        pass: [{ label: "protected", type: LB, props: { enableDeletionProtection: true } }],
        fail: [{ label: "unprotected", type: LB, props: { enableDeletionProtection: false }, expect: /enableDeletionProtection is not true/ }],
    },
    "aws-wafv2-web-acl-logging": {
        pass: [
            { label: "data protection of the authorization header and log redaction", resources: [webAcl("acl", { dataProtectionConfig: dataProtection() }), wafLogging()] },
            { label: "data protection (hash) without log redaction: it covers logs too", resources: [webAcl("acl", { dataProtectionConfig: dataProtection({ action: "HASH" }) }), wafLogging("acl", { redactedFields: [] })] },
            { label: "a filter that keeps only blocked requests", resources: [webAcl("acl", { dataProtectionConfig: dataProtection() }), wafLogging("acl", { loggingFilter: { defaultBehavior: "DROP", filters: [{ behavior: "KEEP", requirement: "MEETS_ANY", conditions: [{ actionCondition: { action: "BLOCK" } }] }] } })] },
        ],
        fail: [
            { label: "no logging", resources: [webAcl("acl", { dataProtectionConfig: dataProtection() })], expect: /Web ACL acl has no logging configuration/ },
            { label: "token not redacted", resources: [webAcl(), wafLogging("acl", { redactedFields: [] })], expect: /logs the Authorization header in clear/ },
            // Each passed the old rule (issue 17 review, finding 2).
            { label: "log redaction only: sampled requests show the token", resources: [webAcl(), wafLogging()], expect: /Web ACL acl shows the Authorization header in sampled requests: no data protection of the authorization header/ },
            { label: "data protection that excludes rule match details", resources: [webAcl("acl", { dataProtectionConfig: dataProtection({ excludeRuleMatchDetails: true }) }), wafLogging()], expect: /excludes rule match details/ },
            { label: "a logging filter that drops everything", resources: [webAcl("acl", { dataProtectionConfig: dataProtection() }), wafLogging("acl", { loggingFilter: { defaultBehavior: "DROP", filters: [] } })], expect: /Web ACL acl drops blocked requests from its logs \(logging filter default DROP\)/ },
            { label: "a logging filter whose first filter drops blocked requests", resources: [webAcl("acl", { dataProtectionConfig: dataProtection() }), wafLogging("acl", { loggingFilter: { defaultBehavior: "KEEP", filters: [{ behavior: "DROP", requirement: "MEETS_ANY", conditions: [{ labelNameCondition: { labelName: "awswaf:managed:aws:core-rule-set:NoUserAgent_Header" } }, { actionCondition: { action: "BLOCK" } }] }] } })], expect: /drops blocked requests from its logs \(filter 1, DROP\)/ },
        ],
    },
    "aws-wafv2-web-acl-baseline-rules": {
        pass: [
            { label: "ruleJson with the baseline", type: "aws:wafv2/webAcl:WebAcl", props: { ruleJson: ruleJson(BASELINE) } },
            { label: "the McpWebAcl rules", type: WEB_ACL, props: { ruleJson: JSON.stringify(mcpRules()) } },
            { label: "typed rules with the baseline", type: "aws:wafv2/webAcl:WebAcl", props: { rules: [...BASELINE.map((g) => ({ name: g, statement: { managedRuleGroupStatement: { name: g, vendorName: "AWS" } } })), { name: "rate", action: { block: {} }, statement: { rateBasedStatement: { limit: 100 } } }] } },
        ],
        fail: [
            { label: "missing known bad inputs", type: "aws:wafv2/webAcl:WebAcl", props: { ruleJson: ruleJson(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesAmazonIpReputationList"]) }, expect: /missing managed rule groups: AWSManagedRulesKnownBadInputsRuleSet/ },
            { label: "no rate limit", type: "aws:wafv2/webAcl:WebAcl", props: { ruleJson: ruleJson(BASELINE, false) }, expect: /no rate-based rule/ },
            // Each passed the old rule (issue 17 review, finding 2).
            { label: "a required group scoped down to requests that never come", type: WEB_ACL, props: { ruleJson: JSON.stringify(mcpRules().map((r) => (r.Name === "AWSManagedRulesKnownBadInputsRuleSet" ? { ...r, Statement: { ManagedRuleGroupStatement: { ...r.Statement.ManagedRuleGroupStatement, ScopeDownStatement: uriPath("/never") } } } : r))) }, expect: /rule group AWSManagedRulesKnownBadInputsRuleSet inspects only what its scope-down statement selects/ },
            { label: "the only rate limit scoped down to one path", type: WEB_ACL, props: { ruleJson: JSON.stringify(mcpRules().filter((r) => r.Name !== "rate-per-token").map((r) => (r.Name === "rate-per-ip" ? { ...r, Statement: { RateBasedStatement: { ...r.Statement.RateBasedStatement, ScopeDownStatement: uriPath("/never") } } } : r))) }, expect: /no rate-based rule that blocks every client/ },
        ],
    },
    "aws-wafv2-web-acl-rules-block": {
        pass: [
            { label: "the McpWebAcl rules (allow model, default Block)", type: WEB_ACL, props: { defaultAction: { block: {} }, ruleJson: JSON.stringify(mcpWebAclRules({ allowedMethods: ["tools/call"], rateLimitPerIp: 100, rateLimitPerToken: 100, maxBodyBytes: 8192, mcpPaths: ["/mcp"] })) } },
            { label: "typed rules that block", type: WEB_ACL, props: { defaultAction: { block: {} }, rules: [{ name: "common", overrideAction: { none: {} }, statement: { managedRuleGroupStatement: { name: "AWSManagedRulesCommonRuleSet", vendorName: "AWS", ruleActionOverrides: [{ name: "SizeRestrictions_BODY", actionToUse: { block: {} } }] } } }, { name: "rate", action: { block: {} }, statement: { rateBasedStatement: { limit: 100 } } }] } },
        ],
        fail: [
            // Each passed the old rules, which looked only for the groups' presence and a rate-based rule.
            { label: "managed group overridden to Count (ruleJson)", type: WEB_ACL, props: { defaultAction: { block: {} }, ruleJson: JSON.stringify(JSON.parse(ruleJson(BASELINE)).map((r: Props) => (r.OverrideAction ? { ...r, OverrideAction: { Count: {} } } : r))) }, expect: /rule group AWSManagedRulesCommonRuleSet \(rule AWSManagedRulesCommonRuleSet\) only counts \(override action Count\)/ },
            { label: "Count on rules of a managed group (typed)", type: WEB_ACL, props: { defaultAction: { block: {} }, rules: [{ name: "bad-inputs", overrideAction: { none: {} }, statement: { managedRuleGroupStatement: { name: "AWSManagedRulesKnownBadInputsRuleSet", vendorName: "AWS", ruleActionOverrides: [{ name: "Log4JRCE_BODY", actionToUse: { count: {} } }] } } }] }, expect: /sets Count on its rules Log4JRCE_BODY/ },
            { label: "rate limit that only counts", type: WEB_ACL, props: { defaultAction: { block: {} }, ruleJson: JSON.stringify([{ Name: "rate", Priority: 0, Statement: { RateBasedStatement: { Limit: 100, AggregateKeyType: "IP" } }, Action: { Count: {} } }]) }, expect: /rule rate only counts \(action Count\)/ },
            { label: "default action Allow (the old McpWebAcl)", type: WEB_ACL, props: { defaultAction: { allow: {} }, ruleJson: ruleJson(BASELINE) }, expect: /the default action is allow/ },
            // Each passed the old rule (issue 17 review, finding 2).
            { label: "an Allow rule at priority 0 for every path starting with /", type: WEB_ACL, props: { defaultAction: { block: {} }, ruleJson: JSON.stringify([{ Name: "allow-all", Priority: 0, Action: { Allow: {} }, Statement: uriPath("/", "STARTS_WITH"), VisibilityConfig: {} }, ...mcpRules().map((r) => ({ ...r, Priority: r.Priority + 1 }))]) }, expect: /Allow rule allow-all admits any HTTP method[\s\S]*Allow rule allow-all admits paths beyond named ones[\s\S]*rule group AWSManagedRulesAmazonIpReputationList \(priority 1\) comes after Allow rule allow-all \(priority 0\)/ },
            { label: "an Allow rule on the MCP path with any method", type: WEB_ACL, props: { defaultAction: { block: {} }, ruleJson: JSON.stringify([...mcpRules(), { Name: "allow-mcp-any", Priority: 50, Action: { Allow: {} }, Statement: uriPath("/mcp"), VisibilityConfig: {} }]) }, expect: /Allow rule allow-mcp-any admits any HTTP method/ },
            { label: "an Allow rule for one method on a path prefix without a slash", type: WEB_ACL, props: { defaultAction: { block: {} }, ruleJson: JSON.stringify([...mcpRules(), { Name: "allow-prefix", Priority: 50, Action: { Allow: {} }, Statement: { AndStatement: { Statements: [httpMethod("GET"), uriPath("/mcp", "STARTS_WITH")] } }, VisibilityConfig: {} }]) }, expect: /Allow rule allow-prefix admits paths beyond named ones/ },
            { label: "rule action override Allow in a managed group", type: WEB_ACL, props: { defaultAction: { block: {} }, ruleJson: withOverride("Allow") }, expect: /rule group AWSManagedRulesCommonRuleSet \(rule AWSManagedRulesCommonRuleSet\) sets Allow on its rules SizeRestrictions_BODY/ },
            { label: "rule action override Challenge in a managed group (typed)", type: WEB_ACL, props: { defaultAction: { block: {} }, rules: [{ name: "common", priority: 0, overrideAction: { none: {} }, statement: { managedRuleGroupStatement: { name: "AWSManagedRulesCommonRuleSet", vendorName: "AWS", ruleActionOverrides: [{ name: "CrossSiteScripting_BODY", actionToUse: { challenge: {} } }] } } }] }, expect: /sets Challenge on its rules CrossSiteScripting_BODY/ },
            { label: "managed groups after the Allow rules", type: WEB_ACL, props: { defaultAction: { block: {} }, ruleJson: JSON.stringify(mcpRules().map((r) => (r.Statement.ManagedRuleGroupStatement ? { ...r, Priority: r.Priority + 100 } : r))) }, expect: /rule group AWSManagedRulesCommonRuleSet \(priority 103\) comes after Allow rule allow-resource-metadata \(priority 7\): requests that rule admits never reach it/ },
        ],
    },
    "aws-s3-bucket-public-access-blocked": {
        pass: [
            { label: "all four on", resources: [bucket(), pab()] },
            { label: "block naming the bucket as a string", resources: [bucket(), { ...pab(), props: { ...pab().props, bucket: "logs-abc" }, refs: {} }] },
        ],
        fail: [
            { label: "no block", resources: [bucket()], expect: /Bucket logs has no public access block/ },
            { label: "one setting off", resources: [bucket(), pab("logs", { restrictPublicBuckets: false })], expect: /a setting off/ },
        ],
    },
    "aws-s3-bucket-tls-only": {
        pass: [
            { label: "deny without TLS", resources: [bucket(), bucketPolicy()] },
            { label: "deny of every action on every resource (Resource *, Action *)", resources: [bucket(), bucketPolicy("logs", doc({ ...tlsOnly, Action: "*", Resource: "*", Principal: { AWS: "*" } }))] },
        ],
        fail: [
            { label: "no policy", resources: [bucket()], expect: /Bucket logs accepts requests without TLS/ },
            // Each passed the old rule, which looked only for a Deny with aws:SecureTransport false (review finding 7).
            { label: "the deny covers one action", resources: [bucket(), bucketPolicy("logs", doc({ ...tlsOnly, Action: "s3:GetObject" }))], expect: /Bucket logs accepts requests without TLS/ },
            { label: "the deny names another bucket", resources: [bucket(), bucketPolicy("logs", doc({ ...tlsOnly, Resource: ["arn:aws:s3:::other-abc", "arn:aws:s3:::other-abc/*"] }))], expect: /Bucket logs accepts requests without TLS/ },
            { label: "the deny covers the objects but not the bucket", resources: [bucket(), bucketPolicy("logs", doc({ ...tlsOnly, Resource: "arn:aws:s3:::logs-abc/*" }))], expect: /Bucket logs accepts requests without TLS/ },
            { label: "the deny applies to one principal", resources: [bucket(), bucketPolicy("logs", doc({ ...tlsOnly, Principal: { AWS: "arn:aws:iam::123456789012:role/app" } }))], expect: /Bucket logs accepts requests without TLS/ },
            { label: "policy without the deny", resources: [bucket(), bucketPolicy("logs", doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::156460612806:root" }, Action: "s3:PutObject", Resource: "arn:aws:s3:::logs-abc/*" }))], expect: /accepts requests without TLS/ },
        ],
    },
    "aws-s3-bucket-access-logging": {
        pass: [
            { label: "archive logs into the terminal bucket, which states its exemption", resources: [bucket("archive"), taggedBucket("access-logs", EXEMPT), accessLogging("archive", "access-logs")] },
            { label: "logging to a bucket outside the stack (by name)", resources: [bucket("archive"), { ...accessLogging("archive", "x"), props: { bucket: "archive-abc", targetBucket: "org-access-logs" }, refs: {} }] },
        ],
        fail: [
            { label: "no access logging (an unlogged bucket passed before)", resources: [bucket("archive"), taggedBucket("access-logs", EXEMPT), accessLogging("archive", "access-logs"), bucket("alb-logs")], expect: /Bucket alb-logs has no server access logging/ },
            { label: "exemption tag on a bucket nothing logs into", resources: [taggedBucket("archive", EXEMPT)], expect: /tagged mcpsec:access-log-exemption but no bucket logs into it/ },
            { label: "exemption without a reason", resources: [bucket("archive"), taggedBucket("access-logs", { "mcpsec:access-log-exemption": " " }), accessLogging("archive", "access-logs")], expect: /without a reason/ },
            { label: "a bucket logging into itself", resources: [bucket("archive"), accessLogging("archive", "archive")], expect: /logs its server access into itself/ },
            // Each passed the old rule (review finding 7).
            { label: "the exemption on the object-locked archive, with some bucket logging into it", resources: [{ ...lockedBucket(), props: { ...lockedBucket().props, tags: EXEMPT } }, lockConfig("COMPLIANCE"), bucket("scratch"), accessLogging("scratch", "archive")], expect: /Bucket archive is tagged mcpsec:access-log-exemption but has object lock/ },
            { label: "the exemption on a bucket that receives more than access logs", resources: [taggedBucket("alb-logs", EXEMPT), bucketPolicy("alb-logs", doc(s3LogDelivery, { Sid: "ElbLogDelivery", Effect: "Allow", Principal: { AWS: "arn:aws:iam::156460612806:root" }, Action: "s3:PutObject", Resource: "arn:aws:s3:::alb-logs-abc/*" })), bucket("archive"), accessLogging("archive", "alb-logs")], expect: /Bucket alb-logs is tagged mcpsec:access-log-exemption but its policy lets statement ElbLogDelivery write/ },
            { label: "two buckets logging into each other", resources: [bucket("a"), bucket("b"), accessLogging("a", "b"), accessLogging("b", "a")], expect: /Bucket a logs its server access in a cycle \(a -> b -> a\)/ },
        ],
    },
    "aws-s3-object-lock-immutable": {
        pass: [
            { label: "COMPLIANCE mode", resources: [lockedBucket(), lockConfig("COMPLIANCE")] },
            { label: "GOVERNANCE with the bypass denied to everyone", resources: [lockedBucket(), lockConfig("GOVERNANCE"), bucketPolicy("archive", doc(tlsOnly, denyBypass))] },
            { label: "no object lock at all", resources: [bucket("logs")] },
            { label: "COMPLIANCE for 1 year", resources: [lockedBucket(), lockFor({ mode: "COMPLIANCE", years: 1 })] },
            { label: "a shorter minimum set in the pack config", resources: [lockedBucket(), lockFor({ mode: "COMPLIANCE", days: 30 })], config: { minRetentionDays: 30 } },
        ],
        fail: [
            { label: "GOVERNANCE without the deny (passed before)", resources: [lockedBucket(), lockConfig("GOVERNANCE"), bucketPolicy("archive")], expect: /Bucket archive locks in GOVERNANCE mode and its policy does not deny s3:BypassGovernanceRetention/ },
            { label: "deny with a condition (some principals may bypass)", resources: [lockedBucket(), lockConfig("GOVERNANCE"), bucketPolicy("archive", doc({ ...denyBypass, Condition: { StringNotEquals: { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/admin" } } }))], expect: /can be bypassed/ },
            { label: "object lock without default retention", resources: [lockedBucket(), lockConfig(undefined)], expect: /without a default retention/ },
            // Each passed the old rule (review finding 7).
            { label: "COMPLIANCE for 1 day", resources: [lockedBucket(), lockFor({ mode: "COMPLIANCE", days: 1 })], expect: /Bucket archive locks new objects for 1 day\(s\); at least 90 are required/ },
            { label: "GOVERNANCE with the bypass denied on another bucket", resources: [lockedBucket(), lockConfig("GOVERNANCE"), bucketPolicy("archive", doc(tlsOnly, { ...denyBypass, Resource: "arn:aws:s3:::other-abc/*" }))], expect: /Bucket archive locks in GOVERNANCE mode and its policy does not deny s3:BypassGovernanceRetention/ },
        ],
    },
    "aws-cognito-user-pool-mfa-required": {
        pass: [{ label: "MFA on with TOTP", type: POOL, props: pool() }, { label: "MFA on with WebAuthn", type: POOL, props: pool({ softwareTokenMfaConfiguration: undefined, webAuthnConfiguration: { userVerification: "required" } }) }],
        fail: [
            { label: "MFA optional", type: POOL, props: pool({ mfaConfiguration: "OPTIONAL" }), expect: /mfaConfiguration is OPTIONAL/ },
            { label: "MFA unset", type: POOL, props: pool({ mfaConfiguration: undefined }), expect: /OFF \(the default\)/ },
            { label: "SMS only", type: POOL, props: pool({ softwareTokenMfaConfiguration: { enabled: false } }), expect: /SMS alone/ },
        ],
    },
    "aws-cognito-user-pool-threat-protection": {
        pass: [{ label: "enforced", type: POOL, props: pool() }],
        fail: [
            { label: "audit only", type: POOL, props: pool({ userPoolAddOns: { advancedSecurityMode: "AUDIT" } }), expect: /advancedSecurityMode is AUDIT/ },
            { label: "enforced but the plan left unset (Essentials)", type: POOL, props: pool({ userPoolTier: undefined }), expect: /userPoolTier is unset \(Cognito's default plan, Essentials\); threat protection needs PLUS/ },
        ],
    },
    "aws-cognito-user-pool-admin-create-only": {
        pass: [{ label: "administrators create users", type: POOL, props: pool() }],
        fail: [
            { label: "adminCreateUserConfig omitted (self sign-up open)", type: POOL, props: pool({ adminCreateUserConfig: undefined }), expect: /allowAdminCreateUserOnly is unset \(false\)/ },
            { label: "self sign-up allowed", type: POOL, props: pool({ adminCreateUserConfig: { allowAdminCreateUserOnly: false } }), expect: /allowAdminCreateUserOnly is false/ },
        ],
    },
    "aws-cognito-managed-login-branding": {
        pass: [
            { label: "managed login with a style for the code-flow client", resources: [poolRes(), clientRes(), domainRes(2), brandingRes()] },
            { label: "classic hosted UI needs no style", resources: [poolRes(), clientRes(), domainRes(1)] },
            { label: "client-credentials client needs no style", resources: [poolRes(), clientRes("agent", agentClient()), domainRes(2)] },
        ],
        fail: [
            { label: "managed login, no style for the people client", resources: [poolRes(), clientRes(), domainRes(2)], expect: /App client people uses the code flow on a managed login \(version 2\) domain but has no branding style/ },
            { label: "a style for another client only", resources: [poolRes(), clientRes(), clientRes("other"), domainRes(2), brandingRes("other")], expect: /App client people/ },
        ],
    },
    "aws-cognito-people-scopes-per-group": {
        pass: [
            { label: "V2_0 scope trigger of this stack, invocable by the pool", resources: withTrigger(clientRes()) },
            { label: "code-flow client with standard scopes only", resources: [poolRes(), clientRes("people", { allowedOauthScopes: ["openid", "email"] })] },
        ],
        fail: [
            { label: "no trigger: everyone gets every scope", resources: [poolRes(), clientRes()], expect: /User pool users lets people request MCP scopes but customizes no access token \(pre-token generation unset/ },
            { label: "V1_0 trigger (ID token only)", resources: [poolRes("users", { lambdaConfig: { preTokenGenerationConfig: { ...scopeTrigger.preTokenGenerationConfig, lambdaVersion: "V1_0" } } }), clientRes()], expect: /pre-token generation V1_0/ },
            { label: "trigger on the Lite plan", resources: [poolRes("users", { lambdaConfig: scopeTrigger, userPoolTier: "LITE" }), triggerFn(), triggerPermission(), clientRes()], expect: /Lite plan/ },
            { label: "trigger outside the stack (a no-op function would pass; passed before)", resources: [poolRes("users", { lambdaConfig: scopeTrigger }), clientRes()], expect: /trigger arn:aws:lambda:eu-west-1:123456789012:function:scopes is not a Lambda function of this stack/ },
            { label: "trigger any pool may invoke (permission without sourceArn; passed before)", resources: [poolRes("users", { lambdaConfig: scopeTrigger }), triggerFn(), triggerPermission({ sourceArn: undefined }), clientRes()], expect: /trigger scopes has no lambda:InvokeFunction permission for cognito-idp.amazonaws.com with sourceArn the pool/ },
        ],
    },
    "aws-cognito-client-credentials-one-server": {
        pass: [
            { label: "agent client with scopes of one server", type: CLIENT, props: agentClient({ allowedOauthScopes: ["https://docs.example.com/mcp/docs:read", "https://docs.example.com/mcp/docs:write"] }) },
            { label: "code-flow client with every server's scopes (people: scopes per group)", type: CLIENT, props: peopleClient({ allowedOauthScopes: ["https://docs.example.com/mcp/docs:read", "https://tickets.example.com/mcp/tickets:read"] }) },
        ],
        fail: [
            { label: "agent client with every server's scopes (passed before)", type: CLIENT, props: agentClient({ allowedOauthScopes: ["https://docs.example.com/mcp/docs:read", "https://tickets.example.com/mcp/tickets:write"] }), expect: /holds scopes of 2 resource servers \(https:\/\/docs.example.com\/mcp, https:\/\/tickets.example.com\/mcp\)/ },
        ],
    },
    "aws-cognito-user-pool-password-policy": {
        pass: [
            { label: "14 characters, all classes", type: POOL, props: pool() },
            { label: "Cognito defaults with a lower bound from pack config", type: POOL, props: pool({ passwordPolicy: undefined }), config: { minimumLength: 8 } },
        ],
        fail: [
            { label: "too short", type: POOL, props: pool({ passwordPolicy: { ...pool().passwordPolicy, minimumLength: 10 } }), expect: /minimumLength is 10; at least 14/ },
            { label: "no symbols", type: POOL, props: pool({ passwordPolicy: { ...pool().passwordPolicy, requireSymbols: false } }), expect: /not required: requireSymbols/ },
            { label: "long-lived temporary passwords", type: POOL, props: pool({ passwordPolicy: { ...pool().passwordPolicy, temporaryPasswordValidityDays: 30 } }), expect: /temporary passwords live 30 days/ },
        ],
    },
    "aws-cognito-user-pool-deletion-protection": {
        pass: [{ label: "active", type: POOL, props: pool() }],
        fail: [{ label: "inactive", type: POOL, props: pool({ deletionProtection: "INACTIVE" }), expect: /deletionProtection is INACTIVE/ }],
    },
    "aws-cognito-client-access-token-lifetime": {
        pass: [
            { label: "15 minutes", type: CLIENT, props: peopleClient() },
            { label: "1 hour in hours", type: CLIENT, props: peopleClient({ accessTokenValidity: 1, tokenValidityUnits: { accessToken: "hours" } }) },
        ],
        fail: [
            { label: "one day", type: CLIENT, props: peopleClient({ accessTokenValidity: 24, tokenValidityUnits: { accessToken: "hours" } }), expect: /access tokens live 1440 minutes; the bound is 60/ },
            { label: "90 minutes", type: CLIENT, props: peopleClient({ accessTokenValidity: 90 }), expect: /90 minutes/ },
            { label: "above a tighter bound from pack config", type: CLIENT, props: peopleClient({ accessTokenValidity: 30 }), config: { maxAccessTokenMinutes: 15 }, expect: /the bound is 15/ },
            { label: "minutes without units mean hours", type: CLIENT, props: peopleClient({ accessTokenValidity: 2, tokenValidityUnits: undefined }), expect: /120 minutes/ },
        ],
    },
    "aws-cognito-client-code-flow-only": {
        pass: [
            { label: "public code flow, rotating refresh tokens, SRP only", type: CLIENT, props: peopleClient() },
            { label: "confidential client credentials", type: CLIENT, props: agentClient() },
        ],
        fail: [
            { label: "implicit flow", type: CLIENT, props: peopleClient({ allowedOauthFlows: ["code", "implicit"] }), expect: /includes implicit/ },
            { label: "public client with client credentials", type: CLIENT, props: peopleClient({ allowedOauthFlows: ["client_credentials"] }), expect: /public client \(no secret\) allows client_credentials/ },
            { label: "password sign-in", type: CLIENT, props: peopleClient({ explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH"] }), expect: /explicitAuthFlows allows ALLOW_USER_PASSWORD_AUTH/ },
            { label: "explicitAuthFlows omitted (Cognito's refresh, SRP and custom sign-in)", type: CLIENT, props: agentClient({ explicitAuthFlows: undefined }), expect: /explicitAuthFlows is unset, so Cognito allows ALLOW_USER_SRP_AUTH, ALLOW_CUSTOM_AUTH/ },
            { label: "choice-based sign-in", type: CLIENT, props: agentClient({ explicitAuthFlows: ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] }), expect: /allows ALLOW_USER_AUTH/ },
            // The old blueprint's people client: passed before, but Cognito refuses to create it, so nobody could sign in.
            { label: "rotation with ALLOW_REFRESH_TOKEN_AUTH (Cognito refuses the client; passed before)", type: CLIENT, props: peopleClient({ explicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"] }), expect: /refreshTokenRotation is ENABLED and explicitAuthFlows allows ALLOW_REFRESH_TOKEN_AUTH: Cognito refuses that combination/ },
            { label: "rotation with explicitAuthFlows empty (Cognito's default includes the refresh flow; passed before)", type: CLIENT, props: peopleClient({ explicitAuthFlows: [] }), expect: /explicitAuthFlows is empty, so Cognito allows ALLOW_REFRESH_TOKEN_AUTH: Cognito refuses/ },
            { label: "public code-flow client without rotation (passed before)", type: CLIENT, props: peopleClient({ refreshTokenRotation: undefined, explicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"] }), expect: /a public code-flow client does not rotate refresh tokens \(refreshTokenRotation.feature is unset\)/ },
            { label: "SRP on a client without rotation", type: CLIENT, props: agentClient({ explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] }), expect: /explicitAuthFlows allows ALLOW_USER_SRP_AUTH/ },
            { label: "allowedOauthFlowsUserPoolClient omitted", type: CLIENT, props: peopleClient({ allowedOauthFlowsUserPoolClient: undefined }), expect: /allowedOauthFlowsUserPoolClient is unset \(false\)/ },
        ],
    },
    "aws-cognito-client-revocation-and-privacy": {
        pass: [
            { label: "revocation on, no existence errors", type: CLIENT, props: peopleClient() },
            { label: "revocation unset (Cognito turns it on for new clients)", type: CLIENT, props: peopleClient({ enableTokenRevocation: undefined }) },
        ],
        fail: [
            { label: "revocation off", type: CLIENT, props: peopleClient({ enableTokenRevocation: false }), expect: /enableTokenRevocation is false/ },
            { label: "legacy errors", type: CLIENT, props: peopleClient({ preventUserExistenceErrors: undefined }), expect: /LEGACY/ },
        ],
    },
    "aws-secretsmanager-secret-rotation": {
        pass: [{ label: "rotated", resources: [secret(), rotation()] }],
        fail: [{ label: "never rotated", resources: [secret(), secret("other"), rotation("other")], expect: /Secret api has no rotation/ }],
    },
    "aws-secretsmanager-secret-cmk": {
        pass: [{ label: "customer key", type: "aws:secretsmanager/secret:Secret", props: secret().props }],
        fail: [{ label: "AWS managed key", type: "aws:secretsmanager/secret:Secret", props: secret("api", { kmsKeyId: undefined }).props, expect: /no kmsKeyId/ }],
    },
    "aws-kms-key-deletion-window": {
        pass: [{ label: "30 days", type: "aws:kms/key:Key", props: kmsKey() }, { label: "AWS default", type: "aws:kms/key:Key", props: kmsKey({ deletionWindowInDays: undefined }) }, { label: "lower bound from pack config", type: "aws:kms/key:Key", props: kmsKey({ deletionWindowInDays: 7 }), config: { minimumDays: 7 } }],
        fail: [{ label: "7 days", type: "aws:kms/key:Key", props: kmsKey({ deletionWindowInDays: 7 }), expect: /deletionWindowInDays is 7; the minimum is 30/ }],
    },
    "aws-cloudtrail-trail-hardened": {
        pass: [{ label: "hardened", type: "aws:cloudtrail/trail:Trail", props: trail() }],
        fail: [
            { label: "one region, no validation", type: "aws:cloudtrail/trail:Trail", props: trail({ isMultiRegionTrail: false, enableLogFileValidation: undefined }), expect: /not set: isMultiRegionTrail, enableLogFileValidation/ },
            { label: "unencrypted", type: "aws:cloudtrail/trail:Trail", props: trail({ kmsKeyId: undefined }), expect: /not set: kmsKeyId/ },
            { label: "logging stopped", type: "aws:cloudtrail/trail:Trail", props: trail({ enableLogging: false }), expect: /enableLogging/ },
        ],
    },
    "aws-sns-topic-encrypted": {
        pass: [{ label: "KMS", type: "aws:sns/topic:Topic", props: { kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k" } }],
        fail: [{ label: "plain", type: "aws:sns/topic:Topic", props: {}, expect: /kmsMasterKeyId is not set/ }],
    },
    "aws-guardduty-runtime-monitoring": {
        pass: [
            { label: "detector with Fargate runtime monitoring", resources: [ecsSvc(), detector(), runtime()] },
            { label: "organization's detector declared", resources: [ecsSvc(), { type: "mcpsec:detection:ThreatDetection", name: "detect", props: { services: { guardDuty: "existing" } } }] },
            { label: "no MCP workloads", resources: [] },
        ],
        fail: [
            { label: "no detector", resources: [ecsSvc()], expect: /enables no GuardDuty detector and declares no existing one/ },
            { label: "detector without runtime monitoring", resources: [ecsSvc(), detector()], expect: /runtime monitoring with ECS Fargate agent management is not enabled/ },
            { label: "runtime monitoring without Fargate agents", resources: [ecsSvc(), detector(), runtime({ additionalConfigurations: [{ name: "EKS_ADDON_MANAGEMENT", status: "ENABLED" }] })], expect: /not enabled/ },
        ],
    },
};
