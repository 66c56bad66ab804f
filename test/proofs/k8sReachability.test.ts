/**
 * Independent proof of reachability inside the cluster (issue 17) for the microservices pattern: over the graph
 * synthesized from stacks/Pulumi.microservices-dev.yaml, a model of NetworkPolicy, Istio mutual TLS and Istio
 * authorization (cli/k8sReachability.ts) answers "can A reach B on port P" for the flows the layer needs and the
 * flows it must not have; then one object at a time is broken in a cloned graph to show the model notices.
 *
 * One synthesis: the example stack plus a second server (a copy of its first under another name, with no declared
 * egress), so that server-to-server isolation across namespaces has two servers to prove it on.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { K8sReachabilityModel, PodNode, Verdict } from "../../cli/k8sReachability";
import { loadStackConfig } from "../../cli/project";
import { synthesizeProgram } from "../../cli/synth";
import { main } from "../../program";
import { cloneGraph, project } from "../helpers";

interface ServerConfig { name: string; port: number; egress?: string[] }

const SECOND = "tickets";
/** Documentation addresses (RFC 5737) standing in for internet hosts. */
const INTERNET = ["192.0.2.10", "198.51.100.20", "203.0.113.30"];

let graph: ResourceGraph;
let servers: ServerConfig[];
let issuer: string;

beforeAll(async () => {
    const { config, secretKeys } = loadStackConfig(project, "microservices-dev");
    const declared = JSON.parse(config["mcpsec:servers"]) as Record<string, unknown>[];
    const second = { ...structuredClone(declared[0]), name: SECOND, egress: [] };
    delete (second as { secrets?: unknown }).secrets;
    config["mcpsec:servers"] = JSON.stringify([...declared, second]);
    graph = await synthesizeProgram({ project: project.name, stack: "microservices-dev", config, secretKeys, program: main });
    servers = JSON.parse(graph.config["mcpsec:servers"]) as ServerConfig[];
    issuer = (JSON.parse(graph.config["mcpsec:kubernetes"]) as { oauthIssuer: string }).oauthIssuer;
});

function byKind(g: ResourceGraph, kind: string): GraphResource[] {
    return g.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type.endsWith(`:${kind}`));
}

function nameOf(r: GraphResource): string {
    return (r.inputs.metadata as { name: string }).name;
}

function namespaceOf(r: GraphResource): string {
    return (r.inputs.metadata as { namespace: string }).namespace;
}

/** The pod of an MCP server (its Deployment, found by the `app` label the layer gives it). */
function serverPod(model: K8sReachabilityModel, name: string): PodNode {
    const pods = model.pods().filter((p) => p.workloadKind === "Deployment" && p.labels.app === name);
    expect(pods.map((p) => p.id), `one Deployment runs server ${name}`).toHaveLength(1);
    return pods[0];
}

function gateway(model: K8sReachabilityModel): PodNode {
    const gateways = model.pods().filter((p) => p.mesh === "gateway");
    expect(gateways.map((p) => p.id), "one ingress gateway").toHaveLength(1);
    return gateways[0];
}

/**
 * The port the gateway's traffic for a server arrives on: the server's VirtualService routes to a Service port; the
 * Service sends it to its target port on the server's pod (a number, or a named container port). So the assertions
 * follow the Service wherever it points (the server, or a guard in front of it).
 */
function servingPort(model: K8sReachabilityModel, g: ResourceGraph, name: string): number {
    const pod = serverPod(model, name);
    const routes = byKind(g, "VirtualService").filter((vs) => namespaceOf(vs) === pod.namespace);
    expect(routes, `a VirtualService routes to ${name}`).toHaveLength(1);
    const http = (routes[0].inputs.spec as { http: { route: { destination: { host: string; port: { number: number } } }[] }[] }).http;
    const destination = http[0].route[0].destination;
    const targets = model.serviceTargets(model.service(pod.namespace, destination.host), destination.port.number).filter((t) => t.pod === pod);
    expect(targets, `Service ${destination.host} port ${destination.port.number} reaches the pod of ${name}`).toHaveLength(1);
    return targets[0].port;
}

function scopesOf(g: ResourceGraph, name: string): string[] {
    const policy = byKind(g, "AuthorizationPolicy").find((p) => nameOf(p) === `${name}-require-token`)!;
    const rules = (policy.inputs.spec as { rules: { when: { key: string; values: string[] }[] }[] }).rules;
    return rules[0].when.find((w) => w.key === "request.auth.claims[scope]")!.values;
}

function layer(v: Verdict, name: string) {
    return v.path.find((h) => h.layer === name);
}

describe("reachability in the cluster of microservices-dev", () => {
    let model: K8sReachabilityModel;
    beforeAll(() => {
        model = new K8sReachabilityModel(graph);
    });

    it("synthesized the example's servers and the second one, each in a namespace of its own", () => {
        expect(servers.map((s) => s.name)).toContain(SECOND);
        const namespaces = servers.map((s) => serverPod(model, s.name).namespace);
        expect(new Set(namespaces).size).toBe(servers.length);
    });

    describe("flows the layer needs", () => {
        it("the ingress gateway reaches each server on the port its Service targets; the mesh then requires a token of the issuer with the server's scope", () => {
            const gw = gateway(model);
            for (const s of servers) {
                const pod = serverPod(model, s.name);
                const port = servingPort(model, graph, s.name);
                const open = model.canReach(gw, pod, port);
                expect(open.allowed, open.explanation).toBe(true);
                expect(layer(open, "networkpolicy-ingress")?.decision, open.explanation).toBe("allowed");
                expect(layer(open, "mtls")?.decision, open.explanation).toBe("allowed");
                expect(open.conditions.join(" "), "the answer says a token is needed").toContain("needs a token");
                const token = model.canReach(gw, pod, port, { request: { requestPrincipal: `${issuer}/user-1`, path: "/mcp", claims: { scope: [scopesOf(graph, s.name)[0]] } } });
                expect(token.allowed, token.explanation).toBe(true);
                expect(token.conditions).toEqual([]);
                const anonymous = model.canReach(gw, pod, port, { request: { path: "/mcp" } });
                expect(anonymous.allowed, anonymous.explanation).toBe(false);
                expect(anonymous.refusedBy?.object).toBe(`AuthorizationPolicy ${pod.namespace}/${s.name}-require-token`);
                const otherServer = servers.find((o) => o.name !== s.name)!;
                const wrongScope = model.canReach(gw, pod, port, { request: { requestPrincipal: `${issuer}/user-1`, path: "/mcp", claims: { scope: scopesOf(graph, otherServer.name) } } });
                expect(wrongScope.allowed, `a token scoped for ${otherServer.name} opens ${s.name}: ${wrongScope.explanation}`).toBe(false);
            }
        });

        it("clients outside the cluster reach the ingress gateway on 443", () => {
            const v = model.canReach(model.external(INTERNET[0]), gateway(model), 443);
            expect(v.allowed, v.explanation).toBe(true);
        });

        it("each server reaches kube-dns on 53 (UDP and TCP) and istiod on 15012", () => {
            const dns = model.pod("kube-system", { matchLabels: { "k8s-app": "kube-dns" } });
            const istiod = model.pod("istio-system", { matchLabels: { app: "istiod" } });
            for (const s of servers) {
                const pod = serverPod(model, s.name);
                for (const protocol of ["UDP", "TCP"] as const) {
                    const v = model.canReach(pod, dns, 53, { protocol });
                    expect(v.allowed, v.explanation).toBe(true);
                }
                const xds = model.canReach(pod, istiod, 15012);
                expect(xds.allowed, xds.explanation).toBe(true);
            }
        });

        it("declared egress domains: the mesh registers them (ServiceEntry), but the layer's NetworkPolicies refuse the connection (no egress rule leaves the cluster), so a server cannot reach them", () => {
            const declaring = servers.filter((s) => (s.egress ?? []).length > 0);
            expect(declaring.length, "the example declares egress").toBeGreaterThan(0);
            for (const s of declaring) {
                const pod = serverPod(model, s.name);
                for (const domain of s.egress!) {
                    const v = model.canReach(pod, model.external(INTERNET[1], domain.replace(/^\*\./, "api.")), 443);
                    expect(layer(v, "sidecar-egress")?.decision, v.explanation).toBe("allowed");
                    expect(v.allowed, `KNOWN GAP (issue 17 report): ${v.explanation}`).toBe(false);
                    expect(v.refusedBy?.layer).toBe("networkpolicy-egress");
                }
            }
        });
    });

    describe("flows the layer must not have", () => {
        it("no server reaches another server, on its serving port or any port it declares", () => {
            for (const a of servers) {
                for (const b of servers.filter((x) => x !== a)) {
                    const to = serverPod(model, b.name);
                    for (const port of new Set([servingPort(model, graph, b.name), ...to.ports.map((p) => p.containerPort)])) {
                        const v = model.canReach(serverPod(model, a.name), to, port);
                        expect(v.allowed, v.explanation).toBe(false);
                        expect(v.refusedBy?.layer).toBe("networkpolicy-egress");
                        expect(layer(v, "networkpolicy-ingress")?.decision, "the destination refuses too").toBe("refused");
                    }
                }
            }
        });

        it("no pod outside the gateway namespace reaches a server: the graph's own pods, and pods in the server's namespace, default, kube-system and istio-system", () => {
            const gw = gateway(model);
            const probes = [
                ...model.pods().filter((p) => p.namespace !== gw.namespace),
                ...servers.map((s) => model.addPod({ namespace: serverPod(model, s.name).namespace, name: `intruder-${s.name}`, labels: { app: "intruder" } })),
                ...["default", "kube-system", "istio-system"].map((ns) => model.addPod({ namespace: ns, name: "intruder", labels: { app: "intruder", "sidecar.istio.io/inject": "true" } })),
            ];
            for (const s of servers) {
                const pod = serverPod(model, s.name);
                const port = servingPort(model, graph, s.name);
                for (const probe of probes.filter((p) => p !== pod)) {
                    const v = model.canReach(probe, pod, port);
                    expect(v.allowed, v.explanation).toBe(false);
                }
            }
        });

        it("nothing outside the cluster reaches a server directly", () => {
            for (const s of servers) {
                for (const address of INTERNET) {
                    const v = model.canReach(model.external(address), serverPod(model, s.name), servingPort(model, graph, s.name));
                    expect(v.allowed, v.explanation).toBe(false);
                }
            }
        });

        it("no server reaches arbitrary internet addresses, on any common port, whatever the sidecar allows", () => {
            for (const s of servers) {
                for (const address of INTERNET) {
                    for (const [port, protocol] of [[443, "TCP"], [80, "TCP"], [53, "UDP"], [22, "TCP"]] as const) {
                        const v = model.canReach(serverPod(model, s.name), model.external(address), port, { protocol });
                        expect(v.allowed, v.explanation).toBe(false);
                        expect(v.refusedBy?.layer).toBe("networkpolicy-egress");
                    }
                }
            }
        });
    });
});

describe("the model catches broken configurations (microservices-dev, cloned and mutated)", () => {
    const first = () => servers[0].name;
    const policy = (g: ResourceGraph, ns: string, name: string) => {
        const found = byKind(g, "NetworkPolicy").find((p) => namespaceOf(p) === ns && nameOf(p) === name);
        if (!found) throw new Error(`no NetworkPolicy ${ns}/${name}`);
        return found;
    };
    const without = (g: ResourceGraph, ...drop: GraphResource[]) => {
        g.resources = g.resources.filter((r) => !drop.some((d) => d.urn === r.urn));
        return g;
    };

    it("default-deny deleted: nothing opens, because the allow policies also select every pod for Ingress and Egress; deleted with the egress allows, the server reaches the internet", () => {
        const ns = serverPod(new K8sReachabilityModel(graph), first()).namespace;
        const g = cloneGraph(graph);
        without(g, policy(g, ns, "default-deny"));
        const m = new K8sReachabilityModel(g);
        const still = m.canReach(serverPod(m, first()), m.external(INTERNET[2]), 443);
        expect(still.allowed, still.explanation).toBe(false);
        expect(still.refusedBy?.object, "the egress allows isolate the pod on their own").toBe(`NetworkPolicy ${ns}/allow-dns`);

        const open = cloneGraph(graph);
        without(open, policy(open, ns, "default-deny"), policy(open, ns, "allow-dns"), policy(open, ns, "allow-mesh-control-plane"));
        const mo = new K8sReachabilityModel(open);
        const out = mo.canReach(serverPod(mo, first()), mo.external(INTERNET[2]), 443);
        expect(out.allowed, out.explanation).toBe(true);
        expect(layer(out, "sidecar-egress")?.decision, "the sidecar's REGISTRY_ONLY is reported, not counted").toBe("advisory-refusal");
    });

    it("an allow-all NetworkPolicy added to a server's namespace: another namespace's pod reaches the server (only a token stands in the way), and the server reaches the internet", () => {
        const m0 = new K8sReachabilityModel(graph);
        const target = serverPod(m0, first());
        const g = cloneGraph(graph);
        const template = policy(g, target.namespace, "default-deny");
        g.resources.push({
            ...structuredClone(template), urn: `${template.urn}-allow-all`, name: "allow-all",
            inputs: { ...template.inputs, metadata: { name: "allow-all", namespace: target.namespace }, spec: { podSelector: {}, ingress: [{}], egress: [{}], policyTypes: ["Ingress", "Egress"] } },
        });
        const m = new K8sReachabilityModel(g);
        const other = serverPod(m, servers[1].name);
        const port = servingPort(m, g, first());
        const before = m0.canReach(serverPod(m0, servers[1].name), target, port);
        expect(layer(before, "networkpolicy-ingress")?.decision).toBe("refused");
        const after = m.canReach(other, serverPod(m, first()), port);
        expect(layer(after, "networkpolicy-ingress")?.decision, after.explanation).toBe("allowed");
        const internet = m.canReach(serverPod(m, first()), m.external(INTERNET[0]), 443);
        expect(internet.allowed, internet.explanation).toBe(true);
    });

    it("the gateway's namespace no longer carries the label the allow rule selects on (renamed: the API server sets kubernetes.io/metadata.name to the new name): the gateway cannot reach the servers", () => {
        const g = cloneGraph(graph);
        const ns = byKind(g, "Namespace").find((n) => nameOf(n) === gateway(new K8sReachabilityModel(graph)).namespace)!;
        const renamed = "edge-gateway";
        (ns.inputs.metadata as { name: string }).name = renamed;
        const release = byKind(g, "Release").find((r) => r.inputs.chart === "gateway")!;
        release.inputs.namespace = renamed;
        const m = new K8sReachabilityModel(g);
        expect(gateway(m).namespace).toBe(renamed);
        for (const s of servers) {
            const v = m.canReach(gateway(m), serverPod(m, s.name), servingPort(m, g, s.name));
            expect(v.allowed, v.explanation).toBe(false);
            expect(v.refusedBy?.object).toBe(`NetworkPolicy ${serverPod(m, s.name).namespace}/default-deny`);
        }
        // A label of the same name set by hand changes nothing: the API server owns it.
        const spoof = cloneGraph(graph);
        const other = byKind(spoof, "Namespace").find((n) => nameOf(n) === "istio-system")!;
        (other.inputs.metadata as { labels: Record<string, string> }).labels["kubernetes.io/metadata.name"] = "istio-ingress";
        const ms = new K8sReachabilityModel(spoof);
        const intruder = ms.addPod({ namespace: "istio-system", name: "intruder", labels: { "sidecar.istio.io/inject": "true" } });
        const v = ms.canReach(intruder, serverPod(ms, first()), servingPort(ms, spoof, first()));
        expect(v.allowed, v.explanation).toBe(false);
    });

    it("mesh-wide mTLS STRICT removed: a pod outside the mesh that gets past the network policy is no longer refused by the mesh", () => {
        const g = cloneGraph(graph);
        const strict = byKind(g, "PeerAuthentication")[0];
        const ns = serverPod(new K8sReachabilityModel(graph), first()).namespace;
        // A NetworkPolicy that admits the whole cluster (a weaker policy), with and without STRICT.
        const template = policy(g, ns, "allow-from-gateway");
        g.resources.push({ ...structuredClone(template), urn: `${template.urn}-cluster`, inputs: { ...template.inputs, metadata: { name: "allow-cluster", namespace: ns }, spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] } } });
        const m = new K8sReachabilityModel(g);
        const plain = m.addPod({ namespace: "default", name: "plain" });
        const port = servingPort(m, g, first());
        const withStrict = m.canReach(plain, serverPod(m, first()), port);
        expect(withStrict.refusedBy?.layer, withStrict.explanation).toBe("mtls");
        const m2 = new K8sReachabilityModel(without(g, strict));
        const noStrict = m2.canReach(m2.addPod({ namespace: "default", name: "plain" }), serverPod(m2, first()), port);
        expect(layer(noStrict, "mtls")?.decision, noStrict.explanation).toBe("allowed");
        expect(noStrict.refusedBy, "without an identity, the token rule still stands").toBeUndefined();
        expect(noStrict.conditions.join(" ")).toContain("needs a token");
    });
});

/** A graph of hand-written Kubernetes objects, for the semantics the example stack does not exercise. */
function tiny(objects: { kind: string; group: string; metadata: Record<string, unknown>; spec?: Record<string, unknown> }[]): ResourceGraph {
    return {
        version: 1, project: "t", stack: "t", config: {}, secretPlaceholders: [], outputs: {},
        resources: objects.map((o, i) => ({
            urn: `urn:${i}`, type: `kubernetes:${o.group}:${o.kind}`, name: `r${i}`, custom: true, dependencies: [], propertyDependencies: {},
            inputs: { metadata: o.metadata, ...(o.spec ? { spec: o.spec } : {}) }, outputs: {},
            options: { protect: false, ignoreChanges: [], retainOnDelete: false, additionalSecretOutputs: [], replaceOnChanges: [], aliases: [] },
        })),
    };
}

describe("NetworkPolicy and authorization semantics the model implements", () => {
    const pod = (ns: string, name: string, labels: Record<string, string>, ports: { name: string; containerPort: number }[] = []) => ({
        kind: "Pod", group: "core/v1", metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: "c", ports }] },
    });
    const np = (ns: string, name: string, spec: Record<string, unknown>) => ({ kind: "NetworkPolicy", group: "networking.k8s.io/v1", metadata: { name, namespace: ns }, spec });
    const base = [
        { kind: "Namespace", group: "core/v1", metadata: { name: "a", labels: { team: "x" } } },
        { kind: "Namespace", group: "core/v1", metadata: { name: "b", labels: { team: "y" } } },
        pod("a", "web", { app: "web" }, [{ name: "http", containerPort: 8080 }]),
        pod("a", "db", { app: "db" }),
        pod("b", "client", { app: "client" }),
    ];
    const model = (...extra: ReturnType<typeof np>[]) => new K8sReachabilityModel(tiny([...base, ...extra]), { assumedPods: [] });

    it("no policy: not isolated; unset policyTypes with only ingress rules isolate ingress only", () => {
        let m = model();
        expect(m.canReach(m.pod("b"), m.pod("a", { matchLabels: { app: "web" } }), 1).allowed).toBe(true);
        m = model(np("a", "only-ingress", { podSelector: { matchLabels: { app: "web" } }, ingress: [] }));
        const web = m.pod("a", { matchLabels: { app: "web" } });
        expect(m.canReach(m.pod("b"), web, 8080).allowed).toBe(false);
        expect(m.canReach(web, m.external("192.0.2.1"), 443).allowed, "egress is not isolated").toBe(true);
        expect(m.canReach(m.pod("b"), m.pod("a", { matchLabels: { app: "db" } }), 1).allowed, "a pod the policy does not select").toBe(true);
    });

    it("unset policyTypes with egress rules isolate egress too; rules are unions across policies", () => {
        const m = model(
            np("a", "egress-dns", { podSelector: {}, egress: [{ ports: [{ port: 53, protocol: "UDP" }] }] }),
            np("a", "egress-b", { podSelector: {}, egress: [{ to: [{ namespaceSelector: { matchLabels: { team: "y" } } }] }] }),
        );
        const web = m.pod("a", { matchLabels: { app: "web" } });
        expect(m.canReach(web, m.external("192.0.2.1"), 53, { protocol: "UDP" }).allowed).toBe(true);
        expect(m.canReach(web, m.external("192.0.2.1"), 443).allowed).toBe(false);
        expect(m.canReach(web, m.pod("b"), 9999).allowed, "the second policy admits namespace b on any port").toBe(true);
        expect(m.canReach(m.pod("b"), web, 8080).allowed, "unset policyTypes include Ingress: both policies isolate ingress and neither has an ingress rule").toBe(false);
    });

    it("podSelector and namespaceSelector in one peer are ANDed; in two peers ORed; podSelector alone means the policy's namespace", () => {
        const and = model(np("a", "p", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "y" } }, podSelector: { matchLabels: { app: "db" } } }] }] }));
        expect(and.canReach(and.pod("b"), and.pod("a", { matchLabels: { app: "web" } }), 8080).allowed).toBe(false);
        const or = model(np("a", "p", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "y" } } }, { podSelector: { matchLabels: { app: "db" } } }] }] }));
        expect(or.canReach(or.pod("b"), or.pod("a", { matchLabels: { app: "web" } }), 8080).allowed).toBe(true);
        expect(or.canReach(or.pod("a", { matchLabels: { app: "db" } }), or.pod("a", { matchLabels: { app: "web" } }), 8080).allowed).toBe(true);
        const local = model(np("a", "p", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["client", "db"] }] } }] }] }));
        expect(local.canReach(local.pod("b"), local.pod("a", { matchLabels: { app: "web" } }), 8080).allowed, "app=client lives in b, not a").toBe(false);
    });

    it("named ports resolve on the destination pod; endPort makes a range; ipBlock except carves out", () => {
        const m = model(
            np("a", "named", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"], ingress: [{ ports: [{ port: "http" }] }] }),
            np("a", "range", { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }], ports: [{ port: 5000, endPort: 5010 }] }] }),
        );
        const web = m.pod("a", { matchLabels: { app: "web" } });
        const db = m.pod("a", { matchLabels: { app: "db" } });
        expect(m.canReach(m.pod("b"), web, 8080).allowed).toBe(true);
        expect(m.canReach(m.pod("b"), web, 8081).allowed).toBe(false);
        expect(m.canReach(db, m.external("10.2.3.4"), 5010).allowed).toBe(true);
        expect(m.canReach(db, m.external("10.2.3.4"), 5011).allowed).toBe(false);
        expect(m.canReach(db, m.external("10.1.3.4"), 5005).allowed, "excepted block").toBe(false);
        expect(m.canReach(db, web, 5005).allowed, "an ipBlock never matches a pod").toBe(false);
    });

    it("Istio: a DENY rule refuses before any ALLOW; namespaces and principals need mTLS identities", () => {
        const mesh = [
            { kind: "Namespace", group: "core/v1", metadata: { name: "a", labels: { "istio-injection": "enabled" } } },
            { kind: "Namespace", group: "core/v1", metadata: { name: "b", labels: { "istio-injection": "enabled" } } },
            pod("a", "web", { app: "web" }), pod("b", "client", { app: "client" }), pod("b", "other", { app: "other" }),
            { kind: "AuthorizationPolicy", group: "security.istio.io/v1", metadata: { name: "allow-b", namespace: "a" }, spec: { rules: [{ from: [{ source: { namespaces: ["b"] } }] }] } },
            { kind: "AuthorizationPolicy", group: "security.istio.io/v1", metadata: { name: "deny-other", namespace: "a" }, spec: { action: "DENY", rules: [{ from: [{ source: { principals: ["cluster.local/ns/b/sa/other"] } }] }] } },
        ];
        const graphOf = tiny(mesh);
        (graphOf.resources[4].inputs.spec as { serviceAccountName?: string }).serviceAccountName = "other";
        const m = new K8sReachabilityModel(graphOf, { assumedPods: [] });
        const web = m.pod("a");
        expect(m.canReach(m.pod("b", { matchLabels: { app: "client" } }), web, 80).allowed).toBe(true);
        const denied = m.canReach(m.pod("b", { matchLabels: { app: "other" } }), web, 80);
        expect(denied.refusedBy?.object).toBe("AuthorizationPolicy a/deny-other");
        const outside = m.canReach(m.addPod({ namespace: "c", name: "x" }), web, 80);
        expect(outside.allowed, "no mTLS identity: the namespaces rule cannot match").toBe(false);
        expect(outside.refusedBy?.layer).toBe("authorization");
    });
});
