import { Props } from "../../policies/lib/rule";
import { Fixture, FixtureResource } from "./harness";

// Factories of compliant resources; each failing case breaks one property.
const vpc = (name = "vpc", props: Props = {}): FixtureResource => ({ type: "aws:ec2/vpc:Vpc", name, props: { cidrBlock: "10.0.0.0/16", arn: `arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0${name}`, ...props } });
const flowLog = (vpcName = "vpc", props: Props = {}): FixtureResource => ({ type: "aws:ec2/flowLog:FlowLog", name: `${vpcName}-fl`, props: { trafficType: "ALL", vpcId: "vpc-unknown", ...props }, refs: { vpcId: [vpcName] } });
const defaultSg = (vpcName = "vpc", props: Props = {}): FixtureResource => ({ type: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", name: `${vpcName}-default-sg`, props: { ingress: [], egress: [], ...props }, refs: { vpcId: [vpcName] } });
const subnet = (props: Props = {}): Props => ({ vpcId: "vpc-1", cidrBlock: "10.0.0.0/20", mapPublicIpOnLaunch: false, ...props });
const naclEntry = (props: Props = {}): Props => ({ ruleNo: 100, action: "allow", protocol: "tcp", cidrBlock: "10.0.0.0/16", fromPort: 0, toPort: 65535, ...props });
const logGroup = (props: Props = {}): Props => ({ name: "/mcpsec/x", retentionInDays: 365, kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k", ...props });
const kmsKey = (props: Props = {}): Props => ({ enableKeyRotation: true, deletionWindowInDays: 30, ...props });

const SUBNET = "aws:ec2/subnet:Subnet";
const NACL = "aws:ec2/networkAcl:NetworkAcl";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

export interface RuleCases {
    pass: Fixture[];
    fail: (Fixture & { expect: RegExp })[];
}

/** Pass and fail fixtures for every rule of the mcpsec-aws pack (the registry test requires both). */
export const awsCases: Record<string, RuleCases> = {
    "aws-ec2-vpc-flow-logs-enabled": {
        pass: [
            { label: "VPC with an ALL flow log", resources: [vpc(), flowLog()] },
            { label: "flow log referring to the VPC by id string", resources: [vpc(), { ...flowLog("vpc", { vpcId: "vpc-0vpc" }), refs: {} }] },
            { label: "ALL besides a REJECT log", resources: [vpc(), flowLog(), { ...flowLog("vpc", { trafficType: "REJECT" }), name: "second" }] },
        ],
        fail: [
            { label: "VPC without flow log", resources: [vpc(), vpc("other"), flowLog("other")], expect: /VPC vpc has no flow log/ },
            { label: "only rejected traffic logged", resources: [vpc(), flowLog("vpc", { trafficType: "REJECT" })], expect: /only for REJECT traffic/ },
        ],
    },
    "aws-ec2-default-security-group-closed": {
        pass: [{ label: "managed and empty", resources: [vpc(), defaultSg()] }],
        fail: [
            { label: "not managed", resources: [vpc()], expect: /default security group of VPC vpc is not managed/ },
            { label: "an ingress rule", resources: [vpc(), defaultSg("vpc", { ingress: [{ protocol: "-1", self: true, fromPort: 0, toPort: 0 }] })], expect: /1 ingress and 0 egress rules/ },
            { label: "an egress rule", resources: [vpc(), defaultSg("vpc", { egress: [{ protocol: "-1", cidrBlocks: ["0.0.0.0/0"], fromPort: 0, toPort: 0 }] })], expect: /0 ingress and 1 egress rules/ },
        ],
    },
    "aws-ec2-subnet-no-public-ip": {
        pass: [
            { label: "private subnet", type: SUBNET, props: subnet() },
            { label: "unset (AWS default false)", type: SUBNET, props: subnet({ mapPublicIpOnLaunch: undefined }) },
        ],
        fail: [
            { label: "public IPv4 on launch", type: SUBNET, props: subnet({ mapPublicIpOnLaunch: true }), expect: /mapPublicIpOnLaunch is true/ },
            { label: "IPv6 on creation", type: SUBNET, props: subnet({ assignIpv6AddressOnCreation: true }), expect: /globally routable IPv6/ },
        ],
    },
    "aws-ec2-network-acl-no-admin-ingress-from-internet": {
        pass: [
            { label: "zone-only and split ephemeral ranges", type: NACL, props: { ingress: [naclEntry(), naclEntry({ ruleNo: 120, cidrBlock: "0.0.0.0/0", fromPort: 1024, toPort: 3388 }), naclEntry({ ruleNo: 130, cidrBlock: "0.0.0.0/0", fromPort: 3390, toPort: 65535 })] } },
            { label: "deny entry for SSH from anywhere", type: NACL, props: { ingress: [naclEntry({ action: "deny", cidrBlock: "0.0.0.0/0", fromPort: 22, toPort: 22 })] } },
            { label: "egress rule resource", type: "aws:ec2/networkAclRule:NetworkAclRule", props: { egress: true, ruleAction: "allow", protocol: "-1", cidrBlock: "0.0.0.0/0", ruleNumber: 100 } },
        ],
        fail: [
            { label: "all traffic from anywhere", type: NACL, props: { ingress: [naclEntry({ protocol: "-1", cidrBlock: "0.0.0.0/0", fromPort: 0, toPort: 0 })] }, expect: /Rule 100 allows -1 ports 0-0 from 0.0.0.0\/0/ },
            { label: "SSH from anywhere (IPv6)", type: NACL, props: { ingress: [naclEntry({ cidrBlock: undefined, ipv6CidrBlock: "::/0", fromPort: 22, toPort: 22 })] }, expect: /from ::\/0/ },
            { label: "ephemeral range that covers RDP", type: NACL, props: { ingress: [naclEntry({ cidrBlock: "0.0.0.0/0", fromPort: 1024, toPort: 65535 })] }, expect: /ports 1024-65535/ },
            { label: "default NACL with an open rule", type: "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl", props: { ingress: [naclEntry({ protocol: "all", cidrBlock: "0.0.0.0/0" })] }, expect: /allows all/ },
            { label: "standalone rule resource", type: "aws:ec2/networkAclRule:NetworkAclRule", props: { egress: false, ruleAction: "allow", protocol: "6", cidrBlock: "0.0.0.0/0", fromPort: 3389, toPort: 3389, ruleNumber: 200 }, expect: /Rule 200/ },
        ],
    },
    "aws-cloudwatch-log-group-encrypted": {
        pass: [{ label: "customer key", type: LOG_GROUP, props: logGroup() }],
        fail: [{ label: "no key", type: LOG_GROUP, props: logGroup({ kmsKeyId: undefined }), expect: /no kmsKeyId/ }],
    },
    "aws-cloudwatch-log-group-retention": {
        pass: [
            { label: "one year", type: LOG_GROUP, props: logGroup() },
            { label: "never expires", type: LOG_GROUP, props: logGroup({ retentionInDays: undefined }) },
            { label: "lower minimum from pack config", type: LOG_GROUP, props: logGroup({ retentionInDays: 90 }), config: { minimumRetentionDays: 90 } },
        ],
        fail: [
            { label: "30 days", type: LOG_GROUP, props: logGroup({ retentionInDays: 30 }), expect: /retentionInDays is 30; the minimum is 365/ },
            { label: "below a raised minimum", type: LOG_GROUP, props: logGroup({ retentionInDays: 365 }), config: { minimumRetentionDays: 400 }, expect: /the minimum is 400/ },
        ],
    },
    "aws-kms-key-rotation-enabled": {
        pass: [
            { label: "rotating symmetric key", type: "aws:kms/key:Key", props: kmsKey() },
            { label: "asymmetric signing key (cannot rotate)", type: "aws:kms/key:Key", props: kmsKey({ enableKeyRotation: false, customerMasterKeySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY" }) },
        ],
        fail: [
            { label: "rotation off", type: "aws:kms/key:Key", props: kmsKey({ enableKeyRotation: false }), expect: /enableKeyRotation is not true/ },
            { label: "rotation unset", type: "aws:kms/key:Key", props: kmsKey({ enableKeyRotation: undefined }), expect: /enableKeyRotation is not true/ },
        ],
    },
};
