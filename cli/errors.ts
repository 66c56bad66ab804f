/** Exit codes of `mcpsec`, documented in the README. */
export const EXIT = { ok: 0, violations: 1, usage: 2, internal: 3 } as const;

/** An error the user can fix (bad flag, missing stack file, invalid config): printed as one line, exit 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}
