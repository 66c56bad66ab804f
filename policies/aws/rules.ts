import { cloudwatchRules } from "./cloudwatch";
import { ec2Rules } from "./ec2";
import { kmsRules } from "./kms";

/** Every rule of the mcpsec-aws pack, in report order. */
export const awsRules = [...ec2Rules, ...cloudwatchRules, ...kmsRules];
