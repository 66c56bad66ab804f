/**
 * Independent proof of reachability inside the cluster (issue 17) for the microservices pattern: over the graph
 * synthesized from stacks/Pulumi.microservices-dev.yaml, a model of NetworkPolicy, Istio mutual TLS and Istio
 * authorization (cli/k8sReachability.ts) answers "can A reach B on port P" for the flows the layer needs and the
 * flows it must not have; then one object at a time is broken in a cloned graph to show the model notices.
 *
 * One synthesis: the example stack plus a second server (a copy of its first under another name, with no declared
 * egress), so that server-to-server isolation across namespaces, and egress per server, have two servers to prove
 * them on. A server reaches DNS, istiod and the egress gateway and nothing else; through the gateway, its own declared
 * hosts and its guard's JWKS host only. The 401 and 403 an MCP client gets are the guard's: the mesh lets the request
 * through to it (proved here with the model), and the guard the layer renders is then run for real (last block).
 */
import * as http from "http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGuard, type StartedGuard } from "../../guard/src/main";
import { GraphResource, ResourceGraph } from "../../cli/graph";
import { K8sReachabilityModel, PodNode, Verdict } from "../../cli/k8sReachability";
import { loadStackConfig } from "../../cli/project";
import { synthesizeProgram } from "../../cli/synth";
import { main } from "../../program";
import { startIssuer, type Issuer } from "../guard/issuer";
import { startUpstream, type Upstream } from "../guard/upstream";
import { cloneGraph, project } from "../helpers";

interface ServerConfig { name: string; port: number; egress?: string[] }

const SECOND = "tickets";
/** The OAuth issuer's JWKS host of microservices-dev, which each server's guard fetches. */
const JWKS_HOST = "cognito-idp.eu-west-1.amazonaws.com";
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
    const gateways = model.pods().filter((p) => p.mesh === "gateway" && p.labels.istio === "ingressgateway");
    expect(gateways.map((p) => p.id), "one ingress gateway").toHaveLength(1);
    return gateways[0];
}

function egressGateway(model: K8sReachabilityModel): PodNode {
    const gateways = model.pods().filter((p) => p.mesh === "gateway" && p.labels.istio === "egressgateway");
    expect(gateways.map((p) => p.id), "one egress gateway").toHaveLength(1);
    return gateways[0];
}

/** The server's route from the ingress gateway: the VirtualService bound to the ingress Gateway in its namespace. */
function ingressRoute(g: ResourceGraph, namespace: string): { match?: { uri: { exact: string } }[]; directResponse?: { status: number; body: { string: string } }; route?: { destination: { host: string; port: { number: number } } }[] }[] {
    const routes = byKind(g, "VirtualService").filter((vs) => namespaceOf(vs) === namespace && (vs.inputs.spec as { gateways: string[] }).gateways.includes("istio-ingress/mcp-gateway"));
    expect(routes, `one VirtualService from the ingress gateway in ${namespace}`).toHaveLength(1);
    return (routes[0].inputs.spec as { http: ReturnType<typeof ingressRoute> }).http;
}

/**
 * The port the gateway's traffic for a server arrives on: the server's VirtualService routes to a Service port; the
 * Service sends it to its target port on the server's pod (a number, or a named container port). So the assertions
 * follow the Service wherever it points (the server, or a guard in front of it).
 */
function servingPort(model: K8sReachabilityModel, g: ResourceGraph, name: string): number {
    const pod = serverPod(model, name);
    const destination = ingressRoute(g, pod.namespace).find((h) => h.route)!.route![0].destination;
    const targets = model.serviceTargets(model.service(pod.namespace, destination.host), destination.port.number).filter((t) => t.pod === pod);
    expect(targets, `Service ${destination.host} port ${destination.port.number} reaches the pod of ${name}`).toHaveLength(1);
    return targets[0].port;
}

/** The server's public host: the host of its VirtualService from the ingress gateway. */
function hostOf(g: ResourceGraph, name: string): string {
    const vs = byKind(g, "VirtualService").find((r) => namespaceOf(r) === `mcp-${name}` && (r.inputs.spec as { gateways: string[] }).gateways.includes("istio-ingress/mcp-gateway"))!;
    return (vs.inputs.spec as { hosts: string[] }).hosts[0];
}

/** The server's scopes, as its RFC 9728 metadata (answered at the gateway) publishes them. */
function scopesOf(g: ResourceGraph, name: string): string[] {
    const metadata = ingressRoute(g, `mcp-${name}`).find((h) => h.directResponse)!;
    return (JSON.parse(metadata.directResponse!.body.string) as { scopes_supported: string[] }).scopes_supported;
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
        it("the ingress gateway reaches each server's guard on the port its Service targets, on the MCP path, with or without a token: the guard, not the mesh, decides authentication", () => {
            const gw = gateway(model);
            for (const s of servers) {
                const pod = serverPod(model, s.name);
                const port = servingPort(model, graph, s.name);
                const open = model.canReach(gw, pod, port);
                expect(layer(open, "networkpolicy-ingress")?.decision, open.explanation).toBe("allowed");
                expect(layer(open, "mtls")?.decision, open.explanation).toBe("allowed");
                expect(open.conditions.join(" "), "the mesh needs no token (the guard answers 401 itself)").not.toContain("needs a token");
                // No token, another server's scope, or a valid one: the mesh lets all of them reach the guard.
                for (const request of [{ path: "/mcp" }, { requestPrincipal: `${issuer}/user-1`, path: "/mcp", claims: { scope: scopesOf(graph, servers.find((o) => o.name !== s.name)!.name) } }]) {
                    const v = model.canReach(gw, pod, port, { request });
                    expect(v.allowed, v.explanation).toBe(true);
                    expect(v.conditions).toEqual([]);
                }
                // Other paths never reach the pod (the guard serves only /mcp; the metadata is answered at the gateway).
                const other = model.canReach(gw, pod, port, { request: { path: "/admin" } });
                expect(other.allowed, other.explanation).toBe(false);
                expect(other.refusedBy?.object).toBe(`AuthorizationPolicy ${pod.namespace}/${s.name}-from-ingress`);
                // A mesh pod other than the ingress gateway is refused by the principal check even where a NetworkPolicy would admit it.
                const intruder = model.addPod({ namespace: "istio-ingress", name: `intruder-${s.name}`, labels: { app: "intruder" } });
                const fromIntruder = model.canReach(intruder, pod, port, { request: { path: "/mcp" } });
                expect(fromIntruder.allowed, fromIntruder.explanation).toBe(false);
                expect(layer(fromIntruder, "authorization")?.decision, fromIntruder.explanation).toBe("refused");
            }
        });

        it("the load balancer's TLS without SNI is taken by the gateway's HTTPS server, and each Host is routed to its own server's VirtualService only", () => {
            const gw = gateway(model);
            for (const s of servers) {
                const host = hostOf(graph, s.name);
                for (const sni of [undefined, host]) {
                    const r = model.ingressRoute(gw, 443, { sni, host });
                    expect(r.virtualService, r.reason).toBe(`VirtualService mcp-${s.name}/${s.name}`);
                    expect(r.destinations, r.reason).toContain(s.name);
                }
            }
            // A Host no server has: the chain takes the connection, no route (Istio's 404).
            expect(model.ingressRoute(gw, 443, { host: "other.example.com" }).virtualService).toBeUndefined();
        });

        it("clients outside the cluster reach the ingress gateway on 443", () => {
            const v = model.canReach(model.external(INTERNET[0]), gateway(model), 443);
            expect(v.allowed, v.explanation).toBe(true);
        });

        it("each server reaches kube-dns on 53 (UDP and TCP), istiod on 15012 and the egress gateway on 443", () => {
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
                const out = model.canReach(pod, egressGateway(model), 443, { request: { sni: JWKS_HOST } });
                expect(out.allowed, out.explanation).toBe(true);
            }
        });

        it("and nothing else in the cluster: every port of every pod the model knows, other than those three", () => {
            const allowed = (p: PodNode, port: number) => (p.labels["k8s-app"] === "kube-dns" && port === 53) || (p.labels.app === "istiod" && [15012, 15017].includes(port)) || (p.labels.istio === "egressgateway" && port === 443);
            for (const s of servers) {
                const pod = serverPod(model, s.name);
                for (const target of model.pods().filter((p) => p !== pod)) {
                    for (const { containerPort, protocol } of target.ports) {
                        const v = model.canReach(pod, target, containerPort, { protocol, request: { sni: JWKS_HOST, path: "/mcp" } });
                        expect(v.allowed, v.explanation).toBe(allowed(target, containerPort));
                    }
                }
            }
        });

        it("declared egress domains and the guard's JWKS host: reached through the egress gateway (sidecar -> gateway over mTLS, gateway -> host on 443), each by its own server only", () => {
            const declaring = servers.filter((s) => (s.egress ?? []).length > 0);
            expect(declaring.length, "the example declares egress").toBeGreaterThan(0);
            for (const s of servers) {
                const pod = serverPod(model, s.name);
                for (const host of [...(s.egress ?? []), JWKS_HOST]) {
                    const v = model.canReachHost(pod, host, INTERNET[1]);
                    expect(v.route, v.explanation).toBe("egress-gateway");
                    expect(v.allowed, v.explanation).toBe(true);
                    expect(v.legs[1].path.find((h) => h.layer === "networkpolicy-egress")?.decision, "the gateway's NetworkPolicy admits 443 out").toBe("allowed");
                }
            }
        });

        it("a server cannot use another server's declared host, nor any undeclared one, through the gateway or around it", () => {
            const [declaring, plain] = [servers.find((s) => (s.egress ?? []).length > 0)!, servers.find((s) => (s.egress ?? []).length === 0)!];
            const pod = serverPod(model, plain.name);
            for (const host of [declaring.egress![0], "pastebin.com"]) {
                const v = model.canReachHost(pod, host, INTERNET[2]);
                expect(v.allowed, v.explanation).toBe(false);
                // Its sidecar has no route for the host (the routes are visible only in the declaring namespace): direct, refused.
                expect(v.route).toBe("direct");
                expect(v.legs[0].refusedBy?.layer).toBe("networkpolicy-egress");
                // Even a connection made to the egress gateway with that SNI (its own sidecar, mTLS) is refused by the gateway's policy.
                const forced = model.canReach(pod, egressGateway(model), 443, { request: { sni: host } });
                expect(forced.allowed, forced.explanation).toBe(false);
                expect(forced.refusedBy?.object).toBe("AuthorizationPolicy istio-egress/mcp-egress-per-server");
            }
            // And an undeclared host by the declaring server: no route, refused.
            const undeclared = model.canReachHost(serverPod(model, declaring.name), "pastebin.com", INTERNET[2]);
            expect(undeclared.allowed, undeclared.explanation).toBe(false);
        });

        it("the egress gateway reaches 443 on public addresses only: not the instance metadata, private ranges, or other ports", () => {
            const gw = egressGateway(model);
            expect(model.canReach(gw, model.external(INTERNET[0]), 443).allowed).toBe(true);
            for (const [address, port] of [["169.254.169.254", 80], ["169.254.169.254", 443], ["10.0.1.5", 443], ["192.168.1.1", 443], [INTERNET[0], 80], [INTERNET[0], 22]] as const) {
                const v = model.canReach(gw, model.external(address), port);
                expect(v.allowed, v.explanation).toBe(false);
                expect(v.refusedBy?.layer).toBe("networkpolicy-egress");
            }
            // And only MCP namespaces reach it: a pod of default (in the mesh) is refused.
            const stranger = model.addPod({ namespace: "default", name: "stranger", labels: { "sidecar.istio.io/inject": "true" } });
            expect(model.canReach(stranger, gw, 443, { request: { sni: JWKS_HOST } }).allowed).toBe(false);
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
        expect(still.refusedBy?.object, "the egress allows isolate the pod on their own").toMatch(new RegExp(`^NetworkPolicy ${ns}/allow-(dns|mesh-control-plane|to-egress-gateway)$`));

        const open = cloneGraph(graph);
        without(open, policy(open, ns, "default-deny"), policy(open, ns, "allow-dns"), policy(open, ns, "allow-mesh-control-plane"), policy(open, ns, "allow-to-egress-gateway"));
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
        const release = byKind(g, "Release").find((r) => r.inputs.chart === "gateway" && r.inputs.name === "istio-ingressgateway")!;
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

    it("the egress gateway's AuthorizationPolicy without its connection.sni conditions: a server reaches another server's declared host through the gateway", () => {
        const declaring = servers.find((s) => (s.egress ?? []).length > 0)!;
        const plain = servers.find((s) => (s.egress ?? []).length === 0)!;
        const g = cloneGraph(graph);
        const p = byKind(g, "AuthorizationPolicy").find((a) => namespaceOf(a) === "istio-egress")!;
        for (const rule of (p.inputs.spec as { rules: { when?: unknown }[] }).rules) delete rule.when;
        const m0 = new K8sReachabilityModel(graph);
        const m = new K8sReachabilityModel(g);
        const host = declaring.egress![0];
        expect(m0.canReach(serverPod(m0, plain.name), egressGateway(m0), 443, { request: { sni: host } }).allowed).toBe(false);
        const v = m.canReach(serverPod(m, plain.name), egressGateway(m), 443, { request: { sni: host } });
        expect(v.allowed, v.explanation).toBe(true);
    });

    it("the ingress Gateway without its catch-all host (as first rendered): the load balancer's connection without SNI finds no filter chain", () => {
        const g = cloneGraph(graph);
        const gw = byKind(g, "Gateway").find((r) => namespaceOf(r) === "istio-ingress")!;
        const sv = (gw.inputs.spec as { servers: { hosts: string[] }[] }).servers[0];
        sv.hosts = sv.hosts.filter((h) => !h.endsWith("/*"));
        const m = new K8sReachabilityModel(g);
        const host = hostOf(g, first());
        expect(m.ingressRoute(gateway(m), 443, { host }).virtualService).toBeUndefined();
        expect(m.ingressRoute(gateway(m), 443, { host }).reason).toContain("without SNI");
        // A client that sends the SNI still gets through: only the load balancer's hop was broken.
        expect(m.ingressRoute(gateway(m), 443, { sni: host, host }).virtualService).toBe(`VirtualService mcp-${first()}/${first()}`);
    });

    it("another namespace's VirtualService claiming a server's host on the ingress Gateway is never routed, first in order or alone", () => {
        const [victim, thief] = [servers[0].name, servers.find((x) => x.name !== servers[0].name)!.name];
        const g = cloneGraph(graph);
        const legit = byKind(g, "VirtualService").find((r) => namespaceOf(r) === `mcp-${victim}` && nameOf(r) === victim)!;
        const stolen = structuredClone(legit);
        stolen.urn = `${legit.urn}-stolen`;
        (stolen.inputs.metadata as { namespace: string }).namespace = `mcp-${thief}`;
        (stolen.inputs.spec as { http: { route?: { destination: { host: string } }[] }[] }).http.forEach((h) => h.route?.forEach((r) => { r.destination.host = thief; }));
        g.resources.unshift(stolen);
        const host = hostOf(graph, victim);
        const m = new K8sReachabilityModel(g);
        expect(m.ingressRoute(gateway(m), 443, { host }).virtualService).toBe(`VirtualService mcp-${victim}/${victim}`);
        const alone = new K8sReachabilityModel(without(g, legit));
        const r = alone.ingressRoute(gateway(alone), 443, { host });
        expect(r.virtualService, r.reason).toBeUndefined();
    });

    it("the egress routes as first rendered (gateway side as tls routes, one Gateway server for every host): no declared host is reachable", () => {
        const declaring = servers.find((x) => (x.egress ?? []).length > 0)!;
        const g = cloneGraph(graph);
        const egressRoutes = byKind(g, "VirtualService").filter((r) => (r.inputs.spec as { gateways: string[] }).gateways.includes("istio-egress/mcp-egress"));
        expect(egressRoutes.length).toBeGreaterThan(1);
        for (const vs of egressRoutes) {
            const spec = vs.inputs.spec as { hosts: string[]; tls: unknown[]; tcp?: unknown[] };
            delete spec.tcp;
            spec.tls.push({ match: [{ gateways: ["istio-egress/mcp-egress"], port: 443, sniHosts: spec.hosts }], route: [{ destination: { host: spec.hosts[0], port: { number: 443 } } }] });
        }
        const m = new K8sReachabilityModel(g);
        for (const host of [...declaring.egress!, JWKS_HOST]) {
            const v = m.canReachHost(serverPod(m, declaring.name), host, INTERNET[1]);
            expect(v.allowed, v.explanation).toBe(false);
            expect(v.routingRefusal).toContain("tcp route");
        }
        // tcp routes but one server listing every host: the first VirtualService takes every SNI of the chain.
        const g2 = cloneGraph(graph);
        const gw = byKind(g2, "Gateway").find((r) => namespaceOf(r) === "istio-egress")!;
        const spec = gw.inputs.spec as { servers: { hosts: string[] }[] };
        spec.servers = [{ ...spec.servers[0], hosts: spec.servers.flatMap((sv) => sv.hosts) }];
        const m2 = new K8sReachabilityModel(g2);
        const outcomes = [...declaring.egress!, JWKS_HOST].map((host) => m2.canReachHost(serverPod(m2, declaring.name), host, INTERNET[1]));
        expect(outcomes.filter((v) => v.allowed)).toHaveLength(1);
        expect(outcomes.find((v) => !v.allowed)?.routingRefusal).toMatch(/sends SNI .* to /);
    });

    it("the gateway side of an egress route pointed at another host (a ServiceEntry of the server's namespace): the connection goes there, not to the host asked for", () => {
        const declaring = servers.find((x) => (x.egress ?? []).length > 0)!;
        const g = cloneGraph(graph);
        const vs = byKind(g, "VirtualService").find((r) => (r.inputs.spec as { hosts: string[] }).hosts[0] === declaring.egress![0] && namespaceOf(r) === `mcp-${declaring.name}`)!;
        (vs.inputs.spec as { tcp: { route: { destination: { host: string } }[] }[] }).tcp[0].route[0].destination.host = "evil.example";
        const se = byKind(g, "ServiceEntry").find((r) => namespaceOf(r) === `mcp-${declaring.name}`)!;
        (se.inputs.spec as { hosts: string[] }).hosts.push("evil.example");
        const m = new K8sReachabilityModel(g);
        const v = m.canReachHost(serverPod(m, declaring.name), declaring.egress![0], INTERNET[1]);
        expect(v.upstream).toBe("evil.example");
        expect(v.allowed, v.explanation).toBe(false);
        // The gateway's AuthorizationPolicy still admits the connection: its connection.sni is the host asked for.
        expect(v.legs[0].allowed, v.legs[0].explanation).toBe(true);
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
        // Without an mTLS identity the source is not the ingress gateway's principal: the AuthorizationPolicy still refuses.
        expect(noStrict.refusedBy?.layer, noStrict.explanation).toBe("authorization");
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

/**
 * The second half of "a tokenless request gets 401, a wrong-scope one 403": the mesh lets both reach the guard (proved
 * above, the AuthorizationPolicy asks for the ingress gateway's identity only), and the guard answers them. Here the
 * real guard (guard/src, the image's code) runs with the settings the layer renders into the pod (resource, RFC 9728
 * metadata URL, allowed host, client ids, MCP path, DLP) and the approved manifest of the rendered ConfigMap; only the
 * issuer (a local one with the same role), the listen address and the upstream (the reference MCP server on
 * loopback, serving the stack's tools) are replaced.
 */
describe("what the request meets after the mesh: the guard the layer renders, run for real", () => {
    let issuerLocal: Issuer;
    let upstream: Upstream;
    let started: StartedGuard;
    let env: Record<string, string>;
    let metadataPath: string;
    const audit: Record<string, unknown>[] = [];
    const post = (headers: Record<string, string>, body: unknown) => new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
        const data = JSON.stringify(body);
        const req = http.request({ host: "127.0.0.1", port: started.port, path: env.GUARD_MCP_PATH, method: "POST", headers: { host: env.GUARD_ALLOWED_HOSTS, "content-type": "application/json", accept: "application/json, text/event-stream", "content-length": String(Buffer.byteLength(data)), ...headers } }, (res) => {
            let text = "";
            res.on("data", (c: Buffer) => { text += c.toString(); });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        });
        req.on("error", reject);
        req.end(data);
    });
    const call = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "search_docs", arguments: { query: "mesh" } } };

    beforeAll(async () => {
        const ns = "mcp-docs-search";
        const deployment = byKind(graph, "Deployment").find((d) => namespaceOf(d) === ns)!;
        const guard = (deployment.inputs.spec as { template: { spec: { containers: { name: string; env: { name: string; value?: string }[] }[] } } }).template.spec.containers.find((c) => c.env.some((e) => e.name === "GUARD_UPSTREAM_URL"))!;
        const rendered = Object.fromEntries(guard.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
        const manifest = (byKind(graph, "ConfigMap").find((c) => namespaceOf(c) === ns)!.inputs.data as Record<string, string>)["manifest.json"];
        metadataPath = ingressRoute(graph, ns).find((h) => h.directResponse)!.match![0].uri.exact;
        const spec = (graph.resources.find((r) => r.type === "mcpsec:mcp:McpServer" && (r.outputs.spec as { name: string }).name === "docs-search")!.outputs.spec) as { tools: { name: string; description: string; inputSchema: Record<string, unknown> }[] };
        issuerLocal = await startIssuer(rendered.GUARD_RESOURCE);
        upstream = await startUpstream({ json: true, tools: spec.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema, call: () => ({ content: [{ type: "text" as const, text: "ok" }] }) })) });
        const { GUARD_MANIFEST_FILE: _file, ...kept } = rendered;
        void _file;
        env = { ...kept, GUARD_ISSUER: issuerLocal.issuer, GUARD_JWKS_URL: issuerLocal.jwksUrl, GUARD_UPSTREAM_URL: upstream.url, GUARD_LISTEN_HOST: "127.0.0.1", GUARD_LISTEN_PORT: "0", GUARD_MANIFEST: manifest };
        started = await startGuard(env, { auditSink: (line) => audit.push(JSON.parse(line) as Record<string, unknown>) });
        for (let i = 0; i < 300 && !audit.some((a) => a.reason === "upstream_tools_verified"); i++) {
            await new Promise((r) => setTimeout(r, 10));
        }
    });
    afterAll(async () => {
        await started?.stop();
        await upstream?.close();
        await issuerLocal?.close();
    });

    it("renders the guard with the server's resource, the RFC 9728 URL the gateway answers, and the stack's client ids", () => {
        expect(env.GUARD_RESOURCE).toBe("https://docs-search.mcp.k8s.example.com/mcp");
        expect(new URL(env.GUARD_RESOURCE_METADATA_URL).pathname).toBe(metadataPath);
        expect(audit.some((a) => a.reason === "upstream_tools_verified"), JSON.stringify(audit)).toBe(true);
    });

    it("a request without a token: 401 with WWW-Authenticate Bearer resource_metadata, and the server sees nothing", async () => {
        const before = upstream.seen.length;
        const res = await post({}, call);
        expect(res.status).toBe(401);
        expect(res.headers["www-authenticate"]).toBe(`Bearer resource_metadata="${env.GUARD_RESOURCE_METADATA_URL}"`);
        expect(upstream.seen.length).toBe(before);
    });

    it("a token of this server without the tool's scope: 403 insufficient_scope naming the scope it needs; another server's token: 401 invalid_token", async () => {
        const client = env.GUARD_CLIENT_IDS.split(",")[0];
        const foreign = await issuerLocal.token({ client_id: client, scope: "https://tickets.mcp.k8s.example.com/mcp/docs:read" });
        const other = await post({ authorization: `Bearer ${foreign}` }, call);
        expect(other.status).toBe(401);
        expect(other.headers["www-authenticate"]).toBe(`Bearer resource_metadata="${env.GUARD_RESOURCE_METADATA_URL}", error="invalid_token"`);
        const token = await issuerLocal.token({ client_id: client, scope: `${env.GUARD_RESOURCE}/docs:admin` });
        const res = await post({ authorization: `Bearer ${token}` }, call);
        expect(res.status).toBe(403);
        expect(res.headers["www-authenticate"]).toContain('error="insufficient_scope"');
        expect(res.headers["www-authenticate"]).toContain(`scope="${scopesOf(graph, "docs-search")[0]}"`);
    });

    it("a token with the scope: the guard verifies it, strips it, and the server gets the verified identity instead", async () => {
        const token = await issuerLocal.token({ client_id: env.GUARD_CLIENT_IDS.split(",")[0], scope: scopesOf(graph, "docs-search")[0], sub: "alice" });
        const auth = { authorization: `Bearer ${token}` };
        const init = await post(auth, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "proof", version: "1" } } });
        expect(init.status, init.text).toBe(200);
        const session = { ...auth, "mcp-session-id": String(init.headers["mcp-session-id"]) };
        await post(session, { jsonrpc: "2.0", method: "notifications/initialized" });
        const res = await post(session, call);
        expect(res.status, res.text).toBe(200);
        const seen = upstream.seen.filter((s) => s.body.includes("tools/call")).pop()!;
        expect(seen.headers.authorization, "the token never reaches the server").toBeUndefined();
        expect(seen.headers["x-mcp-guard-subject"]).toBe("alice");
        expect(seen.headers["x-mcp-guard-client-id"]).toBe(env.GUARD_CLIENT_IDS.split(",")[0]);
        expect(seen.headers["x-mcp-guard-scopes"]).toBe(scopesOf(graph, "docs-search")[0].slice(`${env.GUARD_RESOURCE}/`.length));
    });
});
