import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * A kubeconfig for an EKS cluster that gets its token from `aws eks get-token` at each use (no long-lived token in
 * the state; the caller's AWS identity must have an access entry). Pure.
 */
export function eksKubeconfig(clusterName: string, endpoint: string, certificateAuthority: string, region: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": certificateAuthority } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [{
            name: clusterName,
            user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"], interactiveMode: "Never" } },
        }],
    });
}

/** A Kubernetes provider for the cluster, built from its outputs: the in-cluster layer deploys through it. */
export function eksProvider(name: string, cluster: { name: pulumi.Input<string>; endpoint: pulumi.Input<string>; certificateAuthority: pulumi.Input<string> }, region: string, opts: pulumi.CustomResourceOptions = {}): k8s.Provider {
    const kubeconfig = pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([n, e, ca]) => eksKubeconfig(n, e, ca, region));
    return new k8s.Provider(name, { kubeconfig, enableServerSideApply: true }, opts);
}
