import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { analyzeRequestBytes, StackHeader } from "../../cli/analyzer";
import { analyzeCalls } from "../../cli/check";
import { GraphResource } from "../../cli/graph";
import { synthesizeProgram, SynthObserver } from "../../cli/synth";

// `mcpsec check` sends each resource's Analyze request while the program runs (cli/check.ts StreamedAnalysis) and
// keeps a streamed answer only if the finished graph gives the same request bytes. That is only a saving if the
// requests at registration are the final ones: checked here on a program with a component, an explicit provider,
// resources passed as inputs, a secret and a component whose outputs come after its registration. The verdicts of the
// streamed path are those of the CLI tests (test/cli/cli.test.ts, program.test.ts).
describe("analyze requests streamed during the synthesis", () => {
    it("are, for every resource, the bytes the finished graph gives; ConfigureStack sees the graph's stack", async () => {
        const streamed = new Map<string, Uint8Array>();
        let header: StackHeader | undefined;
        const observer: SynthObserver = {
            start: (h) => (header = h),
            resource: (r: GraphResource, records) => streamed.set(r.urn, analyzeRequestBytes(r, records)),
        };
        const graph = await synthesizeProgram({
            project: "test",
            stack: "unit",
            config: { "aws:region": "eu-west-1", "test:token": "s3cr3t" },
            secretKeys: ["test:token"],
            observer,
            program: async () => {
                const group = new pulumi.ComponentResource("example:index:Group", "group");
                const provider = new aws.Provider("west", { region: "eu-west-1" }, { parent: group });
                const role = new aws.iam.Role("app", { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }, { parent: group, provider });
                new aws.iam.RolePolicyAttachment("app-read", { role, policyArn: aws.iam.ManagedPolicy.AmazonS3ReadOnlyAccess }, { parent: group, provider });
                new aws.ssm.Parameter("token", { type: "SecureString", value: new pulumi.Config("test").requireSecret("token") });
                (group as unknown as { registerOutputs(o: pulumi.Inputs): void }).registerOutputs({ role: role.arn });
                return { roleName: role.name };
            },
        });
        expect(graph.resources.length).toBeGreaterThanOrEqual(6);
        const byUrn = new Map(graph.resources.map((r) => [r.urn, r]));
        for (const r of graph.resources) {
            const final = Buffer.from(analyzeRequestBytes(r, byUrn));
            expect(Buffer.from(streamed.get(r.urn)!).equals(final), r.urn).toBe(true);
        }
        expect([...streamed.keys()].sort()).toEqual(graph.resources.map((r) => r.urn).sort());
        expect(header).toEqual({ project: graph.project, stack: graph.stack, config: graph.config, secretPlaceholders: graph.secretPlaceholders });
        expect(JSON.stringify(header)).not.toContain("s3cr3t");
    });

    it("lets the event loop turn while the program registers its resources (a check's pack traffic runs meanwhile)", async () => {
        let recorded = 0;
        let seenByLoop: number | undefined;
        const observer: SynthObserver = {
            // A macrotask queued as the program starts runs at the loop's next turn: during the registrations, not after.
            start: () => void setImmediate(() => (seenByLoop = recorded)),
            resource: () => void recorded++,
        };
        const graph = await synthesizeProgram({
            project: "test",
            stack: "unit",
            config: { "aws:region": "eu-west-1" },
            observer,
            program: async () => {
                for (let i = 0; i < 20; i++) {
                    new aws.sqs.Queue(`q${i}`, { sqsManagedSseEnabled: true });
                }
            },
        });
        expect(recorded).toBe(graph.resources.length);
        expect(seenByLoop).toBeDefined();
        expect(seenByLoop!).toBeLessThan(graph.resources.length);
    });

    it("keep a streamed call only when its bytes are the finished graph's; any other resource's request is sent again", async () => {
        const streamed = new Map<string, Uint8Array>();
        const graph = await synthesizeProgram({
            project: "test",
            stack: "unit",
            config: { "aws:region": "eu-west-1" },
            observer: { start: () => undefined, resource: (r, records) => streamed.set(r.urn, analyzeRequestBytes(r, records)) },
            program: async () => {
                const key = new aws.kms.Key("key", { enableKeyRotation: true });
                new aws.sqs.Queue("queue", { kmsMasterKeyId: key.id });
                new aws.sns.Topic("topic", { kmsMasterKeyId: key.id });
            },
        });
        const byUrn = new Map(graph.resources.map((r) => [r.urn, r]));
        const urnOf = (type: string) => graph.resources.find((r) => r.type === type)!.urn;
        const [queue, topic] = [urnOf("aws:sqs/queue:Queue"), urnOf("aws:sns/topic:Topic")];
        // As if the queue had been registered again after its request was streamed, and the topic's never streamed.
        const sent = new Map([...streamed].filter(([urn]) => urn !== topic).map(([urn, bytes]) => [urn, { bytes: urn === queue ? streamed.get(topic)! : bytes, diagnostics: `streamed ${urn}` }]));
        const resent: string[] = [];
        const calls = analyzeCalls(graph, byUrn, sent, (bytes) => {
            const r = graph.resources.find((x) => Buffer.from(analyzeRequestBytes(x, byUrn)).equals(Buffer.from(bytes)))!;
            resent.push(r.urn);
            return `sent ${r.urn}`;
        });
        expect(resent.sort()).toEqual([queue, topic].sort());
        for (const c of calls) {
            expect(c.diagnostics).toBe(`${[queue, topic].includes(c.urn) ? "sent" : "streamed"} ${c.urn}`);
        }
        expect(calls.map((c) => c.urn)).toEqual(graph.resources.map((r) => r.urn));
    });
});
