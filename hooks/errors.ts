/**
 * Typed errors of the hooks. Each carries what a user needs to fix the cause,
 * so a verdict can quote `message` as is.
 */

/** A setting (MANGUM_WARMUP_CONFIG, deployer input, keep-warm rule input) is missing or out of range. */
export class WarmupSettingsError extends Error {
    override readonly name = "WarmupSettingsError";
    constructor(
        /** Dotted path of the offending field, e.g. `warmup.holdMs[1]`. */
        readonly field: string,
        /** What is allowed, e.g. `an integer from 1 to 100`. */
        readonly allowed: string,
        /** What was received, already rendered for a message. */
        readonly received: string,
    ) {
        super(`${field} must be ${allowed} (got ${received})`);
    }
}

/** The hook's own input is not what its caller (CodeDeploy, EventBridge) sends. */
export class HookInputError extends Error {
    override readonly name = "HookInputError";
}

/** The target version could not be read from the CodeDeploy deployment. */
export class DeploymentTargetError extends Error {
    override readonly name = "DeploymentTargetError";
    constructor(
        message: string,
        /** The deployment was read and contradicts the hook's settings: no fallback may paper over it. */
        readonly mismatch = false,
    ) {
        super(message);
    }
}

/** Renders anything thrown as `Type: message`, the way reports and logs quote errors. */
export function describeError(err: unknown): string {
    if (err instanceof Error) {
        return err.message ? `${err.name}: ${err.message}` : err.name;
    }
    return String(err);
}
