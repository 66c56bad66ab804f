import * as pulumi from "@pulumi/pulumi";

type Strings = pulumi.Input<string> | pulumi.Input<string>[];

/** An IAM policy statement whose values may be Pulumi outputs; `pulumi.jsonStringify` resolves them. */
export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: { AWS?: Strings; Service?: Strings; Federated?: Strings } | "*";
    Action: string | string[];
    Resource?: Strings;
    Condition?: Record<string, Record<string, Strings | boolean>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

export function policyDocument(...statements: PolicyStatement[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: statements };
}

/** The policy document as a JSON string output. */
export function policyJson(...statements: PolicyStatement[]): pulumi.Output<string> {
    return pulumi.jsonStringify(policyDocument(...statements));
}
