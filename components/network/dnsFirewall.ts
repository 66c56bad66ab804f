import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "../common/cidr";
import { ConfigError } from "../common/errors";
import { componentTags } from "../common/tags";

/** CloudWatch Logs accepts only these retention periods (days). */
const RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);

/** A DNS Firewall domain specification: a name, or `*.` and a name (its subdomains). Lower case, no trailing dot. */
const DOMAIN_SPEC = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Most domains in one DNS Firewall domain list that this component writes (AWS imports at most 1,000 per request). */
export const MAX_ALLOWED_DOMAINS = 1000;

/**
 * Private DNS names of the interface endpoints whose name is not `<service>.<region>.amazonaws.com` (the pattern
 * every other endpoint answers, e.g. `logs`, `secretsmanager`, `kms`, `sts`, `guardduty-data`, `ssm`).
 * Source: AWS PrivateLink "AWS services that integrate with AWS PrivateLink" and the ECR user guide (interface
 * endpoints: `api.ecr.<region>` for the API, `*.dkr.ecr.<region>` for each registry `<account>.dkr.ecr.<region>`).
 */
const ENDPOINT_DNS_NAMES: Record<string, (region: string) => string[]> = {
    "ecr.api": (r) => [`api.ecr.${r}.amazonaws.com`],
    "ecr.dkr": (r) => [`dkr.ecr.${r}.amazonaws.com`, `*.dkr.ecr.${r}.amazonaws.com`],
    "s3": (r) => [`s3.${r}.amazonaws.com`, `*.s3.${r}.amazonaws.com`],
    "execute-api": (r) => [`*.execute-api.${r}.amazonaws.com`],
    // EKS Pod Identity's credential API (Amazon EKS user guide, "EKS Pod Identity" private clusters) answers on api.aws.
    "eks-auth": (r) => [`eks-auth.${r}.api.aws`],
};

/**
 * The AWS service names workloads of the zone resolve, derived from its endpoints. Pure.
 *
 * - each interface endpoint's private DNS name(s);
 * - for the S3 gateway endpoint: the regional S3 names (`s3.<region>`, `*.s3.<region>`) the pre-signed ECR layer
 *   URLs point at (ECR keeps layers in `prod-<region>-starport-layer-bucket`), and in us-east-1 also the global
 *   `s3.amazonaws.com` names; the gateway endpoint's policy (SegmentedVpc) decides which buckets are reachable;
 * - `guardduty-data.<region>`: GuardDuty's automated agent configuration adds that endpoint to the VPC itself (it is
 *   not one of ours), and the runtime agent it injects into every task resolves it.
 *
 * Queries for these names are answered by Route 53 Resolver from the endpoints' private hosted zones or by AWS's
 * own authoritative servers: no name under them reaches a server an attacker runs.
 */
export function awsServiceDomains(region: string, interfaceEndpoints: readonly string[], gatewayEndpoints: readonly string[] = ["s3"]): string[] {
    const names: string[] = [];
    for (const svc of interfaceEndpoints) {
        names.push(...(ENDPOINT_DNS_NAMES[svc]?.(region) ?? [`${svc}.${region}.amazonaws.com`]));
    }
    for (const svc of gatewayEndpoints) {
        if (svc === "s3") {
            names.push(...ENDPOINT_DNS_NAMES.s3(region));
            if (region === "us-east-1") {
                names.push("s3.amazonaws.com", "*.s3.amazonaws.com");
            }
        } else {
            names.push(`${svc}.${region}.amazonaws.com`);
        }
    }
    names.push(`guardduty-data.${region}.amazonaws.com`);
    return [...new Set(names)];
}

/**
 * Names inside the VPC that Resolver answers itself and that workloads look up without asking for them: the
 * instance host names Fargate gives each task (`ip-a-b-c-d.<region>.compute.internal`, `ec2.internal` in us-east-1),
 * which libraries resolve to learn their own address, and reverse lookups (PTR) of the zone's own addresses. Pure.
 *
 * The reverse zone is the one of the VPC block rounded out to an octet (a /20 becomes the /16 zone), all private
 * (RFC 1918) space that Resolver answers locally. Nothing else inside the VPC needs a name: tasks never resolve the
 * internal load balancer (clients outside the zone do, through their own DNS), and the VPC's own resolver address
 * (AmazonProvidedDNS) is reached by IP, not by name.
 */
export function vpcInternalDomains(region: string, vpcCidrBlock: string): string[] {
    const { base, prefix } = parseCidr(vpcCidrBlock);
    const octets = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256);
    const kept = Math.max(1, Math.floor(prefix / 8));
    const reverse = `*.${octets.slice(0, kept).reverse().join(".")}.in-addr.arpa`;
    const hostDomain = region === "us-east-1" ? "ec2.internal" : `${region}.compute.internal`;
    return [`*.${hostDomain}`, reverse];
}

/** A server's declared `egress` domain (`api.example.com`, `*.example.com`) as a DNS Firewall specification. Pure. */
export function dnsFirewallDomain(domain: string): string {
    return domain.trim().toLowerCase().replace(/\.$/, "");
}

export interface DnsFirewallArgs {
    /** The VPC whose DNS queries (through Route 53 Resolver, AmazonProvidedDNS) are filtered and logged. */
    vpcId: pulumi.Input<string>;
    /**
     * Domains the VPC may resolve: names (`api.example.com`) and subdomain wildcards (`*.example.com`, which does
     * not cover `example.com` itself). Every other name is refused by a lower-priority BLOCK of `*`. Required, at
     * least one: see {@link awsServiceDomains}, {@link vpcInternalDomains} and the servers' `egress` domains.
     */
    allowedDomains: string[];
    /** KMS key that encrypts the query log group; its policy must admit CloudWatch Logs (the zone key does). */
    logKmsKeyArn: pulumi.Input<string>;
    /** Days the query log group keeps records. Default 365 (NIST AU-11 asks for a defined retention). */
    logRetentionDays?: number;
    /**
     * Opt-out: let queries through when DNS Firewall cannot evaluate them (`firewallFailOpen: ENABLED`). Default
     * false: fail closed, so an outage of the filter never becomes an open resolver for exfiltration.
     */
    allowFailOpen?: boolean;
    /**
     * Opt-out: leave the rule group association unprotected against changes and removal. Default false: mutation
     * protection is on, so disassociating the filter takes a deliberate change here first (also before `destroy`).
     */
    allowAssociationMutation?: boolean;
    /** Tags added to every resource. */
    tags?: Record<string, string>;
}

/** Checks the domain list; throws a ConfigError naming the argument. Pure. */
export function checkAllowedDomains(name: string, domains: readonly string[]): string[] {
    const key = `DnsFirewall "${name}".allowedDomains`;
    if (domains.length === 0) {
        throw new ConfigError(key, "[] is not allowed; expected at least one domain (a list that allows nothing would also refuse the AWS endpoints the workloads need)");
    }
    const normalized = [...new Set(domains.map(dnsFirewallDomain))];
    if (normalized.length > MAX_ALLOWED_DOMAINS) {
        throw new ConfigError(key, `${normalized.length} domains is not allowed; expected at most ${MAX_ALLOWED_DOMAINS}`);
    }
    normalized.forEach((d, i) => {
        if (d === "*" || !DOMAIN_SPEC.test(d) || d.length > 255) {
            throw new ConfigError(`${key}[${i}]`, `${JSON.stringify(d)} is not allowed; expected a domain name or "*." and a domain name (the BLOCK of everything else is added by the component)`);
        }
    });
    return normalized;
}

/**
 * Route 53 Resolver DNS Firewall for one VPC (controls S1, O1; threats T2, T3): an ALLOW rule for the listed
 * domains, then a BLOCK (NXDOMAIN) of every other name, fail-closed, protected against changes; and Resolver query
 * logging of every query the VPC makes to a KMS-encrypted CloudWatch log group with retention.
 */
export class DnsFirewall extends pulumi.ComponentResource {
    public readonly ruleGroupId: pulumi.Output<string>;
    public readonly queryLogGroupName: pulumi.Output<string>;
    public readonly queryLogGroupArn: pulumi.Output<string>;
    /** The allowed domains as written to the domain list (normalized, deduplicated). */
    public readonly allowedDomains: string[];

    constructor(name: string, args: DnsFirewallArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const allowed = checkAllowedDomains(name, args.allowedDomains);
        const retention = args.logRetentionDays ?? 365;
        if (!RETENTION_DAYS.has(retention)) {
            throw new ConfigError(`DnsFirewall "${name}".logRetentionDays`, `${retention} is not allowed; expected one of ${[...RETENTION_DAYS].join(", ")}`);
        }
        super("mcpsec:network:DnsFirewall", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => componentTags("network", `${name}-${suffix}`, args.tags);
        this.allowedDomains = allowed;

        const logGroup = new aws.cloudwatch.LogGroup(`${name}-queries`, {
            name: `/mcpsec/${name}/dns-queries`,
            retentionInDays: retention,
            kmsKeyId: args.logKmsKeyArn,
            tags: tags("queries"),
        }, parent);
        this.queryLogGroupName = logGroup.name;
        this.queryLogGroupArn = logGroup.arn;
        // Resolver delivers through CloudWatch Logs vended delivery, which adds the log group to a resource policy
        // for delivery.logs.amazonaws.com when the deployer may (logs:PutResourcePolicy), as for WAF logs.
        const queryLog = new aws.route53.ResolverQueryLogConfig(`${name}-queries`, {
            name: `${name}-queries`,
            destinationArn: logGroup.arn,
            tags: tags("queries"),
        }, parent);
        new aws.route53.ResolverQueryLogConfigAssociation(`${name}-queries`, {
            resolverQueryLogConfigId: queryLog.id,
            resourceId: args.vpcId,
        }, parent);

        const allowList = new aws.route53.ResolverFirewallDomainList(`${name}-allowed`, {
            name: `${name}-allowed`,
            domains: allowed,
            tags: tags("allowed"),
        }, parent);
        const everything = new aws.route53.ResolverFirewallDomainList(`${name}-everything`, {
            name: `${name}-everything`,
            domains: ["*"],
            tags: tags("everything"),
        }, parent);
        const group = new aws.route53.ResolverFirewallRuleGroup(`${name}-rules`, { name: `${name}-rules`, tags: tags("rules") }, parent);
        this.ruleGroupId = group.id;
        new aws.route53.ResolverFirewallRule(`${name}-allow`, {
            name: `${name}-allow`,
            firewallRuleGroupId: group.id,
            firewallDomainListId: allowList.id,
            priority: 100,
            action: "ALLOW",
            // Trust the CNAME chain of an allowed name (AWS and SaaS names point into CDNs and regional aliases);
            // the first name of the chain is still judged.
            firewallDomainRedirectionAction: "TRUST_REDIRECTION_DOMAIN",
        }, parent);
        new aws.route53.ResolverFirewallRule(`${name}-block-rest`, {
            name: `${name}-block-rest`,
            firewallRuleGroupId: group.id,
            firewallDomainListId: everything.id,
            priority: 200,
            action: "BLOCK",
            blockResponse: "NXDOMAIN",
        }, parent);
        new aws.route53.ResolverFirewallRuleGroupAssociation(`${name}-association`, {
            name: `${name}-association`,
            firewallRuleGroupId: group.id,
            vpcId: args.vpcId,
            priority: 200,
            mutationProtection: args.allowAssociationMutation ? "DISABLED" : "ENABLED",
            tags: tags("association"),
        }, parent);
        new aws.route53.ResolverFirewallConfig(`${name}-config`, {
            resourceId: args.vpcId,
            firewallFailOpen: args.allowFailOpen ? "ENABLED" : "DISABLED",
        }, parent);

        this.registerOutputs({ ruleGroupId: this.ruleGroupId, queryLogGroupArn: this.queryLogGroupArn });
    }
}
