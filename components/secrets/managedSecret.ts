import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ConfigError } from "../common/errors";
import { componentTags } from "../common/tags";

export interface ManagedSecretArgs {
    description: string;
    /** KMS key that encrypts the secret (a customer-managed key). */
    kmsKeyArn: pulumi.Input<string>;
    /** Generate the value (a random password of this length, kept as a Pulumi secret). Default: no value is set. */
    generateLength?: number;
    /** Lambda that rotates the secret. Required unless `manualRotation` is set. */
    rotationLambdaArn?: pulumi.Input<string>;
    /** Days between rotations (1-365). Default 30. */
    rotationDays?: number;
    /** Opt-out: no automatic rotation (for example a partner's API key). Reported by `aws-secretsmanager-secret-rotation`. */
    manualRotation?: boolean;
    tags?: Record<string, string>;
}

/**
 * A Secrets Manager secret for an MCP server (control S5): encrypted with a customer-managed key, a 30-day recovery
 * window, rotated on a schedule by a rotation Lambda, and, when generated here, its value a Pulumi secret that
 * never appears in clear in state or previews.
 */
export class ManagedSecret extends pulumi.ComponentResource {
    public readonly arn: pulumi.Output<string>;

    constructor(name: string, args: ManagedSecretArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const rotationDays = args.rotationDays ?? 30;
        if (!Number.isInteger(rotationDays) || rotationDays < 1 || rotationDays > 365) {
            throw new ConfigError(`ManagedSecret "${name}".rotationDays`, `${rotationDays} is not allowed; expected 1 to 365`);
        }
        if (args.rotationLambdaArn === undefined && !args.manualRotation) {
            throw new ConfigError(`ManagedSecret "${name}".rotationLambdaArn`, "is required but missing; give the rotation Lambda, or set manualRotation: true (reported as a violation)");
        }
        if (args.generateLength !== undefined && (!Number.isInteger(args.generateLength) || args.generateLength < 20 || args.generateLength > 4096)) {
            throw new ConfigError(`ManagedSecret "${name}".generateLength`, `${args.generateLength} is not allowed; expected 20 to 4096 characters`);
        }
        super("mcpsec:secrets:ManagedSecret", name, {}, opts);
        const parent = { parent: this };
        const secret = new aws.secretsmanager.Secret(`${name}-secret`, {
            description: args.description,
            kmsKeyId: args.kmsKeyArn,
            recoveryWindowInDays: 30,
            tags: componentTags("secrets", `${name}-secret`, args.tags),
        }, parent);
        if (args.generateLength !== undefined) {
            const value = new random.RandomPassword(`${name}-value`, { length: args.generateLength, special: true, overrideSpecial: "!#%&*()-_=+[]{}<>:?" }, parent);
            new aws.secretsmanager.SecretVersion(`${name}-value`, { secretId: secret.id, secretString: pulumi.secret(value.result) }, { parent: this, ignoreChanges: args.rotationLambdaArn ? ["secretString"] : [] });
        }
        if (args.rotationLambdaArn !== undefined) {
            new aws.secretsmanager.SecretRotation(`${name}-rotation`, {
                secretId: secret.id,
                rotationLambdaArn: args.rotationLambdaArn,
                rotationRules: { automaticallyAfterDays: rotationDays },
            }, parent);
        }
        this.arn = secret.arn;
        this.registerOutputs({ arn: this.arn });
    }
}
