import { agentcoreRules } from "./agentcore";
import { apiGatewayRules } from "./apigateway";
import { cloudwatchRules } from "./cloudwatch";
import { cognitoRules } from "./cognito";
import { ec2Rules } from "./ec2";
import { ecrRules } from "./ecr";
import { ecsRules } from "./ecs";
import { eksRules } from "./eks";
import { elbRules } from "./elb";
import { iamRules } from "./iam";
import { kmsRules } from "./kms";
import { networkRules } from "./network";
import { operationsRules } from "./operations";
import { s3Rules } from "./s3";
import { wafRules } from "./wafv2";

/** Every rule of the mcpsec-aws pack, in report order. */
export const awsRules = [...ec2Rules, ...networkRules, ...cloudwatchRules, ...kmsRules, ...ecsRules, ...eksRules, ...ecrRules, ...iamRules, ...elbRules, ...apiGatewayRules, ...agentcoreRules, ...wafRules, ...s3Rules, ...cognitoRules, ...operationsRules];
