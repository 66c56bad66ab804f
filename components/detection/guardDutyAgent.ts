/**
 * Where GuardDuty Runtime Monitoring keeps its security agent for ECS on Fargate. With automated agent configuration
 * (`ECS_FARGATE_AGENT_MANAGEMENT`), GuardDuty adds this image as a sidecar to every new task; the task's EXECUTION
 * role pulls it, so that role needs ecr:GetAuthorizationToken plus BatchCheckLayerAvailability, GetDownloadUrlForLayer
 * and BatchGetImage on this repository (GuardDuty user guide, "Prerequisites for AWS Fargate (Amazon ECS only)
 * support" and "ECR repository for GuardDuty agent on AWS Fargate"). The layers come from ECR's regional S3 bucket,
 * so the task also needs HTTPS to the S3 gateway endpoint.
 */

/** Repository name of the Fargate agent, the same in every region. */
export const GUARDDUTY_FARGATE_AGENT_REPOSITORY = "aws-guardduty-agent-fargate";

/** AWS account that hosts the agent repository, per region (GuardDuty user guide table, checked 2026). */
export const GUARDDUTY_FARGATE_AGENT_ACCOUNTS: Readonly<Record<string, string>> = {
    "us-east-1": "593207742271",
    "us-east-2": "307168627858",
    "us-west-1": "684579721401",
    "us-west-2": "733349766148",
    "ca-central-1": "354763396469",
    "ca-west-1": "339712888787",
    "mx-central-1": "311141559934",
    "sa-east-1": "758426053663",
    "eu-west-1": "694911143906",
    "eu-west-2": "892757235363",
    "eu-west-3": "665651866788",
    "eu-central-1": "323658145986",
    "eu-central-2": "529164026651",
    "eu-north-1": "591436053604",
    "eu-south-1": "266869475730",
    "eu-south-2": "919611009337",
    "il-central-1": "870907303882",
    "me-central-1": "000014521398",
    "me-south-1": "536382113932",
    "af-south-1": "197869348890",
    "ap-south-1": "251508486986",
    "ap-south-2": "950823858135",
    "ap-east-1": "258348409381",
    "ap-east-2": "259886477082",
    "ap-northeast-1": "533107202818",
    "ap-northeast-2": "914738172881",
    "ap-northeast-3": "273192626886",
    "ap-southeast-1": "174946120834",
    "ap-southeast-2": "005257825471",
    "ap-southeast-3": "510637619217",
    "ap-southeast-4": "251357961535",
    "ap-southeast-5": "156041399949",
    "ap-southeast-7": "054037130133",
    "us-gov-east-1": "383115532789",
    "us-gov-west-1": "383110348953",
};

/** The partition of a region name (aws, aws-us-gov, aws-cn). */
export function partitionOfRegion(region: string): string {
    return region.startsWith("us-gov-") ? "aws-us-gov" : region.startsWith("cn-") ? "aws-cn" : "aws";
}

/**
 * ARN of the ECR repository GuardDuty pulls its Fargate runtime agent from in `region`, or undefined where AWS
 * documents none (then GuardDuty injects no agent there, and nothing needs to be granted).
 */
export function guardDutyAgentRepositoryArn(region: string, partition: string = partitionOfRegion(region)): string | undefined {
    const account = GUARDDUTY_FARGATE_AGENT_ACCOUNTS[region];
    return account === undefined ? undefined : `arn:${partition}:ecr:${region}:${account}:repository/${GUARDDUTY_FARGATE_AGENT_REPOSITORY}`;
}
