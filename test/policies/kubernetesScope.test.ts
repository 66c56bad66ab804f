import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { ResourceGraph } from "../../cli/graph";
import { kubernetesRules } from "../../policies/kubernetes/rules";
import { mcpNamespaces } from "../../policies/kubernetes/scope";
import { Props } from "../../policies/lib/rule";
import { cloneGraph } from "../helpers";
import { synthesizedStack } from "../runCache";
import { Fixture, FixtureResource, runRule } from "./harness";
import { kubernetesCases } from "./kubernetes.cases";

interface Model {
    validate(): void;
}

/** The upstream schema model of a Pulumi Kubernetes type (PeerAuthentication v1 is checked with the v1beta1 model, same schema). */
function modelOf(type: string): (new (data: Props) => Model) | undefined {
    const m = /^kubernetes:([^/]+)\/([^:]+):(.+)$/.exec(type);
    if (!m) {
        return undefined;
    }
    const [, group, version, kind] = m;
    const path = group.endsWith("istio.io")
        ? `@kubernetes-models/istio/${group}/${kind === "PeerAuthentication" ? "v1beta1" : version}/${kind}`
        : `kubernetes-models/${group === "core" ? "" : `${group}/`}${version}/${kind}`;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return (require(path) as Record<string, new (data: Props) => Model>)[kind];
    } catch {
        return undefined;
    }
}

function apiVersionOf(type: string): string {
    const [, gv] = type.split(":");
    const [group, version] = gv.split("/");
    return group === "core" ? version : `${group}/${kind(type) === "PeerAuthentication" ? "v1beta1" : version}`;
}
const kind = (type: string) => type.split(":").pop()!;

const fixturesOf = (f: Fixture): FixtureResource[] => ("resources" in f ? f.resources : [{ type: f.type, name: "fixture", props: f.props }]);

describe("kubernetes pack fixtures", () => {
    it("are valid against the upstream schemas (kubernetes-models, @kubernetes-models/istio)", () => {
        let checked = 0;
        for (const [rule, cases] of Object.entries(kubernetesCases)) {
            for (const f of [...cases.pass, ...cases.fail]) {
                for (const r of fixturesOf(f)) {
                    const Model = modelOf(r.type);
                    if (!Model) {
                        continue;
                    }
                    const manifest = { ...JSON.parse(JSON.stringify(r.props)), apiVersion: apiVersionOf(r.type), kind: kind(r.type) };
                    expect(() => new Model(manifest).validate(), `${rule} / ${f.label} / ${r.type}`).not.toThrow();
                    checked++;
                }
            }
        }
        expect(checked).toBeGreaterThan(100);
        const NetworkPolicy = modelOf("kubernetes:networking.k8s.io/v1:NetworkPolicy")!;
        expect(() => new NetworkPolicy({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "x" }, spec: { podSelector: {}, policyTypes: ["Both"] } }).validate()).toThrow();
    });

    it("a namespace as the layer renders it passes every rule of the pack", async () => {
        const layer = kubernetesCases["kubernetes-mcp-namespace-authorization"].pass.find((f) => f.label === "a namespace as the layer renders it")!;
        for (const rule of kubernetesRules) {
            const fixtures: Fixture[] = "validateStack" in rule.policy ? [layer] : fixturesOf(layer).map((r) => ({ label: r.name, type: r.type, props: r.props }));
            for (const f of fixtures) {
                expect(await runRule(rule, f), `${rule.meta.name} / ${f.label}`).toEqual([]);
            }
        }
    });
});

describe("the kubernetes pack on the synthesized layer (stack microservices-dev)", () => {
    let graph: ResourceGraph;
    beforeAll(async () => {
        graph = await synthesizedStack("microservices-dev");
    });
    const resourcesOf = (g: ResourceGraph): FixtureResource[] => g.resources.map((r) => ({ type: r.type, name: r.name, props: r.outputs as Props }));
    const rule = (name: string) => kubernetesRules.find((r) => r.meta.name === name)!;
    const check = (name: string, g: ResourceGraph) => runRule(rule(name), { label: "layer", resources: resourcesOf(g) });

    it("holds the server's namespace to the MCP bar by what runs there, and passes", async () => {
        const found = mcpNamespaces(resourcesOf(graph).map((r) => ({ ...r, urn: r.name })) as never);
        expect(found.map((n) => [n.name, n.workloads.map((w) => w.label)])).toEqual([["mcp-docs-search", ["Deployment mcp-docs-search/docs-search"]]]);
        for (const r of kubernetesRules.filter((k) => "validateStack" in k.policy)) {
            expect(await check(r.meta.name, graph), r.meta.name).toEqual([]);
        }
    });

    it("admits the ingress gateway's identity alone only in front of the guard, on the guard's port", async () => {
        const policy = (g: ResourceGraph) => g.resources.find((r) => r.type.endsWith(":AuthorizationPolicy") && (r.outputs as Props).metadata?.namespace === "mcp-docs-search")!.outputs as Props;
        expect(policy(graph).spec.rules[0]).toEqual({ from: [{ source: { principals: ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"] } }], to: [{ operation: { ports: ["8443"], paths: ["/mcp", "/mcp/*"] } }] });
        const anyPort = cloneGraph(graph);
        delete policy(anyPort).spec.rules[0].to;
        expect((await check("kubernetes-mcp-namespace-authorization", anyPort)).join("\n")).toMatch(/names only the ingress gateway .*it admits any port of Deployment mcp-docs-search\/docs-search, not only the guard's \(8443\)/);
        const serverPort = cloneGraph(graph);
        policy(serverPort).spec.rules[0].to[0].operation.ports = ["8443", "8080"];
        expect((await check("kubernetes-mcp-namespace-authorization", serverPort)).join("\n")).toMatch(/it admits port 8080 of Deployment mcp-docs-search\/docs-search, not only the guard's \(8443\)/);
        const noGuard = cloneGraph(graph);
        const deployment = noGuard.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!.outputs as Props;
        deployment.spec.template.spec.containers = deployment.spec.template.spec.containers.slice(0, 1);
        expect((await check("kubernetes-mcp-namespace-authorization", noGuard)).join("\n")).toMatch(/names only the ingress gateway .*Deployment mcp-docs-search\/docs-search runs no MCP guard/);
    });

    it("requires the server's own scopes on the unguarded layer's token rule (fixture k8s-unguarded)", async () => {
        const unguarded = await synthesizedStack("k8s-unguarded", path.join(__dirname, "..", "fixtures", "stacks", "Pulumi.k8s-unguarded.yaml"));
        const policy = (g: ResourceGraph) => g.resources.find((r) => r.type.endsWith(":AuthorizationPolicy") && (r.outputs as Props).metadata?.namespace === "mcp-docs-search")!.outputs as Props;
        expect(policy(unguarded).spec.rules[0].when).toEqual([{ key: "request.auth.claims[scope]", values: ["https://docs-search.mcp.k8s.example.com/mcp/docs:read"] }]);
        expect(await check("kubernetes-mcp-namespace-authorization", unguarded)).toEqual([]);
        const unscoped = cloneGraph(unguarded);
        delete policy(unscoped).spec.rules[0].when;
        expect((await check("kubernetes-mcp-namespace-authorization", unscoped)).join("\n")).toMatch(/rule 0 accepts any token of https:\/\/cognito-idp\.eu-west-1\.amazonaws\.com\/eu-west-1_EXAMPLE01\/\*: it needs a when on request.auth.claims\[scope\] \(or \[scp\]\) with the scopes of Deployment mcp-docs-search\/docs-search/);
        const foreign = cloneGraph(unguarded);
        policy(foreign).spec.rules[0].when[0].values = ["https://other.mcp.k8s.example.com/mcp/docs:read"];
        expect((await check("kubernetes-mcp-namespace-authorization", foreign)).join("\n")).toMatch(/admits scope https:\/\/other.mcp.k8s.example.com\/mcp\/docs:read, which is not a scope of Deployment mcp-docs-search\/docs-search \(MCP server docs-search\)/);
        const viaGateway = cloneGraph(unguarded);
        policy(viaGateway).spec.rules[0] = { from: [{ source: { principals: ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"] } }] };
        expect((await check("kubernetes-mcp-namespace-authorization", viaGateway)).join("\n")).toMatch(/names only the ingress gateway .*runs no MCP guard/);
    });

    it("still holds it when the workload and namespace drop every mcpsec label, and reports what then lacks", async () => {
        const g = cloneGraph(graph);
        for (const r of g.resources) {
            const labels = (r.outputs as Props).metadata?.labels as Record<string, string> | undefined;
            delete labels?.["mcpsec/tenant"];
            const template = (r.outputs as Props).spec?.template?.metadata?.labels as Record<string, string> | undefined;
            delete template?.["app.kubernetes.io/part-of"];
        }
        g.resources = g.resources.filter((r) => !r.type.endsWith(":AuthorizationPolicy") && !(r.type.endsWith(":NetworkPolicy") && (r.outputs as Props).metadata?.name === "default-deny"));
        expect((await check("kubernetes-mcp-namespace-authorization", g)).join("\n")).toMatch(/MCP namespace mcp-docs-search: Deployment mcp-docs-search\/docs-search is selected by no ALLOW AuthorizationPolicy/);
        expect((await check("kubernetes-mcp-namespace-default-deny", g)).join("\n")).toMatch(/MCP namespace mcp-docs-search \(runs Deployment mcp-docs-search\/docs-search, an MCP server \(container docs-search runs the image of MCP server docs-search\)\) has no default-deny NetworkPolicy for ingress and egress/);
    });
});
