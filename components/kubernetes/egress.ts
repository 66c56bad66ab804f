import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../common/errors";
import { ResolvedMcpServerSpec } from "../mcp/spec";
import {
    EGRESS_GATEWAY_NAMESPACE, EGRESS_GATEWAY_SELECTOR, EGRESS_GATEWAY_SERVICE, MESH_NAMESPACE, meshPrincipal, serverNamespace,
} from "./names";

/** The Gateway (in the egress gateway's namespace) through which every declared host leaves the mesh. */
export const EGRESS_GATEWAY_NAME = "mcp-egress";
/** The port every declared host is reached on (TLS, passed through by SNI). */
export const EGRESS_PORT = 443;
/** The egress gateway Service's in-cluster name. */
export const EGRESS_GATEWAY_HOST = `${EGRESS_GATEWAY_SERVICE}.${EGRESS_GATEWAY_NAMESPACE}.svc.cluster.local`;
/** Address ranges the egress gateway may never reach on 443 (private, link-local incl. the instance metadata, CGNAT). */
export const EGRESS_EXCEPT = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10", "127.0.0.0/8"];

/** One server's way out: its namespace, the service account its pods run as, and the hosts it may reach. */
export interface EgressServer {
    name: string;
    namespace: string;
    serviceAccount: string;
    /** Exact host names, reached on 443 only. */
    hosts: string[];
}

/**
 * The hosts a server's pod may reach: its declared `egress` domains and, when the guard runs in the pod, the host of the
 * OAuth issuer's JWKS (the guard fetches the keys itself). Exact names only: the egress gateway passes TLS through by
 * SNI to a host it resolves by DNS, which a wildcard cannot name. Throws a ConfigError naming the key. Pure.
 */
export function egressHostsOf(server: Pick<ResolvedMcpServerSpec, "name" | "egress">, index: number, jwksUri: string | undefined): string[] {
    server.egress.forEach((domain, j) => {
        if (domain.includes("*")) {
            throw new ConfigError(`mcpsec:servers[${index}].egress[${j}]`, `${JSON.stringify(domain)} is not allowed with the microservices pattern; expected exact host names (the mesh's egress gateway passes TLS through by SNI to a host it resolves by DNS, and a wildcard names no host to resolve)`);
        }
    });
    const hosts = [...server.egress.map((d) => d.toLowerCase())];
    if (jwksUri !== undefined) {
        const jwks = new URL(jwksUri);
        if (jwks.port !== "" && Number(jwks.port) !== EGRESS_PORT) {
            throw new ConfigError("mcpsec:kubernetes.jwksUri", `${jwksUri} is not allowed; expected an https URL on port 443 (the egress gateway admits 443 only)`);
        }
        hosts.push(jwks.hostname.toLowerCase());
    }
    return [...new Set(hosts)];
}

export interface McpEgressArgs {
    servers: EgressServer[];
}

/**
 * Egress of the MCP servers through the mesh's egress gateway (controls S1, H5), in the shape Istio programs for TLS
 * originated by the application and carried to the gateway inside Istio mutual TLS:
 * - per server, a ServiceEntry for each host it may reach and a DestinationRule for the gateway Service with a subset
 *   per host whose ISTIO_MUTUAL settings use the host as SNI (the outer SNI the gateway sees);
 * - per server and host, a VirtualService whose sidecar side (`tls`, match sniHosts [host]) sends the server's TLS to
 *   the gateway subset of that host, and whose gateway side (`tcp`, match the egress Gateway and 443) forwards the
 *   connection to the host itself, the application's TLS passed through, never terminated. Istio builds the network
 *   filters of a terminated gateway server (SIMPLE, MUTUAL, ISTIO_MUTUAL) only from VirtualService `tcp` routes, and
 *   takes the first VirtualService whose hosts match the server, so each host needs a route of its own;
 * - one Gateway server per host (`tls-egress-<i>`, ISTIO_MUTUAL), listing that host bound to each namespace that
 *   declares it (`mcp-x/api.example.com`), so Istio makes one filter chain per host (server_names = the host) and only
 *   those namespaces can bind a route for it. A host declared by two servers is one server (two chains with the same
 *   server name would make Envoy refuse the listener), and both routes send it to the same host.
 * On the gateway, an AuthorizationPolicy admits a connection only from a server's workload identity (its mTLS
 * principal) to one of that server's own hosts (`connection.sni`, the outer SNI): a server cannot use another
 * server's hosts. NetworkPolicies of the gateway's namespace admit only the MCP namespaces (443) and let the gateway
 * reach DNS, istiod and 443 outside the private ranges; which hosts it reaches there is the routes' and the
 * AuthorizationPolicy's to decide (a NetworkPolicy has no host names).
 */
export class McpEgress extends pulumi.ComponentResource {
    constructor(name: string, args: McpEgressArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("mcpsec:kubernetes:McpEgress", name, {}, opts);
        const parent = { parent: this };
        const gatewayRef = `${EGRESS_GATEWAY_NAMESPACE}/${EGRESS_GATEWAY_NAME}`;
        const cr = (suffix: string, apiVersion: string, kind: string, namespace: string, metadataName: string, spec: Record<string, unknown>) =>
            new k8s.apiextensions.CustomResource(`${name}-${suffix}`, { apiVersion, kind, metadata: { name: metadataName, namespace }, spec }, parent);
        const routed = args.servers.filter((s) => s.hosts.length > 0);
        if (routed.length > 0) {
            const namespacesOf = new Map<string, string[]>();
            for (const s of routed) {
                for (const h of s.hosts) namespacesOf.set(h, [...new Set([...(namespacesOf.get(h) ?? []), s.namespace])]);
            }
            cr("gateway", "networking.istio.io/v1beta1", "Gateway", EGRESS_GATEWAY_NAMESPACE, EGRESS_GATEWAY_NAME, {
                selector: { ...EGRESS_GATEWAY_SELECTOR },
                servers: [...namespacesOf.entries()].map(([h, namespaces], i) => ({
                    port: { number: EGRESS_PORT, name: `tls-egress-${i}`, protocol: "TLS" },
                    hosts: namespaces.map((ns) => `${ns}/${h}`),
                    tls: { mode: "ISTIO_MUTUAL" },
                })),
            });
        }
        for (const s of routed) {
            const sub = (i: number) => `host-${i}`;
            cr(`${s.name}-se`, "networking.istio.io/v1beta1", "ServiceEntry", s.namespace, `${s.name}-egress`, {
                hosts: s.hosts,
                location: "MESH_EXTERNAL",
                resolution: "DNS",
                ports: [{ number: EGRESS_PORT, name: "tls", protocol: "TLS" }],
                exportTo: [".", EGRESS_GATEWAY_NAMESPACE],
            });
            cr(`${s.name}-dr`, "networking.istio.io/v1beta1", "DestinationRule", s.namespace, `${s.name}-egress-gateway`, {
                host: EGRESS_GATEWAY_HOST,
                exportTo: ["."],
                subsets: s.hosts.map((h, i) => ({
                    name: sub(i),
                    trafficPolicy: { portLevelSettings: [{ port: { number: EGRESS_PORT }, tls: { mode: "ISTIO_MUTUAL", sni: h } }] },
                })),
            });
            s.hosts.forEach((h, i) => {
                cr(`${s.name}-vs-${i}`, "networking.istio.io/v1beta1", "VirtualService", s.namespace, `${s.name}-egress-${i}`, {
                    hosts: [h],
                    gateways: ["mesh", gatewayRef],
                    exportTo: [".", EGRESS_GATEWAY_NAMESPACE],
                    tls: [{ match: [{ gateways: ["mesh"], port: EGRESS_PORT, sniHosts: [h] }], route: [{ destination: { host: EGRESS_GATEWAY_HOST, subset: sub(i), port: { number: EGRESS_PORT } } }] }],
                    tcp: [{ match: [{ gateways: [gatewayRef], port: EGRESS_PORT }], route: [{ destination: { host: h, port: { number: EGRESS_PORT } } }] }],
                });
            });
        }
        // ALLOW with one rule per server (its principal, its hosts); no rule at all admits nothing.
        cr("authz", "security.istio.io/v1", "AuthorizationPolicy", EGRESS_GATEWAY_NAMESPACE, "mcp-egress-per-server", {
            selector: { matchLabels: { ...EGRESS_GATEWAY_SELECTOR } },
            action: "ALLOW",
            rules: routed.map((s) => ({
                from: [{ source: { principals: [meshPrincipal(s.namespace, s.serviceAccount)] } }],
                to: [{ operation: { ports: [String(EGRESS_PORT)] } }],
                when: [{ key: "connection.sni", values: s.hosts }],
            })),
        });
        const meta = (n: string) => ({ name: n, namespace: EGRESS_GATEWAY_NAMESPACE });
        new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
            metadata: meta("default-deny"),
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }, parent);
        const gatewayPods = { matchLabels: { ...EGRESS_GATEWAY_SELECTOR } };
        new k8s.networking.v1.NetworkPolicy(`${name}-from-servers`, {
            metadata: meta("allow-from-mcp-servers"),
            spec: {
                podSelector: gatewayPods,
                policyTypes: ["Ingress"],
                ingress: routed.length === 0 ? [] : [{
                    from: [{ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: routed.map((s) => s.namespace) }] } }],
                    ports: [{ protocol: "TCP", port: EGRESS_PORT }],
                }],
            },
        }, parent);
        new k8s.networking.v1.NetworkPolicy(`${name}-out`, {
            metadata: meta("allow-dns-istiod-https-out"),
            spec: {
                podSelector: gatewayPods,
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                        ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
                    },
                    {
                        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": MESH_NAMESPACE } }, podSelector: { matchLabels: { app: "istiod" } } }],
                        ports: [{ protocol: "TCP", port: 15012 }],
                    },
                    ...(routed.length === 0 ? [] : [{
                        to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...EGRESS_EXCEPT] } }],
                        ports: [{ protocol: "TCP", port: EGRESS_PORT }],
                    }]),
                ],
            },
        }, parent);
        this.registerOutputs({});
    }
}

/** The namespace and service account of each server, as the layer deploys them. Pure. */
export function egressServersOf(servers: ResolvedMcpServerSpec[], jwksUri: string | undefined): EgressServer[] {
    return servers.map((s, i) => ({ name: s.name, namespace: serverNamespace(s.name), serviceAccount: s.name, hosts: egressHostsOf(s, i, jwksUri) }));
}
