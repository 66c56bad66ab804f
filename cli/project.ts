import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { SECRET_PLACEHOLDER } from "./graph";
import { UsageError } from "./errors";

export interface ProjectInfo {
    root: string;
    name: string;
    stackConfigDir: string;
}

/** Finds the Pulumi project (the folder with Pulumi.yaml) at or above `start`. */
export function findProject(start: string): ProjectInfo {
    let dir = path.resolve(start);
    for (;;) {
        const file = path.join(dir, "Pulumi.yaml");
        if (fs.existsSync(file)) {
            const doc = parseYaml(file) as { name?: unknown; stackConfigDir?: unknown } | null;
            if (!doc || typeof doc.name !== "string") {
                throw new UsageError(`${file}: the key "name" is missing or not a string`);
            }
            const stackConfigDir = typeof doc.stackConfigDir === "string" ? doc.stackConfigDir : ".";
            return { root: dir, name: doc.name, stackConfigDir: path.join(dir, stackConfigDir) };
        }
        const up = path.dirname(dir);
        if (up === dir) {
            throw new UsageError(`no Pulumi.yaml found at or above ${path.resolve(start)}`);
        }
        dir = up;
    }
}

function parseYaml(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const doc = YAML.parseDocument(text, { prettyErrors: false });
    if (doc.errors.length > 0) {
        const err = doc.errors[0];
        const line = err.linePos?.[0];
        throw new UsageError(`${file}${line ? `:${line.line}:${line.col}` : ""}: invalid YAML: ${err.message.split("\n")[0]}`);
    }
    return doc.toJS();
}

/** Stack names that have a config file `Pulumi.<stack>.yaml` in the project's stack config folder. */
export function listStacks(project: ProjectInfo): string[] {
    if (!fs.existsSync(project.stackConfigDir)) {
        return [];
    }
    return fs.readdirSync(project.stackConfigDir)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

export interface StackConfig {
    /** Flat `namespace:key` -> string map, as the engine hands config to a program. */
    config: Record<string, string>;
    /** Keys whose value is secret (`secure:`), replaced by a placeholder offline. */
    secretKeys: string[];
    file: string;
}

function hasSecure(value: unknown): boolean {
    if (Array.isArray(value)) {
        return value.some(hasSecure);
    }
    if (value && typeof value === "object") {
        const entries = Object.entries(value);
        return (entries.length === 1 && entries[0][0] === "secure") || entries.some(([, v]) => hasSecure(v));
    }
    return false;
}

function replaceSecure(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(replaceSecure);
    }
    if (value && typeof value === "object") {
        const entries = Object.entries(value);
        if (entries.length === 1 && entries[0][0] === "secure") {
            return SECRET_PLACEHOLDER;
        }
        return Object.fromEntries(entries.map(([k, v]) => [k, replaceSecure(v)]));
    }
    return value;
}

/**
 * Reads `Pulumi.<stack>.yaml` (or the file given) the way the CLI does: keys without a namespace belong to the
 * project, structured values are passed as JSON, `secure:` values become a marked placeholder (they can only be
 * decrypted by the CLI with the stack's secrets provider).
 */
export function loadStackConfig(project: ProjectInfo, stack: string, file?: string): StackConfig {
    const stackFile = file ?? path.join(project.stackConfigDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        const known = listStacks(project);
        throw new UsageError(`stack "${stack}" has no config file ${path.relative(process.cwd(), stackFile) || stackFile}; stacks with config: ${known.join(", ") || "(none)"}`);
    }
    const doc = parseYaml(stackFile) as { config?: unknown } | null;
    const raw = doc?.config ?? {};
    if (typeof raw !== "object" || Array.isArray(raw) || raw === null) {
        throw new UsageError(`${stackFile}: "config" must be a map of keys to values`);
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(raw)) {
        const fullKey = key.includes(":") ? key : `${project.name}:${key}`;
        if (hasSecure(value)) {
            secretKeys.push(fullKey);
        }
        const plain = replaceSecure(value);
        config[fullKey] = typeof plain === "string" ? plain : JSON.stringify(plain);
    }
    return { config, secretKeys, file: stackFile };
}
