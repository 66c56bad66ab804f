import { describe, expect, it } from "vitest";
import { cidrContains, cidrsOverlap, cidrSubtract, parseCidr, subnetCidr } from "../../components/common/cidr";

describe("subnetCidr", () => {
    it.each([
        ["10.40.0.0/16", 20, 0, "10.40.0.0/20"],
        ["10.40.0.0/16", 20, 2, "10.40.32.0/20"],
        ["10.40.0.0/16", 20, 15, "10.40.240.0/20"],
        ["192.168.4.0/24", 28, 3, "192.168.4.48/28"],
        ["172.16.0.0/12", 16, 15, "172.31.0.0/16"],
    ])("%s /%i #%i is %s", (cidr, prefix, index, expected) => {
        expect(subnetCidr(cidr, prefix, index)).toBe(expected);
    });

    it.each([
        ["10.40.0.0/16", 20, 16, /holds 16 \/20 blocks/],
        ["10.40.0.0/16", 12, 0, /cannot carve/],
        ["10.40.0.1/16", 20, 0, /boundary/],
        ["10.400.0.0/16", 20, 0, /not an IPv4 address/],
    ])("rejects %s /%i #%i", (cidr, prefix, index, error) => {
        expect(() => subnetCidr(cidr, prefix as number, index as number)).toThrow(error);
    });

    it("parses a CIDR", () => {
        expect(parseCidr("10.0.0.0/8")).toEqual({ base: 10 * 2 ** 24, prefix: 8 });
    });
});

describe("cidrSubtract", () => {
    it("takes the zone out of a block around it, leaving every other address", () => {
        const left = cidrSubtract(["10.0.0.0/8"], "10.40.0.0/16");
        expect(left).toEqual(["10.128.0.0/9", "10.64.0.0/10", "10.0.0.0/11", "10.48.0.0/12", "10.32.0.0/13", "10.44.0.0/14", "10.42.0.0/15", "10.41.0.0/16"]);
        expect(left.some((c) => cidrsOverlap(c, "10.40.0.0/16"))).toBe(false);
        // The pieces add up to the block minus the zone: 2^24 - 2^16 addresses.
        expect(left.reduce((n, c) => n + 2 ** (32 - parseCidr(c).prefix), 0)).toBe(2 ** 24 - 2 ** 16);
        expect(["10.0.0.1", "10.39.255.255", "10.41.0.0", "10.255.255.255"].every((a) => left.some((c) => cidrContains(c, `${a}/32`)))).toBe(true);
    });

    it("keeps blocks apart from the removed one, drops blocks inside it", () => {
        expect(cidrSubtract(["192.168.0.0/16", "10.40.8.0/24"], "10.40.0.0/16")).toEqual(["192.168.0.0/16"]);
        expect(cidrSubtract(["10.40.0.0/16"], "10.40.0.0/16")).toEqual([]);
    });

    it("takes several blocks out (the zone's workload subnets), leaving the rest of the zone", () => {
        const left = cidrSubtract(["10.40.0.0/16"], ["10.40.0.0/20", "10.40.16.0/20", "10.40.32.0/20"]);
        expect(left.sort()).toEqual(["10.40.128.0/17", "10.40.48.0/20", "10.40.64.0/18"]);
    });
});
