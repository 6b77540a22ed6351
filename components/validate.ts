/**
 * Validation of `MangumFunctionArgs`, run before any resource is created so a
 * typo never leaves a half-deployed stack. Every message names the field, the
 * allowed values and what was given. Exported so programs and tests can check
 * arguments without a Pulumi engine.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import {
    Architecture,
    DeploymentTrigger,
    HttpFrontDoor,
    InlinePolicyStatement,
    KeepWarmSchedule,
    MangumFunctionArgs,
    PostTrafficCheck,
    PYTHON_RUNTIMES,
    PythonRuntime,
} from "./args";
import {
    DEFAULT_DEPLOYMENT_CONFIG,
    DeploymentConfig,
    DeploymentConfigSpec,
    DeploymentConfigError,
} from "./deploymentConfig";

/** Thrown when `MangumFunctionArgs` are invalid; `problems` lists every field at fault. */
export class MangumArgsError extends Error {
    constructor(
        readonly resourceName: string,
        readonly problems: string[],
    ) {
        super(
            `Invalid arguments for MangumFunction "${resourceName}":\n` + problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "MangumArgsError";
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
    hookTimeoutSeconds: { min: 10, max: 900 },
    layers: 5,
    aliasName: 128,
} as const;

/** What the pre-traffic hook needs beyond the hold: new environments' init and its status report (3.25 s reserved). */
export const HOOK_HEADROOM_MS = 5000;

export interface ResolvedWarmup {
    concurrency: number;
    holdMs: [number, number];
    checks?: string[];
    mode: "helper" | "http";
    path?: string;
    minDistinct: number;
    failOnCheckError: boolean;
    timeoutSeconds: number;
}

export interface ResolvedDeployment {
    config: DeploymentConfigSpec;
    errorAlarm: false | { threshold: number; evaluationPeriods: number };
    triggers: DeploymentTrigger[];
    postTraffic: PostTrafficCheck;
}

/** The arguments with every default applied; what the component builds from. */
export interface ResolvedSettings {
    handler: string;
    runtime: PythonRuntime;
    architecture: Architecture;
    memorySize: number;
    timeout: number;
    aliasName: string;
    http: HttpFrontDoor;
    functionUrlAuth: "NONE" | "AWS_IAM";
    logRetentionDays: number;
    reservedConcurrency?: number;
    provisionedConcurrency?: number;
    snapStart: boolean;
    warmup: ResolvedWarmup;
    keepWarm: Required<KeepWarmSchedule>[];
    deployment: false | ResolvedDeployment;
}

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** `field` must be an integer in [min, max]; returns the problem or undefined. */
export function checkInteger(field: string, value: unknown, min: number, max: number, unit = ""): string | undefined {
    if (isInt(value) && value >= min && value <= max) return undefined;
    const u = unit ? ` ${unit}` : "";
    return `${field} must be an integer from ${min} to ${max}${u}; got ${show(value)}.`;
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
    if (typeof handler === "string" && /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$/.test(handler)) return undefined;
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

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;

/**
 * EventBridge schedule expressions: `rate(value unit)` (singular unit for 1, plural
 * otherwise — EventBridge rejects the other) or `cron(...)` with six fields where
 * day-of-month or day-of-week is `?`.
 */
export function validateScheduleExpression(field: string, expr: unknown): string | undefined {
    const allowed = `a schedule expression like "rate(5 minutes)" or "cron(0/5 8-18 ? * MON-FRI *)"`;
    if (typeof expr !== "string") return `${field} must be ${allowed}; got ${show(expr)}.`;
    const rate = RATE.exec(expr);
    if (rate) {
        const value = Number(rate[1]);
        const unit = rate[2];
        if (value < 1) return `${field}: a rate must be at least 1; got ${show(expr)}.`;
        const plural = unit.endsWith("s");
        if (value === 1 && plural) return `${field}: use the singular unit for a rate of 1, e.g. "rate(1 ${unit.slice(0, -1)})"; got ${show(expr)}.`;
        if (value !== 1 && !plural) return `${field}: use the plural unit for a rate above 1, e.g. "rate(${value} ${unit}s)"; got ${show(expr)}.`;
        return undefined;
    }
    const cron = /^cron\((.*)\)$/.exec(expr);
    if (cron) {
        const fields = cron[1].trim().split(/\s+/);
        if (fields.length !== 6) {
            return `${field}: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year); got ${fields.length} in ${show(expr)}.`;
        }
        if (fields[2] !== "?" && fields[4] !== "?") {
            return `${field}: in a cron expression either day-of-month or day-of-week must be "?"; got ${show(expr)}.`;
        }
        return undefined;
    }
    return `${field} must be ${allowed}; got ${show(expr)}.`;
}

function validatePolicies(policies: MangumFunctionArgs["policies"]): string[] {
    const problems: string[] = [];
    (policies ?? []).forEach((p, i) => {
        if (typeof p === "string") {
            if (!p.startsWith("arn:")) problems.push(`policies[${i}] must be a managed policy ARN ("arn:...") or an inline statement; got ${show(p)}.`);
            return;
        }
        if (pulumi.Output.isInstance(p)) return; // an ARN known only at deploy time
        const s = p as InlinePolicyStatement;
        if (s.Action === undefined || (Array.isArray(s.Action) && s.Action.length === 0)) {
            problems.push(`policies[${i}].Action must name at least one action.`);
        }
        if (s.Resource === undefined || (Array.isArray(s.Resource) && s.Resource.length === 0)) {
            problems.push(`policies[${i}].Resource must name the resources the statement applies to.`);
        }
    });
    return problems;
}

function resolveWarmup(args: MangumFunctionArgs, problems: string[]): ResolvedWarmup {
    const w = args.warmup ?? {};
    const concurrency = w.concurrency ?? 5;
    const holdMs = w.holdMs ?? [250, 400];
    const mode = w.mode ?? "helper";
    const minDistinct = w.minDistinct ?? concurrency;
    const timeoutSeconds = w.timeoutSeconds ?? 120;
    const { min: cMin, max: cMax } = LIMITS.warmupConcurrency;
    const push = (p: string | undefined) => p && problems.push(p);

    push(checkInteger("warmup.concurrency", concurrency, cMin, cMax));
    if (
        !Array.isArray(holdMs) ||
        holdMs.length !== 2 ||
        !holdMs.every((h) => isInt(h) && h >= LIMITS.holdMs.min && h <= LIMITS.holdMs.max) ||
        holdMs[0] > holdMs[1]
    ) {
        problems.push(
            `warmup.holdMs must be [min, max] integers with ${LIMITS.holdMs.min} <= min <= max <= ${LIMITS.holdMs.max}; got ${JSON.stringify(holdMs)}.`,
        );
    }
    if (mode !== "helper" && mode !== "http") problems.push(`warmup.mode must be "helper" or "http"; got ${show(mode)}.`);
    if (mode === "http" && (typeof w.path !== "string" || !w.path.startsWith("/"))) {
        problems.push(`warmup.path is required in http mode and must start with "/", e.g. "/healthz"; got ${show(w.path)}.`);
    }
    if (mode === "helper" && w.path !== undefined) problems.push(`warmup.path applies only to warmup.mode "http"; remove it or set mode: "http".`);
    if (mode === "http" && w.checks !== undefined) problems.push(`warmup.checks applies only to warmup.mode "helper": http mode cannot run named checks.`);
    if (mode === "http" && w.minDistinct !== undefined) problems.push(`warmup.minDistinct applies only to warmup.mode "helper": distinct environments cannot be verified in http mode.`);
    if (checkInteger("", concurrency, cMin, cMax) === undefined && w.minDistinct !== undefined) {
        push(checkInteger("warmup.minDistinct", minDistinct, 1, concurrency));
    }
    if (w.checks !== undefined && (!Array.isArray(w.checks) || !w.checks.every((c) => typeof c === "string" && /^[A-Za-z0-9_.-]+$/.test(c)))) {
        problems.push(`warmup.checks must be a list of check names (letters, digits, ".", "_", "-"); got ${JSON.stringify(w.checks)}.`);
    }
    push(checkInteger("warmup.timeoutSeconds", timeoutSeconds, LIMITS.hookTimeoutSeconds.min, LIMITS.hookTimeoutSeconds.max, "seconds"));
    return {
        concurrency,
        holdMs,
        ...(w.checks !== undefined ? { checks: w.checks } : {}),
        mode,
        ...(w.path !== undefined ? { path: w.path } : {}),
        minDistinct: mode === "http" ? 1 : minDistinct,
        failOnCheckError: w.failOnCheckError ?? true,
        timeoutSeconds,
    };
}

function resolveKeepWarm(args: MangumFunctionArgs, warmupConcurrency: number, problems: string[]): Required<KeepWarmSchedule>[] {
    if (args.keepWarm === false) return [];
    const list = args.keepWarm === undefined ? [{}] : Array.isArray(args.keepWarm) ? args.keepWarm : [args.keepWarm];
    if (list.length === 0) problems.push(`keepWarm must list at least one schedule; use keepWarm: false to turn keep-warm off.`);
    if (list.length > 10) problems.push(`keepWarm accepts at most 10 schedules; got ${list.length}.`);
    return list.map((s, i) => {
        const field = Array.isArray(args.keepWarm) ? `keepWarm[${i}]` : "keepWarm";
        const resolved = { schedule: s.schedule ?? "rate(5 minutes)", concurrency: s.concurrency ?? warmupConcurrency };
        const p1 = validateScheduleExpression(`${field}.schedule`, resolved.schedule);
        if (p1) problems.push(p1);
        // A defaulted concurrency is the warm-up's, already checked there.
        const p2 = s.concurrency === undefined ? undefined : checkInteger(`${field}.concurrency`, s.concurrency, LIMITS.warmupConcurrency.min, LIMITS.warmupConcurrency.max);
        if (p2) problems.push(p2);
        return resolved;
    });
}

const PREDEFINED_NAMES = Object.values(DeploymentConfig)
    .filter((c): c is Extract<DeploymentConfigSpec, { kind: "predefined" }> => typeof c === "object" && c.kind === "predefined")
    .map((c) => c.name);

/** A config must come from the `DeploymentConfig` catalogue or its factories; a hand-made object is re-checked. */
export function validateDeploymentConfigSpec(config: unknown): string | undefined {
    const c = config as DeploymentConfigSpec | undefined;
    if (c && c.kind === "predefined" && PREDEFINED_NAMES.includes(c.name)) return undefined;
    if (c && c.kind === "custom" && (c.type === "Canary" || c.type === "Linear")) {
        try {
            (c.type === "Canary" ? DeploymentConfig.canary : DeploymentConfig.linear)(c);
            return undefined;
        } catch (e) {
            if (e instanceof DeploymentConfigError) return e.message;
            throw e;
        }
    }
    return `deployment.config must be a DeploymentConfig constant (e.g. DeploymentConfig.Canary10Percent5Minutes) or DeploymentConfig.canary(...) / DeploymentConfig.linear(...); got ${JSON.stringify(config)}.`;
}

function resolveDeployment(args: MangumFunctionArgs, problems: string[]): false | ResolvedDeployment {
    if (args.deployment === false) return false;
    const d = args.deployment ?? {};
    const config = d.config ?? DEFAULT_DEPLOYMENT_CONFIG;
    const configProblem = validateDeploymentConfigSpec(config);
    if (configProblem) problems.push(configProblem);
    let errorAlarm: ResolvedDeployment["errorAlarm"] = false;
    if (d.errorAlarm) {
        const e = d.errorAlarm === true ? {} : d.errorAlarm;
        errorAlarm = { threshold: e.threshold ?? 1, evaluationPeriods: e.evaluationPeriods ?? 1 };
        const p1 = checkInteger("deployment.errorAlarm.threshold", errorAlarm.threshold, 1, 100000);
        if (p1) problems.push(p1);
        const p2 = checkInteger("deployment.errorAlarm.evaluationPeriods", errorAlarm.evaluationPeriods, 1, 60);
        if (p2) problems.push(p2);
    }
    const alarmCount = (d.alarms ?? []).length + (errorAlarm ? 1 : 0);
    if (alarmCount > 10) problems.push(`deployment.alarms: CodeDeploy watches at most 10 alarms per deployment group; got ${alarmCount}.`);
    const triggers = d.triggers ?? [];
    const names = new Set<string>();
    triggers.forEach((t, i) => {
        if (typeof t.name !== "string" || t.name.length === 0) problems.push(`deployment.triggers[${i}].name must be a non-empty string.`);
        else if (names.has(t.name)) problems.push(`deployment.triggers[${i}].name ${show(t.name)} is used twice; trigger names must be unique.`);
        names.add(t.name);
        if (!Array.isArray(t.events) || t.events.length === 0) problems.push(`deployment.triggers[${i}].events must list at least one CodeDeploy event, e.g. "DeploymentFailure".`);
    });
    const postTraffic = d.postTraffic ?? false;
    if (postTraffic !== false && postTraffic !== "smoke" && (typeof postTraffic !== "object" || postTraffic.functionName === undefined || postTraffic.functionArn === undefined)) {
        problems.push(`deployment.postTraffic must be false, "smoke", or { functionName, functionArn } of your own hook; got ${show(postTraffic)}.`);
    }
    return { config, errorAlarm, triggers, postTraffic };
}

/**
 * Applies defaults and checks every argument. Returns the resolved settings and
 * the list of problems (empty when the arguments are valid); never throws.
 */
export function resolveMangumFunctionArgs(args: MangumFunctionArgs): { settings: ResolvedSettings; problems: string[] } {
    const problems: string[] = [];
    const push = (p: string | undefined) => p && problems.push(p);

    if (args.code === undefined || args.code === null || args.code === "") {
        problems.push(`code is required: a directory path or a Pulumi archive (pulumi.asset.FileArchive / AssetArchive).`);
    } else if (typeof args.code === "string" && !(fs.existsSync(args.code) && fs.statSync(args.code).isDirectory())) {
        problems.push(`code must be a directory with the app and its dependencies, or a Pulumi archive; ${JSON.stringify(args.code)} is not a directory.`);
    }
    const handler = args.handler ?? "main.handler";
    const runtime = args.runtime ?? "python3.13";
    const architecture = args.architecture ?? "arm64";
    const memorySize = args.memorySize ?? 1024;
    const timeout = args.timeout ?? 30;
    const aliasName = args.aliasName ?? "live";
    const http = args.http ?? "function-url";
    const functionUrlAuth = args.functionUrlAuth ?? "NONE";
    const logRetentionDays = args.logRetentionDays ?? 30;
    const snapStart = args.snapStart ?? false;

    push(validateHandler(handler));
    push(validateRuntime(runtime));
    push(validateArchitecture(architecture));
    push(checkInteger("memorySize", memorySize, LIMITS.memorySize.min, LIMITS.memorySize.max, "MB"));
    push(checkInteger("timeout", timeout, LIMITS.timeout.min, LIMITS.timeout.max, "seconds"));
    push(validateAliasName(aliasName));
    push(validateLogRetention(logRetentionDays));
    if (http !== "function-url" && http !== "http-api" && http !== false) {
        problems.push(`http must be "function-url", "http-api" or false; got ${show(http)}.`);
    }
    if (functionUrlAuth !== "NONE" && functionUrlAuth !== "AWS_IAM") {
        problems.push(`functionUrlAuth must be "NONE" or "AWS_IAM"; got ${show(functionUrlAuth)}.`);
    }
    if (args.functionUrlAuth !== undefined && http !== "function-url") {
        problems.push(`functionUrlAuth applies only to http: "function-url"; got http: ${show(http)}.`);
    }
    if (args.layers !== undefined && args.layers.length > LIMITS.layers) {
        problems.push(`layers accepts at most ${LIMITS.layers} layer ARNs (a Lambda limit); got ${args.layers.length}.`);
    }
    if (args.reservedConcurrency !== undefined) push(checkInteger("reservedConcurrency", args.reservedConcurrency, 1, 100000));
    if (args.provisionedConcurrency !== undefined) push(checkInteger("provisionedConcurrency", args.provisionedConcurrency, 1, 100000));
    if (typeof snapStart !== "boolean") problems.push(`snapStart must be true or false; got ${show(snapStart)}.`);
    if (snapStart && args.provisionedConcurrency !== undefined) {
        problems.push(`Only one of \`snapStart\` or \`provisionedConcurrency\` can be provided: Lambda does not support SnapStart with provisioned concurrency.`);
    }
    if (snapStart && PYTHON_RUNTIMES.indexOf(runtime as PythonRuntime) >= 0 && PYTHON_RUNTIMES.indexOf(runtime as PythonRuntime) < PYTHON_RUNTIMES.indexOf("python3.12")) {
        problems.push(`snapStart requires runtime python3.12 or later; got ${show(runtime)}.`);
    }
    problems.push(...validatePolicies(args.policies));

    const warmup = resolveWarmup(args, problems);
    const keepWarm = resolveKeepWarm(args, warmup.concurrency, problems);
    const deployment = resolveDeployment(args, problems);

    // Cross-field limits, checked only between fields that are valid on their own so one
    // mistake is reported once: a warm-up can only reach as many environments as the function may run.
    const valid = (field: string, v: unknown, min: number, max: number) => checkInteger(field, v, min, max) === undefined;
    const cMax = LIMITS.warmupConcurrency.max;
    const timeoutOk = valid("timeout", timeout, LIMITS.timeout.min, LIMITS.timeout.max);
    const warmupOk = valid("warmup.concurrency", warmup.concurrency, 1, cMax);
    if (timeoutOk && isInt(warmup.holdMs?.[1]) && warmup.holdMs[1] >= timeout * 1000) {
        problems.push(`warmup.holdMs maximum (${warmup.holdMs[1]} ms) must be below the function's timeout (${timeout} s).`);
    }
    // The pre-traffic hook keeps a few seconds for its status report; the hold and the new
    // environments' initialisation must fit in what is left.
    const hookOk = valid("warmup.timeoutSeconds", warmup.timeoutSeconds, LIMITS.hookTimeoutSeconds.min, LIMITS.hookTimeoutSeconds.max);
    if (hookOk && isInt(warmup.holdMs?.[1]) && warmup.timeoutSeconds * 1000 < warmup.holdMs[1] + HOOK_HEADROOM_MS) {
        problems.push(
            `warmup.timeoutSeconds (${warmup.timeoutSeconds} s) must exceed the longest hold (${warmup.holdMs[1]} ms) by at least ${HOOK_HEADROOM_MS / 1000} s, for initialisation and the status report.`,
        );
    }
    const reserved = args.reservedConcurrency;
    if (reserved !== undefined && valid("reservedConcurrency", reserved, 1, 100000)) {
        if (warmupOk && warmup.concurrency > reserved) {
            problems.push(`warmup.concurrency (${warmup.concurrency}) exceeds reservedConcurrency (${reserved}): the warm-up could never reach that many environments.`);
        }
        const explicit = args.keepWarm === false || args.keepWarm === undefined ? [] : [args.keepWarm].flat();
        keepWarm.forEach((k, i) => {
            if (explicit[i]?.concurrency !== undefined && valid("keepWarm.concurrency", k.concurrency, 1, cMax) && k.concurrency > reserved) {
                problems.push(`keepWarm[${i}].concurrency (${k.concurrency}) exceeds reservedConcurrency (${reserved}).`);
            }
        });
        const provisioned = args.provisionedConcurrency;
        if (provisioned !== undefined && valid("provisionedConcurrency", provisioned, 1, 100000) && provisioned > reserved) {
            problems.push(`provisionedConcurrency (${provisioned}) exceeds reservedConcurrency (${reserved}).`);
        }
    }

    const settings: ResolvedSettings = {
        handler,
        runtime,
        architecture,
        memorySize,
        timeout,
        aliasName,
        http,
        functionUrlAuth,
        logRetentionDays,
        ...(args.reservedConcurrency !== undefined ? { reservedConcurrency: args.reservedConcurrency } : {}),
        ...(args.provisionedConcurrency !== undefined ? { provisionedConcurrency: args.provisionedConcurrency } : {}),
        snapStart,
        warmup,
        keepWarm,
        deployment,
    };
    return { settings, problems };
}

/** Validates and resolves, throwing {@link MangumArgsError} with every problem at once. */
export function validateMangumFunctionArgs(name: string, args: MangumFunctionArgs): ResolvedSettings {
    const { settings, problems } = resolveMangumFunctionArgs(args);
    if (problems.length > 0) throw new MangumArgsError(name, problems);
    return settings;
}
