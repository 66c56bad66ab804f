import { describe, expect, it } from "vitest";
import { parse as parseAst, type AnyNode } from "@humanwhocodes/momoa";
import { parseBody } from "../../guard/src/core/jsonrpc";

/** The reference: a duplicate key anywhere in the syntax tree (decoded names), as momoa reads the text. */
function hasDuplicate(node: AnyNode): boolean {
    if (node.type === "Document") {
        return hasDuplicate(node.body);
    }
    if (node.type === "Object") {
        const names = node.members.map((m) => (m.name.type === "String" ? m.name.value : m.name.name));
        return new Set(names).size !== names.length || node.members.some((m) => hasDuplicate(m.value));
    }
    if (node.type === "Array") {
        return node.elements.some((e) => hasDuplicate(e.value));
    }
    return false;
}

const wrap = (params: string) => `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":${params}}`;

/** A small deterministic generator of JSON values whose objects sometimes repeat a key (in several spellings). */
function* documents(n: number): Generator<string> {
    let seed = 42;
    const rnd = (k: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % k;
    };
    const names = ["a", "b", "name", "n\\u0061me", "__proto__", "\\\"q", "x:y", "\\\\", "é", "\\u00e9", "k\\n"];
    const strings = ["\"\"", "\"a\\\":\"", "\"\\\\\"", "\"x\\\"\\\\\\\"\"", "\"{\\\"a\\\":1}\"", "\": \""];
    const value = (depth: number): string => {
        const r = rnd(depth > 3 ? 3 : 6);
        if (r === 0) {
            return strings[rnd(strings.length)];
        }
        if (r === 1) {
            return String(rnd(1000));
        }
        if (r === 2) {
            return ["true", "null", "false"][rnd(3)];
        }
        if (r === 3) {
            return `[${Array.from({ length: rnd(4) }, () => value(depth + 1)).join(" , ")}]`;
        }
        const members = Array.from({ length: rnd(5) }, () => `"${names[rnd(names.length)]}"${" ".repeat(rnd(2))}:${"\n".repeat(rnd(2))}${value(depth + 1)}`);
        return `{${members.join(",")}}`;
    };
    for (let i = 0; i < n; i++) {
        yield wrap(`{"name":"t","arguments":${value(0)}}`);
    }
}

describe("duplicate keys (the counting check agrees with the syntax tree)", () => {
    it("refuses exactly the bodies whose syntax tree repeats a key, in any object, in any spelling", () => {
        const fixed = [
            wrap(`{"name":"echo","n\\u0061me":"delete"}`),
            wrap(`{"name":"echo","arguments":{"a":1,"b":{"c":[{"d":1,"d":2}]}}}`),
            wrap(`{"name":"echo","arguments":{"__proto__":1,"__proto__":2}}`),
            wrap(`{"name":"echo","arguments":{"text":"\\":\\"","text2":"a"}}`),
            wrap(`{"name":"echo","arguments":{"\\"":1,"\\u0022":2}}`),
            wrap(`{"name":"echo","arguments":{"a" : 1, "a"\n:2}}`),
            wrap(`{"name":"echo","arguments":["a","a",{"a":"a"}]}`),
            `{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}`,
        ];
        let refused = 0;
        for (const body of [...fixed, ...documents(2000)]) {
            const expected = hasDuplicate(parseAst(body, { mode: "json" }));
            const verdict = parseBody(Buffer.from(body));
            const duplicate = !verdict.ok && verdict.reason === "duplicate_key";
            expect(duplicate, body).toBe(expected);
            refused += duplicate ? 1 : 0;
        }
        // Both outcomes are exercised.
        expect(refused).toBeGreaterThan(100);
        expect(refused).toBeLessThan(1900);
        expect(parseBody(Buffer.from(fixed[0]))).toMatchObject({ ok: false, detail: "the key \"name\" appears twice in one object" });
    });
});
