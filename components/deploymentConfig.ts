/**
 * How CodeDeploy moves traffic from the live version to a new one: the nine
 * predefined Lambda configurations, plus custom canary and linear ones.
 *
 * A custom config is only a spec here; the component turns it into an
 * `aws.codedeploy.DeploymentConfig` with {@link deploymentConfigArgs}, so the
 * spec can be validated and described without a Pulumi runtime.
 */
import type * as aws from "@pulumi/aws";

/** How CodeDeploy moves traffic. */
export const TrafficShiftType = {
    AllAtOnce: "AllAtOnce",
    Canary: "Canary",
    Linear: "Linear",
} as const;
export type TrafficShiftType = (typeof TrafficShiftType)[keyof typeof TrafficShiftType];

/** Whether a config is one of CodeDeploy's own or needs a DeploymentConfig resource. */
export const DeploymentConfigKind = {
    Predefined: "predefined",
    Custom: "custom",
} as const;
export type DeploymentConfigKind = (typeof DeploymentConfigKind)[keyof typeof DeploymentConfigKind];

interface Shape {
    type: TrafficShiftType;
    /** Canary: share of traffic in the first step. Linear: share added every step. AllAtOnce: 100. */
    percentage: number;
    /** Canary: minutes before the rest follows. Linear: minutes between steps. AllAtOnce: 0. */
    intervalMinutes: number;
}

/**
 * A deployment config as `deployment.config` takes it, in every language. The `DeploymentConfig`
 * constants and factories fill every field; other languages may write only what identifies it:
 * `{ name: "CodeDeployDefault.LambdaLinear10PercentEvery1Minute" }` for a predefined one,
 * `{ type: "Canary", percentage: 20, intervalMinutes: 3 }` for a custom one.
 */
export interface DeploymentConfigSpec {
    /**
     * `predefined` (by `name`) or `custom` (by `type`, `percentage`, `intervalMinutes`).
     * @default "predefined" when `name` is given, else "custom"
     */
    readonly kind?: DeploymentConfigKind;
    /** A predefined config's CodeDeploy name, e.g. `CodeDeployDefault.LambdaCanary10Percent5Minutes`. */
    readonly name?: string;
    /** `Canary` or `Linear` for a custom config; a predefined one's must match its name. */
    readonly type?: TrafficShiftType;
    /** Canary: share of traffic in the first step. Linear: share added every step. Integer 1-99 for a custom config. */
    readonly percentage?: number;
    /** Canary: minutes before the rest follows. Linear: minutes between steps. Integer 1-2880 for a custom config. */
    readonly intervalMinutes?: number;
}

/** One of CodeDeploy's built-in Lambda configurations, referenced by name. */
export interface PredefinedDeploymentConfig extends Shape {
    readonly kind: "predefined";
    /** The CodeDeploy name, e.g. `CodeDeployDefault.LambdaCanary10Percent5Minutes`. */
    readonly name: string;
}

/** A canary or linear shift CodeDeploy does not predefine; it needs its own deployment config resource. */
export interface CustomDeploymentConfig extends Shape {
    readonly kind: "custom";
    readonly type: "Canary" | "Linear";
}

/** A config from the catalogue or a factory, every field filled: what the component builds from. */
export type CanonicalDeploymentConfig = PredefinedDeploymentConfig | CustomDeploymentConfig;

export interface TrafficShiftOptions {
    /** Integer percentage, 1–99. */
    percentage: number;
    /** Integer minutes, 1–2880. */
    intervalMinutes: number;
}

/**
 * CodeDeploy's quota for Lambda deployments: at most 48 hours between the
 * first and the last traffic shift (the deployment itself may run 50 hours:
 * plus one hour for each lifecycle hook).
 */
export const MAX_SHIFT_MINUTES = 48 * 60;

/** A deployment config that CodeDeploy would refuse or could never finish. */
export class DeploymentConfigError extends Error {
    override readonly name = "DeploymentConfigError";
}

function predefined(name: string, type: TrafficShiftType, percentage: number, intervalMinutes: number): PredefinedDeploymentConfig {
    return Object.freeze({ kind: "predefined", name: `CodeDeployDefault.Lambda${name}`, type, percentage, intervalMinutes });
}

function render(value: unknown): string {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function requireInteger(type: "Canary" | "Linear", field: string, value: unknown, min: number, max: number): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        throw new DeploymentConfigError(
            `deployment.config: ${type.toLowerCase()} ${field} must be an integer from ${min} to ${max} (got ${render(value)})`,
        );
    }
    return value;
}

/** Throws unless `value` is a percentage CodeDeploy accepts for a custom canary or linear config. */
export function validatePercentage(type: "Canary" | "Linear", value: unknown): number {
    // 100 would be an all-at-once shift; CodeDeploy already has that config.
    return requireInteger(type, "percentage", value, 1, 99);
}

/** Throws unless `value` is an interval CodeDeploy accepts for a custom canary or linear config. */
export function validateIntervalMinutes(type: "Canary" | "Linear", value: unknown): number {
    return requireInteger(type, "intervalMinutes", value, 1, MAX_SHIFT_MINUTES);
}

/** Number of traffic shifts a linear config makes: the last step tops up to 100 %. */
function linearSteps(percentage: number): number {
    return Math.ceil(100 / percentage);
}

/**
 * Minutes from the first traffic shift to the last one (hooks not included):
 * 0 for all at once, the interval for a canary, one interval per step after
 * the first for linear. This is the span CodeDeploy's 48-hour quota limits.
 */
export function estimateShiftMinutes(config: Shape): number {
    switch (config.type) {
        case "AllAtOnce":
            return 0;
        case "Canary":
            return config.intervalMinutes;
        case "Linear":
            return config.intervalMinutes * (linearSteps(config.percentage) - 1);
    }
}

function custom(type: "Canary" | "Linear", options: TrafficShiftOptions): CustomDeploymentConfig {
    if (typeof options !== "object" || options === null) {
        throw new DeploymentConfigError(`deployment.config: ${type.toLowerCase()} needs { percentage, intervalMinutes } (got ${render(options)})`);
    }
    const percentage = validatePercentage(type, options.percentage);
    const intervalMinutes = validateIntervalMinutes(type, options.intervalMinutes);
    const spec: CustomDeploymentConfig = Object.freeze({ kind: "custom", type, percentage, intervalMinutes });
    const total = estimateShiftMinutes(spec);
    if (total > MAX_SHIFT_MINUTES) {
        throw new DeploymentConfigError(
            `deployment.config: linear ${percentage}% every ${intervalMinutes} minutes needs ${total} minutes from the first to the last traffic shift; ` +
                `CodeDeploy allows at most ${MAX_SHIFT_MINUTES} (48 hours): raise the percentage or shorten the interval`,
        );
    }
    return spec;
}

/**
 * The catalogue, in the spirit of aws-cdk's `LambdaDeploymentConfig`:
 * `DeploymentConfig.Canary10Percent5Minutes`, or
 * `DeploymentConfig.linear({ percentage: 20, intervalMinutes: 3 })`.
 */
export const DeploymentConfig = Object.freeze({
    /** Everything moves at once, right after the pre-traffic check passes. */
    AllAtOnce: predefined("AllAtOnce", "AllAtOnce", 100, 0),
    Canary10Percent5Minutes: predefined("Canary10Percent5Minutes", "Canary", 10, 5),
    Canary10Percent10Minutes: predefined("Canary10Percent10Minutes", "Canary", 10, 10),
    Canary10Percent15Minutes: predefined("Canary10Percent15Minutes", "Canary", 10, 15),
    Canary10Percent30Minutes: predefined("Canary10Percent30Minutes", "Canary", 10, 30),
    Linear10PercentEvery1Minute: predefined("Linear10PercentEvery1Minute", "Linear", 10, 1),
    Linear10PercentEvery2Minutes: predefined("Linear10PercentEvery2Minutes", "Linear", 10, 2),
    Linear10PercentEvery3Minutes: predefined("Linear10PercentEvery3Minutes", "Linear", 10, 3),
    Linear10PercentEvery10Minutes: predefined("Linear10PercentEvery10Minutes", "Linear", 10, 10),
    /** `percentage` of traffic first, the rest `intervalMinutes` later. */
    canary: (options: TrafficShiftOptions): CustomDeploymentConfig => custom("Canary", options),
    /** `percentage` more traffic every `intervalMinutes` until all of it has moved. */
    linear: (options: TrafficShiftOptions): CustomDeploymentConfig => custom("Linear", options),
});

/** What a deployment does when the user sets no config: a small canary, short enough to wait for in `pulumi up`. */
export const DEFAULT_DEPLOYMENT_CONFIG: PredefinedDeploymentConfig = DeploymentConfig.Canary10Percent5Minutes;

/** One sentence for docs, logs and warnings, e.g. "10% of traffic, then the rest 5 minutes later". */
export function describeDeploymentConfig(config: Shape): string {
    const minutes = (n: number): string => (n === 1 ? "1 minute" : `${n} minutes`);
    switch (config.type) {
        case "AllAtOnce":
            return "all traffic at once";
        case "Canary":
            return `${config.percentage}% of traffic, then the rest ${minutes(config.intervalMinutes)} later`;
        case "Linear":
            return `${config.percentage}% more traffic every ${minutes(config.intervalMinutes)}, all of it after ${minutes(estimateShiftMinutes(config))}`;
    }
}

/**
 * Arguments of the `aws.codedeploy.DeploymentConfig` a custom spec needs.
 * Leave `name` undefined to let Pulumi auto-name it: custom configs are
 * account-wide and immutable, so a fixed name collides across stacks and on
 * replacement.
 */
export function deploymentConfigArgs(spec: CustomDeploymentConfig, name?: string): aws.codedeploy.DeploymentConfigArgs {
    // Typed callers cannot pass a predefined config; JavaScript callers can.
    const given = spec as CanonicalDeploymentConfig;
    if (given.kind === "predefined") {
        throw new DeploymentConfigError(`deployment.config: ${given.name} is predefined by CodeDeploy and needs no DeploymentConfig resource`);
    }
    const step = { percentage: spec.percentage, interval: spec.intervalMinutes };
    const trafficRoutingConfig =
        spec.type === "Canary" ? { type: "TimeBasedCanary", timeBasedCanary: step } : { type: "TimeBasedLinear", timeBasedLinear: step };
    return {
        ...(name === undefined ? {} : { deploymentConfigName: name }),
        computePlatform: "Lambda",
        trafficRoutingConfig,
    };
}
