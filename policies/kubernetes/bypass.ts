import { ofType, Props, stackRule } from "../lib/rule";
import { HELM_RELEASE, mcpNamespaces, namespaceOfObject, scopeConfigSchema, systemNamespacesOf } from "./scope";

/**
 * Istio's traffic-capture annotations that let a pod's traffic pass beside its sidecar: excluded inbound ports reach
 * the container without mTLS or AuthorizationPolicy, excluded outbound ports or ranges leave without the egress
 * gateway. An `include...` narrower than `*` does the same by omission.
 */
const EXCLUDES = ["traffic.sidecar.istio.io/excludeInboundPorts", "traffic.sidecar.istio.io/excludeOutboundPorts", "traffic.sidecar.istio.io/excludeOutboundIPRanges", "traffic.sidecar.istio.io/excludeInterfaces"];
const INCLUDES = ["traffic.sidecar.istio.io/includeInboundPorts", "traffic.sidecar.istio.io/includeOutboundIPRanges"];

/** The chart name of a Helm release (last path element). */
const chartOf = (r: { props: Props }) => String(r.props.chart ?? "").replace(/^.*\//, "");

export const noSidecarBypass = stackRule({
    name: "kubernetes-istio-no-sidecar-bypass",
    description: "No MCP workload may take its traffic around its mesh sidecar, and the mesh may not let unregistered hosts out: pod annotations traffic.sidecar.istio.io/excludeInboundPorts, excludeOutboundPorts, excludeOutboundIPRanges or excludeInterfaces (or includeInboundPorts / includeOutboundIPRanges narrower than *) send that traffic past mutual TLS, the AuthorizationPolicies and the egress gateway, and an istiod release whose meshConfig.outboundTrafficPolicy.mode is not REGISTRY_ONLY (Istio's default is ALLOW_ANY) lets every sidecar reach any host directly. The NetworkPolicies still hold, but one layer is gone. An MCP namespace is as the other MCP rules define it (pack config systemNamespaces).",
    severity: "high",
    controls: ["S1", "H5", "P3"],
    nist: ["SC-7", "AC-4", "SC-7(5)"],
    maestro: ["L4"],
    threats: ["T2", "T7"],
    remediation: "Remove the traffic.sidecar.istio.io exclude annotations from the pod templates (McpWorkload sets none), and install istiod through MeshInstall (components/kubernetes), which sets meshConfig.outboundTrafficPolicy.mode REGISTRY_ONLY; declare hosts a server needs in mcpsec:servers[].egress instead.",
    configSchema: scopeConfigSchema,
}, (resources, args, report) => {
    for (const ns of mcpNamespaces(resources, systemNamespacesOf(args.getConfig<{ systemNamespaces?: string[] }>()))) {
        for (const w of ns.workloads) {
            for (const key of EXCLUDES) {
                const v = w.podAnnotations[key];
                if (v !== undefined && String(v).trim() !== "") {
                    report(`${w.label} sets ${key}: "${v}", so that traffic bypasses its mesh sidecar (no mTLS, no AuthorizationPolicy, no egress gateway).`, w.resource.urn);
                }
            }
            for (const key of INCLUDES) {
                const v = w.podAnnotations[key];
                if (v !== undefined && String(v).trim() !== "*") {
                    report(`${w.label} sets ${key}: "${v}", narrower than *: the rest of its traffic bypasses its mesh sidecar.`, w.resource.urn);
                }
            }
        }
    }
    for (const r of ofType(resources, HELM_RELEASE).filter((x) => chartOf(x) === "istiod")) {
        const mode = r.props.values?.meshConfig?.outboundTrafficPolicy?.mode;
        if (mode !== "REGISTRY_ONLY") {
            report(`Helm release ${String(r.props.namespace ?? "default")}/${r.props.name ?? r.name} (istiod) sets meshConfig.outboundTrafficPolicy.mode ${mode ?? "unset (ALLOW_ANY)"}: sidecars reach any host, not only registered ones.`, r.urn);
        }
    }
});

/** Istio's gateway chart: its Service is a LoadBalancer unless values.service.type says otherwise. */
const SAFE_SERVICE_TYPES = new Set(["NodePort", "ClusterIP"]);

export const noLoadBalancerService = stackRule({
    name: "kubernetes-no-load-balancer-service",
    description: "Nothing in the cluster may create a load balancer of its own: a Service of type LoadBalancer, or an Istio gateway chart release whose values.service.type is LoadBalancer or unset (the chart's default), makes the cloud provider's controller provision one (on EKS the in-tree controller creates a Classic Load Balancer without the AWS Load Balancer Controller, internet-facing unless annotated), beside the internal load balancer with the WAF that the zone puts in front of the mesh ingress.",
    severity: "high",
    controls: ["S1", "H1", "P3"],
    nist: ["SC-7", "AC-4"],
    maestro: ["L4"],
    threats: ["T2", "T3"],
    remediation: "Install gateways through MeshInstall (components/kubernetes), whose ingress gateway Service is a NodePort on fixed ports behind the zone's internal ALB and WAF and whose egress gateway Service is ClusterIP; in your own releases set values.service.type to NodePort or ClusterIP, and never declare a Service of type LoadBalancer.",
}, (resources, _args, report) => {
    for (const s of ofType(resources, "kubernetes:core/v1:Service")) {
        if (s.props.spec?.type === "LoadBalancer") {
            report(`Service ${namespaceOfObject(s)}/${s.props.metadata?.name} is of type LoadBalancer: the cloud controller provisions a load balancer outside the zone's ALB and WAF.`, s.urn);
        }
    }
    for (const r of ofType(resources, HELM_RELEASE).filter((x) => chartOf(x) === "gateway" && /istio/.test(String(x.props.repositoryOpts?.repo ?? "") + String(x.props.chart ?? "")))) {
        const type = r.props.values?.service?.type;
        if (!SAFE_SERVICE_TYPES.has(String(type))) {
            report(`Helm release ${String(r.props.namespace ?? "default")}/${r.props.name ?? r.name} (Istio gateway chart) sets service.type ${type ?? "unset (the chart's default, LoadBalancer)"}: expected NodePort or ClusterIP.`, r.urn);
        }
    }
});

export const bypassRules = [noSidecarBypass, noLoadBalancerService];
