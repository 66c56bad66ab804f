/**
 * VPC endpoint policies of the zone: the zone's endpoints carry only requests made by this account's principals to
 * this account's resources, plus the AWS-owned resources a Fargate task needs (ECR image layers in S3, the GuardDuty
 * runtime agent image). A stolen credential of another account, or a request to another account's bucket or secret,
 * does not pass the zone's endpoints (data perimeter; NIST SC-7(4), AC-4).
 */

export interface EndpointPolicyContext {
    account: string;
    region: string;
    partition: string;
    /** The region's GuardDuty Fargate agent repository (components/detection/guardDutyAgent.ts); none to admit no agent pull. */
    guardDutyAgentRepositoryArn?: string;
    /**
     * ECR repositories (of this region) that the servers' images name. Those of another account, such as a central
     * registry account, are admitted for image pulls by this account's principals, repository by repository.
     */
    imageRepositories?: { account: string; repository: string }[];
    /**
     * The sts endpoint also carries AssumeRoleWithWebIdentity to this account's roles (IRSA: the caller is a pod with
     * a service account token, not yet an AWS principal, so the account-principal condition cannot hold). The role's
     * trust policy decides who gets it. Default false.
     */
    allowWebIdentity?: boolean;
}

/** ARN of an ECR repository. */
export function ecrRepositoryArn(partition: string, region: string, account: string, repository: string): string {
    return `arn:${partition}:ecr:${region}:${account}:repository/${repository}`;
}

interface Statement {
    Sid: string;
    Effect: "Allow";
    Principal: "*" | { AWS: "*" };
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string>>;
}

/** IAM path of the zone's IRSA roles: the sts endpoint admits web-identity role assumption to these only. */
export const IRSA_ROLE_PATH = "/mcpsec/irsa/";

/**
 * EC2 Describe actions EKS nodes make (AmazonEKSWorkerNodePolicy for the kubelet, AmazonEKS_CNI_Policy for the VPC CNI)
 * that support no resource-level permissions (Resource "*" only).
 */
export const EC2_DESCRIBE_WITHOUT_RESOURCE = [
    "ec2:DescribeInstances", "ec2:DescribeInstanceTypes", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeTags",
    "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups", "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications", "ec2:DescribeVpcs",
] as const;

/** The ECR actions an image pull makes against a repository. */
export const ECR_PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];

/** The S3 bucket that holds ECR image layers in a region (ECR user guide, minimum S3 permissions for ECR). */
export function ecrLayerBucketArn(region: string, partition: string): string {
    return `arn:${partition}:s3:::prod-${region}-starport-layer-bucket`;
}

/**
 * The policy document of the endpoint for `service` (an endpoint name such as `ecr.dkr`, or `s3` for the gateway).
 * Pure: same input, same document.
 */
export function endpointPolicy(service: string, ctx: EndpointPolicyContext): { Version: "2012-10-17"; Statement: Statement[] } {
    const ownPrincipal = { StringEquals: { "aws:PrincipalAccount": ctx.account } };
    const statements: Statement[] = [];
    if (service === "guardduty-data") {
        // The agent delivers runtime events to GuardDuty itself, not to a resource of this account: GuardDuty's own
        // guidance for this endpoint limits the calling principal's account only.
        statements.push({ Sid: "AccountPrincipalsOnly", Effect: "Allow", Principal: { AWS: "*" }, Action: "*", Resource: "*", Condition: ownPrincipal });
        return { Version: "2012-10-17", Statement: statements };
    }
    statements.push({
        Sid: "AccountPrincipalsToAccountResources",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: "*",
        Resource: "*",
        Condition: { StringEquals: { "aws:PrincipalAccount": ctx.account, "aws:ResourceAccount": ctx.account } },
    });
    if (service === "ec2") {
        // The kubelet's and the VPC CNI's Describe calls name no resource, so no resource account is in their request
        // context and the statement above cannot admit them: these, by this account's principals only.
        statements.push({ Sid: "DescribeCallsWithoutResource", Effect: "Allow", Principal: { AWS: "*" }, Action: [...EC2_DESCRIBE_WITHOUT_RESOURCE], Resource: "*", Condition: ownPrincipal });
    }
    if (service === "sts" && ctx.allowWebIdentity) {
        // The caller presents a service account token, not AWS credentials: no principal account to pin. Only roles of
        // this account under the IRSA path; each role's trust names the one service account it admits.
        statements.push({ Sid: "WebIdentityToAccountRoles", Effect: "Allow", Principal: "*", Action: "sts:AssumeRoleWithWebIdentity", Resource: `arn:${ctx.partition}:iam::${ctx.account}:role${IRSA_ROLE_PATH}*` });
    }
    if (service === "ecr.api" || service === "ecr.dkr") {
        // Registry login names no resource; it grants nothing by itself.
        statements.push({ Sid: "RegistryLogin", Effect: "Allow", Principal: { AWS: "*" }, Action: "ecr:GetAuthorizationToken", Resource: "*", Condition: ownPrincipal });
        // Images in another account's registry (a central ECR account): only pulls, only of the named repositories,
        // only by this account's principals. That account's repository policy must also admit this account.
        const foreign = [...new Set((ctx.imageRepositories ?? []).filter((r) => r.account !== ctx.account).map((r) => ecrRepositoryArn(ctx.partition, ctx.region, r.account, r.repository)))].sort();
        if (foreign.length > 0) {
            statements.push({ Sid: "ImagesOfOtherAccounts", Effect: "Allow", Principal: { AWS: "*" }, Action: ECR_PULL_ACTIONS, Resource: foreign, Condition: ownPrincipal });
        }
        if (ctx.guardDutyAgentRepositoryArn) {
            statements.push({ Sid: "GuardDutyAgentImage", Effect: "Allow", Principal: { AWS: "*" }, Action: ECR_PULL_ACTIONS, Resource: ctx.guardDutyAgentRepositoryArn, Condition: ownPrincipal });
        }
    }
    if (service === "s3") {
        // ECR hands out pre-signed layer URLs signed by ECR, not by the caller: no principal condition can hold here,
        // so the statement is limited to reading objects of the one AWS-owned layer bucket.
        statements.push({ Sid: "EcrImageLayers", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${ecrLayerBucketArn(ctx.region, ctx.partition)}/*` });
    }
    return { Version: "2012-10-17", Statement: statements };
}
