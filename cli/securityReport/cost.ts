import * as fs from "fs";
import * as path from "path";
import type { GraphResource, ResourceGraph } from "../graph";
import { webAclRuleCount } from "./diagram";

/** One priced figure of the table: its price, unit, the page it comes from and how it was confirmed. */
export interface Price {
    price: number;
    unit: string;
    source: string;
    checked: string;
}

/** The price table (cli/securityReport/prices.json). */
export interface PriceTable {
    region: string;
    currency: string;
    /** When the figures were written down (YYYY-MM-DD). */
    date: string;
    hoursPerMonth: number;
    note: string;
    workload: Record<string, number | string>;
    prices: Record<string, Price>;
    /** Type prefixes of resources that carry no charge of their own. */
    noCharge: string[];
    /** Type prefixes of resources billed by usage that the estimate leaves out, with the reason. */
    notEstimated: Record<string, string>;
}

export const PRICE_TABLE_FILE = path.join(__dirname, "prices.json");

export function loadPriceTable(file = PRICE_TABLE_FILE): PriceTable {
    return JSON.parse(fs.readFileSync(file, "utf8")) as PriceTable;
}

/** One line of the estimate: a resource type (or part of one), its idle floor and its usage cost per month. */
export interface CostLine {
    item: string;
    resourceType: string;
    count: number;
    /** Charged whether or not a request arrives (hourly and monthly fees), rounded to cents. */
    idleMonthly: number;
    /** Charged per request, GB, user or query at the table's reference workload, rounded to cents. */
    usageMonthly: number;
    /** How the figures were computed. */
    basis: string;
    /** The price keys used, for the sources column. */
    priceKeys: string[];
}

export interface CostEstimate {
    table: { region: string; currency: string; date: string; note: string; workload: Record<string, number | string> };
    /** The stack's own Region, when it differs from the table's. */
    stackRegion: string;
    lines: CostLine[];
    idleTotal: number;
    usageTotal: number;
    total: number;
    prices: Record<string, Price>;
    /** Resource types with no charge of their own, with counts. */
    noCharge: { type: string; count: number }[];
    notEstimated: { type: string; count: number; reason: string }[];
    /** Cloud resource types the table knows nothing about (a new type: add it to prices.json). */
    unpriced: { type: string; count: number }[];
    comparison: { amount: number; label: string; source: string };
}

/** The AWS guidance's published monthly estimate (default settings, moderate traffic). */
export const AWS_GUIDANCE_ESTIMATE = {
    amount: 194.18,
    label: "AWS \"Guidance for Deploying Model Context Protocol Servers on AWS\": about $194.18 per month with default settings in US East (N. Virginia), as of August 2025, for moderate traffic",
    source: "https://aws.amazon.com/solutions/guidance/deploying-model-context-protocol-servers-on-aws/",
};

const cents = (n: number) => Math.round(n * 100) / 100;

function input(r: GraphResource, key: string): unknown {
    return r.inputs[key] ?? r.outputs[key];
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : {});

function num(v: unknown, fallback: number): number {
    const n = typeof v === "string" ? Number(v) : v;
    return typeof n === "number" && Number.isFinite(n) ? n : fallback;
}

interface Builder {
    types: string[];
    build(resources: GraphResource[], ctx: Ctx): CostLine[];
}

interface Ctx {
    p: (key: string) => number;
    has: (key: string) => boolean;
    w: (key: string) => number;
    hours: number;
    byUrn: Map<string, GraphResource>;
    graph: ResourceGraph;
}

const line = (item: string, resourceType: string, count: number, idle: number, usage: number, basis: string, priceKeys: string[]): CostLine =>
    ({ item, resourceType, count, idleMonthly: cents(idle), usageMonthly: cents(usage), basis, priceKeys });

/** Line builders by resource type: what each type costs, read from its inputs. Add one for a new billable type. */
const BUILDERS: Builder[] = [
    {
        types: ["aws:ec2/natGateway:NatGateway"],
        build: (rs, { p, w, hours }) => [line("NAT gateway", rs[0].type, rs.length, rs.length * p("natHour") * hours, w("egressGb") * p("natGb"),
            `${rs.length} x ${hours} h x $${p("natHour")}; ${w("egressGb")} GB egress x $${p("natGb")}`, ["natHour", "natGb"])],
    },
    {
        types: ["aws:ec2/eip:Eip"],
        build: (rs, { p, hours }) => [line("Public IPv4 address (Elastic IP)", rs[0].type, rs.length, rs.length * p("publicIpv4Hour") * hours, 0,
            `${rs.length} x ${hours} h x $${p("publicIpv4Hour")}`, ["publicIpv4Hour"])],
    },
    {
        types: ["aws:lb/loadBalancer:LoadBalancer"],
        build: (rs, { p, w, hours }) => {
            const out: CostLine[] = [];
            const alb = rs.filter((r) => (input(r, "loadBalancerType") ?? "application") === "application");
            const nlb = rs.filter((r) => input(r, "loadBalancerType") === "network");
            if (alb.length) out.push(line("Application Load Balancer", rs[0].type, alb.length, alb.length * p("albHour") * hours, alb.length * w("lcuHours") * p("albLcuHour"),
                `${alb.length} x ${hours} h x $${p("albHour")}; ${w("lcuHours")} LCU-h each x $${p("albLcuHour")}`, ["albHour", "albLcuHour"]));
            if (nlb.length) out.push(line("Network Load Balancer", rs[0].type, nlb.length, nlb.length * p("nlbHour") * hours, nlb.length * w("lcuHours") * p("nlbLcuHour"),
                `${nlb.length} x ${hours} h x $${p("nlbHour")}; ${w("lcuHours")} NLCU-h each x $${p("nlbLcuHour")}`, ["nlbHour", "nlbLcuHour"]));
            return out;
        },
    },
    {
        types: ["aws:ec2/vpcEndpoint:VpcEndpoint"],
        build: (rs, { p, w, hours }) => {
            const iface = rs.filter((r) => (input(r, "vpcEndpointType") ?? "Gateway") === "Interface");
            const gateway = rs.length - iface.length;
            const azHours = iface.reduce((n, r) => n + Math.max(1, (input(r, "subnetIds") as unknown[] | undefined)?.length ?? 1), 0);
            const out: CostLine[] = [];
            if (iface.length) out.push(line("VPC interface endpoints", rs[0].type, iface.length, azHours * p("interfaceEndpointAzHour") * hours, w("endpointGb") * p("interfaceEndpointGb"),
                `${azHours} endpoint-AZs x ${hours} h x $${p("interfaceEndpointAzHour")}; ${w("endpointGb")} GB x $${p("interfaceEndpointGb")}`, ["interfaceEndpointAzHour", "interfaceEndpointGb"]));
            if (gateway) out.push(line("VPC gateway endpoints", rs[0].type, gateway, 0, 0, "gateway endpoints (S3, DynamoDB) have no charge", []));
            return out;
        },
    },
    {
        types: ["aws:networkfirewall/firewall:Firewall"],
        build: (rs, { p, w, hours }) => {
            const endpoints = rs.reduce((n, r) => n + Math.max(1, (input(r, "subnetMappings") as unknown[] | undefined)?.length ?? 1), 0);
            return [line("Network Firewall", rs[0].type, rs.length, endpoints * p("firewallEndpointHour") * hours, w("egressGb") * p("firewallGb"),
                `${endpoints} endpoint(s) x ${hours} h x $${p("firewallEndpointHour")}; ${w("egressGb")} GB egress x $${p("firewallGb")}`, ["firewallEndpointHour", "firewallGb"])];
        },
    },
    {
        types: ["aws:ec2transitgateway/vpcAttachment:VpcAttachment"],
        build: (rs, { p, w, hours }) => [line("Transit Gateway attachment", rs[0].type, rs.length, rs.length * p("tgwAttachmentHour") * hours, w("transitGb") * p("tgwGb"),
            `${rs.length} x ${hours} h x $${p("tgwAttachmentHour")}; ${w("transitGb")} GB x $${p("tgwGb")}`, ["tgwAttachmentHour", "tgwGb"])],
    },
    {
        types: ["aws:ecs/service:Service"],
        build: (rs, { p, hours, byUrn }) => {
            let vcpu = 0;
            let gb = 0;
            let tasks = 0;
            for (const svc of rs) {
                const tdUrn = svc.propertyDependencies.taskDefinition?.[0];
                const td = tdUrn ? byUrn.get(tdUrn) : undefined;
                const count = num(input(svc, "desiredCount"), 1);
                tasks += count;
                vcpu += count * num(td && input(td, "cpu"), 256) / 1024;
                gb += count * num(td && input(td, "memory"), 512) / 1024;
            }
            return [line("Fargate tasks (server and guard share each task)", rs[0].type, rs.length, (vcpu * p("fargateVcpuHour") + gb * p("fargateGbHour")) * hours, 0,
                `${tasks} task(s) running: ${vcpu} vCPU x $${p("fargateVcpuHour")} + ${gb} GB x $${p("fargateGbHour")}, x ${hours} h`, ["fargateVcpuHour", "fargateGbHour"])];
        },
    },
    {
        types: ["aws:wafv2/webAcl:WebAcl"],
        build: (rs, { p, w }) => {
            const rules = rs.reduce((n, r) => n + webAclRuleCount(r), 0);
            return [line("WAF web ACL", rs[0].type, rs.length, rs.length * p("wafWebAclMonth") + rules * p("wafRuleMonth"), w("requests") / 1e6 * p("wafMillionRequests"),
                `${rs.length} x $${p("wafWebAclMonth")} + ${rules} rule(s) x $${p("wafRuleMonth")}; ${w("requests") / 1e6} M requests x $${p("wafMillionRequests")}`, ["wafWebAclMonth", "wafRuleMonth", "wafMillionRequests"])];
        },
    },
    {
        types: ["aws:kms/key:Key"],
        build: (rs, { p }) => [line("KMS customer managed keys", rs[0].type, rs.length, rs.length * p("kmsKeyMonth"), 0, `${rs.length} x $${p("kmsKeyMonth")}`, ["kmsKeyMonth"])],
    },
    {
        types: ["aws:secretsmanager/secret:Secret"],
        build: (rs, { p }) => [line("Secrets Manager secrets", rs[0].type, rs.length, rs.length * p("secretMonth"), 0, `${rs.length} x $${p("secretMonth")}`, ["secretMonth"])],
    },
    {
        types: ["aws:cloudwatch/metricAlarm:MetricAlarm"],
        build: (rs, { p }) => [line("CloudWatch alarms", rs[0].type, rs.length, rs.length * p("alarmMonth"), 0, `${rs.length} x $${p("alarmMonth")}`, ["alarmMonth"])],
    },
    {
        types: ["aws:cloudwatch/logGroup:LogGroup"],
        build: (rs, { p, w }) => [line("CloudWatch Logs ingestion (all log groups)", rs[0].type, rs.length, 0, w("logsGb") * p("logsIngestGb"),
            `${w("logsGb")} GB x $${p("logsIngestGb")}`, ["logsIngestGb"])],
    },
    {
        types: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
        build: (rs, { p, w }) => [line("S3 storage (logs, archive)", rs[0].type, rs.length, 0, w("storageGb") * p("s3StorageGbMonth"),
            `${w("storageGb")} GB-month x $${p("s3StorageGbMonth")}`, ["s3StorageGbMonth"])],
    },
    {
        types: ["aws:cognito/userPool:UserPool"],
        build: (rs, { p, w }) => [line("Cognito user pool (Plus plan: threat protection)", rs[0].type, rs.length, 0, w("mau") * p("cognitoPlusMau"),
            `${w("mau")} MAU x $${p("cognitoPlusMau")}`, ["cognitoPlusMau"])],
    },
    {
        types: ["aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation"],
        build: (rs, { p, w }) => [line("Route 53 Resolver DNS Firewall", rs[0].type, rs.length, 0, w("dnsQueries") / 1e6 * p("dnsFirewallMillionQueries"),
            `${w("dnsQueries") / 1e6} M queries x $${p("dnsFirewallMillionQueries")}`, ["dnsFirewallMillionQueries"])],
    },
    {
        types: ["aws:cfg/recorder:Recorder"],
        build: (rs, { p, w }) => [line("AWS Config recorder", rs[0].type, rs.length, 0, w("configItems") * p("configItem"),
            `${w("configItems")} configuration items x $${p("configItem")}`, ["configItem"])],
    },
    {
        types: ["aws:securityhub/account:Account"],
        build: (rs, { p, w }) => [line("Security Hub checks", rs[0].type, rs.length, 0, w("securityHubChecks") * p("securityHubCheck"),
            `${w("securityHubChecks")} checks x $${p("securityHubCheck")}`, ["securityHubCheck"])],
    },
    {
        types: ["aws:apigateway/restApi:RestApi"],
        build: (rs, { p, w }) => [line("API Gateway REST API requests", rs[0].type, rs.length, 0, w("requests") / 1e6 * p("apiGatewayRestMillionRequests"),
            `${w("requests") / 1e6} M requests x $${p("apiGatewayRestMillionRequests")}`, ["apiGatewayRestMillionRequests"])],
    },
    {
        types: ["aws:eks/nodeGroup:NodeGroup"],
        build: (rs, { p, hours, has }) => rs.map((r) => {
            const type = String((input(r, "instanceTypes") as unknown[] | undefined)?.[0] ?? "?");
            const n = num(obj(input(r, "scalingConfig")).desiredSize, 1);
            const key = `ec2Instance:${type}`;
            if (!has(key)) return line(`EKS node group ${r.name}: ${n} x ${type} NOT PRICED (instance type not in the table)`, r.type, 1, 0, 0, `add "${key}" to prices.json`, []);
            return line(`EKS node group ${r.name} (EC2 on demand)`, r.type, 1, n * p(key) * hours, 0, `${n} x ${type} x ${hours} h x $${p(key)} (EBS volumes not included)`, [key]);
        }),
    },
    {
        types: ["aws:eks/cluster:Cluster"],
        build: (rs, { p, hours }) => [line("EKS control plane", rs[0].type, rs.length, rs.length * p("eksClusterHour") * hours, 0,
            `${rs.length} x ${hours} h x $${p("eksClusterHour")}`, ["eksClusterHour"])],
    },
];

/** The monthly estimate of a stack: one or more lines per billable resource type, idle floor apart from usage. */
export function estimateCost(graph: ResourceGraph, table: PriceTable = loadPriceTable()): CostEstimate {
    const p = (key: string) => {
        const price = table.prices[key];
        if (!price) throw new Error(`price table: no price "${key}"`);
        return price.price;
    };
    const w = (key: string) => num(table.workload[key], 0);
    const ctx: Ctx = { p, w, has: (key) => table.prices[key] !== undefined, hours: table.hoursPerMonth, byUrn: new Map(graph.resources.map((r) => [r.urn, r])), graph };
    const custom = graph.resources.filter((r) => r.custom || r.type.startsWith("pulumi:providers:"));
    const claimed = new Set<string>();
    const lines: CostLine[] = [];
    for (const b of BUILDERS) {
        const rs = custom.filter((r) => b.types.includes(r.type));
        b.types.forEach((t) => claimed.add(t));
        if (rs.length > 0) lines.push(...b.build(rs, ctx));
    }
    const counts = new Map<string, number>();
    for (const r of custom.filter((x) => !claimed.has(x.type))) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    const noCharge: CostEstimate["noCharge"] = [];
    const notEstimated: CostEstimate["notEstimated"] = [];
    const unpriced: CostEstimate["unpriced"] = [];
    for (const [type, count] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
        const reason = Object.entries(table.notEstimated).find(([prefix]) => type.startsWith(prefix))?.[1];
        if (table.noCharge.some((prefix) => type.startsWith(prefix))) noCharge.push({ type, count });
        else if (reason) notEstimated.push({ type, count, reason });
        else unpriced.push({ type, count });
    }
    const idleTotal = cents(lines.reduce((n, l) => n + l.idleMonthly, 0));
    const usageTotal = cents(lines.reduce((n, l) => n + l.usageMonthly, 0));
    const used = new Set(lines.flatMap((l) => l.priceKeys));
    return {
        table: { region: table.region, currency: table.currency, date: table.date, note: table.note, workload: table.workload },
        stackRegion: graph.config["aws:region"] ?? table.region,
        lines, idleTotal, usageTotal, total: cents(idleTotal + usageTotal),
        prices: Object.fromEntries(Object.entries(table.prices).filter(([k]) => used.has(k))),
        noCharge, notEstimated, unpriced,
        comparison: AWS_GUIDANCE_ESTIMATE,
    };
}
