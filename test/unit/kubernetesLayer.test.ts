import { createHash } from "crypto";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { loadStackConfig } from "../../cli/project";
import { synthesizeProgram } from "../../cli/synth";
import { egressHostsOf } from "../../components/kubernetes/egress";
import { main } from "../../program";
import { project } from "../helpers";
import { synthesizedStack } from "../runCache";
import { checkMicroservicesConfig } from "../../components/patterns/microservices";
import type { BlueprintConfig } from "../../components/config";

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
        graph = await synthesizedStack("microservices-dev");
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

    it("the External Secrets controller calls the Region's STS endpoint (aws-sdk-go v1 would call the global one, which the zone's DNS firewall refuses)", () => {
        const eso = graph.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "external-secrets")!;
        // Chart 0.17.0 puts the top-level extraEnv on the controller container, the one that assumes each store's role.
        expect((eso.inputs.values as { extraEnv?: unknown }).extraEnv).toEqual([{ name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" }]);
    });

    it("lets the guard decide auth: the mesh admits only the ingress gateway's mTLS identity, on the guard port and MCP path, with no RequestAuthentication", () => {
        const authz = objects.filter((r) => r.type === "kubernetes:security.istio.io/v1:AuthorizationPolicy" && (r.inputs.metadata as { namespace: string }).namespace === "mcp-docs-search");
        expect(authz.map((r) => r.inputs.spec)).toEqual([{
            selector: { matchLabels: { app: "docs-search" } },
            action: "ALLOW",
            rules: [{ from: [{ source: { principals: ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"] } }], to: [{ operation: { ports: ["8443"], paths: ["/mcp", "/mcp/*"] } }] }],
        }]);
        // A RequestAuthentication would answer a bad token with Istio's own 401 (no resource metadata) and could strip it.
        expect(objects.filter((r) => r.type === "kubernetes:security.istio.io/v1:RequestAuthentication")).toEqual([]);
    });

    it("answers the RFC 9728 metadata path at the gateway without a token, and routes the rest to the guard", () => {
        const route = objects.find((r) => r.type === "kubernetes:networking.istio.io/v1beta1:VirtualService" && (r.inputs.spec as { gateways: string[] }).gateways.includes("istio-ingress/mcp-gateway"))!;
        const http = (route.inputs.spec as { http: { match?: { uri: { exact: string } }[]; directResponse?: { status: number; body: { string: string } }; route?: unknown }[] }).http;
        expect(http[0].match?.[0].uri.exact).toBe("/.well-known/oauth-protected-resource/mcp");
        expect(http[0].directResponse?.status).toBe(200);
        expect(JSON.parse(http[0].directResponse!.body.string)).toEqual({
            resource: "https://docs-search.mcp.k8s.example.com/mcp",
            authorization_servers: ["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE01"],
            scopes_supported: ["https://docs-search.mcp.k8s.example.com/mcp/docs:read"],
            bearer_methods_supported: ["header"],
            resource_name: "docs-search",
        });
        expect(http[1].route).toEqual([{ destination: { host: "docs-search", port: { number: 8443 } } }]);
    });

    it("binds each host to its server's namespace on the shared ingress Gateway, HTTPS only", () => {
        const gw = objects.find((r) => r.type === "kubernetes:networking.istio.io/v1beta1:Gateway" && (r.inputs.metadata as { namespace: string }).namespace === "istio-ingress")!;
        const servers = (gw.inputs.spec as { servers: { hosts: string[]; port: { protocol: string } }[] }).servers;
        expect(servers.map((sv) => sv.port.protocol)).toEqual(["HTTPS"]);
        // "*" bound to the gateway's own namespace (which has no VirtualService): Istio then sets no server_names on the
        // HTTPS filter chain, so the ALB's connection without SNI is accepted and routed by Host.
        expect(servers[0].hosts).toEqual(["mcp-docs-search/docs-search.mcp.k8s.example.com", "istio-ingress/*"]);
    });

    it("routes the declared egress and the guard's JWKS host through the egress gateway, over mTLS, by SNI", () => {
        const inNs = (type: string, ns: string) => objects.filter((r) => r.type === type && (r.inputs.metadata as { namespace: string }).namespace === ns);
        const hosts = ["api.github.com", "cognito-idp.eu-west-1.amazonaws.com"];
        const entries = inNs("kubernetes:networking.istio.io/v1beta1:ServiceEntry", "mcp-docs-search").map((r) => r.inputs.spec);
        expect(entries).toEqual([{ hosts, location: "MESH_EXTERNAL", resolution: "DNS", ports: [{ number: 443, name: "tls", protocol: "TLS" }], exportTo: [".", "istio-egress"] }]);
        const dr = inNs("kubernetes:networking.istio.io/v1beta1:DestinationRule", "mcp-docs-search")[0].inputs.spec as { host: string; subsets: { trafficPolicy: { portLevelSettings: { tls: { mode: string; sni: string } }[] } }[] };
        expect(dr.host).toBe("istio-egressgateway.istio-egress.svc.cluster.local");
        expect(dr.subsets.map((sb) => sb.trafficPolicy.portLevelSettings[0].tls)).toEqual(hosts.map((sni) => ({ mode: "ISTIO_MUTUAL", sni })));
        // One VirtualService per host: the sidecar side (tls, by SNI) to the gateway subset of that host; the gateway side
        // a tcp route to the host, the only kind of route Istio reads for a terminated (ISTIO_MUTUAL) gateway server.
        const routes = inNs("kubernetes:networking.istio.io/v1beta1:VirtualService", "mcp-docs-search").filter((r) => (r.inputs.spec as { gateways: string[] }).gateways.includes("istio-egress/mcp-egress"));
        type EgressVs = { hosts: string[]; tls: { match: { gateways: string[]; sniHosts: string[] }[]; route: { destination: { host: string; subset: string } }[] }[]; tcp: { match: { gateways: string[]; port: number }[]; route: { destination: { host: string; port: { number: number } } }[] }[] };
        expect(routes.map((r) => {
            const sp = r.inputs.spec as EgressVs;
            return [sp.hosts, sp.tls.map((t) => [t.match[0].gateways, t.match[0].sniHosts, t.route[0].destination.host, t.route[0].destination.subset]), sp.tcp.map((t) => [t.match[0].gateways, t.match[0].port, t.route[0].destination])];
        })).toEqual(hosts.map((h, i) => [
            [h],
            [[["mesh"], [h], "istio-egressgateway.istio-egress.svc.cluster.local", `host-${i}`]],
            [[["istio-egress/mcp-egress"], 443, { host: h, port: { number: 443 } }]],
        ]));
        // One ISTIO_MUTUAL server per host: one filter chain per outer SNI, each host bound to the declaring namespace.
        const gw = inNs("kubernetes:networking.istio.io/v1beta1:Gateway", "istio-egress")[0].inputs.spec as { servers: { port: { name: string }; hosts: string[]; tls: { mode: string } }[] };
        expect(gw.servers.map((sv) => [sv.port.name, sv.hosts, sv.tls.mode])).toEqual(hosts.map((h, i) => [`tls-egress-${i}`, [`mcp-docs-search/${h}`], "ISTIO_MUTUAL"]));
        const authz = inNs("kubernetes:security.istio.io/v1:AuthorizationPolicy", "istio-egress")[0].inputs.spec as { rules: unknown[] };
        expect(authz.rules).toEqual([{ from: [{ source: { principals: ["cluster.local/ns/mcp-docs-search/sa/docs-search"] } }], to: [{ operation: { ports: ["443"] } }], when: [{ key: "connection.sni", values: hosts }] }]);
    });

    it("runs the ingress and egress gateways in namespaces that enforce restricted, the ingress on fixed NodePorts", () => {
        const namespaces = objects.filter((r) => r.type === "kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata as { name: string; labels: Record<string, string> });
        for (const n of ["istio-ingress", "istio-egress"]) {
            expect(namespaces.find((m) => m.name === n)?.labels["pod-security.kubernetes.io/enforce"], n).toBe("restricted");
        }
        const release = (n: string) => graph.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === n)!.inputs.values as { service: { type: string; ports: { name: string; nodePort?: number }[] }; securityContext: { seccompProfile: { type: string } } };
        expect(release("istio-ingressgateway").service.type).toBe("NodePort");
        expect(release("istio-ingressgateway").service.ports.map((p) => [p.name, p.nodePort])).toEqual([["status-port", 30021], ["https", 30443]]);
        expect(release("istio-egressgateway").service.type).toBe("ClusterIP");
        for (const n of ["istio-ingressgateway", "istio-egressgateway"]) {
            expect(release(n).securityContext.seccompProfile.type, n).toBe("RuntimeDefault");
        }
    });

    it("syncs the server's secrets from Secrets Manager instead of putting values in the program", () => {
        const ext = objects.find((r) => r.type === "kubernetes:external-secrets.io/v1:ExternalSecret")!;
        expect((ext.inputs.spec as { data: unknown[] }).data).toEqual([{ secretKey: "GITHUB_TOKEN", remoteRef: { key: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mcp/github-AbCdEf" } }]);
        expect(objects.filter((r) => r.type === "kubernetes:core/v1:Secret")).toHaveLength(0);
        const deployment = objects.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
        expect(JSON.stringify(deployment.inputs)).toContain("\"secretKeyRef\":{\"key\":\"GITHUB_TOKEN\",\"name\":\"docs-search-secrets\"}");
    });
});

type Container = { name: string; image: string; ports?: { containerPort: number; name: string }[]; env: { name: string; value?: string }[]; securityContext: Record<string, unknown>; resources: { requests: Record<string, string>; limits: Record<string, string> }; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[]; readinessProbe?: { httpGet: { port: number } } };
type PodSpec = { containers: Container[]; volumes: { name: string; configMap?: { name: string } }[] };
/** The layer on an existing cluster (secretsRoleArns from the stack), where the cluster side does not matter. */
const EXISTING = path.join(__dirname, "..", "fixtures", "stacks", "Pulumi.k8s-existing.yaml");
const GUARD_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcpsec/guard@sha256:" + "9".repeat(64);

function podOf(graph: ResourceGraph): { spec: PodSpec; annotations: Record<string, string>; replicas: number } {
    const d = graph.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
    const spec = d.inputs.spec as { replicas: number; template: { metadata: { annotations: Record<string, string> }; spec: PodSpec } };
    return { spec: spec.template.spec, annotations: spec.template.metadata.annotations, replicas: spec.replicas };
}
const envOf = (c: Container) => Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
const one = (graph: ResourceGraph, type: string) => graph.resources.filter((r) => r.type === type);

describe("the MCP guard in every server's pod (stack microservices-dev)", () => {
    let graph: ResourceGraph;
    beforeAll(async () => {
        graph = await synthesizedStack("microservices-dev");
    });

    it("runs the guard as a second container, as hardened as the server, with its settings from the stack", () => {
        const { spec } = podOf(graph);
        expect(spec.containers.map((c) => c.name)).toEqual(["docs-search", "mcp-guard"]);
        const [server, guard] = spec.containers;
        expect(guard.image).toBe(GUARD_IMAGE);
        for (const c of [server, guard]) {
            expect(c.securityContext, c.name).toEqual({
                allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
                capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, ...(c === guard ? { runAsUser: 65532, runAsGroup: 65532 } : {}),
            });
            expect(c.resources.requests, c.name).toEqual(c.resources.limits);
        }
        expect(guard.resources.limits).toEqual({ cpu: "250m", memory: "256Mi" });
        expect(envOf(guard)).toEqual({
            GUARD_SERVER_NAME: "docs-search",
            GUARD_RESOURCE: "https://docs-search.mcp.k8s.example.com/mcp",
            GUARD_RESOURCE_METADATA_URL: "https://docs-search.mcp.k8s.example.com/.well-known/oauth-protected-resource/mcp",
            GUARD_ISSUER: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE01",
            GUARD_JWKS_URL: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE01/.well-known/jwks.json",
            GUARD_CLIENT_IDS: "3n4b5c6d7e8f9g0h1i2j3k4l5m",
            GUARD_UPSTREAM_URL: "http://127.0.0.1:8080/mcp",
            GUARD_LISTEN_HOST: "0.0.0.0", GUARD_LISTEN_PORT: "8443", GUARD_TLS: "off", GUARD_MCP_PATH: "/mcp",
            GUARD_ALLOWED_HOSTS: "docs-search.mcp.k8s.example.com",
            GUARD_DLP_MODE: "redact",
            GUARD_MANIFEST_FILE: "/etc/mcp-guard/manifest.json",
            GUARD_APPROVALS_REQUIRED: "false",
        });
        expect(guard.readinessProbe?.httpGet.port).toBe(8443);
    });

    it("mounts the approved manifest the layer publishes read-only, and rolls the pods when it changes", () => {
        const { spec, annotations } = podOf(graph);
        const guard = spec.containers[1];
        expect(guard.volumeMounts).toContainEqual({ name: "tools-manifest", mountPath: "/etc/mcp-guard", readOnly: true });
        expect(spec.volumes.find((v) => v.name === "tools-manifest")?.configMap?.name).toBe("mcp-tools-manifest");
        const cm = one(graph, "kubernetes:core/v1:ConfigMap").find((r) => (r.inputs.metadata as { name: string }).name === "mcp-tools-manifest")!;
        const text = (cm.inputs.data as Record<string, string>)["manifest.json"];
        expect(JSON.parse(text).server).toMatchObject({ name: "docs-search", url: "https://docs-search.mcp.k8s.example.com/mcp" });
        expect(annotations["mcpsec/tools-manifest-sha256"]).toBe(createHash("sha256").update(text).digest("hex"));
    });

    it("binds the server to 127.0.0.1 and exposes only the guard's port: Service, gateway route, network policy", () => {
        const { spec } = podOf(graph);
        const server = spec.containers[0];
        expect(envOf(server).HOST).toBe("127.0.0.1");
        expect(server.ports).toBeUndefined();
        const svc = one(graph, "kubernetes:core/v1:Service")[0];
        expect((svc.inputs.spec as { ports: unknown[] }).ports).toEqual([{ name: "http-guard", appProtocol: "http", port: 8443, targetPort: 8443, protocol: "TCP" }]);
        const route = one(graph, "kubernetes:networking.istio.io/v1beta1:VirtualService").find((r) => (r.inputs.metadata as { name: string }).name === "docs-search")!;
        expect(JSON.stringify(route.inputs.spec)).toContain("\"port\":{\"number\":8443}");
        const fromGateway = one(graph, "kubernetes:networking.k8s.io/v1:NetworkPolicy").find((r) => (r.inputs.metadata as { name: string }).name === "allow-from-gateway")!;
        expect((fromGateway.inputs.spec as { ingress: { ports: unknown[] }[] }).ingress[0].ports).toEqual([{ protocol: "TCP", port: 8443 }]);
        // The guard verifies the token itself (and never passes it to the server): nothing in the mesh touches it.
        expect(one(graph, "kubernetes:security.istio.io/v1:RequestAuthentication")).toEqual([]);
    });

    it("sizes the namespace quota for every pod of a rolling update, guard and mesh sidecar included", () => {
        const { annotations, replicas } = podOf(graph);
        const quota = one(graph, "kubernetes:core/v1:ResourceQuota")[0];
        const hard = (quota.inputs.spec as { hard: Record<string, string> }).hard;
        const milli = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);
        const mi = (q: string) => (q.endsWith("Gi") ? Number(q.slice(0, -2)) * 1024 : Number(q.replace(/Mi$/, "")));
        const { spec } = podOf(graph);
        const podCpu = spec.containers.reduce((n, c) => n + milli(c.resources.limits.cpu), 0) + milli(annotations["sidecar.istio.io/proxyCPULimit"]);
        const podMem = spec.containers.reduce((n, c) => n + mi(c.resources.limits.memory), 0) + mi(annotations["sidecar.istio.io/proxyMemoryLimit"]);
        expect(milli(hard["limits.cpu"])).toBeGreaterThanOrEqual(podCpu * (replicas + 1));
        expect(mi(hard["limits.memory"])).toBeGreaterThanOrEqual(podMem * (replicas + 1));
        expect(Number(hard.pods)).toBeGreaterThanOrEqual(replicas + 1);
        // Two replicas and the surge pod, with the sidecar's resources set on the pod, not left to the mesh's defaults.
        expect(replicas).toBe(2);
        expect(annotations).toMatchObject({ "sidecar.istio.io/proxyCPU": "100m", "sidecar.istio.io/proxyCPULimit": "500m", "sidecar.istio.io/proxyMemory": "128Mi", "sidecar.istio.io/proxyMemoryLimit": "256Mi" });
        // The LimitRange's per-container maximum admits every container too.
        const limits = one(graph, "kubernetes:core/v1:LimitRange")[0].inputs.spec as { limits: { max: { cpu: string; memory: string } }[] };
        for (const c of spec.containers) {
            expect(milli(c.resources.limits.cpu)).toBeLessThanOrEqual(milli(limits.limits[0].max.cpu));
        }
    });

    it("keeps the old shape with mcpsec:guard.allowUnguarded (reported by the pack)", async () => {
        const unguarded = await synthesizedStack("k8s-unguarded", path.join(__dirname, "..", "fixtures", "stacks", "Pulumi.k8s-unguarded.yaml"));
        const { spec } = podOf(unguarded);
        expect(spec.containers.map((c) => c.name)).toEqual(["docs-search"]);
        expect(spec.containers[0].ports).toEqual([{ name: "http-mcp", containerPort: 8080, protocol: "TCP" }]);
        expect((one(unguarded, "kubernetes:core/v1:Service")[0].inputs.spec as { ports: { targetPort: number }[] }).ports[0].targetPort).toBe(8080);
    });
});

describe("the guard's settings in the microservices pattern", () => {
    const config = (guard: Partial<BlueprintConfig["guard"]>, clientIds?: string[]) => ({
        kubernetes: { domainName: "mcp.example.com", tlsSecretName: "tls", oauthIssuer: "https://issuer.example.com", ...(clientIds ? { clientIds } : {}) },
        guard: { port: 8443, dlpMode: "redact", piiClasses: [], allowUnguarded: false, ...guard },
    }) as unknown as BlueprintConfig;

    it("requires mcpsec:kubernetes.clientIds with the guard, naming the key", () => {
        expect(() => checkMicroservicesConfig(config({ image: GUARD_IMAGE }))).toThrow(/mcpsec:kubernetes\.clientIds.*is required but missing with the guard/);
        expect(checkMicroservicesConfig(config({ image: GUARD_IMAGE }, ["agent-1"])).clientIds).toEqual(["agent-1"]);
        expect(() => checkMicroservicesConfig(config({ allowUnguarded: true }))).not.toThrow();
    });
});

describe("one secret-store role per server", () => {
    const base = (kubernetes: Record<string, unknown>) => ({
        servers: [{ name: "docs-search" }, { name: "tickets" }],
        kubernetes: { domainName: "mcp.example.com", tlsSecretName: "tls", oauthIssuer: "https://issuer.example.com", ...kubernetes },
        guard: { port: 8443, dlpMode: "redact", piiClasses: [], allowUnguarded: true },
    }) as unknown as BlueprintConfig;

    it("refuses the old shared mcpsec:kubernetes.secretsRoleArn, saying why and what to use", () => {
        expect(() => checkMicroservicesConfig(base({ secretsRoleArn: "arn:aws:iam::123456789012:role/shared" })))
            .toThrow(/mcpsec:kubernetes\.secretsRoleArn.*one role for every server's secret store.*expected mcpsec:kubernetes\.secretsRoleArns/);
    });

    it("refuses a role for a server that does not exist, and accepts one per server", () => {
        expect(() => checkMicroservicesConfig(base({ secretsRoleArns: { "docs-serch": "arn:aws:iam::123456789012:role/a" } })))
            .toThrow(/mcpsec:kubernetes\.secretsRoleArns\.docs-serch.*names no server.*docs-search, tickets/);
        expect(() => checkMicroservicesConfig(base({ secretsRoleArns: { "docs-search": "arn:aws:iam::123456789012:role/a" } }))).not.toThrow();
    });

    it("annotates each server's secret-store service account with its own role (cluster: existing, fixture k8s-existing)", async () => {
        const graph = await synthesizedStack("k8s-existing", EXISTING);
        const sa = one(graph, "kubernetes:core/v1:ServiceAccount").find((r) => (r.inputs.metadata as { name: string }).name === "docs-search-secret-store")!;
        expect(sa.inputs.metadata).toMatchObject({ namespace: "mcp-docs-search", annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/mcp-docs-search-secrets" } });
    });
});

describe("the layer's checks on egress and secret roles (errors name the key)", () => {
    const withConfig = async (edit: (servers: Record<string, unknown>[], k8s: Record<string, unknown>) => void) => {
        const { config, secretKeys } = loadStackConfig(project, "k8s-existing", EXISTING);
        const servers = JSON.parse(config["mcpsec:servers"]) as Record<string, unknown>[];
        const k8s = JSON.parse(config["mcpsec:kubernetes"]) as Record<string, unknown>;
        edit(servers, k8s);
        config["mcpsec:servers"] = JSON.stringify(servers);
        config["mcpsec:kubernetes"] = JSON.stringify(k8s);
        return synthesizeProgram({ project: project.name, stack: "k8s-existing", config, secretKeys, program: main });
    };
    const second = (servers: Record<string, unknown>[]) => servers.push({ ...structuredClone(servers[0]), name: "tickets", egress: [] });

    it("egress hosts are exact names (the egress gateway resolves each by DNS), plus the JWKS host on 443", () => {
        expect(egressHostsOf({ name: "a", egress: ["api.github.com"] }, 0, "https://issuer.example.com/keys")).toEqual(["api.github.com", "issuer.example.com"]);
        expect(() => egressHostsOf({ name: "a", egress: ["api.github.com", "*.example.com"] }, 2, undefined)).toThrow(/mcpsec:servers\[2\]\.egress\[1\].*"\*\.example\.com" is not allowed with the microservices pattern; expected exact host names/);
        expect(() => egressHostsOf({ name: "a", egress: [] }, 0, "https://issuer.example.com:8443/keys")).toThrow(/mcpsec:kubernetes\.jwksUri.*expected an https URL on port 443/);
    });

    it("refuses a server with secrets and no role of its own, and one role shared by two servers", async () => {
        await expect(withConfig((servers, k8s) => {
            second(servers);
            k8s.secretsRoleArns = { "docs-search": "arn:aws:iam::123456789012:role/a" };
        })).rejects.toThrow(/secrets\.roleArns\.tickets.*is required but missing: server tickets has secrets.*never a role shared by servers/);
        await expect(withConfig((servers, k8s) => {
            second(servers);
            k8s.secretsRoleArns = { "docs-search": "arn:aws:iam::123456789012:role/a", tickets: "arn:aws:iam::123456789012:role/a" };
        })).rejects.toThrow(/secrets\.roleArns\.tickets.*the role of server docs-search too; expected a role of its own per server/);
    });
});
