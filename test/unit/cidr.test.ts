import { describe, expect, it } from "vitest";
import { parseCidr, subnetCidr } from "../../components/common/cidr";

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
