/**
 * Names the in-cluster layer gives to what it creates, shared with the cluster side (EKS roles whose trust names a
 * server's namespace and service account, the load balancer target group on the ingress gateway's NodePort), so
 * neither side reads the other's objects at run time. Pure constants and functions.
 */

/** Namespace of the mesh's ingress gateway (the Istio `gateway` chart release lives there). */
export const GATEWAY_NAMESPACE = "istio-ingress";
/** Name of the ingress gateway's Helm release, Deployment, ServiceAccount and Service (the chart names all four after the release). */
export const INGRESS_GATEWAY_SERVICE = "istio-ingressgateway";
/** The `istio` label of the ingress gateway's pods (the chart sets it to the release name without `istio-`); Gateways select it. */
export const INGRESS_GATEWAY_SELECTOR = { istio: "ingressgateway" } as const;
/** Service port of the ingress gateway's HTTPS listener (the Gateway's `servers[].port.number`). */
export const INGRESS_GATEWAY_HTTPS_PORT = 443;
/**
 * Fixed NodePort of the ingress gateway's HTTPS port (Service type NodePort, in the default 30000-32767 range): the
 * cluster side points its internal load balancer's target group at this port on the nodes.
 */
export const INGRESS_GATEWAY_HTTPS_NODE_PORT = 30443;
/** Fixed NodePort of the gateway's status port (15021, `/healthz/ready`): the load balancer's health check. */
export const INGRESS_GATEWAY_STATUS_NODE_PORT = 30021;
/** The gateway's readiness endpoint on the status port, for the load balancer's health check. */
export const INGRESS_GATEWAY_HEALTH_PATH = "/healthz/ready";

/** Namespace of the mesh's egress gateway, through which every declared egress domain leaves the cluster. */
export const EGRESS_GATEWAY_NAMESPACE = "istio-egress";
/** Name of the egress gateway's Helm release, Deployment, ServiceAccount and Service. */
export const EGRESS_GATEWAY_SERVICE = "istio-egressgateway";
/** The `istio` label of the egress gateway's pods. */
export const EGRESS_GATEWAY_SELECTOR = { istio: "egressgateway" } as const;

/** The namespace of one MCP server: `mcp-<server>`. */
export function serverNamespace(serverName: string): string {
    return `mcp-${serverName}`;
}

/** The service account of a server's secret store (the one identity that may read its secrets): `<server>-secret-store`. */
export function secretStoreServiceAccount(serverName: string): string {
    return `${serverName}-secret-store`;
}

/** Namespace of the mesh's control plane (istiod). */
export const MESH_NAMESPACE = "istio-system";
/** The mesh's trust domain (Istio's default): the first part of every workload principal. */
export const TRUST_DOMAIN = "cluster.local";

/** The mTLS identity Istio gives pods of a service account: `<trust domain>/ns/<namespace>/sa/<service account>`. */
export function meshPrincipal(namespace: string, serviceAccount: string): string {
    return `${TRUST_DOMAIN}/ns/${namespace}/sa/${serviceAccount}`;
}

/** The ingress gateway's principal: every external request reaches a server's pod from this identity. */
export const INGRESS_GATEWAY_PRINCIPAL = meshPrincipal(GATEWAY_NAMESPACE, INGRESS_GATEWAY_SERVICE);
