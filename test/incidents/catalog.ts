/**
 * The public MCP security incidents of 2025-2026 that the incident replay (test/incidents) reproduces at the
 * deployment level. Facts only (name, date, a public source, the root-cause class), summarized in our own words.
 */

export interface Incident {
    /** Stable number, used in scenario ids and the docs table. */
    id: number;
    /** Short name of the incident or disclosure. */
    name: string;
    /** When it was disclosed (year-month). */
    date: string;
    /** CVE ids, when assigned. */
    cves?: string[];
    /** A public write-up or advisory. */
    source: string;
    /** Root-cause class. */
    cause: string;
    /** What went wrong, in one sentence. */
    summary: string;
}

const nvd = (cve: string) => `https://nvd.nist.gov/vuln/detail/${cve}`;

export const INCIDENTS: Incident[] = [
    {
        id: 1, name: "postmark-mcp backdoor", date: "2025-09", source: "https://www.permissionprotocol.com/agent-incident-tracker/postmark-mcp-npm-bcc-email-exfiltration",
        cause: "supply chain: rug pull after trust",
        summary: "An npm MCP server that had been clean for fifteen releases began copying every email it sent to an attacker, through the mail API it was meant to use.",
    },
    {
        id: 2, name: "mcp-remote OAuth discovery command injection", date: "2025-06", cves: ["CVE-2025-6514"], source: nvd("CVE-2025-6514"),
        cause: "injection through OAuth metadata",
        summary: "A malicious server's authorization endpoint URL made the mcp-remote bridge run an OS command on the user's machine during OAuth discovery.",
    },
    {
        id: 3, name: "MCP Inspector unauthenticated proxy", date: "2025-06", cves: ["CVE-2025-49596"], source: nvd("CVE-2025-49596"),
        cause: "unauthenticated listener",
        summary: "The Inspector's local proxy accepted commands without authentication, so a web page could make it execute code.",
    },
    {
        id: 4, name: "GitHub MCP toxic agent flow", date: "2025-05", source: "https://invariantlabs.ai/blog/mcp-github-vulnerability",
        cause: "prompt injection plus an over-broad token",
        summary: "Instructions planted in a public issue led an agent holding a broad token to copy private repository content into a public pull request.",
    },
    {
        id: 5, name: "Asana MCP cross-tenant exposure", date: "2025-06", source: "https://safeguard.sh/resources/blog/asana-mcp-cross-tenant-data-leak-2025",
        cause: "authorization: tenant scoping",
        summary: "The hosted MCP server returned records of other customers' workspaces because its code path lost the tenant binding.",
    },
    {
        id: 6, name: "Supabase MCP lethal trifecta", date: "2025-07", source: "https://simonwillison.net/2025/Jul/6/supabase-mcp-lethal-trifecta/",
        cause: "injection plus over-privileged credentials",
        summary: "Text in a support ticket made an agent with a service-role database credential read secret tables and post them back into the ticket.",
    },
    {
        id: 7, name: "WhatsApp MCP tool poisoning", date: "2025-04", source: "https://invariantlabs.ai/blog/whatsapp-mcp-exploited",
        cause: "tool poisoning and cross-server shadowing",
        summary: "A second, malicious server's tool description instructed the agent to forward the user's chat history through the legitimate WhatsApp server.",
    },
    {
        id: 8, name: "Filesystem MCP server sandbox escape", date: "2025-07", cves: ["CVE-2025-53109", "CVE-2025-53110"], source: nvd("CVE-2025-53109"),
        cause: "isolation",
        summary: "Symbolic links and a prefix-only directory check let the filesystem server read and write outside its allowed directories.",
    },
    {
        id: 9, name: "mcp-server-git path and argument injection", date: "2026-01", cves: ["CVE-2025-68143", "CVE-2025-68144", "CVE-2025-68145"], source: nvd("CVE-2025-68143"),
        cause: "injection and isolation",
        summary: "Unchecked repository paths and git arguments let a caller reach other repositories and files, and chain with a co-deployed filesystem server.",
    },
    {
        id: 10, name: "Smithery hosting token leak", date: "2025-06", source: "https://www.permissionprotocol.com/agent-incident-tracker/smithery-mcp-hosting-path-traversal-flyio-token",
        cause: "platform token handling",
        summary: "A path traversal in the hosting platform's build step exposed a long-lived Fly.io token that controlled about 3,000 hosted servers.",
    },
    {
        id: 11, name: "SANDWORM_MODE typosquatting worm", date: "2026-02", source: "https://www.atypicaltech.dev/blog/2026-02-25-sandworm-mode-supply-chain/",
        cause: "supply-chain worm",
        summary: "Typosquatted npm packages wrote rogue MCP servers into AI coding tools' configuration, whose tools harvested keys and tokens.",
    },
    {
        id: 12, name: "MCP OAuth proxy confused deputy", date: "2025-06", source: "https://modelcontextprotocol.io/specification/2025-06-18/basic/security_best_practices",
        cause: "OAuth",
        summary: "A proxy with one static client at a third-party authorization server can be made to hand out consent-skipping authorization codes, and token passthrough lets tokens be replayed across services.",
    },
    {
        id: 13, name: "Remote MCP authentication measurement", date: "2026-05", source: "https://arxiv.org/abs/2605.22333",
        cause: "authorization",
        summary: "Of 7,973 live remote MCP servers, 40.55% exposed tools without authentication; 96.6% of 119 OAuth servers tested had dynamic client registration flaws.",
    },
    {
        id: 14, name: "MCP SDK DNS-rebinding defaults", date: "2025-12", cves: ["CVE-2025-66414", "CVE-2025-66416", "CVE-2026-34742"], source: nvd("CVE-2025-66414"),
        cause: "network",
        summary: "The TypeScript, Python and Go SDKs shipped HTTP servers without Host/Origin checks, so a web page could reach a local server through DNS rebinding.",
    },
    {
        id: 15, name: "oatpp-mcp predictable session ids", date: "2025-10", cves: ["CVE-2025-6515"], source: nvd("CVE-2025-6515"),
        cause: "session handling",
        summary: "Session ids derived from memory addresses could be guessed and reused to inject responses into another client's session.",
    },
    {
        id: 16, name: "NeighborJack", date: "2025-06", source: "https://www.backslash.security/blog/hundreds-of-mcp-servers-vulnerable-to-abuse",
        cause: "exposure",
        summary: "Hundreds of MCP servers listened on all interfaces, reachable by anyone on the same network.",
    },
    {
        id: 17, name: "Figma MCP command injection", date: "2025-10", cves: ["CVE-2025-53967"], source: nvd("CVE-2025-53967"),
        cause: "injection",
        summary: "Unsanitized input reached a shell command in the Figma MCP server, giving command execution on its host.",
    },
    {
        id: 18, name: "Cursor MCPoison", date: "2025-07", cves: ["CVE-2025-54136"], source: nvd("CVE-2025-54136"),
        cause: "rug pull through configuration",
        summary: "Once an MCP configuration was approved, its command could be swapped without a new approval.",
    },
    {
        id: 19, name: "STDIO launch-command execution", date: "2026-04", source: "https://www.csoonline.com/article/4159889/rce-by-design-mcp-architectural-choice-haunts-ai-agent-ecosystem.html",
        cause: "design",
        summary: "MCP clients and frameworks run whatever launch command their configuration names, so attacker-influenced configuration becomes command execution.",
    },
];
