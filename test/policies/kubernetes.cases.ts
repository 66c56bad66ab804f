import { Props } from "../../policies/lib/rule";
import { RuleCases } from "./aws.cases";
import { FixtureResource } from "./harness";

const DEPLOY = "kubernetes:apps/v1:Deployment";
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp/docs@sha256:${"f".repeat(64)}`;
const container = (props: Props = {}, sc: Props = {}): Props => ({
    name: "docs", image: IMAGE, ports: [{ containerPort: 8080 }],
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "250m", memory: "512Mi" } },
    securityContext: { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, ...sc },
    ...props,
});
/** A Deployment whose pod meets the restricted profile; `pod` and `c`/`sc` override the pod spec and its container. */
const deploy = (opts: { pod?: Props; c?: Props; sc?: Props; ns?: string; annotations?: Record<string, string> } = {}): Props => ({
    metadata: { name: "docs", namespace: opts.ns ?? "mcp-docs" },
    spec: {
        selector: { matchLabels: { app: "docs" } },
        template: {
            metadata: { labels: { app: "docs" }, annotations: opts.annotations },
            spec: {
                automountServiceAccountToken: false,
                securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
                containers: [container(opts.c, opts.sc)],
                volumes: [{ name: "tmp", emptyDir: {} }],
                ...(opts.pod ?? {}),
            },
        },
    },
});
const d = (label: string, opts: Parameters<typeof deploy>[0] = {}) => ({ label, type: DEPLOY, props: deploy(opts) });
const f = (label: string, expect: RegExp, opts: Parameters<typeof deploy>[0] = {}) => ({ label, type: DEPLOY, props: deploy(opts), expect });

const ns = (name = "mcp-docs", labels: Record<string, string> = {}): FixtureResource => ({
    type: "kubernetes:core/v1:Namespace", name,
    props: { metadata: { name, labels: { "mcpsec/tenant": name, "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/warn": "restricted", ...labels } } },
});
const denyAll = (namespace = "mcp-docs", spec: Props = {}): FixtureResource => ({
    type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", name: `${namespace}-deny`,
    props: { metadata: { name: "default-deny", namespace }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ...spec } },
});
const peer = (namespace = "istio-system", mode = "STRICT", extra: Props = {}): FixtureResource => ({
    type: "kubernetes:security.istio.io/v1:PeerAuthentication", name: `${namespace}-peer`,
    props: { metadata: { name: "default", namespace }, spec: { mtls: { mode }, ...extra } },
});
const AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
const SA = "kubernetes:core/v1:ServiceAccount";

export const kubernetesCases: Record<string, RuleCases> = {
    "kubernetes-pss-host-namespaces": {
        pass: [d("no host namespaces"), d("exempt namespace", { ns: "kube-system", pod: { hostNetwork: true } })],
        fail: [
            f("hostNetwork", /hostNetwork is true/, { pod: { hostNetwork: true } }),
            f("hostPID", /hostPID is true/, { pod: { hostPID: true } }),
            f("hostIPC", /hostIPC is true/, { pod: { hostIPC: true } }),
            f("Windows host process", /hostProcess is true/, { sc: { windowsOptions: { hostProcess: true } } }),
        ],
    },
    "kubernetes-pss-privileged": {
        pass: [d("unprivileged")],
        fail: [f("privileged", /container docs: privileged is true/, { sc: { privileged: true } })],
    },
    "kubernetes-pss-capabilities": {
        pass: [d("drop ALL"), d("NET_BIND_SERVICE added back", { sc: { capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } } })],
        fail: [
            f("nothing dropped", /drop does not contain ALL/, { sc: { capabilities: {} } }),
            f("NET_RAW added", /capabilities.add has NET_RAW/, { sc: { capabilities: { drop: ["ALL"], add: ["NET_RAW"] } } }),
        ],
    },
    "kubernetes-pss-host-path-volumes": {
        pass: [d("emptyDir only")],
        fail: [f("hostPath", /volume docker is a hostPath \(\/var\/run\/docker.sock\)/, { pod: { volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }] } })],
    },
    "kubernetes-pss-host-ports": {
        pass: [d("container port only")],
        fail: [f("host port", /hostPort 8080/, { c: { ports: [{ containerPort: 8080, hostPort: 8080 }] } })],
    },
    "kubernetes-pss-apparmor": {
        pass: [d("runtime default by field", { sc: { appArmorProfile: { type: "RuntimeDefault" } } }), d("localhost by annotation", { annotations: { "container.apparmor.security.beta.kubernetes.io/docs": "localhost/mcp" } })],
        fail: [
            f("unconfined by field", /appArmorProfile is Unconfined/, { sc: { appArmorProfile: { type: "Unconfined" } } }),
            f("unconfined by annotation", /annotation container.apparmor.security.beta.kubernetes.io\/docs is unconfined/, { annotations: { "container.apparmor.security.beta.kubernetes.io/docs": "unconfined" } }),
        ],
    },
    "kubernetes-pss-selinux": {
        pass: [d("container_t", { sc: { seLinuxOptions: { type: "container_t", level: "s0:c123,c456" } } })],
        fail: [
            f("spc_t", /seLinuxOptions.type is spc_t/, { sc: { seLinuxOptions: { type: "spc_t" } } }),
            f("custom user", /sets user or role/, { pod: { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, seLinuxOptions: { user: "system_u" } } } }),
        ],
    },
    "kubernetes-pss-proc-mount": {
        pass: [d("default"), d("explicit Default", { sc: { procMount: "Default" } })],
        fail: [f("unmasked", /procMount is Unmasked/, { sc: { procMount: "Unmasked" } })],
    },
    "kubernetes-pss-seccomp": {
        pass: [d("pod and container RuntimeDefault"), d("pod level only", { sc: { seccompProfile: undefined } }), d("Localhost on the container", { pod: { securityContext: { runAsNonRoot: true } }, sc: { seccompProfile: { type: "Localhost", localhostProfile: "mcp.json" } } })],
        fail: [
            f("unconfined container", /container docs: no RuntimeDefault or Localhost seccomp profile/, { sc: { seccompProfile: { type: "Unconfined" } } }),
            f("none anywhere", /no RuntimeDefault or Localhost/, { pod: { securityContext: { runAsNonRoot: true } }, sc: { seccompProfile: undefined } }),
        ],
    },
    "kubernetes-pss-sysctls": {
        pass: [d("safe sysctl", { pod: { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, sysctls: [{ name: "net.ipv4.tcp_syncookies", value: "1" }] } } })],
        fail: [f("unsafe sysctl", /sysctl kernel.msgmax is not in the safe set/, { pod: { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, sysctls: [{ name: "kernel.msgmax", value: "65536" }] } } })],
    },
    "kubernetes-pss-volume-types": {
        pass: [d("restricted volume types", { pod: { volumes: [{ name: "tmp", emptyDir: {} }, { name: "cfg", configMap: { name: "c" } }, { name: "tok", projected: { sources: [] } }] } })],
        fail: [f("NFS volume", /volume share is of type nfs/, { pod: { volumes: [{ name: "share", nfs: { server: "10.0.0.1", path: "/" } }] } })],
    },
    "kubernetes-pss-privilege-escalation": {
        pass: [d("false")],
        fail: [f("unset", /allowPrivilegeEscalation is not false/, { sc: { allowPrivilegeEscalation: undefined } }), f("true", /allowPrivilegeEscalation is not false/, { sc: { allowPrivilegeEscalation: true } })],
    },
    "kubernetes-pss-run-as-non-root": {
        pass: [d("pod and container"), d("pod level only", { sc: { runAsNonRoot: undefined } })],
        fail: [
            f("container overrides to false", /container docs: runAsNonRoot is not true/, { sc: { runAsNonRoot: false } }),
            f("nowhere", /runAsNonRoot is not true/, { pod: { securityContext: { seccompProfile: { type: "RuntimeDefault" } } }, sc: { runAsNonRoot: undefined } }),
            f("uid 0", /runAsUser is 0/, { sc: { runAsUser: 0 } }),
        ],
    },
    "kubernetes-mcp-namespace-default-deny": {
        pass: [{ label: "default deny present", resources: [ns(), denyAll()] }, { label: "non-MCP namespace needs none", resources: [{ type: "kubernetes:core/v1:Namespace", name: "other", props: { metadata: { name: "other" } } }] }],
        fail: [
            { label: "missing", resources: [ns(), ns("mcp-two"), denyAll("mcp-two")], expect: /MCP namespace mcp-docs has no default-deny NetworkPolicy/ },
            { label: "ingress only", resources: [ns(), denyAll("mcp-docs", { policyTypes: ["Ingress"] })], expect: /no default-deny/ },
            { label: "with an allow rule", resources: [ns(), denyAll("mcp-docs", { egress: [{}] })], expect: /no default-deny/ },
        ],
    },
    "kubernetes-mcp-namespace-restricted": {
        pass: [{ label: "restricted", type: "kubernetes:core/v1:Namespace", props: ns().props }, { label: "non-MCP namespace", type: "kubernetes:core/v1:Namespace", props: { metadata: { name: "istio-system", labels: { "pod-security.kubernetes.io/enforce": "privileged" } } } }],
        fail: [{ label: "baseline enforce", type: "kubernetes:core/v1:Namespace", props: ns("mcp-docs", { "pod-security.kubernetes.io/enforce": "baseline" }).props, expect: /pod-security.kubernetes.io\/enforce is baseline/ }],
    },
    "kubernetes-image-pinned-by-digest": {
        pass: [d("digest")],
        fail: [f("tag", /image ghcr.io\/acme\/docs:1.0 is not pinned by digest/, { c: { image: "ghcr.io/acme/docs:1.0" } })],
    },
    "kubernetes-resource-limits": {
        pass: [d("requests and limits")],
        fail: [f("no limits", /no limits.cpu, limits.memory/, { c: { resources: { requests: { cpu: "100m", memory: "64Mi" } } } })],
    },
    "kubernetes-service-account-token-automount-off": {
        pass: [d("off"), { label: "service account off", type: SA, props: { metadata: { name: "docs" }, automountServiceAccountToken: false } }],
        fail: [
            f("pod default", /the pod's automountServiceAccountToken is not false/, { pod: { automountServiceAccountToken: undefined } }),
            { label: "service account default", type: SA, props: { metadata: { name: "docs" } }, expect: /automountServiceAccountToken is not false/ },
        ],
    },
    "kubernetes-istio-mtls-strict": {
        pass: [{ label: "mesh-wide STRICT", resources: [ns(), peer()] }, { label: "no MCP namespaces", resources: [] }],
        fail: [
            { label: "missing", resources: [ns()], expect: /no mesh-wide STRICT PeerAuthentication in istio-system/ },
            { label: "a namespace lowers it", resources: [ns(), peer(), peer("mcp-docs", "PERMISSIVE")], expect: /PeerAuthentication mcp-docs\/default sets mtls PERMISSIVE/ },
            { label: "STRICT only for one workload", resources: [ns(), peer("istio-system", "STRICT", { selector: { matchLabels: { app: "x" } } })], expect: /no mesh-wide STRICT/ },
        ],
    },
    "kubernetes-istio-no-allow-all-authorization": {
        pass: [
            { label: "token and scope required", type: AUTHZ, props: { spec: { action: "ALLOW", rules: [{ from: [{ source: { requestPrincipals: ["https://issuer/*"] } }], when: [{ key: "request.auth.claims[scope]", values: ["s"] }] }] } } },
            { label: "deny-all (no rules)", type: AUTHZ, props: { spec: {} } },
        ],
        fail: [
            { label: "empty rule", type: AUTHZ, props: { spec: { action: "ALLOW", rules: [{}] } }, expect: /an ALLOW rule matches every request/ },
            { label: "default action, empty rule", type: AUTHZ, props: { spec: { rules: [{}] } }, expect: /matches every request/ },
        ],
    },
};
