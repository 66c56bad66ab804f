import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../cli/errors";
import { packNiceStep, startPackProcess } from "../../cli/packProcess";

// Pack processes run at a lower priority than mcpsec (MCPSEC_PACK_NICE steps of niceness, default 19): they boot on
// CPU the program leaves idle instead of slowing the synthesis the check waits for first.
const ROOT = path.resolve(__dirname, "..", "..");
const saved = process.env.MCPSEC_PACK_NICE;
afterEach(() => {
    if (saved === undefined) {
        delete process.env.MCPSEC_PACK_NICE;
    } else {
        process.env.MCPSEC_PACK_NICE = saved;
    }
});

/** The niceness of a process, from /proc/<pid>/stat (field 19). */
function niceOf(pid: number): number {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

async function startedNice(): Promise<number> {
    const pack = startPackProcess(path.join(ROOT, "policies", "mcp"));
    try {
        await new Promise<void>((resolve, reject) => {
            pack.child.once("spawn", resolve);
            pack.child.once("error", reject);
        });
        return niceOf(pack.child.pid!);
    } finally {
        pack.child.kill();
    }
}

describe("pack process priority", () => {
    it("is 19 steps below mcpsec by default, any step from 0 to 19 by MCPSEC_PACK_NICE", () => {
        expect(packNiceStep({})).toBe(19);
        expect(packNiceStep({ MCPSEC_PACK_NICE: "" })).toBe(19);
        expect(packNiceStep({ MCPSEC_PACK_NICE: "0" })).toBe(0);
        expect(packNiceStep({ MCPSEC_PACK_NICE: "7" })).toBe(7);
        expect(packNiceStep({ MCPSEC_PACK_NICE: "19" })).toBe(19);
    });

    it.each(["20", "-1", "high", "1.5", " 3"])("refuses MCPSEC_PACK_NICE=%j, naming the variable, the value and what is allowed", (value) => {
        expect(() => packNiceStep({ MCPSEC_PACK_NICE: value })).toThrow(UsageError);
        expect(() => packNiceStep({ MCPSEC_PACK_NICE: value })).toThrow(`MCPSEC_PACK_NICE is ${JSON.stringify(value)}; allowed: a whole number from 0 to 19`);
    });

    it("starts nothing when MCPSEC_PACK_NICE is bad", () => {
        process.env.MCPSEC_PACK_NICE = "twenty";
        expect(() => startPackProcess(path.join(ROOT, "policies", "mcp"))).toThrow(/MCPSEC_PACK_NICE is "twenty"/);
    });

    it.runIf(fs.existsSync("/proc/self/stat"))("is applied to the started pack process, relative to mcpsec and capped at 19", async () => {
        const own = os.getPriority();
        delete process.env.MCPSEC_PACK_NICE;
        expect(await startedNice()).toBe(Math.min(19, own + 19));
        process.env.MCPSEC_PACK_NICE = "0";
        expect(await startedNice()).toBe(own);
        process.env.MCPSEC_PACK_NICE = "3";
        expect(await startedNice()).toBe(Math.min(19, own + 3));
    });
});
