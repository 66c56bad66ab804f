import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../cli/errors";
import { otherRunnableTasks, packNiceStep, startPackProcess } from "../../cli/packProcess";

// Pack processes run at a lower priority than mcpsec: 19 steps of niceness when the machine has a core free (they boot
// on CPU the program leaves idle), none when it is busy with other work (they would wait behind it for the whole
// check); MCPSEC_PACK_NICE sets the step.
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

async function startedNice(step?: number): Promise<number> {
    const pack = startPackProcess(path.join(ROOT, "policies", "mcp"), step);
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
    it("is 19 steps below mcpsec with a core free, 0 on a busy machine, 10 where that cannot be told; MCPSEC_PACK_NICE decides when set", () => {
        // 2 cores: this process uses one; a free core means no other runnable task.
        expect(packNiceStep({}, () => 0, 2)).toBe(19);
        expect(packNiceStep({}, () => 1, 2)).toBe(0);
        expect(packNiceStep({}, () => 5, 8)).toBe(19);
        expect(packNiceStep({}, () => 7, 8)).toBe(0);
        expect(packNiceStep({}, () => undefined, 2)).toBe(10);
        expect(packNiceStep({ MCPSEC_PACK_NICE: "" }, () => 0, 2)).toBe(19);
        expect(packNiceStep({ MCPSEC_PACK_NICE: "0" }, () => 0, 2)).toBe(0);
        expect(packNiceStep({ MCPSEC_PACK_NICE: "7" }, () => 1, 2)).toBe(7);
        expect(packNiceStep({ MCPSEC_PACK_NICE: "19" }, () => 1, 2)).toBe(19);
    });

    it.runIf(fs.existsSync("/proc/loadavg"))("sees other work: with a busy loop on every core it gives the packs no lower priority", async () => {
        const cores = os.availableParallelism();
        const loops = Array.from({ length: cores }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
        try {
            await Promise.all(loops.map((l) => new Promise((resolve) => l.once("spawn", resolve))));
            await new Promise((resolve) => setTimeout(resolve, 200));
            expect(otherRunnableTasks()).toBeGreaterThanOrEqual(cores);
            expect(packNiceStep({})).toBe(0);
        } finally {
            loops.forEach((l) => l.kill("SIGKILL"));
        }
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
        expect(await startedNice(19)).toBe(Math.min(19, own + 19));
        expect(await startedNice(0)).toBe(own);
        process.env.MCPSEC_PACK_NICE = "3";
        expect(await startedNice()).toBe(Math.min(19, own + 3));
    });
});
