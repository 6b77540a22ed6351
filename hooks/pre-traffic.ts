/**
 * CodeDeploy BeforeAllowTraffic hook: warms the version a deployment is about
 * to shift to, judges the replies, and reports Succeeded or Failed. It reports
 * exactly once per invocation, whatever went wrong before, and before its own
 * timeout: a hook that never reports leaves the deployment hanging for an hour.
 */
import {
    CodeDeployClient,
    GetDeploymentCommand,
    PutLifecycleEventHookExecutionStatusCommand,
    type GetDeploymentCommandOutput,
} from "@aws-sdk/client-codedeploy";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { WARMUP_CONFIG_ENV, type WarmupSettings } from "./contract";
import { DeploymentTargetError, HookInputError, describeError } from "./errors";
import { appSpecContent, baseFunctionName, parseLambdaAppSpec } from "./appspec";
import { createLogger, type Logger } from "./log";
import { safeText } from "./redact";
import { sizeWarmup } from "./traffic";
import {
    VersionNotActiveError,
    WARMUP_LAMBDA_CLIENT_CONFIG,
    judge,
    readWarmupSettings,
    runWarmup,
    waitForActive,
    type Verdict,
    type WarmupReport,
    type WarmupTarget,
} from "./warm";

/**
 * Fallback target version, used only when CodeDeploy could not be asked
 * (throttling, 5xx, a network failure, no answer in time). A deployment that
 * was read and names no usable target, or that this hook may not read, fails
 * the hook instead: warming a version it did not read from the deployment
 * could approve a deployment whose target was never checked.
 */
export const TARGET_VERSION_ENV = "MANGUM_TARGET_VERSION";

/** Time kept back from the warm-up for the status call and its retries. */
export const STATUS_RESERVE_MS = 3_000;
/** The status call must be done this long before Lambda stops the hook. */
const FINAL_MARGIN_MS = 250;
/** GetDeployment gets at most this long, so a slow API leaves time to warm. */
const GET_DEPLOYMENT_MAX_MS = 5_000;
/** Kept for the warm-up itself when waiting for the version to become Active: the longest hold and this much more. */
const WARM_RESERVE_MS = 2_000;
/** The traffic read (GetMetricData) gets at most this long; a slow answer falls back to the minimum. */
const TRAFFIC_READ_MAX_MS = 5_000;

export interface PreTrafficEvent {
    DeploymentId: string;
    LifecycleEventHookExecutionId: string;
}

export type HookStatus = "Succeeded" | "Failed";

export interface PreTrafficResult extends Verdict {
    status: HookStatus;
    deploymentId: string;
    /** The version warmed; absent when it could not be determined. */
    target: WarmupTarget | null;
    /** Absent when the hook failed before warming (bad settings, unknown target, no time left). */
    report: WarmupReport | null;
    statusReported: boolean;
}

export interface PreTrafficDeps {
    lambda: LambdaClient;
    codedeploy: CodeDeployClient;
    /** Reads the alias's ConcurrentExecutions when warmup.traffic is set. */
    cloudwatch?: CloudWatchClient;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
    log?: Logger;
    env?: NodeJS.ProcessEnv;
}

/** The part of the Lambda context the hook uses. */
export interface HookContext {
    getRemainingTimeInMillis(): number;
}

/** The status call could not be made; thrown so Lambda's async retry gives the deployment another chance. */
export class StatusReportError extends Error {
    override readonly name = "StatusReportError";
}

export function createHandler(deps: PreTrafficDeps): (event: unknown, context: HookContext) => Promise<PreTrafficResult> {
    const now = deps.now ?? Date.now;
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const rootLog = deps.log ?? createLogger({ hook: "pre-traffic" });

    return async (event, context) => {
        const input = validateEvent(event, rootLog);
        const log = rootLog.child({ deploymentId: input.DeploymentId, lifecycleEventHookExecutionId: input.LifecycleEventHookExecutionId });
        const startedAt = now();
        const hardDeadline = startedAt + context.getRemainingTimeInMillis() - FINAL_MARGIN_MS;
        const warmDeadline = hardDeadline - STATUS_RESERVE_MS;

        let outcome: Outcome;
        try {
            outcome = await evaluate(input, warmDeadline, { ...deps, now, sleep, env: deps.env ?? process.env }, log);
        } catch (err) {
            // Every expected failure is an Outcome already; this is a bug, and still must not leave the deployment hanging.
            outcome = failed(`the pre-traffic hook failed unexpectedly: ${describeError(err)}`);
        }

        const status: HookStatus = outcome.verdict.pass ? "Succeeded" : "Failed";
        const put = await reportStatus(deps.codedeploy, input, status, hardDeadline, now, sleep);
        const result: PreTrafficResult = {
            status,
            ...outcome.verdict,
            deploymentId: input.DeploymentId,
            target: outcome.target,
            report: outcome.report,
            statusReported: put.ok,
        };
        if (put.ok) {
            log[status === "Succeeded" ? "info" : "warn"]("pre-traffic.result", { ...result });
            return result;
        }
        log.error("pre-traffic.result", { ...result, statusError: put.error });
        throw new StatusReportError(`could not report ${status} for deployment ${input.DeploymentId}: ${put.error}`);
    };
}

/** Built once per execution environment; the SDK honours AWS_ENDPOINT_URL_LAMBDA / AWS_ENDPOINT_URL_CODEDEPLOY. */
export const handler = createHandler({
    lambda: new LambdaClient(WARMUP_LAMBDA_CLIENT_CONFIG),
    // Retries are the hook's own (reportStatus), bounded by its deadline.
    codedeploy: new CodeDeployClient({ maxAttempts: 1 }),
    // Honours AWS_ENDPOINT_URL_CLOUDWATCH; one retry, the read is bounded by TRAFFIC_READ_MAX_MS anyway.
    cloudwatch: new CloudWatchClient({ maxAttempts: 2 }),
});

// ------------------------------------------------------------------ input

function validateEvent(event: unknown, log: Logger): PreTrafficEvent {
    const e = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
    const bad = ["DeploymentId", "LifecycleEventHookExecutionId"].filter((k) => typeof e[k] !== "string" || e[k] === "");
    if (bad.length > 0) {
        // Nothing to report to: without both ids there is no lifecycle event to answer.
        const message = `pre-traffic hook input needs non-empty strings ${bad.join(" and ")}; it is invoked by CodeDeploy as a BeforeAllowTraffic hook`;
        log.error("pre-traffic.invalid-input", { message, keys: Object.keys(e) });
        throw new HookInputError(message);
    }
    return { DeploymentId: e.DeploymentId as string, LifecycleEventHookExecutionId: e.LifecycleEventHookExecutionId as string };
}

// --------------------------------------------------------------- evaluate

interface Outcome {
    verdict: Verdict;
    target: WarmupTarget | null;
    report: WarmupReport | null;
}

function failed(reason: string): Outcome {
    return { verdict: { pass: false, reasons: [reason] }, target: null, report: null };
}

/** The deps with every default filled in. */
type EvalDeps = Required<Pick<PreTrafficDeps, "now" | "sleep" | "env">> & PreTrafficDeps;

async function evaluate(input: PreTrafficEvent, warmDeadline: number, deps: EvalDeps, log: Logger): Promise<Outcome> {
    const left = warmDeadline - deps.now();
    if (left <= 0) {
        return failed(
            `the hook started with ${left + STATUS_RESERVE_MS + FINAL_MARGIN_MS} ms left, less than the ${STATUS_RESERVE_MS + FINAL_MARGIN_MS} ms it keeps to report its status: raise the pre-traffic hook's timeout`,
        );
    }

    let settings: WarmupSettings;
    try {
        settings = readWarmupSettings(deps.env);
    } catch (err) {
        return failed(`the hook's settings are invalid: ${err instanceof Error ? err.message : String(err)}`);
    }

    const notes: string[] = [];
    let target: WarmupTarget;
    try {
        const version = await targetVersion(input.DeploymentId, settings, Math.min(warmDeadline, deps.now() + GET_DEPLOYMENT_MAX_MS), deps, notes);
        target = { functionName: settings.functionName, qualifier: version };
    } catch (err) {
        return failed(err instanceof DeploymentTargetError ? err.message : describeError(err));
    }
    log.debug("pre-traffic.target", { target, notes });

    // A SnapStart version stays Pending for minutes after publishing; invoking it before it is Active fails.
    try {
        const waited = await waitForActive(deps.lambda, target, {
            deadline: warmDeadline - settings.holdMs[1] - WARM_RESERVE_MS,
            now: deps.now,
            sleep: deps.sleep,
            source: "pre-traffic",
        });
        if (waited.polls > 1) notes.push(`waited ${waited.waitedMs} ms for version ${target.qualifier} to become Active${waited.woken ? " (it was Inactive)" : ""}`);
    } catch (err) {
        if (!(err instanceof VersionNotActiveError)) throw err;
        return { verdict: { pass: false, reasons: [err.message] }, target, report: null };
    }

    // Traffic-aware: as many environments as the alias's observed peak needs (hooks/traffic.ts), or the minimum.
    let effective = settings;
    let sizing = null;
    if (settings.traffic !== undefined) {
        const timeoutMs = Math.min(TRAFFIC_READ_MAX_MS, warmDeadline - deps.now() - settings.holdMs[1] - WARM_RESERVE_MS);
        const cloudwatch = deps.cloudwatch;
        if (cloudwatch === undefined) {
            notes.push("no CloudWatch client: warmed the minimum");
        } else {
            ({ settings: effective, sizing } = await sizeWarmup(cloudwatch, settings, { now: deps.now, timeoutMs }));
            if (sizing !== null) log.info("pre-traffic.sizing", { ...sizing });
        }
    }

    const report = await runWarmup(deps.lambda, target, effective, {
        source: "pre-traffic",
        deploymentId: input.DeploymentId,
        deadline: warmDeadline,
        now: deps.now,
        ...(deps.random === undefined ? {} : { random: deps.random }),
    });
    if (sizing !== null) {
        report.sizing = sizing;
        notes.push(`warmed ${sizing.concurrency} environments (${sizing.basis}): ${sizing.reason}`);
    }
    report.notes.push(...notes);
    return { verdict: judge(report, effective), target, report };
}

// ----------------------------------------------------------------- target

/**
 * The AppSpec's TargetVersion. MANGUM_TARGET_VERSION (with a note) stands in
 * only when CodeDeploy could not answer (transient errors, no answer within
 * GET_DEPLOYMENT_MAX_MS); any other failure, and an AppSpec without a
 * readable target, is a DeploymentTargetError that fails the hook.
 */
async function targetVersion(deploymentId: string, settings: WarmupSettings, deadline: number, deps: EvalDeps, notes: string[]): Promise<string> {
    let output: GetDeploymentCommandOutput;
    try {
        output = await withRetries(
            (signal) => deps.codedeploy.send(new GetDeploymentCommand({ deploymentId }), { abortSignal: signal }),
            deadline,
            deps.now,
            deps.sleep,
        );
    } catch (err) {
        const why = `GetDeployment failed: ${safeText(describeError(err))}`;
        if (!(err instanceof DeadlineError) && !isTransient(err)) {
            throw new DeploymentTargetError(`could not determine the version to warm: ${why}${hintFor(err)}`);
        }
        const fallback = deps.env[TARGET_VERSION_ENV];
        if (fallback !== undefined && /^\d+$/.test(fallback)) {
            notes.push(`the target version was not read from deployment ${deploymentId} (${why}); used ${TARGET_VERSION_ENV}=${fallback}`);
            return fallback;
        }
        const unset = fallback === undefined || fallback === "" ? "is not set" : `is not a version number (${JSON.stringify(safeText(fallback, 40))})`;
        throw new DeploymentTargetError(`could not determine the version to warm: ${why}, and ${TARGET_VERSION_ENV} ${unset}`);
    }
    try {
        return versionFromDeployment(output, deploymentId, settings.functionName);
    } catch (err) {
        if (!(err instanceof DeploymentTargetError) || err.mismatch) throw err;
        throw new DeploymentTargetError(`could not determine the version to warm: ${err.message}`);
    }
}

/** What to do about a GetDeployment failure that is not transient. */
function hintFor(err: unknown): string {
    const name = (err as { name?: unknown }).name;
    if (name === "AccessDeniedException" || name === "AccessDenied") {
        return " (the hook's role needs codedeploy:GetDeployment on its deployment group; the hook does not warm a version it could not read from the deployment)";
    }
    if (name === "DeploymentDoesNotExistException" || name === "InvalidDeploymentIdException") {
        return " (no such deployment: the hook runs as the BeforeAllowTraffic hook of a CodeDeploy deployment, not by hand)";
    }
    return "";
}

/**
 * Reads `Resources[0].<name>.Properties.TargetVersion` from the deployment's
 * AppSpec (hooks/appspec.ts), checking that it shifts this hook's function.
 */
export function versionFromDeployment(output: GetDeploymentCommandOutput, deploymentId: string, functionName: string): string {
    const revision = output.deploymentInfo?.revision;
    const content = appSpecContent(revision);
    if (content === undefined) throw new DeploymentTargetError(`deployment ${deploymentId} has no AppSpec content (revision type ${revision?.revisionType ?? "none"})`);
    const appSpec = parseLambdaAppSpec(content);
    if (typeof appSpec === "string") throw new DeploymentTargetError(`the AppSpec of deployment ${deploymentId} ${appSpec}`);
    if (appSpec.name !== undefined && baseFunctionName(appSpec.name) !== baseFunctionName(functionName)) {
        throw new DeploymentTargetError(
            `deployment ${deploymentId} shifts function '${safeText(appSpec.name, 200)}', but this hook warms '${functionName}' (${WARMUP_CONFIG_ENV}.functionName): each function needs its own hook`,
            true,
        );
    }
    return appSpec.targetVersion;
}

// ----------------------------------------------------------------- status

async function reportStatus(
    codedeploy: CodeDeployClient,
    input: PreTrafficEvent,
    status: HookStatus,
    deadline: number,
    now: () => number,
    sleep: (ms: number) => Promise<void>,
): Promise<{ ok: true } | { ok: false; error: string }> {
    const command = new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId: input.DeploymentId,
        lifecycleEventHookExecutionId: input.LifecycleEventHookExecutionId,
        status,
    });
    try {
        await withRetries((signal) => codedeploy.send(command, { abortSignal: signal }), deadline, now, sleep);
        return { ok: true };
    } catch (err) {
        // An earlier invocation (Lambda's async retry) already answered: nothing is left to do.
        if ((err as { name?: unknown }).name === "LifecycleEventAlreadyCompletedException") return { ok: true };
        return { ok: false, error: describeError(err) };
    }
}

// ---------------------------------------------------------------- retries

const BACKOFF_MS = [100, 250, 500, 1_000];

/** Calls `call` until it succeeds, a non-transient error occurs, or `deadline` would pass; each attempt is aborted at the deadline. */
async function withRetries<T>(
    call: (signal: AbortSignal) => Promise<T>,
    deadline: number,
    now: () => number,
    sleep: (ms: number) => Promise<void>,
): Promise<T> {
    for (let attempt = 0; ; attempt++) {
        const left = deadline - now();
        if (left <= 0) throw new DeadlineError("no time left before the hook's deadline");
        try {
            return await callBefore(call, left);
        } catch (err) {
            const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!;
            if (!isTransient(err) || now() + delay >= deadline) throw err;
            await sleep(delay);
        }
    }
}

class DeadlineError extends Error {
    override readonly name = "DeadlineError";
}

async function callBefore<T>(call: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
            controller.abort();
            reject(new DeadlineError(`no answer within ${ms} ms`));
        }, ms);
    });
    try {
        return await Promise.race([call(controller.signal), expired]);
    } finally {
        clearTimeout(timer);
    }
}

/** Throttling, 5xx and connection failures; never a 4xx, which would fail the same way again. */
function isTransient(err: unknown): boolean {
    if (err instanceof DeadlineError) return false;
    const e = err as { name?: unknown; $metadata?: { httpStatusCode?: number }; code?: unknown };
    if (e.name === "ThrottlingException" || e.name === "TooManyRequestsException") return true;
    const status = e.$metadata?.httpStatusCode;
    if (typeof status === "number") return status === 429 || status >= 500;
    return typeof e.code === "string" && ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE"].includes(e.code);
}
