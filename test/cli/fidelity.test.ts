import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { engineProperties, UNKNOWN } from "../../cli/analyzer";
import { runCheck } from "../../cli/check";
import { synthesizeProgram } from "../../cli/synth";
import { ResourceGraph } from "../../cli/graph";
import { ROOT, project, synthComponent } from "../helpers";

const SIG = "4dabf18193072939515e22adb298388d";
const PACKS = ["aws", "kubernetes", "mcp"].map((p) => path.join(ROOT, "policies", p));

/** The common idiom: resources passed as inputs (`role: role`, `bucket: bucket`), and a component passed as one. */
function resourcesAsInputs(): void {
    const group = new pulumi.ComponentResource("example:index:Group", "group");
    const role = new aws.iam.Role("app", { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }, { parent: group });
    new aws.iam.RolePolicyAttachment("app-read", { role, policyArn: aws.iam.ManagedPolicy.AmazonS3ReadOnlyAccess }, { parent: group });
    // A bucket object where a name is expected (plain JavaScript programs do this; the SDK sends a reference).
    const bucket = new aws.s3.Bucket("data", {}, { parent: group });
    new aws.s3.BucketPublicAccessBlock("data", { bucket: bucket as unknown as pulumi.Input<string>, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    // A component as an input: the engine sends its URN.
    new aws.ssm.Parameter("group-urn", { type: "String", value: group as unknown as pulumi.Input<string> });
}

describe("analyzer requests marshalled as the engine does", () => {
    let graph: ResourceGraph;
    beforeAll(async () => {
        graph = await synthComponent(resourcesAsInputs);
    });

    it("the graph keeps the program's resource references (wire form)", () => {
        const attach = graph.resources.find((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment")!;
        expect(JSON.stringify(attach.inputs.role)).toContain("5cf8f73096256a8f31e491e813e4eb8e");
    });

    it("a program passing resource objects as inputs checks cleanly: ids for custom resources, URNs for components", async () => {
        const report = await runCheck({ project, targets: [{ graph }], packs: PACKS });
        const crashes = report.stacks[0].violations.filter((v) => /Unrecognized signature/.test(v.message));
        expect(crashes).toEqual([]);
        // The managed read-only policy is broad: the aws pack must still judge the attachment, now that it can read it.
        expect(report.stacks[0].violations.map((v) => v.policy)).toContain("aws-iam-attached-policies-least-privilege");
    });
});

describe("engineProperties (MarshalOptions{KeepUnknowns, KeepSecrets, SkipInternalKeys}, no KeepResources)", () => {
    it("rewrites references, output values and internal keys as the engine does, keeping secrets and unknowns", () => {
        const secret = { [SIG]: "1b47061264138c4ac30d75fd1eb44270", value: "x" };
        expect(engineProperties({
            __defaults: [],
            role: { [SIG]: "5cf8f73096256a8f31e491e813e4eb8e", urn: "urn:pulumi:s::p::aws:iam/role:Role::r", id: "r-123" },
            pending: { [SIG]: "5cf8f73096256a8f31e491e813e4eb8e", urn: "urn:pulumi:s::p::aws:iam/role:Role::q", id: "" },
            group: { [SIG]: "5cf8f73096256a8f31e491e813e4eb8e", urn: "urn:pulumi:s::p::x:y:Group::g" },
            nested: { list: [{ [SIG]: "5cf8f73096256a8f31e491e813e4eb8e", urn: "u", id: "i-1" }], __kept: 1 },
            known: { [SIG]: "d0e6a833031e9bbcd3f4e8bde6ca49a4", value: "v", secret: true },
            unknownOutput: { [SIG]: "d0e6a833031e9bbcd3f4e8bde6ca49a4" },
            unknown: UNKNOWN,
            secret,
        })).toEqual({
            role: "r-123",
            pending: UNKNOWN,
            group: "urn:pulumi:s::p::x:y:Group::g",
            nested: { list: ["i-1"], __kept: 1 },
            known: { [SIG]: "1b47061264138c4ac30d75fd1eb44270", value: "v" },
            unknownOutput: UNKNOWN,
            unknown: UNKNOWN,
            secret,
        });
    });
});

describe("first preview (--first-preview): values unknown until apply", () => {
    /** A log group encrypted with a key of the same program: the key ARN is known only once the key exists. */
    const program = async () => {
        const key = new aws.kms.Key("logs", { enableKeyRotation: true });
        new aws.cloudwatch.LogGroup("app", { kmsKeyId: key.arn, retentionInDays: 365 });
    };

    it("an update passes; a first preview reports the encryption rule as advisory because the key ARN is unknown", async () => {
        const synth = (firstPreview: boolean) => synthesizeProgram({ project: "test", stack: firstPreview ? "first-preview" : "update", config: { "aws:region": "eu-west-1" }, program, firstPreview });
        const [update, preview] = [await synth(false), await synth(true)];
        expect(preview.resources.find((r) => r.type === "aws:cloudwatch/logGroup:LogGroup")!.inputs.kmsKeyId).toBe(UNKNOWN);
        expect(preview.resources.find((r) => r.type === "aws:kms/key:Key")!.outputs.arn).toBe(UNKNOWN);
        const pack = [path.join(ROOT, "policies", "aws")];
        const updated = await runCheck({ project, targets: [{ graph: update }], packs: pack });
        expect(updated.stacks[0].violations.filter((v) => v.policy === "aws-cloudwatch-log-group-encrypted")).toEqual([]);
        const previewed = await runCheck({ project, targets: [{ graph: preview }], packs: pack, firstPreview: true });
        const found = previewed.stacks[0].violations.filter((v) => v.policy === "aws-cloudwatch-log-group-encrypted");
        expect(found).toHaveLength(1);
        expect(found[0].enforcementLevel).toBe("advisory");
        expect(found[0].message).toMatch(/can't run .* during preview: .*kmsKeyId/);
        expect(previewed.stacks[0].previewUnknown).toContain("aws-cloudwatch-log-group-encrypted");
        expect(previewed.ok).toBe(true);
    });
});
