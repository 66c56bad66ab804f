import { beforeAll, describe, expect, it } from "vitest";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { synthesize } from "../../cli/synth";
import { project } from "../helpers";

interface Model {
    validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Model;

/**
 * The upstream schema model of a Kubernetes object: kubernetes-models for the core API, @kubernetes-models/istio
 * and /external-secrets for the CRDs. Istio's PeerAuthentication and ESO's v1 API are checked against the
 * v1beta1 models, whose schemas are the same (the packages do not ship the v1 copies).
 */
function modelOf(apiVersion: string, kind: string): ModelClass {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    let path: string;
    if (group.endsWith("istio.io")) {
        path = `@kubernetes-models/istio/${group}/${group === "security.istio.io" && kind === "PeerAuthentication" ? "v1beta1" : version}/${kind}`;
    } else if (group === "external-secrets.io") {
        path = `@kubernetes-models/external-secrets/${group}/v1beta1/${kind}`;
    } else {
        path = `kubernetes-models/${group ? `${group}/` : ""}${version}/${kind}`;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path) as Record<string, ModelClass>;
    return mod[kind];
}

/** The manifest a Kubernetes resource's inputs describe (the model's apiVersion for the v1-as-v1beta1 cases). */
function manifest(r: GraphResource): Record<string, unknown> {
    const { apiVersion, kind, ...rest } = r.inputs as { apiVersion: string; kind: string };
    const modelApiVersion = apiVersion === "external-secrets.io/v1" ? "external-secrets.io/v1beta1"
        : apiVersion === "security.istio.io/v1" && kind === "PeerAuthentication" ? "security.istio.io/v1beta1" : apiVersion;
    return { apiVersion: modelApiVersion, kind, ...rest };
}

describe("the in-cluster layer (stack microservices-dev)", () => {
    let graph: ResourceGraph;
    let objects: GraphResource[];
    beforeAll(async () => {
        graph = await synthesize({ project, stack: "microservices-dev" });
        objects = graph.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom && r.type !== "kubernetes:helm.sh/v3:Release");
    });

    it("renders every Kubernetes and Istio object valid against the upstream schemas", () => {
        expect(objects.length).toBeGreaterThan(15);
        const kinds = new Set<string>();
        for (const r of objects) {
            const m = manifest(r);
            const Model = modelOf(m.apiVersion as string, m.kind as string);
            expect(Model, `${r.type}`).toBeTypeOf("function");
            expect(() => new Model(m).validate(), `${r.type} ${r.name}`).not.toThrow();
            kinds.add(`${m.apiVersion}/${m.kind}`);
        }
        for (const k of ["v1/Namespace", "apps/v1/Deployment", "networking.k8s.io/v1/NetworkPolicy", "security.istio.io/v1/AuthorizationPolicy", "networking.istio.io/v1beta1/ServiceEntry", "external-secrets.io/v1beta1/ExternalSecret"]) {
            expect(kinds, k).toContain(k);
        }
    });

    it("the schema check does catch an invalid object", () => {
        const deployment = objects.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
        const broken = JSON.parse(JSON.stringify(manifest(deployment)));
        broken.spec.replicas = "two";
        const Model = modelOf("apps/v1", "Deployment");
        expect(() => new Model(broken).validate()).toThrow();
    });

    it("installs Istio and the External Secrets Operator from official charts at pinned versions", () => {
        const releases = graph.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").map((r) => [r.inputs.chart, r.inputs.version, (r.inputs.repositoryOpts as { repo: string }).repo]);
        expect(releases).toEqual(expect.arrayContaining([
            ["base", "1.27.0", "https://istio-release.storage.googleapis.com/charts"],
            ["istiod", "1.27.0", "https://istio-release.storage.googleapis.com/charts"],
            ["cni", "1.27.0", "https://istio-release.storage.googleapis.com/charts"],
            ["gateway", "1.27.0", "https://istio-release.storage.googleapis.com/charts"],
            ["external-secrets", "0.17.0", "https://charts.external-secrets.io"],
        ]));
        const istiod = graph.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "istiod")!;
        expect((istiod.inputs.values as { meshConfig: { outboundTrafficPolicy: { mode: string } } }).meshConfig.outboundTrafficPolicy.mode).toBe("REGISTRY_ONLY");
    });

    it("requires a token from the issuer with one of the server's scopes, and registers only declared egress", () => {
        const authz = objects.find((r) => r.type === "kubernetes:security.istio.io/v1:AuthorizationPolicy")!;
        const rule = (authz.inputs.spec as { rules: { from: { source: { requestPrincipals: string[] } }[]; when: { key: string; values: string[] }[] }[] }).rules[0];
        expect(rule.from[0].source.requestPrincipals).toEqual(["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE01/*"]);
        expect(rule.when).toEqual([{ key: "request.auth.claims[scope]", values: ["https://docs-search.mcp.k8s.example.com/mcp/docs:read"] }]);
        const entries = objects.filter((r) => r.type === "kubernetes:networking.istio.io/v1beta1:ServiceEntry").map((r) => (r.inputs.spec as { hosts: string[] }).hosts);
        expect(entries).toEqual([["api.github.com"]]);
    });

    it("syncs the server's secrets from Secrets Manager instead of putting values in the program", () => {
        const ext = objects.find((r) => r.type === "kubernetes:external-secrets.io/v1:ExternalSecret")!;
        expect((ext.inputs.spec as { data: unknown[] }).data).toEqual([{ secretKey: "GITHUB_TOKEN", remoteRef: { key: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mcp/github-AbCdEf" } }]);
        expect(objects.filter((r) => r.type === "kubernetes:core/v1:Secret")).toHaveLength(0);
        const deployment = objects.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
        expect(JSON.stringify(deployment.inputs)).toContain("\"secretKeyRef\":{\"key\":\"GITHUB_TOKEN\",\"name\":\"docs-search-secrets\"}");
    });
});
