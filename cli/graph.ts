/** The resource graph the offline synthesis produces (`mcpsec synth --format json`, schema version 1). */

export interface GraphResourceOptions {
    protect: boolean;
    ignoreChanges: string[];
    /** Present only when the program set it. */
    deleteBeforeReplace?: boolean;
    retainOnDelete: boolean;
    additionalSecretOutputs: string[];
    replaceOnChanges: string[];
    aliases: string[];
    customTimeouts?: { create?: string; update?: string; delete?: string };
    deletedWith?: string;
}

export interface GraphResource {
    urn: string;
    type: string;
    name: string;
    /** True for provider-managed (custom) resources, false for components and the stack. */
    custom: boolean;
    id?: string;
    parent?: string;
    /** Provider reference `<provider urn>::<provider id>`; default providers are named as the engine names them. */
    provider?: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    /** Inputs in Pulumi's wire form: secrets as signed secret objects (value redacted), resources as references. */
    inputs: Record<string, unknown>;
    /** Outputs the mock engine answered (for components, their registered outputs). */
    outputs: Record<string, unknown>;
    options: GraphResourceOptions;
}

export interface ResourceGraph {
    version: 1;
    project: string;
    stack: string;
    /** Stack configuration as the program saw it; secret values are replaced by a placeholder. */
    config: Record<string, string>;
    /** Config keys whose `secure:` values could not be decrypted offline and were replaced by a placeholder. */
    secretPlaceholders: string[];
    resources: GraphResource[];
    outputs: Record<string, unknown>;
    /** What the synthesis wants the reader to know (for `--program`: the entry point, a missing stack config). */
    notes?: string[];
}

/** The wire-form signature Pulumi uses for secret values. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_PLACEHOLDER = "[secret: not available offline]";
