/**
 * Records the real `tools/list` of published MCP servers into test/fixtures/corpus/real/<package>.json: the benign
 * corpus no one in this project wrote. Each server is a pinned devDependency; it is started over stdio with the MCP
 * SDK client, exactly as a desktop client starts it, and asked for its tools (every page). Placeholder credentials
 * only: listing tools needs none, and nothing here calls a tool.
 *
 *   npx tsx scripts/record-corpus.ts            record every server
 *   npx tsx scripts/record-corpus.ts memory     record the servers whose file name contains "memory"
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const ROOT = path.resolve(__dirname, "..");
export const REAL_CORPUS_DIR = path.join(ROOT, "test", "fixtures", "corpus", "real");

/** How to start one published server so that it answers tools/list. */
export interface RealServer {
    /** npm package name; its version is read from the installed package.json. */
    package: string;
    /** Which `bin` entry to run, when the package has several. */
    bin?: string;
    /** Arguments the server requires to start (an allowed directory, a database URL). */
    args?: string[];
    /** Placeholder settings the server refuses to start without. Never a real credential. */
    env?: Record<string, string>;
}

const PLACEHOLDER = "placeholder-not-a-credential";

export const REAL_SERVERS: RealServer[] = [
    { package: "@modelcontextprotocol/server-filesystem", args: [os.tmpdir()] },
    { package: "@modelcontextprotocol/server-everything", args: ["stdio"] },
    { package: "@modelcontextprotocol/server-memory", env: { MEMORY_FILE_PATH: path.join(os.tmpdir(), "mcpsec-record-memory.jsonl") } },
    { package: "@modelcontextprotocol/server-sequential-thinking", env: { DISABLE_THOUGHT_LOGGING: "true" } },
    { package: "@modelcontextprotocol/server-github", env: { GITHUB_PERSONAL_ACCESS_TOKEN: PLACEHOLDER } },
    { package: "@modelcontextprotocol/server-gitlab", env: { GITLAB_PERSONAL_ACCESS_TOKEN: PLACEHOLDER, GITLAB_API_URL: "https://gitlab.invalid/api/v4" } },
    { package: "@modelcontextprotocol/server-slack", env: { SLACK_BOT_TOKEN: PLACEHOLDER, SLACK_TEAM_ID: "T00000000" } },
    { package: "@modelcontextprotocol/server-brave-search", env: { BRAVE_API_KEY: PLACEHOLDER } },
    { package: "@modelcontextprotocol/server-postgres", args: ["postgresql://localhost.invalid/none"] },
    { package: "@upstash/context7-mcp" },
    { package: "tavily-mcp", env: { TAVILY_API_KEY: PLACEHOLDER } },
    { package: "@notionhq/notion-mcp-server", env: { NOTION_TOKEN: PLACEHOLDER } },
];

/** The fixture file of a package: its name with the scope folded into the file name. */
export function fixtureFile(pkg: string): string {
    return path.join(REAL_CORPUS_DIR, `${pkg.replace(/^@/, "").replace(/\//g, "__")}.json`);
}

interface PackageJson { name: string; version: string; bin?: string | Record<string, string> }

function installed(pkg: string): { dir: string; json: PackageJson } {
    const file = require.resolve(`${pkg}/package.json`, { paths: [ROOT] });
    return { dir: path.dirname(file), json: JSON.parse(fs.readFileSync(file, "utf8")) as PackageJson };
}

export interface RealFixture {
    about: string;
    package: string;
    version: string;
    server: { name?: string; version?: string };
    tools: { name: string; description: string; inputSchema: unknown }[];
}

/** Starts one server over stdio, lists all its tools, and stops it. */
export async function recordServer(s: RealServer, timeoutMs = 30_000): Promise<RealFixture> {
    const { dir, json } = installed(s.package);
    const bins = typeof json.bin === "string" ? { [json.name]: json.bin } : (json.bin ?? {});
    const binPath = bins[s.bin ?? Object.keys(bins)[0]];
    if (!binPath) {
        throw new Error(`${s.package} has no bin entry to start`);
    }
    // Only PATH and HOME from this process: the server must not see this machine's own credentials.
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), NODE_NO_WARNINGS: "1", ...s.env };
    const transport = new StdioClientTransport({ command: process.execPath, args: [path.join(dir, binPath), ...(s.args ?? [])], env, stderr: "pipe" });
    const client = new Client({ name: "mcpsec-record-corpus", version: "1.0.0" });
    const timer = setTimeout(() => void transport.close(), timeoutMs);
    try {
        await client.connect(transport);
        const tools: RealFixture["tools"] = [];
        let cursor: string | undefined;
        do {
            const page = await client.listTools(cursor ? { cursor } : {});
            for (const t of page.tools) {
                tools.push({ name: t.name, description: t.description ?? "", inputSchema: t.inputSchema });
            }
            cursor = page.nextCursor;
        } while (cursor);
        const info = client.getServerVersion();
        return {
            about: "Recorded by scripts/record-corpus.ts: the server's own tools/list over stdio, unedited. Benign corpus written by the server's authors, not by this project.",
            package: json.name,
            version: json.version,
            server: { name: info?.name, version: info?.version },
            tools,
        };
    } finally {
        clearTimeout(timer);
        await client.close().catch(() => undefined);
    }
}

async function main(filter?: string): Promise<void> {
    fs.mkdirSync(REAL_CORPUS_DIR, { recursive: true });
    const chosen = REAL_SERVERS.filter((s) => !filter || fixtureFile(s.package).includes(filter));
    for (const s of chosen) {
        const fixture = await recordServer(s);
        fs.writeFileSync(fixtureFile(s.package), JSON.stringify(fixture, null, 1) + "\n");
        process.stdout.write(`${fixture.package}@${fixture.version}: ${fixture.tools.length} tools\n`);
    }
}

if (require.main === module) {
    main(process.argv[2]).catch((e: unknown) => {
        process.stderr.write(`record-corpus: ${(e as Error).message}\n`);
        process.exit(1);
    });
}
