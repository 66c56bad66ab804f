import * as fs from "fs";
import { createPrivateKey, createPublicKey } from "crypto";
import YAML from "yaml";
import { runtimeDescription, signApproval, SignedApproval } from "../components/mcp/approval";
import { validateMcpServerSpec, type McpServerSpec } from "../components/mcp/spec";
import { UsageError } from "./errors";

/**
 * `mcpsec approve`: a reviewer signs the runtime description of MCP servers with an Ed25519 private key. The input is
 * either a stack config file (`stacks/Pulumi.<stack>.yaml`, servers under `mcpsec:servers`) or one server description
 * as JSON; the signature goes to each server's `signedApproval` (with `--write`, in place, comments kept).
 */

export interface ApproveOptions {
    /** PEM file of the reviewer's Ed25519 private key (PKCS#8). */
    key: string;
    keyId: string;
    /** Only these servers (stack files); default every server. */
    servers?: string[];
    /** Date of the approval; default today (UTC). */
    at?: string;
    write: boolean;
}

export interface ApproveResult {
    file: string;
    approvals: { server: string; runtime: Record<string, unknown>; signedApproval: SignedApproval }[];
}

function readKey(file: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`cannot read key ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
}

/** The base64url raw public key of a private key file: what goes into mcpsec:approvals.reviewers[].publicKey. */
export function publicKeyOf(keyFile: string): string {
    let key;
    try {
        key = createPrivateKey(readKey(keyFile));
    } catch (e) {
        throw new UsageError(`key ${keyFile} is not a PEM private key: ${(e as Error).message}`);
    }
    if (key.asymmetricKeyType !== "ed25519") {
        throw new UsageError(`key ${keyFile} is ${key.asymmetricKeyType}; expected an Ed25519 private key (openssl genpkey -algorithm ed25519)`);
    }
    return (createPublicKey(key).export({ format: "jwk" }) as { x: string }).x;
}

function sign(spec: unknown, where: string, opts: ApproveOptions, pem: string, at: string): { server: string; runtime: Record<string, unknown>; signedApproval: SignedApproval } {
    const { signedApproval: _old, ...rest } = spec as McpServerSpec;
    void _old;
    // The same validation the stack gets: a server that would not deploy is not signed.
    const resolved = validateMcpServerSpec(rest, where);
    return { server: resolved.name, runtime: runtimeDescription(resolved), signedApproval: signApproval(resolved, pem, opts.keyId, at) };
}

/** Signs the servers of a stack file or a JSON server description; writes them back with `write`. */
export function approveFile(file: string, opts: ApproveOptions): ApproveResult {
    publicKeyOf(opts.key);
    const pem = readKey(opts.key);
    const at = opts.at ?? new Date().toISOString().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(at)) {
        throw new UsageError(`--at ${JSON.stringify(at)} is not a date (YYYY-MM-DD)`);
    }
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (/\.json$/i.test(file)) {
        let spec: unknown;
        try {
            spec = JSON.parse(text);
        } catch (e) {
            throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
        }
        const a = sign(spec, file, opts, pem, at);
        if (opts.write) {
            fs.writeFileSync(file, JSON.stringify({ ...(spec as object), signedApproval: a.signedApproval }, null, 2) + "\n");
        }
        return { file, approvals: [a] };
    }
    const doc = YAML.parseDocument(text);
    if (doc.errors.length > 0) {
        throw new UsageError(`${file} is not valid YAML: ${doc.errors[0].message}`);
    }
    const servers = doc.getIn(["config", "mcpsec:servers"]);
    if (!YAML.isSeq(servers)) {
        throw new UsageError(`${file} has no config."mcpsec:servers" list; give a stack config file or a JSON server description`);
    }
    const names = servers.items.map((item) => (YAML.isMap(item) ? String(item.get("name")) : ""));
    for (const wanted of opts.servers ?? []) {
        if (!names.includes(wanted)) {
            throw new UsageError(`--server ${JSON.stringify(wanted)}: ${file} has no such server (it has ${names.join(", ")})`);
        }
    }
    const approvals = servers.items.flatMap((item, i) => {
        if (opts.servers && !opts.servers.includes(names[i])) {
            return [];
        }
        const a = sign((item as YAML.YAMLMap).toJSON(), `${file}: mcpsec:servers[${i}]`, opts, pem, at);
        const node = doc.createNode(a.signedApproval);
        node.flow = true;
        // Quoted, so that no YAML 1.1 reader takes the date for a timestamp.
        const atNode = (node as YAML.YAMLMap).get("at", true);
        if (YAML.isScalar(atNode)) {
            atNode.type = "QUOTE_DOUBLE";
        }
        (item as YAML.YAMLMap).set("signedApproval", node);
        return [a];
    });
    if (opts.write) {
        fs.writeFileSync(file, doc.toString({ lineWidth: 0 }));
    }
    return { file, approvals };
}
