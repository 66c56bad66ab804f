import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { beforeAll, describe, expect, it } from "vitest";
import type { CheckReport } from "../../cli/check";
import { ROOT } from "../helpers";

const run = promisify(execFile);
const BIN = path.join(ROOT, "bin", "mcpsec.js");
const PROGRAMS = path.join(ROOT, "test", "fixtures", "programs");
/** A fork's own program composing a blueprint component (ours, unlike the examples). */
const FORK = path.join(ROOT, "test", "fixtures", "fork-program");

/** Runs the CLI as a user does; resolves with the exit code instead of throwing on a non-zero one. */
async function mcpsec(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
        const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
        return { code: 0, stdout, stderr };
    } catch (e) {
        const err = e as { code: number; stdout: string; stderr: string };
        return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
}

describe("mcpsec check|synth --program: programs nobody here wrote (Pulumi's examples)", () => {
    let report: CheckReport;
    let code: number;
    beforeAll(async () => {
        const res = await mcpsec("check", "--format", "json", ...["aws-ts-secrets-manager", "aws-ts-serverless-raw", "aws-ts-resources"].flatMap((p) => ["--program", path.join(PROGRAMS, p)]), "--program", FORK);
        code = res.code;
        expect(res.stderr).toBe("");
        report = JSON.parse(res.stdout) as CheckReport;
    }, 120_000);

    it("runs each program under the mocks with its own project name and stack config, and judges it with the blueprint packs", () => {
        expect(code).toBe(1);
        expect(report.stacks.map((s) => `${s.project}/${s.stack}`)).toEqual(["aws-secrets-manager/dev", "serverless/dev", "aws-ts-resources/dev", "fork-program/dev"]);
        expect(report.packs.map((p) => p.name).sort()).toEqual(["mcpsec-aws", "mcpsec-kubernetes", "mcpsec-mcp"]);
        const [secrets, serverless, resources, fork] = report.stacks;
        expect(secrets.summary.byType["aws:secretsmanager/secret:Secret"]).toBe(1);
        expect(resources.summary.custom).toBeGreaterThanOrEqual(25);
        // No crash on resource objects passed as inputs (`role,` / `role: role`): the rules read them as the engine sends them.
        const policies = (s: CheckReport["stacks"][number]) => new Set(s.violations.map((v) => v.policy));
        expect(report.stacks.flatMap((s) => s.violations).filter((v) => /Unrecognized signature|can't run/.test(v.message))).toEqual([]);
        expect(policies(secrets)).toContain("aws-secretsmanager-secret-rotation");
        // logs:* and cloudwatch:* on every resource, in a RolePolicy whose role is given as the Role object.
        expect(serverless.violations.find((v) => v.policy === "aws-iam-no-wildcard-actions")?.resourceName).toBe("mylambda-policy");
        for (const p of ["aws-ec2-vpc-flow-logs-enabled", "aws-ecr-repository-scan-on-push", "aws-sns-topic-encrypted", "aws-iam-no-wildcard-actions"]) {
            expect(policies(resources), p).toContain(p);
        }
        expect(report.stacks.every((s) => s.notes.some((n) => n.startsWith("program ")))).toBe(true);
        // The fork: the blueprint component passes every pack; the managed policy attached through the Role object does not.
        expect(fork.summary.byType["mcpsec:network:SegmentedVpc"]).toBe(1);
        expect(fork.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy)).toEqual(["aws-iam-attached-policies-least-privilege"]);
        expect(fork.violations[0].message).toMatch(/AmazonS3FullAccess/);
    });

    it("SARIF for a program points at the program's stack file, relative to the current folder", async () => {
        const res = await mcpsec("check", "--program", path.relative(ROOT, FORK), "--format", "sarif");
        expect(res.code).toBe(1);
        const log = JSON.parse(res.stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
        expect(log.runs[0].results.map((r) => [r.ruleId, r.locations[0].physicalLocation.artifactLocation.uri])).toEqual([
            ["aws-iam-attached-policies-least-privilege", "test/fixtures/fork-program/Pulumi.dev.yaml"],
        ]);
    }, 90_000);

    it("a data source the mocks cannot answer is a clear error naming the call (exit 2), never a stack trace", async () => {
        const res = await mcpsec("synth", "--program", path.join(PROGRAMS, "aws-ts-webserver"));
        expect(res.code).toBe(2);
        expect(res.stdout).toBe("");
        expect(res.stderr).toMatch(/^mcpsec: the program calls the data source aws:ec2\/getAmi:getAmi with \{.*"owners":\["137112412989"\].*\}, which the offline mocks cannot answer; pass the value through stack config instead/);
        expect(res.stderr.trim().split("\n")).toHaveLength(1);
        expect(res.stderr).not.toMatch(/\n\s+at /);
    }, 60_000);

    it("a folder that is not a Pulumi project is a usage error", async () => {
        const res = await mcpsec("synth", "--program", PROGRAMS);
        expect(res.code).toBe(2);
        expect(res.stderr).toMatch(/no Pulumi\.yaml in the folder/);
    }, 60_000);
});
