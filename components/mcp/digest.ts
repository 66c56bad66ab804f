import { createHash } from "crypto";
import canonicalize from "canonicalize";

/**
 * The digest that pins a tool: hex SHA-256 of the RFC 8785 (JCS) canonical JSON of its name, description and
 * input schema. Key order and white space do not change it; any change of wording or schema does. The guard passes
 * on only these members of a tool (guard/src/core/policy.ts `pinnedMembers`): whatever the digest does not cover is
 * dropped, never forwarded unapproved.
 */
export function toolDigest(tool: { name: string; description: string; inputSchema: unknown }): string {
    const canonical = canonicalize({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema });
    return createHash("sha256").update(canonical ?? "", "utf8").digest("hex");
}
