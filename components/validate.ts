/**
 * Validation of `MangumFunctionArgs`, run before any resource is created so a
 * typo never leaves a half-deployed stack. Every message names the field, the
 * allowed values and what was given. Exported so programs and tests can check
 * arguments without a Pulumi engine.
 *
 * Hostile and careless input is expected: `null` anywhere, class instances,
 * getters, `__proto__` keys, NaN, huge strings and arrays. Values are read as
 * own data properties of plain objects only, every unknown field is an error
 * (with a "did you mean" hint), and nothing here throws except
 * {@link validateMangumFunctionArgs}, with a {@link MangumArgsError}.
 *
 * Fields whose type is `pulumi.Input<...>` accept Outputs and Promises without
 * inspecting them (their value is unknown at preview); a field typed as a plain
 * value (a number, a boolean, a schedule) must be known when the program runs.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import {
    Architecture,
    DeploymentTrigger,
    FunctionUrlAuth,
    HttpFrontDoor,
    KeepWarmSchedule,
    MangumFunctionArgs,
    PostTrafficCheck,
    PYTHON_RUNTIMES,
    PythonRuntime,
} from "./args";
import { CanonicalDeploymentConfig, DEFAULT_DEPLOYMENT_CONFIG, DeploymentConfig, DeploymentConfigError, PredefinedDeploymentConfig } from "./deploymentConfig";
import { resolveColdStartAlarm, resolveTrafficWarmup, type ResolvedColdStartAlarm, type ResolvedTraffic } from "./trafficWarmup";

/**
 * Thrown when `MangumFunctionArgs` (or the component's name) are invalid; `problems`
 * lists every field at fault. A `pulumi.RunError`, so `pulumi preview` prints the
 * message alone, without a stack trace (`@pulumi/pulumi` cmd/run: "Always hide the
 * stack for RunErrors").
 */
export class MangumArgsError extends pulumi.RunError {
    readonly resourceName: string;
    readonly problems: string[];
    constructor(resourceName: string, problems: string[]) {
        super(`Invalid arguments for MangumFunction ${typeof resourceName === "string" && resourceName.length > 64 ? `${JSON.stringify(resourceName.slice(0, 64))}…` : show(resourceName)}:\n` + problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "MangumArgsError";
        this.resourceName = typeof resourceName === "string" ? resourceName : show(resourceName);
        this.problems = problems;
    }
}

/** CloudWatch Logs accepts only these retention periods (days); 0 keeps logs forever. */
export const LOG_RETENTION_DAYS = [
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const LIMITS = {
    memorySize: { min: 128, max: 10240 },
    timeout: { min: 1, max: 900 },
    warmupConcurrency: { min: 1, max: 100 },
    holdMs: { min: 0, max: 10000 },
    // mangum-warmup's bound (runtime/src/mangum_warmup/protocol.py): ten minutes, past any idle time that matters.
    yieldToUsersMs: { min: 0, max: 600000 },
    hookTimeoutSeconds: { min: 10, max: 900 },
    layers: 5,
    aliasName: 128,
    /** Lambda CreateFunction `Handler`: "Maximum length of 128", pattern `[^\s]+`. */
    handler: 128,
    /**
     * 4 KB for all of a function's variables together (Lambda quotas, "Function
     * environment variables"). AWS measures the JSON text of the map: its refusal reads
     * "exceeded the 4KB limit. String measured: {"KEY":"value",...}" (quoted in
     * terraform-aws-github-runner #3594). cfn-lint's rule E3697 sums keys and values only,
     * which undercounts the quotes, colons and commas; we follow AWS's own measure, in UTF-8 bytes.
     */
    environmentBytes: 4096,
    /** Lambda `VpcConfig`: SubnetIds "Maximum number of 16 items", SecurityGroupIds "Maximum number of 5 items". */
    vpcSubnets: 16,
    vpcSecurityGroups: 5,
    /**
     * IAM quotas: 10 managed policies per role by default, adjustable up to 20 (re:Post
     * knowledge center "iam-increase-policy-size"); more can never be attached.
     */
    managedPolicies: 20,
    /**
     * IAM quotas: all inline policies of a role together "cannot exceed 10,240 characters"
     * (white space not counted). The component keeps 2,048 of them for its own statements
     * (logs, VPC network interfaces); the app's inline statements share the rest.
     */
    inlinePolicyCharacters: 10240 - 2048,
    /** CodeDeploy: "a limit of 10 triggers per deployment group" (user guide, deleting a trigger). */
    triggers: 10,
    /** AWS tagging: at most 50 tags per resource, keys 1-128 and values 0-256 characters. */
    tags: 50,
    tagKey: 128,
    tagValue: 256,
    /** CloudWatch PutMetricAlarm `AlarmName`: 1-255 characters. */
    alarmName: 255,
    /**
     * The warm-up path travels in the hooks' MANGUM_WARMUP_CONFIG environment variable,
     * itself under Lambda's 4 KB limit for all variables; 1024 leaves room for the rest.
     */
    warmupPath: 1024,
    /**
     * API Gateway's default account quota per Region: 10,000 requests per second with a
     * burst bucket of 5,000 (API Gateway quotas; the burst "is determined by the API
     * Gateway service team", not by the customer). A stage limit above the account's
     * cannot take effect, so it is refused rather than silently capped.
     */
    httpApiBurst: { min: 1, max: 5000 },
    httpApiRate: { min: 0, max: 10000 },
    /**
     * EventBridge documents a rate's value only as "a positive number" (rate expressions
     * reference). We bound it to one year: a keep-warm schedule that fires less often keeps
     * nothing warm, and an unbounded value (`rate(2e21 minutes)`) is not something
     * EventBridge is documented to accept.
     */
    rateMinutes: 525600,
    rateHours: 8760,
    rateDays: 365,
} as const;

/**
 * How long a component name may be, and why.
 *
 * Pulumi autonames a child whose AWS name is not set as `<logical name>-<7 random hex>`
 * (pulumi-terraform-bridge `AutoName`: separator "-", `Randlen: 7`), so every AWS name
 * the component does not set is its logical name plus 8 characters. The longest logical
 * name with a 64-character AWS limit is the pre-traffic hook's execution role,
 * `${name}-pre-traffic-role`: IAM role names are 1-64 of `[\w+=,.@-]` (IAM CreateRole
 * `RoleName`), and pulumi-aws autonames roles with a maximum of 64
 * (`"aws_iam_role": AutoName("name", 64, "-")` in provider/resources.go), so a longer name
 * fails at preview. The other limits are looser for the names the component derives:
 * Lambda function names 64 of `[a-zA-Z0-9-_]` (CreateFunction `FunctionName`; the
 * longest is `${name}-pre-traffic`, 12 + 8), EventBridge rule names 64 of
 * `[.\-_A-Za-z0-9]` (PutRule `Name`; `${name}-keep-warm-9`, 12 + 8), IAM inline policy
 * names 128, log groups 512, CodeDeploy application and group names 100
 * (`${name}-group` is set, not autonamed), alarm names 255. Lambda's limit is reached
 * only after IAM's, and its character set is the narrowest: letters, digits, "-", "_".
 *
 * 64 - "-pre-traffic-role".length (17) - "-" + 7 random (8) = 39.
 */
export const COMPONENT_NAME = {
    /** The child whose AWS name runs out first. */
    longestChildSuffix: "-pre-traffic-role",
    /** "-" plus Pulumi's 7 random hex characters on every autonamed child. */
    autonameSuffixLength: 8,
    /** IAM role and Lambda function names. */
    awsNameMax: 64,
    max: 64 - "-pre-traffic-role".length - 8,
    pattern: /^[A-Za-z0-9_-]+$/,
} as const;

/** What the pre-traffic hook needs beyond the hold: new environments' init and its status report (3.25 s reserved). */
export const HOOK_HEADROOM_MS = 5000;

/** Default throttling of the HTTP API's `$default` stage (see `MangumFunctionArgs.httpApi`). */
export const HTTP_API_DEFAULTS = { throttlingBurstLimit: 200, throttlingRateLimit: 100 } as const;

/**
 * Lambda's reserved environment variables: "The keys for these environment variables are
 * reserved and cannot be set in your function configuration" (Lambda developer guide,
 * "Defined runtime environment variables"). Older versions of that page also listed `TZ`;
 * the current one lists it among the unreserved variables you may set, which is what
 * Lambda accepts, so we follow the current page.
 */
export const RESERVED_ENVIRONMENT_KEYS = [
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
] as const;

/** CodeDeploy `TriggerConfig.triggerEvents`, its full enum (CodeDeploy API reference). */
export const TRIGGER_EVENTS = [
    "DeploymentStart",
    "DeploymentSuccess",
    "DeploymentFailure",
    "DeploymentStop",
    "DeploymentRollback",
    "DeploymentReady",
    "InstanceStart",
    "InstanceSuccess",
    "InstanceFailure",
    "InstanceReady",
] as const;

export interface ResolvedWarmup {
    concurrency: number;
    holdMs: [number, number];
    checks?: string[];
    mode: "helper" | "http";
    path?: string;
    minDistinct: number;
    failOnCheckError: boolean;
    timeoutSeconds: number;
    /** Sent by the keep-warm hook; 0 in http mode (no protocol to carry it). */
    yieldToUsersMs: number;
    /** Traffic-aware sizing (components/trafficWarmup.ts). */
    traffic: ResolvedTraffic;
}

export interface ResolvedDeployment {
    config: CanonicalDeploymentConfig;
    /** The alarms to watch as given (names, Outputs or MetricAlarms), without the error alarm; tell them apart with `MetricAlarm.isInstance`. */
    alarms: Array<pulumi.Input<string> | aws.cloudwatch.MetricAlarm>;
    errorAlarm: false | { threshold: number; evaluationPeriods: number };
    /** The alarm on user-facing cold starts (components/trafficWarmup.ts). */
    coldStartAlarm: ResolvedColdStartAlarm;
    triggers: DeploymentTrigger[];
    postTraffic: PostTrafficCheck;
}

/** The app role's extra grants, each with the suffix of its resource name (`<name>-role-<key>`). */
export interface ResolvedPolicies {
    /** Managed policy ARNs: key `policy-<index in policies>`. */
    managed: { key: string; arn: pulumi.Input<string> }[];
    /** Inline statements: key `inline-<index in policies>` or `statement-<index in policyStatements>`. */
    statements: { key: string; statement: Record<string, unknown> }[];
}

/**
 * The arguments with every default applied; what the component builds from. Read once, as
 * a snapshot of own data properties: the component never reads the arguments again (a
 * Proxy or getter could answer differently the second time).
 */
export interface ResolvedSettings {
    /** The code as an archive (a directory path becomes a FileArchive). */
    code: pulumi.Input<pulumi.asset.Archive>;
    handler: string;
    runtime: PythonRuntime;
    architecture: Architecture;
    memorySize: number;
    timeout: number;
    environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    vpc?: { subnetIds: pulumi.Input<pulumi.Input<string>[]>; securityGroupIds: pulumi.Input<pulumi.Input<string>[]> };
    layers?: pulumi.Input<string>[];
    policies: ResolvedPolicies;
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    aliasName: string;
    /** `"none"` also when the program wrote `false`. */
    http: HttpFrontDoor;
    functionUrlAuth: FunctionUrlAuth;
    logRetentionDays: number;
    reservedConcurrency?: number;
    provisionedConcurrency?: number;
    snapStart: boolean;
    warmup: ResolvedWarmup;
    keepWarm: Required<KeepWarmSchedule>[];
    deployment: false | ResolvedDeployment;
    /** Throttling of the HTTP API's `$default` stage; defaults even when `http` is not `"http-api"`. */
    httpApi: { throttlingBurstLimit: number; throttlingRateLimit: number };
}

// ---------------------------------------------------------------- rendering

const isOutput = (v: unknown): boolean => pulumi.Output.isInstance(v);
const isPromiseLike = (v: unknown): boolean =>
    v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
/** A value of a `pulumi.Input` field that is only known at deploy time: accepted without inspection. */
const isDeferred = (v: unknown): boolean => isOutput(v) || isPromiseLike(v);

const OBJECT_SOURCE = Function.prototype.toString.call(Object);

/** `{...}` or `Object.create(null)`, from this realm or another; not a class instance, array or Output. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
    if (v === null || typeof v !== "object" || Array.isArray(v) || isDeferred(v)) return false;
    const proto = Object.getPrototypeOf(v);
    if (proto === null || proto === Object.prototype) return true;
    // Another realm's Object.prototype: its own prototype is null and its constructor is `Object`.
    return (
        Object.getPrototypeOf(proto) === null &&
        typeof proto.constructor === "function" &&
        Function.prototype.toString.call(proto.constructor) === OBJECT_SOURCE
    );
}

const MAX_SHOWN_STRING = 256;

function showString(s: string): string {
    if (s.length <= MAX_SHOWN_STRING) return JSON.stringify(s);
    return `${JSON.stringify(s.slice(0, MAX_SHOWN_STRING))}… (${s.length} characters)`;
}

/**
 * A short, safe rendering of any value for a message: strings JSON-quoted (control
 * characters escaped, long ones cut), objects and arrays as JSON-like text with depth,
 * width and length bounds (never JSON.stringify, which calls `toJSON` and throws on
 * cycles and BigInts).
 */
function show(v: unknown): string {
    const text = render(v, 0);
    return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

function render(v: unknown, depth: number): string {
    switch (typeof v) {
        case "string":
            return showString(v);
        case "number":
            return Object.is(v, -0) ? "-0" : String(v);
        case "bigint":
            return `${v}n`;
        case "boolean":
        case "undefined":
            return String(v);
        case "symbol":
            return v.toString();
        case "function":
            return "a function";
    }
    if (v === null) return "null";
    if (isOutput(v)) return "a Pulumi Output (this field must be a plain value, known when the program runs)";
    if (isPromiseLike(v)) return "a Promise";
    if (pulumi.asset.Archive.isInstance(v)) return "a Pulumi archive";
    if (pulumi.asset.Asset.isInstance(v)) return "a Pulumi asset";
    if (pulumi.Resource.isInstance(v)) return "a Pulumi resource";
    if (Array.isArray(v)) {
        const list = v as unknown[];
        if (depth >= 3) return "[…]";
        const items = list.slice(0, 10).map((x) => render(x, depth + 1));
        return `[${items.join(",")}${list.length > 10 ? `,… (${list.length} items)` : ""}]`;
    }
    if (isPlainObject(v)) {
        if (depth >= 3) return "{…}";
        const keys = Object.keys(v);
        const items = keys.slice(0, 10).map((k) => {
            const d = Object.getOwnPropertyDescriptor(v, k);
            return `${showString(k)}:${d && "value" in d ? render(d.value, depth + 1) : "(a getter)"}`;
        });
        return `{${items.join(",")}${keys.length > 10 ? `,… (${keys.length} fields)` : ""}}`;
    }
    const ctor = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    if (ctor === "Object") return "an object with a custom prototype";
    if (typeof ctor !== "string" || ctor === "") return "an object that is not plain";
    return `${/^[AEIOU]/.test(ctor) ? "an" : "a"} ${ctor} instance`;
}

/** `parent.key`, or `parent["odd key"]` when the key is not an identifier. */
function fieldPath(parent: string, key: string): string {
    const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `[${showString(key)}]`;
    if (parent === "") return k;
    return k.startsWith("[") ? `${parent}${k}` : `${parent}.${k}`;
}

// ---------------------------------------------------------------- unknown fields

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
    if (Math.abs(a.length - b.length) > 3) return 99;
    const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 0; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
            d[i]![j] = best;
        }
    }
    return d[a.length]![b.length]!;
}

/** Spellings users reach for that no edit distance finds. */
const ALIASES: Record<string, string> = {
    memory: "memorySize",
    memorymb: "memorySize",
    env: "environment",
    environmentvariables: "environment",
    variables: "environment",
    vpcconfig: "vpc",
    alias: "aliasName",
    retention: "logRetentionDays",
    logretention: "logRetentionDays",
    retentionindays: "logRetentionDays",
    reservedconcurrentexecutions: "reservedConcurrency",
    provisionedconcurrentexecutions: "provisionedConcurrency",
    architectures: "architecture",
    keepwarm: "keepWarm",
    schedules: "keepWarm",
    throttling: "httpApi",
    name: "(the component's name is the first constructor argument)",
};

/** Fields of nested objects a user may put at the top level by mistake. */
const NESTED_FIELDS: Record<string, string> = {
    concurrency: "warmup.concurrency",
    holdMs: "warmup.holdMs",
    checks: "warmup.checks",
    mode: "warmup.mode",
    path: "warmup.path",
    minDistinct: "warmup.minDistinct",
    failOnCheckError: "warmup.failOnCheckError",
    timeoutSeconds: "warmup.timeoutSeconds",
    yieldToUsersMs: "warmup.yieldToUsersMs",
    schedule: "keepWarm.schedule",
    config: "deployment.config",
    alarms: "deployment.alarms",
    errorAlarm: "deployment.errorAlarm",
    triggers: "deployment.triggers",
    postTraffic: "deployment.postTraffic",
    throttlingBurstLimit: "httpApi.throttlingBurstLimit",
    throttlingRateLimit: "httpApi.throttlingRateLimit",
    subnetIds: "vpc.subnetIds",
    securityGroupIds: "vpc.securityGroupIds",
};

function suggestion(key: string, known: readonly string[], topLevel: boolean): string | undefined {
    const lower = key.toLowerCase();
    const exactCase = known.find((k) => k.toLowerCase() === lower);
    if (exactCase) return exactCase;
    if (topLevel) {
        if (Object.prototype.hasOwnProperty.call(NESTED_FIELDS, key)) return NESTED_FIELDS[key];
        if (Object.prototype.hasOwnProperty.call(ALIASES, lower)) return ALIASES[lower];
    }
    // A prefix or suffix of one known field ("percent" for percentage, "burstLimit" for throttlingBurstLimit).
    if (lower.length >= 4) {
        const partial = known.filter((k) => {
            const kl = k.toLowerCase();
            return kl.startsWith(lower) || kl.endsWith(lower) || lower.startsWith(kl);
        });
        if (partial.length === 1) return partial[0];
    }
    const limit = lower.length <= 4 ? 1 : lower.length <= 11 ? 2 : 3;
    let best: string | undefined;
    let bestDistance = limit + 1;
    let tie = false;
    for (const k of known) {
        const d = editDistance(lower, k.toLowerCase());
        if (d < bestDistance) {
            best = k;
            bestDistance = d;
            tie = false;
        } else if (d === bestDistance) {
            tie = true;
        }
    }
    return best !== undefined && !tie ? best : undefined;
}

const TOP_LEVEL_FIELDS = [
    "code",
    "handler",
    "runtime",
    "architecture",
    "memorySize",
    "timeout",
    "environment",
    "vpc",
    "layers",
    "policies",
    "policyStatements",
    "reservedConcurrency",
    "provisionedConcurrency",
    "snapStart",
    "aliasName",
    "http",
    "httpApi",
    "functionUrlAuth",
    "logRetentionDays",
    "deployment",
    "warmup",
    "keepWarm",
    "tags",
] as const satisfies readonly (keyof MangumFunctionArgs)[];

/**
 * Reads a plain object's known fields as a snapshot of own data properties, reporting
 * anything else: a value that is not a plain object, unknown fields (with a hint),
 * getters. Returns undefined (and a problem) when `value` is not a plain object.
 */
function readObject(
    field: string,
    value: unknown,
    known: readonly string[],
    expected: string,
    problems: string[],
    required: readonly string[] = [],
): Record<string, unknown> | undefined {
    if (!isPlainObject(value)) {
        const hint = value !== null && typeof value === "object" && !Array.isArray(value) && !isDeferred(value) ? " (pass a plain { ... } object)" : "";
        problems.push(`${field === "" ? "The arguments" : field} must be ${expected}; got ${show(value)}${hint}.`);
        return undefined;
    }
    const out: Record<string, unknown> = Object.create(null);
    const unknown = capped(problems, field === "" ? "MangumFunction" : field);
    for (const key of Object.getOwnPropertyNames(value)) {
        const path = fieldPath(field, key);
        if (!known.includes(key)) {
            if (unknown.full()) {
                unknown.push("");
                continue;
            }
            const hint = suggestion(key, known, field === "");
            const where = field === "" ? "MangumFunction" : field;
            unknown.push(
                hint !== undefined && hint.startsWith("(")
                    ? `Unknown field ${path} ${hint}.`
                    : hint !== undefined
                      ? `Unknown field ${path}: did you mean ${field === "" || hint.includes(".") ? hint : fieldPath(field, hint)}?`
                      : `Unknown field ${path}: ${where} takes ${known.join(", ")}.`,
            );
            continue;
        }
        const d = Object.getOwnPropertyDescriptor(value, key)!;
        if (!("value" in d)) {
            problems.push(`${path} must be a plain value, not a getter or setter.`);
            continue;
        }
        if (d.value === null) {
            // null is never a value: "omit the field" is the one way to ask for a default, so a
            // `keepWarm: null` (off? default?) cannot mean two things.
            if (!required.includes(key)) problems.push(`${path} is null; omit it to use its default, or give a value.`);
            continue;
        }
        out[key] = d.value;
    }
    unknown.done();
    return out;
}

/** An array's elements, or undefined (and a problem) when `value` is not an array. */
function readArray(field: string, value: unknown, expected: string, problems: string[]): unknown[] | undefined {
    if (!Array.isArray(value)) {
        const hint = typeof value === "string" || isPlainObject(value) ? ` (a list: write [${show(value)}])` : "";
        problems.push(`${field} must be ${expected}${hint}; got ${show(value)}.`);
        return undefined;
    }
    return Array.from({ length: value.length }, (_, i) => value[i]);
}

/** Keeps a list's problems readable when a huge list is wrong everywhere. */
function capped(problems: string[], field: string): { push: (p: string) => void; full: () => boolean; done: () => void } {
    const MAX = 5;
    let count = 0;
    return {
        push: (p) => {
            count++;
            if (count <= MAX) problems.push(p);
        },
        /** True once further problems are only counted: skip composing them. */
        full: () => count >= MAX,
        done: () => {
            if (count > MAX) problems.push(`${field}: ${count - MAX} more problems like these.`);
        },
    };
}

const hasControlCharacters = (s: string): boolean => /[\u0000-\u001f\u007f]/.test(s);

// ---------------------------------------------------------------- scalars

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** `field` must be an integer in [min, max]; returns the problem or undefined. */
export function checkInteger(field: string, value: unknown, min: number, max: number, unit = ""): string | undefined {
    if (isInt(value) && value >= min && value <= max) return undefined;
    const u = unit ? ` ${unit}` : "";
    return `${field} must be an integer from ${min} to ${max}${u}; got ${show(value)}.`;
}

function checkBoolean(field: string, value: unknown): string | undefined {
    if (typeof value === "boolean") return undefined;
    const hint = value === "true" || value === "false" ? ` (the boolean ${value}, not the string)` : "";
    return `${field} must be true or false${hint}; got ${show(value)}.`;
}

export function validateRuntime(runtime: unknown): string | undefined {
    if ((PYTHON_RUNTIMES as readonly unknown[]).includes(runtime)) return undefined;
    return `runtime must be one of ${PYTHON_RUNTIMES.join(", ")} (Mangum apps run on Python); got ${show(runtime)}.`;
}

export function validateArchitecture(architecture: unknown): string | undefined {
    if (architecture === "arm64" || architecture === "x86_64") return undefined;
    return `architecture must be "arm64" or "x86_64"; got ${show(architecture)}.`;
}

export function validateHandler(handler: unknown): string | undefined {
    const shape = typeof handler === "string" && /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$/.test(handler);
    if (shape && handler.length <= LIMITS.handler) return undefined;
    if (shape) return `handler must be at most ${LIMITS.handler} characters (Lambda's limit); got ${show(handler)}.`;
    return `handler must be "module.attribute" with Python identifiers, e.g. "main.handler"; got ${show(handler)}.`;
}

/** Lambda's alias name rule: 1–128 of [A-Za-z0-9_-], not all digits (those are versions). */
export function validateAliasName(alias: unknown): string | undefined {
    if (
        typeof alias === "string" &&
        alias.length >= 1 &&
        alias.length <= LIMITS.aliasName &&
        /^[A-Za-z0-9_-]+$/.test(alias) &&
        !/^[0-9]+$/.test(alias)
    ) {
        return undefined;
    }
    return `aliasName must be 1 to ${LIMITS.aliasName} letters, digits, "-" or "_", and not only digits; got ${show(alias)}.`;
}

export function validateLogRetention(days: unknown): string | undefined {
    if ((LOG_RETENTION_DAYS as readonly unknown[]).includes(days)) return undefined;
    return `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} (CloudWatch's allowed values; 0 keeps logs forever); got ${show(days)}.`;
}

/**
 * The component's name: every AWS name of its children derives from it, see
 * {@link COMPONENT_NAME} for the arithmetic and the sources.
 */
export function validateComponentName(name: unknown): string | undefined {
    if (typeof name === "string" && name.length >= 1 && name.length <= COMPONENT_NAME.max && COMPONENT_NAME.pattern.test(name)) return undefined;
    const length = typeof name === "string" ? ` (${name.length} characters)` : "";
    return (
        `The MangumFunction name must be 1 to ${COMPONENT_NAME.max} letters, digits, "-" or "_": AWS names of its children derive from it ` +
        `(the longest, the role "<name>${COMPONENT_NAME.longestChildSuffix}-<7 random>", must fit IAM's ${COMPONENT_NAME.awsNameMax} characters); ` +
        `got ${show(name)}${length}.`
    );
}

// ---------------------------------------------------------------- ARNs and AWS identifiers

// Partitions: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, ... Regions: us-east-1, us-gov-west-1, cn-north-1, ...
const PARTITION = "aws(?:-[a-z]+)*";
const REGION = "[a-z]{2}(?:-[a-z]+)+-\\d{1,2}";
const ACCOUNT = "\\d{12}";
/** SNS CreateTopic `Name`: up to 256 letters, digits, "-", "_" (".fifo" ends a FIFO topic's name). */
const SNS_TOPIC_ARN = new RegExp(`^arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:[A-Za-z0-9_-]{1,256}(?:\\.fifo)?$`);
/** Lambda CreateFunction `FunctionName` pattern, as a full ARN with an optional qualifier. */
const FUNCTION_ARN = new RegExp(`^arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:([A-Za-z0-9_-]{1,64})(?::(?:\\$LATEST|[A-Za-z0-9_-]{1,128}))?$`);
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Lambda CreateFunction `Layers`: `arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+`, 1-140 characters. */
const LAYER_ARN = /^arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9_-]+:[0-9]+$/;
/** IAM policy ARNs: AWS-managed (`iam::aws:`) or the account's, with an optional path; names `[\w+=,.@-]`, 1-128. */
const POLICY_ARN = new RegExp(`^arn:${PARTITION}:iam::(?:aws|${ACCOUNT}):policy/(?:[\\x21-\\x7e]+/)?[\\w+=,.@-]{1,128}$`);
/** IAM actions: `service:Action`, wildcards allowed (IAM JSON policy reference, "Action"). */
const IAM_ACTION = /^(?:\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/;
/** EC2 resource IDs: prefix, "-", hexadecimal. */
const SUBNET_ID = /^subnet-[0-9a-f]+$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]+$/;
/** Lambda `Environment.Variables` key pattern `[a-zA-Z]([a-zA-Z0-9_])+`. */
const ENV_KEY = /^[a-zA-Z][a-zA-Z0-9_]+$/;
/** AWS tagging: "letters, numbers, spaces representable in UTF-8, and _ . : / = + - @". */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const utf8Bytes = (s: string): number => Buffer.byteLength(s, "utf8");

// ---------------------------------------------------------------- schedules

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface CronField {
    name: string;
    min: number;
    max: number;
    names?: string[];
    /** Wildcards the field allows beyond `, - * /` (EventBridge cron reference). */
    question?: boolean;
    last?: boolean;
    weekday?: boolean;
    nth?: boolean;
    slash: boolean;
}

/** EventBridge cron fields and the wildcards each takes ("Cron expressions" reference). */
const CRON_FIELDS: CronField[] = [
    { name: "minutes", min: 0, max: 59, slash: true },
    { name: "hours", min: 0, max: 23, slash: true },
    { name: "day-of-month", min: 1, max: 31, question: true, last: true, weekday: true, slash: true },
    { name: "month", min: 1, max: 12, names: MONTHS, slash: true },
    { name: "day-of-week", min: 1, max: 7, names: DAYS, question: true, last: true, nth: true, slash: false },
    { name: "year", min: 1970, max: 2199, slash: true },
];

/** Why one cron field is invalid, or undefined. */
function cronFieldProblem(text: string, f: CronField): string | undefined {
    const range = `${f.min}-${f.max}${f.names ? ` or ${f.names[0]}-${f.names[f.names.length - 1]}` : ""}`;
    const bad = `cron ${f.name} must be ${range} (wildcards ${["*", ",", "-", f.slash ? "/" : "", f.question ? "?" : "", f.last ? "L" : "", f.weekday ? "W" : "", f.nth ? "#" : ""].filter(Boolean).join(" ")}); got ${JSON.stringify(text)}`;
    const value = (s: string): number | undefined => {
        if (/^\d{1,4}$/.test(s)) {
            const n = Number(s);
            return n >= f.min && n <= f.max ? n : undefined;
        }
        const i = f.names?.indexOf(s.toUpperCase()) ?? -1;
        return i >= 0 ? f.min + i : undefined;
    };
    if (text === "?") return f.question ? undefined : bad;
    if (text === "*") return undefined;
    if (f.last && text === "L") return undefined;
    if (f.weekday && text === "LW") return undefined;
    if (f.nth && text.includes("#")) {
        // "3#2": the second Tuesday; a single expression only ("3#1,6#3" is invalid).
        const m = /^([^#,]+)#([1-5])$/.exec(text);
        return m && value(m[1]!) !== undefined ? undefined : bad;
    }
    for (const part of text.split(",")) {
        if (part === "") return bad;
        let body = part;
        if (part.includes("/")) {
            if (!f.slash) return bad;
            const [start, step, ...rest] = part.split("/");
            if (rest.length > 0 || !/^\d{1,4}$/.test(step!) || Number(step) < 1 || Number(step) > f.max - f.min + 1) return bad;
            body = start!;
            if (body === "*") continue;
        }
        if (f.weekday && /^\d{1,2}W$/.test(body)) {
            if (value(body.slice(0, -1)) === undefined) return bad;
            continue;
        }
        if (f.last && /^\w+L$/.test(body) && f.name === "day-of-week") {
            if (value(body.slice(0, -1)) === undefined) return bad;
            continue;
        }
        const bounds = body.split("-");
        if (bounds.length > 2 || bounds.some((b) => value(b) === undefined)) return bad;
    }
    return undefined;
}

/**
 * EventBridge schedule expressions: `rate(value unit)` (singular unit for 1, plural
 * otherwise — EventBridge rejects the other) or `cron(...)` with six fields where
 * day-of-month or day-of-week is `?` (EventBridge "Cron expressions" and "Rate
 * expressions" references).
 */
export function validateScheduleExpression(field: string, expr: unknown): string | undefined {
    const allowed = `a schedule expression like "rate(5 minutes)" or "cron(0/5 8-18 ? * MON-FRI *)"`;
    if (typeof expr !== "string") return `${field} must be ${allowed}; got ${show(expr)}.`;
    // EventBridge PutRule `ScheduleExpression`: "Maximum length of 256".
    if (expr.length > 256) return `${field} must be ${allowed}, at most 256 characters; got ${show(expr)}.`;
    const rate = RATE.exec(expr);
    if (rate) {
        const value = Number(rate[1]);
        const unit = rate[2]!;
        if (value < 1) return `${field}: a rate must be at least 1; got ${show(expr)}.`;
        const plural = unit.endsWith("s");
        if (value === 1 && plural) return `${field}: use the singular unit for a rate of 1, e.g. "rate(1 ${unit.slice(0, -1)})"; got ${show(expr)}.`;
        if (value !== 1 && !plural) return `${field}: use the plural unit for a rate above 1, e.g. "rate(${value} ${unit}s)"; got ${show(expr)}.`;
        const max = unit.startsWith("minute") ? LIMITS.rateMinutes : unit.startsWith("hour") ? LIMITS.rateHours : LIMITS.rateDays;
        if (value > max) return `${field}: a rate must be a whole number from 1 to ${max} ${unit.replace(/s?$/, "s")} (one year); got ${show(expr)}.`;
        return undefined;
    }
    if (/^rate\(/.test(expr)) {
        return `${field}: a rate is "rate(N unit)" with N a whole number from 1 and unit minute(s), hour(s) or day(s); got ${show(expr)}.`;
    }
    const cron = /^cron\((.*)\)$/.exec(expr);
    if (cron) {
        const fields = cron[1]!.trim().split(/\s+/);
        if (fields.length !== 6) {
            return `${field}: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year); got ${fields.length} in ${show(expr)}.`;
        }
        if (fields[2] !== "?" && fields[4] !== "?") {
            return `${field}: in a cron expression either day-of-month or day-of-week must be "?"; got ${show(expr)}.`;
        }
        if (fields[2] === "?" && fields[4] === "?") {
            return `${field}: in a cron expression only one of day-of-month and day-of-week may be "?" (the other a value or "*"); got ${show(expr)}.`;
        }
        for (let i = 0; i < 6; i++) {
            const p = cronFieldProblem(fields[i]!, CRON_FIELDS[i]!);
            if (p) return `${field}: ${p} in ${show(expr)}.`;
        }
        return undefined;
    }
    return `${field} must be ${allowed}; got ${show(expr)}.`;
}

// ---------------------------------------------------------------- sections

function validateCode(code: unknown, problems: string[]): void {
    if (code === undefined || code === null || code === "") {
        problems.push(`code is required: a directory path or a Pulumi archive (pulumi.asset.FileArchive / AssetArchive).`);
    } else if (typeof code === "string") {
        if (!(fs.existsSync(code) && fs.statSync(code).isDirectory())) {
            problems.push(`code must be a directory with the app and its dependencies, or a Pulumi archive; ${show(code)} is not a directory.`);
        }
    } else if (pulumi.asset.Asset.isInstance(code)) {
        problems.push(`code must be a directory or a Pulumi archive; got a single-file asset: wrap it, e.g. new pulumi.asset.AssetArchive({ "main.py": asset }).`);
    } else if (!pulumi.asset.Archive.isInstance(code) && !isDeferred(code)) {
        problems.push(`code must be a directory path (a string) or a Pulumi archive (pulumi.asset.FileArchive / AssetArchive); got ${show(code)}.`);
    }
}

function resolveEnvironment(env: unknown, problems: string[]): ResolvedSettings["environment"] {
    if (env === undefined || isDeferred(env)) return env as ResolvedSettings["environment"];
    const vars = readMap("environment", env, `a map of variable names to strings, e.g. { STAGE: "prod" }`, problems);
    if (!vars) return undefined;
    const list = capped(problems, "environment");
    const measured: Record<string, string> = {};
    let deferred = 0;
    for (const [key, value] of vars) {
        const path = fieldPath("environment", key);
        if ((RESERVED_ENVIRONMENT_KEYS as readonly string[]).includes(key)) {
            list.push(`${path} is reserved by Lambda, which sets it in every execution environment; choose another name.`);
        } else if (!ENV_KEY.test(key)) {
            list.push(`environment key ${showString(key)} must start with a letter and have at least 2 letters, digits or "_" (Lambda's rule).`);
        }
        if (typeof value === "string") {
            measured[key] = value;
        } else if (isDeferred(value)) {
            measured[key] = "";
            deferred++;
        } else {
            const hint = typeof value === "number" || typeof value === "boolean" ? ` (write "${String(value)}")` : "";
            list.push(`${path} must be a string${hint}; got ${show(value)}.`);
        }
    }
    list.done();
    const bytes = utf8Bytes(JSON.stringify(measured));
    if (bytes > LIMITS.environmentBytes) {
        problems.push(
            `environment is ${bytes} bytes as Lambda measures it (the JSON of all variables${deferred > 0 ? `, not counting ${deferred} value(s) known only at deploy time` : ""}); ` +
                `Lambda allows ${LIMITS.environmentBytes} (4 KB) in all: keep large values in Secrets Manager or SSM and pass their names.`,
        );
    }
    return Object.fromEntries(vars) as Record<string, pulumi.Input<string>>;
}

/** A `Record<string, Input<string>>` as entries, reporting getters; undefined when not a plain object. */
function readMap(field: string, value: unknown, expected: string, problems: string[]): [string, unknown][] | undefined {
    if (!isPlainObject(value)) {
        problems.push(`${field} must be ${expected}; got ${show(value)}.`);
        return undefined;
    }
    const entries: [string, unknown][] = [];
    for (const key of Object.getOwnPropertyNames(value)) {
        const d = Object.getOwnPropertyDescriptor(value, key)!;
        if (!("value" in d)) problems.push(`${fieldPath(field, key)} must be a plain value, not a getter or setter.`);
        else entries.push([key, d.value]);
    }
    return entries;
}

function resolveVpc(vpc: unknown, problems: string[]): ResolvedSettings["vpc"] {
    if (vpc === undefined) return undefined;
    const v = readObject("vpc", vpc, ["subnetIds", "securityGroupIds"], `{ subnetIds, securityGroupIds } (omit vpc to run outside a VPC)`, problems, [
        "subnetIds",
        "securityGroupIds",
    ]);
    if (!v) return undefined;
    const ids = (field: "subnetIds" | "securityGroupIds", pattern: RegExp, noun: string, example: string, max: number) => {
        const path = `vpc.${field}`;
        const value = v[field];
        if (value === undefined || value === null) {
            problems.push(`${path} is required: the ${field === "subnetIds" ? "private subnets" : "security groups"} of the function's network interfaces, e.g. ["${example}"].`);
            return;
        }
        if (isDeferred(value)) return;
        const list = readArray(path, value, `a list of ${noun} IDs, e.g. ["${example}"]`, problems);
        if (!list) return;
        if (list.length === 0) problems.push(`${path} must list at least one ID: with none, Lambda would not place the function in the VPC at all.`);
        if (list.length > max) {
            problems.push(`${path} accepts at most ${max} IDs (Lambda's VpcConfig limit); got ${list.length}.`);
            return;
        }
        list.forEach((id, i) => {
            if (isDeferred(id)) return;
            if (typeof id !== "string" || !pattern.test(id)) problems.push(`${path}[${i}] must be an ID like "${example}"; got ${show(id)}.`);
        });
    };
    ids("subnetIds", SUBNET_ID, "subnet", "subnet-0123456789abcdef0", LIMITS.vpcSubnets);
    ids("securityGroupIds", SECURITY_GROUP_ID, "security group", "sg-0123456789abcdef0", LIMITS.vpcSecurityGroups);
    const copy = (x: unknown) => (Array.isArray(x) ? Array.from(x) : x) as pulumi.Input<pulumi.Input<string>[]>;
    return { subnetIds: copy(v.subnetIds), securityGroupIds: copy(v.securityGroupIds) };
}

function resolveLayers(layers: unknown, problems: string[]): pulumi.Input<string>[] | undefined {
    if (layers === undefined) return undefined;
    const list = readArray("layers", layers, `a list of at most ${LIMITS.layers} layer version ARNs`, problems);
    if (!list) return undefined;
    if (list.length > LIMITS.layers) {
        problems.push(`layers accepts at most ${LIMITS.layers} layer ARNs (a Lambda limit); got ${list.length}.`);
        return undefined;
    }
    list.forEach((l, i) => {
        if (isDeferred(l)) return;
        if (typeof l !== "string" || l.length > 140 || !LAYER_ARN.test(l)) {
            problems.push(`layers[${i}] must be a layer version ARN like "arn:aws:lambda:us-east-1:123456789012:layer:deps:3"; got ${show(l)}.`);
        }
    });
    return list as pulumi.Input<string>[];
}

const STATEMENT_FIELDS = ["Sid", "Effect", "Action", "Resource", "Condition"] as const;

function resolvePolicies(policies: unknown, policyStatements: unknown, problems: string[]): ResolvedPolicies {
    const resolved: ResolvedPolicies = { managed: [], statements: [] };
    let managed = 0;
    let inlineCharacters = 0;
    const inline = (field: string, key: string, p: unknown, expected: string) => {
        const before = problems.length;
        const s = readObject(field, p, STATEMENT_FIELDS, expected, problems);
        if (!s) return;
        validateStatement(field, s, problems);
        if (problems.length === before) {
            inlineCharacters += policyCharacters(s);
            // IAM's field order, whatever order the program wrote them in: the policy text must not depend
            // on it (a Python program's dict and a TypeScript literal would otherwise differ, and a
            // reordering would update the policy).
            const ordered = Object.fromEntries(STATEMENT_FIELDS.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
            resolved.statements.push({ key, statement: ordered });
        }
    };
    const list = policies === undefined ? undefined : readArray("policies", policies, `a list of managed policy ARNs (inline statements go in policyStatements)`, problems);
    if (list) {
        const out = capped(problems, "policies");
        list.forEach((p, i) => {
            const field = `policies[${i}]`;
            if (typeof p === "string") {
                managed++;
                if (!p.startsWith("arn:")) out.push(`${field} must be a managed policy ARN ("arn:...") or an inline statement; got ${show(p)}.`);
                else if (!POLICY_ARN.test(p)) out.push(`${field} must be an IAM policy ARN like "arn:aws:iam::aws:policy/ReadOnlyAccess" or "arn:aws:iam::123456789012:policy/name"; got ${show(p)}.`);
                else resolved.managed.push({ key: `policy-${i}`, arn: p });
                return;
            }
            if (isOutput(p)) {
                managed++;
                resolved.managed.push({ key: `policy-${i}`, arn: p as pulumi.Output<string> }); // an ARN known only at deploy time
                return;
            }
            if (isPromiseLike(p)) {
                // ARNs and statements are told apart here, and a Promise cannot be looked into.
                out.push(`${field} is a Promise; wrap it as pulumi.output(promise) so it is attached as a managed policy ARN.`);
                return;
            }
            // TypeScript's shorthand since 0.1: an inline statement among the ARNs.
            inline(field, `inline-${i}`, p, `a managed policy ARN ("arn:...") or an inline statement { Action, Resource, Effect?, Sid?, Condition? }`);
        });
        out.done();
    }
    const statements =
        policyStatements === undefined ? undefined : readArray("policyStatements", policyStatements, `a list of inline statements { Action, Resource, Effect?, Sid?, Condition? }`, problems);
    if (statements && statements.length > 100) {
        problems.push(`policyStatements: at most 100 statements (IAM's 10,240 characters for a role's inline policies run out long before); got ${statements.length}.`);
    } else if (statements) {
        statements.forEach((p, i) => inline(`policyStatements[${i}]`, `statement-${i}`, p, `an inline statement { Action, Resource, Effect?, Sid?, Condition? }`));
    }
    if (managed > LIMITS.managedPolicies) {
        problems.push(`policies: IAM attaches at most ${LIMITS.managedPolicies} managed policies to a role (10 by default); got ${managed}.`);
    }
    if (inlineCharacters > LIMITS.inlinePolicyCharacters) {
        problems.push(
            `policies: the inline statements come to ${inlineCharacters} characters; IAM allows 10,240 for all inline policies of a role, ` +
                `${LIMITS.inlinePolicyCharacters} of them for yours: use a managed policy for the rest.`,
        );
    }
    return resolved;
}

/** Characters IAM counts for one statement as its own policy (white space excluded); deploy-time values count as empty. */
function policyCharacters(s: Record<string, unknown>): number {
    const known = (v: unknown): unknown => (isDeferred(v) ? "" : Array.isArray(v) ? v.map(known) : isPlainObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, known(x)])) : v);
    try {
        return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", ...(known(s) as object) }] }).length;
    } catch {
        return 0; // a Condition value JSON cannot carry (a BigInt, a cycle) is IAM's to refuse
    }
}

function validateStatement(field: string, s: Record<string, unknown>, problems: string[]): void {
    const action = s.Action;
    const actions = typeof action === "string" ? [action] : Array.isArray(action) ? Array.from(action) : undefined;
    if (action === undefined || (actions !== undefined && actions.length === 0)) {
        problems.push(`${field}.Action must name at least one action.`);
    } else if (actions === undefined || !actions.every((a) => typeof a === "string" && IAM_ACTION.test(a))) {
        problems.push(`${field}.Action must be "service:Action" or a list of them, e.g. "s3:GetObject"; got ${show(action)}.`);
    }
    const resource = s.Resource;
    if (resource === undefined || resource === null || (Array.isArray(resource) && resource.length === 0)) {
        problems.push(`${field}.Resource must name the resources the statement applies to.`);
    } else if (!isDeferred(resource)) {
        const resources = Array.isArray(resource) ? Array.from(resource) : [resource];
        const bad = resources.find((r) => !isDeferred(r) && (typeof r !== "string" || (r !== "*" && !/^arn:[^\s]+$/.test(r))));
        if (resources.some((r) => r === undefined) || bad !== undefined) {
            problems.push(`${field}.Resource must be ARNs ("arn:...") or "*"; got ${show(bad)}.`);
        }
    }
    if (s.Effect !== undefined && s.Effect !== "Allow" && s.Effect !== "Deny") problems.push(`${field}.Effect must be "Allow" or "Deny"; got ${show(s.Effect)}.`);
    if (s.Sid !== undefined && (typeof s.Sid !== "string" || !/^[A-Za-z0-9]*$/.test(s.Sid))) {
        problems.push(`${field}.Sid must be letters and digits only (IAM's rule); got ${show(s.Sid)}.`);
    }
    if (s.Condition !== undefined && (!isPlainObject(s.Condition) || !Object.values(s.Condition).every((c) => isPlainObject(c)))) {
        problems.push(`${field}.Condition must be { Operator: { "key": value } }; got ${show(s.Condition)}.`);
    }
}

function resolveTags(tags: unknown, problems: string[]): ResolvedSettings["tags"] {
    if (tags === undefined || isDeferred(tags)) return tags as ResolvedSettings["tags"];
    const entries = readMap("tags", tags, `a map of tag keys to string values, e.g. { team: "web" }`, problems);
    if (!entries) return undefined;
    if (entries.length > LIMITS.tags) {
        problems.push(`tags: AWS allows at most ${LIMITS.tags} tags per resource; got ${entries.length}.`);
        return undefined;
    }
    for (const [key, value] of entries) {
        const path = fieldPath("tags", key);
        if (key.length < 1 || key.length > LIMITS.tagKey || !TAG_TEXT.test(key) || /^aws:/i.test(key)) {
            problems.push(
                `tag key ${showString(key)} must be 1 to ${LIMITS.tagKey} letters, digits, spaces or _ . : / = + - @, not starting with "aws:" (reserved by AWS).`,
            );
        }
        if (isDeferred(value)) continue;
        if (typeof value !== "string") problems.push(`${path} must be a string; got ${show(value)}.`);
        else if (value.length > LIMITS.tagValue || !TAG_TEXT.test(value)) {
            problems.push(`${path} must be at most ${LIMITS.tagValue} letters, digits, spaces or _ . : / = + - @; got ${show(value)}.`);
        }
    }
    return Object.fromEntries(entries) as Record<string, pulumi.Input<string>>;
}

function resolveHttpApi(raw: unknown, http: unknown, problems: string[]): ResolvedSettings["httpApi"] {
    const resolved: ResolvedSettings["httpApi"] = { ...HTTP_API_DEFAULTS };
    if (raw === undefined) return resolved;
    const h = readObject("httpApi", raw, ["throttlingBurstLimit", "throttlingRateLimit"], `{ throttlingBurstLimit?, throttlingRateLimit? }`, problems);
    if (!h) return resolved;
    if (http !== "http-api" && (http === "function-url" || http === "none" || http === false || http === undefined)) {
        problems.push(`httpApi applies only to http: "http-api"; got http: ${show(http ?? "function-url")}.`);
    }
    const { min: bMin, max: bMax } = LIMITS.httpApiBurst;
    if (h.throttlingBurstLimit !== undefined) {
        const p = checkInteger("httpApi.throttlingBurstLimit", h.throttlingBurstLimit, bMin, bMax, "requests");
        if (p) problems.push(p.replace(/\.$/, ` (0 would refuse every request; ${bMax} is API Gateway's default account burst).`));
        else resolved.throttlingBurstLimit = h.throttlingBurstLimit as number;
    }
    if (h.throttlingRateLimit !== undefined) {
        const r = h.throttlingRateLimit;
        const { max } = LIMITS.httpApiRate;
        if (typeof r !== "number" || !Number.isFinite(r) || r <= 0 || r > max) {
            problems.push(
                `httpApi.throttlingRateLimit must be a number of requests per second above 0 and at most ${max} (API Gateway's default account quota; 0 would refuse every request); got ${show(r)}.`,
            );
        } else {
            resolved.throttlingRateLimit = r;
        }
    }
    return resolved;
}

const WARMUP_FIELDS = ["concurrency", "holdMs", "checks", "mode", "path", "minDistinct", "failOnCheckError", "timeoutSeconds", "yieldToUsersMs", "traffic"] as const;

function resolveWarmup(raw: unknown, problems: string[]): ResolvedWarmup {
    const w = (raw === undefined ? {} : readObject("warmup", raw, WARMUP_FIELDS, `an object { ${WARMUP_FIELDS.join("?, ")}? }`, problems)) ?? {};
    const concurrency = (w.concurrency ?? 5) as number;
    const holdMs = (w.holdMs ?? [250, 400]) as [number, number];
    const mode = (w.mode ?? "helper") as "helper" | "http";
    const minDistinct = (w.minDistinct ?? concurrency) as number;
    const timeoutSeconds = (w.timeoutSeconds ?? 120) as number;
    const failOnCheckError = (w.failOnCheckError ?? true) as boolean;
    const yieldToUsersMs = (w.yieldToUsersMs ?? 60000) as number;
    const { min: cMin, max: cMax } = LIMITS.warmupConcurrency;
    const push = (p: string | undefined) => p && problems.push(p);

    push(checkInteger("warmup.concurrency", concurrency, cMin, cMax));
    if (
        !Array.isArray(holdMs) ||
        holdMs.length !== 2 ||
        !holdMs.every((h) => isInt(h) && h >= LIMITS.holdMs.min && h <= LIMITS.holdMs.max) ||
        holdMs[0] > holdMs[1]
    ) {
        const single = isInt(holdMs) ? ` (for a fixed hold write [${holdMs}, ${holdMs}])` : "";
        problems.push(`warmup.holdMs must be [min, max] integers with ${LIMITS.holdMs.min} <= min <= max <= ${LIMITS.holdMs.max}${single}; got ${show(holdMs)}.`);
    }
    if (mode !== "helper" && mode !== "http") problems.push(`warmup.mode must be "helper" or "http"; got ${show(mode)}.`);
    const path = w.path;
    if (mode === "http") {
        if (typeof path !== "string" || !path.startsWith("/")) {
            problems.push(`warmup.path is required in http mode and must start with "/", e.g. "/healthz"; got ${show(path)}.`);
        } else if (path.length > LIMITS.warmupPath || !/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/.test(path) || /%(?![0-9A-Fa-f]{2})/.test(path)) {
            // The path becomes the synthetic request's rawPath: no spaces, control characters or CR/LF.
            problems.push(`warmup.path must be a URL path of at most ${LIMITS.warmupPath} characters, without spaces or control characters, e.g. "/healthz"; got ${show(path)}.`);
        }
    }
    if (mode === "helper" && path !== undefined) problems.push(`warmup.path applies only to warmup.mode "http"; remove it or set mode: "http".`);
    if (mode === "http" && w.checks !== undefined) problems.push(`warmup.checks applies only to warmup.mode "helper": http mode cannot run named checks.`);
    if (mode === "http" && w.minDistinct !== undefined) problems.push(`warmup.minDistinct applies only to warmup.mode "helper": distinct environments cannot be verified in http mode.`);
    if (checkInteger("", concurrency, cMin, cMax) === undefined && w.minDistinct !== undefined) {
        push(checkInteger("warmup.minDistinct", minDistinct, 1, concurrency));
    }
    const checks = w.checks;
    if (checks !== undefined && (!Array.isArray(checks) || checks.length > 100 || !checks.every((c) => typeof c === "string" && c.length <= 128 && /^[A-Za-z0-9_.-]+$/.test(c)))) {
        problems.push(`warmup.checks must be a list of check names (letters, digits, ".", "_", "-"); got ${show(checks)}.`);
    }
    push(checkBoolean("warmup.failOnCheckError", failOnCheckError));
    push(checkInteger("warmup.timeoutSeconds", timeoutSeconds, LIMITS.hookTimeoutSeconds.min, LIMITS.hookTimeoutSeconds.max, "seconds"));
    if (mode === "http" && w.yieldToUsersMs !== undefined) {
        problems.push(`warmup.yieldToUsersMs applies only to warmup.mode "helper": an http warm-up cannot tell whether its environment served a user.`);
    } else {
        push(checkInteger("warmup.yieldToUsersMs", yieldToUsersMs, LIMITS.yieldToUsersMs.min, LIMITS.yieldToUsersMs.max, "ms"));
    }
    return {
        concurrency,
        holdMs: Array.isArray(holdMs) ? [holdMs[0] as number, holdMs[1] as number] : holdMs,
        ...(checks !== undefined ? { checks: Array.isArray(checks) ? [...(checks as string[])] : (checks as string[]) } : {}),
        mode,
        ...(path !== undefined ? { path: path as string } : {}),
        minDistinct: mode === "http" ? 1 : minDistinct,
        failOnCheckError,
        timeoutSeconds,
        yieldToUsersMs: mode === "http" ? 0 : yieldToUsersMs,
        traffic: resolveTrafficWarmup(w.traffic, concurrency, problems),
    };
}

const KEEP_WARM_SHAPE = `a list of schedules [{ schedule?, concurrency? }], [] for none (also accepted: false (off), one schedule { schedule?, concurrency? } alone)`;

/** The schedules as given, each with its field name; [] for `false`. */
function keepWarmEntries(raw: unknown, problems: string[]): { field: string; given: Record<string, unknown> }[] {
    if (raw === false) return [];
    if (raw === undefined) return [{ field: "keepWarm", given: {} }];
    if (typeof raw === "string") {
        problems.push(`keepWarm must be ${KEEP_WARM_SHAPE}; got the string ${show(raw)}: write keepWarm: [{ schedule: ${show(raw)} }].`);
        return [];
    }
    if (raw === true) {
        problems.push(`keepWarm must be ${KEEP_WARM_SHAPE}; got true: omit keepWarm for the default schedule (every 5 minutes).`);
        return [];
    }
    if (!Array.isArray(raw)) {
        const one = readObject("keepWarm", raw, ["schedule", "concurrency"], KEEP_WARM_SHAPE, problems);
        return one ? [{ field: "keepWarm", given: one }] : [];
    }
    // [] is "no schedule", the spelling every language has; `false` is TypeScript's older one.
    if (raw.length === 0) return [];
    if (raw.length > 10) {
        problems.push(`keepWarm accepts at most 10 schedules; got ${raw.length}.`);
        return [];
    }
    const out: { field: string; given: Record<string, unknown> }[] = [];
    Array.from(raw).forEach((s, i) => {
        const field = `keepWarm[${i}]`;
        const one = readObject(field, s, ["schedule", "concurrency"], `a schedule { schedule?, concurrency? }`, problems);
        if (one) out.push({ field, given: one });
    });
    return out;
}

const PREDEFINED = Object.values(DeploymentConfig).filter(
    (c): c is PredefinedDeploymentConfig => typeof c === "object" && c.kind === "predefined",
);
const CONFIG_FIELDS = ["kind", "name", "type", "percentage", "intervalMinutes"];

/**
 * What a config object identifies: a predefined config by `name` (kind "predefined" or
 * omitted), a custom one by `type` Canary/Linear (kind "custom" or omitted, and no name).
 * Other languages cannot call the factories, so they write only these fields.
 */
function configKind(config: Record<string, unknown>): "predefined" | "custom" | undefined {
    if (config.kind === "predefined" || (config.kind === undefined && config.name !== undefined)) return "predefined";
    if (config.kind === "custom" || (config.kind === undefined && config.name === undefined)) return "custom";
    return undefined;
}

/** The catalogue constant a predefined spec names, so the component never builds from a hand-made copy. */
function canonicalConfig(config: unknown): CanonicalDeploymentConfig | undefined {
    if (!isPlainObject(config)) return undefined;
    if (configKind(config) === "predefined") return PREDEFINED.find((c) => c.name === config.name);
    // A fresh frozen spec from the factory: later changes to the user's object cannot reach the component.
    const options = config as unknown as { percentage: number; intervalMinutes: number };
    return config.type === "Linear" ? DeploymentConfig.linear(options) : DeploymentConfig.canary(options);
}

/** A config must come from the `DeploymentConfig` catalogue or its factories; a hand-made object is re-checked. */
export function validateDeploymentConfigSpec(config: unknown): string | undefined {
    const generic =
        `deployment.config must be a DeploymentConfig constant (e.g. DeploymentConfig.Canary10Percent5Minutes) or DeploymentConfig.canary(...) / DeploymentConfig.linear(...) ` +
        `(in other languages { name: "CodeDeployDefault.Lambda..." } or { type: "Canary" | "Linear", percentage, intervalMinutes }); got ${show(config)}.`;
    if (typeof config === "string") {
        const key = Object.keys(DeploymentConfig).find((k) => k === config || `CodeDeployDefault.Lambda${k}` === config);
        return key ? `${generic.slice(0, -1)}: did you mean DeploymentConfig.${key}?` : generic;
    }
    if (!isPlainObject(config)) return generic;
    const extra = Object.getOwnPropertyNames(config).find((k) => !CONFIG_FIELDS.includes(k));
    if (extra !== undefined) {
        const hint = suggestion(extra, CONFIG_FIELDS, false);
        return (
            `Unknown field ${fieldPath("deployment.config", extra)}${hint ? `: did you mean deployment.config.${hint}?` : ""} ` +
            `(a config comes from a DeploymentConfig constant or DeploymentConfig.canary(...) / DeploymentConfig.linear(...)).`
        );
    }
    for (const key of CONFIG_FIELDS) {
        const d = Object.getOwnPropertyDescriptor(config, key);
        if (d && !("value" in d)) return `deployment.config.${key} must be a plain value, not a getter or setter.`;
    }
    const kind = configKind(config);
    if (kind === "predefined") {
        const known = PREDEFINED.find((c) => c.name === config.name);
        if (!known) return generic;
        // A predefined config is its name; any other field given must say the same, or the user expects a shift CodeDeploy won't make.
        for (const key of ["type", "percentage", "intervalMinutes"] as const) {
            if (config[key] !== undefined && config[key] !== known[key]) {
                return `deployment.config: ${known.name} has ${key} ${show(known[key])}, not ${show(config[key])}; drop ${key} or pick the config that has it.`;
            }
        }
        return undefined;
    }
    if (kind === "custom" && (config.type === "Canary" || config.type === "Linear")) {
        try {
            (config.type === "Canary" ? DeploymentConfig.canary : DeploymentConfig.linear)(config as unknown as { percentage: number; intervalMinutes: number });
            return undefined;
        } catch (e) {
            if (e instanceof DeploymentConfigError) return e.message;
            throw e;
        }
    }
    return generic;
}

const DEPLOYMENT_FIELDS = ["enabled", "config", "alarms", "errorAlarm", "triggers", "postTraffic", "coldStartAlarm"] as const;

function resolveDeployment(raw: unknown, problems: string[]): false | ResolvedDeployment {
    // `false` is TypeScript's spelling before 0.2 of `{ enabled: false }`.
    if (raw === false) return false;
    const shape = `{ enabled: false } or { ${DEPLOYMENT_FIELDS.slice(1).join("?, ")}? } (false is accepted too)`;
    if (raw === true) {
        problems.push(`deployment must be ${shape}; got true: omit deployment for the default canary.`);
    }
    const d = (raw === undefined || raw === true ? {} : readObject("deployment", raw, DEPLOYMENT_FIELDS, shape, problems)) ?? {};
    if (d.enabled !== undefined) {
        const p = checkBoolean("deployment.enabled", d.enabled);
        if (p) problems.push(p);
        else if (d.enabled === false) {
            const others = Object.keys(d).filter((k) => k !== "enabled");
            if (others.length > 0) problems.push(`deployment.enabled is false, so deployment.${others[0]} would be ignored; remove ${others.map((k) => `deployment.${k}`).join(", ")} or enable deployments.`);
            return false;
        }
    }
    const given = d.config ?? DEFAULT_DEPLOYMENT_CONFIG;
    const configProblem = validateDeploymentConfigSpec(given);
    if (configProblem) problems.push(configProblem);
    const config = (configProblem ? DEFAULT_DEPLOYMENT_CONFIG : canonicalConfig(given)) ?? DEFAULT_DEPLOYMENT_CONFIG;

    let errorAlarm: ResolvedDeployment["errorAlarm"] = false;
    const ea = d.errorAlarm;
    // `true` / `false` are TypeScript's spellings before 0.2 of `{}` / `{ enabled: false }`.
    if (ea !== undefined && ea !== false) {
        let e =
            ea === true
                ? {}
                : readObject("deployment.errorAlarm", ea, ["enabled", "threshold", "evaluationPeriods"], `{ enabled?, threshold?, evaluationPeriods? } (true, false or { ... } are accepted)`, problems);
        if (e && e.enabled !== undefined) {
            const p = checkBoolean("deployment.errorAlarm.enabled", e.enabled);
            if (p) problems.push(p);
            if (e.enabled === false) {
                const others = Object.keys(e).filter((k) => k !== "enabled");
                if (others.length > 0) problems.push(`deployment.errorAlarm.enabled is false, so deployment.errorAlarm.${others[0]} would be ignored; remove it or enable the alarm.`);
                e = undefined;
            }
        }
        if (e) {
            errorAlarm = { threshold: (e.threshold ?? 1) as number, evaluationPeriods: (e.evaluationPeriods ?? 1) as number };
            const p1 = checkInteger("deployment.errorAlarm.threshold", errorAlarm.threshold, 1, 100000);
            if (p1) problems.push(p1);
            const p2 = checkInteger("deployment.errorAlarm.evaluationPeriods", errorAlarm.evaluationPeriods, 1, 60);
            if (p2) problems.push(p2);
        }
    }

    const coldStartAlarm = resolveColdStartAlarm(d.coldStartAlarm, problems);
    let alarmCount = (errorAlarm ? 1 : 0) + (coldStartAlarm.enabled ? 1 : 0);
    const alarmList: ResolvedDeployment["alarms"] = [];
    if (d.alarms !== undefined) {
        const alarms = readArray("deployment.alarms", d.alarms, `a list of CloudWatch alarm names or aws.cloudwatch.MetricAlarm resources`, problems);
        if (alarms) {
            alarmCount += alarms.length;
            if (alarms.length <= 10) {
                alarmList.push(...(alarms as ResolvedDeployment["alarms"]));
                alarms.forEach((a, i) => {
                    // MetricAlarm.isInstance, not instanceof: the program's @pulumi/aws may be another copy.
                    if (isDeferred(a) || aws.cloudwatch.MetricAlarm.isInstance(a)) return;
                    if (typeof a !== "string" || a.length < 1 || a.length > LIMITS.alarmName || hasControlCharacters(a)) {
                        problems.push(`deployment.alarms[${i}] must be an alarm name (1 to ${LIMITS.alarmName} characters) or an aws.cloudwatch.MetricAlarm; got ${show(a)}.`);
                    }
                });
            }
        }
    }
    if (alarmCount > 10) problems.push(`deployment.alarms: CodeDeploy watches at most 10 alarms per deployment group; got ${alarmCount}.`);

    const triggers: DeploymentTrigger[] = [];
    if (d.triggers !== undefined) {
        const list = readArray("deployment.triggers", d.triggers, `a list of { name, topicArn, events }`, problems);
        if (list && list.length > LIMITS.triggers) {
            problems.push(`deployment.triggers: CodeDeploy allows at most ${LIMITS.triggers} triggers per deployment group; got ${list.length}.`);
        } else if (list) {
            const names = new Set<string>();
            list.forEach((raw, i) => {
                const field = `deployment.triggers[${i}]`;
                const t = readObject(field, raw, ["name", "topicArn", "events"], `{ name, topicArn, events }`, problems, ["name", "topicArn", "events"]);
                if (!t) return;
                const name = t.name;
                if (typeof name !== "string" || name.length === 0 || name.length > 256 || hasControlCharacters(name)) {
                    problems.push(`${field}.name must be a non-empty string.`);
                } else if (names.has(name)) {
                    problems.push(`${field}.name ${show(name)} is used twice; trigger names must be unique.`);
                }
                if (typeof name === "string") names.add(name);
                const topic = t.topicArn;
                if (!isDeferred(topic) && (typeof topic !== "string" || !SNS_TOPIC_ARN.test(topic))) {
                    problems.push(`${field}.topicArn must be an SNS topic ARN like "arn:aws:sns:us-east-1:123456789012:deploys"; got ${show(topic)}.`);
                }
                const events = t.events;
                if (!Array.isArray(events) || events.length === 0) {
                    problems.push(`${field}.events must list at least one CodeDeploy event, e.g. "DeploymentFailure".`);
                } else {
                    events.forEach((e, j) => {
                        if (!(TRIGGER_EVENTS as readonly unknown[]).includes(e)) {
                            const hint = typeof e === "string" ? suggestion(e, TRIGGER_EVENTS, false) : undefined;
                            problems.push(
                                `${field}.events[${j}] must be one of ${TRIGGER_EVENTS.join(", ")}; got ${show(e)}${hint ? `: did you mean "${hint}"?` : "."}`,
                            );
                        }
                    });
                }
                triggers.push({ name: name as string, topicArn: topic as pulumi.Input<string>, events: Array.isArray(events) ? [...(events as string[])] : [] });
            });
        }
    }

    const postTraffic = resolvePostTraffic(d.postTraffic, problems);
    return { config, alarms: alarmList, errorAlarm, coldStartAlarm, triggers, postTraffic };
}

function resolvePostTraffic(raw: unknown, problems: string[]): PostTrafficCheck {
    const shape = `{ smoke: true }, { functionName, functionArn } of your own hook, or {} for none (TypeScript's false, "smoke", or { functionName, functionArn } are accepted too)`;
    // `false` and `"smoke"`: TypeScript's spellings before 0.2.
    if (raw === undefined || raw === false || raw === "smoke") return (raw ?? false) as PostTrafficCheck;
    if (!isPlainObject(raw)) {
        problems.push(`deployment.postTraffic must be ${shape}; got ${show(raw)}.`);
        return false;
    }
    const p = readObject("deployment.postTraffic", raw, ["smoke", "functionName", "functionArn"], shape, problems, ["functionName", "functionArn"]);
    if (!p) return false;
    const { smoke, functionName, functionArn } = p;
    if (smoke !== undefined) {
        const problem = checkBoolean("deployment.postTraffic.smoke", smoke);
        if (problem) {
            problems.push(problem);
            return false;
        }
        if (smoke === true && (functionName !== undefined || functionArn !== undefined)) {
            problems.push(`deployment.postTraffic: give either smoke: true or { functionName, functionArn } of your own hook, not both.`);
            return false;
        }
        if (smoke === true) return "smoke";
    }
    if (functionName === undefined && functionArn === undefined) return false;
    if (functionName === undefined || functionArn === undefined) {
        problems.push(`deployment.postTraffic must be ${shape}; got ${show(raw)}.`);
        return false;
    }
    const arnMatch = typeof functionArn === "string" ? FUNCTION_ARN.exec(functionArn) : null;
    if (!isDeferred(functionArn) && !arnMatch) {
        problems.push(`deployment.postTraffic.functionArn must be a Lambda function ARN like "arn:aws:lambda:us-east-1:123456789012:function:smoke"; got ${show(functionArn)}.`);
    }
    if (!isDeferred(functionName)) {
        const nameMatch = typeof functionName === "string" ? (FUNCTION_NAME.test(functionName) ? functionName : FUNCTION_ARN.exec(functionName)?.[1]) : undefined;
        if (nameMatch === undefined) {
            problems.push(`deployment.postTraffic.functionName must be a Lambda function name (1 to 64 letters, digits, "-", "_") or ARN; got ${show(functionName)}.`);
        } else if (arnMatch && arnMatch[1] !== nameMatch) {
            problems.push(`deployment.postTraffic: functionName ${show(functionName)} and functionArn ${show(functionArn)} name different functions.`);
        }
    }
    return { functionName: functionName as pulumi.Input<string>, functionArn: functionArn as pulumi.Input<string> };
}

// ---------------------------------------------------------------- the whole

function resolveUnchecked(args: unknown, problems: string[]): ResolvedSettings {
    const given = isDeferred(args)
        ? (problems.push(`The arguments must be a plain object, known when the program runs; got ${isOutput(args) ? "a Pulumi Output" : "a Promise"}.`), undefined)
        : readObject("", args, TOP_LEVEL_FIELDS, `an object with at least \`code\` (MangumFunctionArgs)`, problems, ["code"]);
    const a: Record<string, unknown> = given ?? {};
    const push = (p: string | undefined) => p && problems.push(p);

    if (given) validateCode(a.code, problems);
    const handler = (a.handler ?? "main.handler") as string;
    const runtime = (a.runtime ?? "python3.13") as PythonRuntime;
    const architecture = (a.architecture ?? "arm64") as Architecture;
    const memorySize = (a.memorySize ?? 1024) as number;
    const timeout = (a.timeout ?? 30) as number;
    const aliasName = (a.aliasName ?? "live") as string;
    // `false` is how TypeScript programs before 0.2 said "none".
    const http = (a.http === false ? "none" : (a.http ?? "function-url")) as HttpFrontDoor;
    const functionUrlAuth = (a.functionUrlAuth ?? "NONE") as FunctionUrlAuth;
    const logRetentionDays = (a.logRetentionDays ?? 30) as number;
    const snapStart = (a.snapStart ?? false) as boolean;

    push(validateHandler(handler));
    push(validateRuntime(runtime));
    push(validateArchitecture(architecture));
    push(checkInteger("memorySize", memorySize, LIMITS.memorySize.min, LIMITS.memorySize.max, "MB"));
    push(checkInteger("timeout", timeout, LIMITS.timeout.min, LIMITS.timeout.max, "seconds"));
    push(validateAliasName(aliasName));
    push(validateLogRetention(logRetentionDays));
    if (http !== "function-url" && http !== "http-api" && http !== "none") {
        problems.push(`http must be "function-url", "http-api" or "none"; got ${show(http)}.`);
    }
    if (functionUrlAuth !== "NONE" && functionUrlAuth !== "AWS_IAM") {
        problems.push(`functionUrlAuth must be "NONE" or "AWS_IAM"; got ${show(functionUrlAuth)}.`);
    }
    if (a.functionUrlAuth !== undefined && http !== "function-url") {
        problems.push(`functionUrlAuth applies only to http: "function-url"; got http: ${show(http)}.`);
    }
    const httpApi = resolveHttpApi(a.httpApi, a.http, problems);
    const environment = resolveEnvironment(a.environment, problems);
    const vpc = resolveVpc(a.vpc, problems);
    const layers = resolveLayers(a.layers, problems);
    const reservedConcurrency = a.reservedConcurrency;
    const provisionedConcurrency = a.provisionedConcurrency;
    if (reservedConcurrency !== undefined) push(checkInteger("reservedConcurrency", reservedConcurrency, 1, 100000));
    if (provisionedConcurrency !== undefined) push(checkInteger("provisionedConcurrency", provisionedConcurrency, 1, 100000));
    push(a.snapStart === undefined ? undefined : checkBoolean("snapStart", snapStart));
    if (snapStart === true && provisionedConcurrency !== undefined) {
        problems.push(`Only one of \`snapStart\` or \`provisionedConcurrency\` can be provided: Lambda does not support SnapStart with provisioned concurrency.`);
    }
    const runtimeIndex = PYTHON_RUNTIMES.indexOf(runtime);
    if (snapStart === true && runtimeIndex >= 0 && runtimeIndex < PYTHON_RUNTIMES.indexOf("python3.12")) {
        problems.push(`snapStart requires runtime python3.12 or later; got ${show(runtime)}.`);
    }
    const policies = resolvePolicies(a.policies, a.policyStatements, problems);
    const tags = resolveTags(a.tags, problems);

    const warmup = resolveWarmup(a.warmup, problems);
    const entries = keepWarmEntries(a.keepWarm, problems);
    const keepWarm: Required<KeepWarmSchedule>[] = entries.map(({ field, given: s }) => {
        const resolved = { schedule: (s.schedule ?? "rate(5 minutes)") as string, concurrency: (s.concurrency ?? warmup.concurrency) as number };
        push(validateScheduleExpression(`${field}.schedule`, resolved.schedule));
        // A defaulted concurrency is the warm-up's, already checked there.
        if (s.concurrency !== undefined) push(checkInteger(`${field}.concurrency`, s.concurrency, LIMITS.warmupConcurrency.min, LIMITS.warmupConcurrency.max));
        return resolved;
    });
    const deployment = resolveDeployment(a.deployment, problems);

    // Cross-field limits, checked only between fields that are valid on their own so one
    // mistake is reported once: a warm-up can only reach as many environments as the function may run.
    const valid = (v: unknown, min: number, max: number) => checkInteger("", v, min, max) === undefined;
    const cMax = LIMITS.warmupConcurrency.max;
    const timeoutOk = valid(timeout, LIMITS.timeout.min, LIMITS.timeout.max);
    const warmupOk = valid(warmup.concurrency, 1, cMax);
    const holdMax = Array.isArray(warmup.holdMs) ? warmup.holdMs[1] : undefined;
    if (timeoutOk && isInt(holdMax) && holdMax >= timeout * 1000) {
        problems.push(`warmup.holdMs maximum (${holdMax} ms) must be below the function's timeout (${timeout} s).`);
    }
    // The pre-traffic hook keeps a few seconds for its status report; the hold and the new
    // environments' initialisation must fit in what is left.
    const hookOk = valid(warmup.timeoutSeconds, LIMITS.hookTimeoutSeconds.min, LIMITS.hookTimeoutSeconds.max);
    if (hookOk && isInt(holdMax) && warmup.timeoutSeconds * 1000 < holdMax + HOOK_HEADROOM_MS) {
        problems.push(
            `warmup.timeoutSeconds (${warmup.timeoutSeconds} s) must exceed the longest hold (${holdMax} ms) by at least ${HOOK_HEADROOM_MS / 1000} s, for initialisation and the status report.`,
        );
    }
    if (reservedConcurrency !== undefined && valid(reservedConcurrency, 1, 100000)) {
        const reserved = reservedConcurrency as number;
        if (warmupOk && warmup.concurrency > reserved) {
            problems.push(`warmup.concurrency (${warmup.concurrency}) exceeds reservedConcurrency (${reserved}): the warm-up could never reach that many environments.`);
        }
        entries.forEach(({ given: s }, i) => {
            if (s.concurrency !== undefined && valid(s.concurrency, 1, cMax) && (s.concurrency as number) > reserved) {
                problems.push(`keepWarm[${i}].concurrency (${s.concurrency}) exceeds reservedConcurrency (${reserved}).`);
            }
        });
        if (provisionedConcurrency !== undefined && valid(provisionedConcurrency, 1, 100000) && (provisionedConcurrency as number) > reserved) {
            problems.push(`provisionedConcurrency (${provisionedConcurrency}) exceeds reservedConcurrency (${reserved}).`);
        }
    }

    const code = (typeof a.code === "string" ? new pulumi.asset.FileArchive(a.code) : a.code) as pulumi.Input<pulumi.asset.Archive>;
    return {
        code,
        handler,
        runtime,
        architecture,
        memorySize,
        timeout,
        ...(environment !== undefined ? { environment } : {}),
        ...(vpc !== undefined ? { vpc } : {}),
        ...(layers !== undefined ? { layers } : {}),
        policies,
        ...(tags !== undefined ? { tags } : {}),
        aliasName,
        http,
        functionUrlAuth,
        logRetentionDays,
        ...(reservedConcurrency !== undefined ? { reservedConcurrency: reservedConcurrency as number } : {}),
        ...(provisionedConcurrency !== undefined ? { provisionedConcurrency: provisionedConcurrency as number } : {}),
        snapStart,
        warmup,
        keepWarm,
        deployment,
        httpApi,
    };
}

/** Settings built from nothing, for when reading the arguments failed outright. */
function fallbackSettings(): ResolvedSettings {
    return resolveUnchecked({}, []);
}

/**
 * Applies defaults and checks every argument. Returns the resolved settings and
 * the list of problems (empty when the arguments are valid); never throws, even on
 * `null`, class instances, proxies or getters that throw.
 */
export function resolveMangumFunctionArgs(args: MangumFunctionArgs): { settings: ResolvedSettings; problems: string[] } {
    const problems: string[] = [];
    try {
        const settings = resolveUnchecked(args, problems);
        return { settings, problems };
    } catch (e) {
        // Only exotic objects get here (a Proxy whose traps throw): report, never crash.
        let why = "an exception";
        try {
            why = e instanceof Error ? JSON.stringify(String(e.message).slice(0, 200)) : show(e);
        } catch {
            // keep the generic wording
        }
        problems.push(`The arguments could not be read (a getter or proxy threw ${why}); pass plain objects and values.`);
        return { settings: fallbackSettings(), problems };
    }
}

/**
 * Validates the component's name and arguments and resolves the defaults, throwing
 * {@link MangumArgsError} with every problem at once.
 */
export function validateMangumFunctionArgs(name: string, args: MangumFunctionArgs): ResolvedSettings {
    const nameProblem = validateComponentName(name);
    const { settings, problems } = resolveMangumFunctionArgs(args);
    if (nameProblem) problems.unshift(nameProblem);
    if (problems.length > 0) throw new MangumArgsError(name, problems);
    return settings;
}
