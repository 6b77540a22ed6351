/**
 * The warm-up core shared by the pre-traffic hook, the keep-warm hook and the
 * deployer: invoke one qualified function N times in parallel with the
 * warm-up event, classify every reply, and judge the result. The protocol is
 * documented in docs/warmup-protocol.md and pinned by contract/fixtures/.
 */
import {
    GetFunctionConfigurationCommand,
    InvokeCommand,
    type GetFunctionConfigurationCommandOutput,
    type InvokeCommandOutput,
    type LambdaClient,
    type LambdaClientConfig,
} from "@aws-sdk/client-lambda";
import {
    WARMUP_CONFIG_ENV,
    WARMUP_EVENT_KEY,
    WARMUP_PROTOCOL_VERSION,
    type CheckResult,
    type WarmupMode,
    type WarmupReply,
    type WarmupRequest,
    type WarmupSettings,
    type WarmupSource,
    type TrafficSettings,
} from "./contract";
import { WarmupSettingsError, describeError } from "./errors";
import { safeText } from "./redact";
import type { WarmupSizing } from "./traffic";

export interface WarmupTarget {
    /** Unqualified name or ARN of the app function. */
    functionName: string;
    /** Version number or alias name to invoke. */
    qualifier: string;
}

export interface WarmupOptions {
    source: WarmupSource;
    deploymentId?: string;
    /** Epoch ms by which runWarmup must resolve; invocations still open then are aborted and reported as timeouts. */
    deadline: number;
    now?: () => number;
    /** Uniform in [0, 1); picks each invocation's holdMs. */
    random?: () => number;
}

export type EnvironmentErrorKind = "function-error" | "throttled" | "timeout" | "malformed-reply" | "invoke-failed" | "http-status" | "not-ok";

export interface EnvironmentError {
    /** Set when the failing reply still named its environment. */
    instanceId?: string;
    /** Index of the invocation (0 … concurrency-1). */
    invocation: number;
    kind: EnvironmentErrorKind;
    message: string;
}

/** One check, or one init step, over the environments that answered. */
export interface CheckSummary {
    /** Environments in which every reply passed the check. */
    passed: number;
    /** Environments in which a reply failed the check (or, for a requested check, did not report it). */
    failed: number;
    maxMs: number;
    /** Distinct failure messages, each followed by the environments that produced it. */
    errors: string[];
}

export interface WarmupReport {
    target: WarmupTarget;
    mode: WarmupMode;
    source: WarmupSource;
    requested: number;
    succeeded: number;
    /** Null in http mode: an HTTP response does not name its environment. */
    distinctEnvironments: number | null;
    distinctnessVerifiable: boolean;
    coldStarts: number | null;
    /** Over distinct environments; null when none replied or in http mode. */
    initMs: { min: number; median: number; max: number } | null;
    checks: Record<string, CheckSummary>;
    /** The replies' `init` entries (`on_init` preloads, `prime GET <path>`), summarised like checks; empty in http mode. */
    init: Record<string, CheckSummary>;
    /** Versions that answered: the replies' functionVersion (helper mode) or Lambda's ExecutedVersion (http mode). */
    versions: string[];
    wallMs: number;
    errors: EnvironmentError[];
    notes: string[];
    /** Invocations the client had to retry (throttling or a transient error), including those that then succeeded. */
    retried?: number;
    /** Invocations sent as top-up waves after throttling left too few distinct environments; included in `requested`. */
    topUps?: number;
    /** How many environments were asked for and why, when warmup.traffic sized the warm-up (hooks/traffic.ts). */
    sizing?: WarmupSizing;
    /**
     * Keep-warm with `yieldToUsersMs`: the environments that answered without holding because they
     * had just served users, and the invocations they answered (more than one may reach each, since
     * it is idle again at once). Absent when none yielded.
     */
    yieldedToUsers?: { environments: number; invocations: number };
}

export interface Verdict {
    pass: boolean;
    /** Why it failed, one sentence per cause; empty when it passed. */
    reasons: string[];
}

/** Bounds enforced by {@link parseWarmupSettings}. */
export const WARMUP_LIMITS = {
    concurrency: { min: 1, max: 100 },
    holdMs: { min: 0, max: 10_000 }, // mangum-warmup rejects a longer hold (MAX_HOLD_MS)
    yieldToUsersMs: { min: 0, max: 600_000 }, // mangum-warmup rejects a longer one (MAX_YIELD_TO_USERS_MS)
    headroom: { min: 1, max: 10 },
    // CloudWatch keeps 1-minute data points for 15 days ("Metrics concepts", metric retention,
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html); a week is plenty.
    windowMinutes: { min: 1, max: 10_080 },
} as const;

/**
 * Config for the LambdaClient the hooks warm with. Three attempts retry a
 * transient throttle (the SDK backs off ~0.5-1.5 s on TooManyRequests) while
 * staying well inside a hook's budget; runWarmup's deadline still cuts any
 * retry short. The default agent allows 50 sockets, which would queue
 * invocations above 50 and let them reuse warm environments.
 */
export const WARMUP_LAMBDA_CLIENT_CONFIG: LambdaClientConfig = {
    maxAttempts: 3,
    requestHandler: {
        httpAgent: { keepAlive: true, maxSockets: WARMUP_LIMITS.concurrency.max },
        httpsAgent: { keepAlive: true, maxSockets: WARMUP_LIMITS.concurrency.max },
    },
};

/** Invocations are aborted this long before the deadline so the report is assembled in time. */
const ABORT_MARGIN_MS = 50;

// ---------------------------------------------------------------- settings

const ALIAS_NAME = /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/;

/** Validates settings from MANGUM_WARMUP_CONFIG or the deployer input; throws WarmupSettingsError naming the field and the allowed range. */
export function parseWarmupSettings(raw: unknown): WarmupSettings {
    if (!isRecord(raw)) throw new WarmupSettingsError("warmup", "a JSON object", render(raw));
    const functionName = raw.functionName;
    if (typeof functionName !== "string" || functionName.trim() === "") {
        throw new WarmupSettingsError("warmup.functionName", "a non-empty function name or ARN", render(functionName));
    }
    const alias = raw.alias;
    if (typeof alias !== "string" || !ALIAS_NAME.test(alias)) {
        throw new WarmupSettingsError("warmup.alias", "an alias name of 1-128 letters, digits, '-' or '_', not all digits", render(alias));
    }
    const { min: cMin, max: cMax } = WARMUP_LIMITS.concurrency;
    const concurrency = integerIn(raw.concurrency, cMin, cMax, "warmup.concurrency");

    const holdMs = raw.holdMs;
    const { min: hMin, max: hMax } = WARMUP_LIMITS.holdMs;
    if (!Array.isArray(holdMs) || holdMs.length !== 2) {
        throw new WarmupSettingsError("warmup.holdMs", `a [min, max] pair of integers from ${hMin} to ${hMax}`, render(holdMs));
    }
    const holdLo = integerIn(holdMs[0], hMin, hMax, "warmup.holdMs[0]");
    const holdHi = integerIn(holdMs[1], holdLo, hMax, "warmup.holdMs[1]");

    let checks: string[] | undefined;
    if (raw.checks !== undefined && raw.checks !== null) {
        if (!Array.isArray(raw.checks) || raw.checks.some((c) => typeof c !== "string" || c.trim() === "")) {
            throw new WarmupSettingsError("warmup.checks", "a list of check names (non-empty strings)", render(raw.checks));
        }
        checks = [...new Set(raw.checks as string[])];
    }

    const mode = raw.mode;
    if (mode !== "helper" && mode !== "http") throw new WarmupSettingsError("warmup.mode", `"helper" or "http"`, render(mode));

    let path: string | undefined;
    if (raw.path !== undefined && raw.path !== null) {
        if (typeof raw.path !== "string" || !raw.path.startsWith("/")) {
            throw new WarmupSettingsError("warmup.path", "a path starting with '/'", render(raw.path));
        }
        path = raw.path;
    }
    if (mode === "http" && path === undefined) {
        throw new WarmupSettingsError("warmup.path", "set when warmup.mode is \"http\" (a path starting with '/', e.g. /healthz)", "nothing");
    }

    const minDistinct = integerIn(raw.minDistinct, 0, concurrency, "warmup.minDistinct");
    const failOnCheckError = raw.failOnCheckError;
    if (typeof failOnCheckError !== "boolean") {
        throw new WarmupSettingsError("warmup.failOnCheckError", "true or false", render(failOnCheckError));
    }

    const settings: WarmupSettings = { functionName, alias, concurrency, holdMs: [holdLo, holdHi], mode, minDistinct, failOnCheckError };
    if (checks !== undefined) settings.checks = checks;
    if (path !== undefined) settings.path = path;
    if (raw.yieldToUsersMs !== undefined && raw.yieldToUsersMs !== null) {
        const { min: yMin, max: yMax } = WARMUP_LIMITS.yieldToUsersMs;
        const yieldToUsersMs = integerIn(raw.yieldToUsersMs, yMin, yMax, "warmup.yieldToUsersMs");
        if (yieldToUsersMs > 0) settings.yieldToUsersMs = yieldToUsersMs;
    }
    if (raw.traffic !== undefined && raw.traffic !== null) settings.traffic = parseTraffic(raw.traffic, concurrency);
    return settings;
}

function parseTraffic(raw: unknown, minimum: number): TrafficSettings {
    if (!isRecord(raw)) throw new WarmupSettingsError("warmup.traffic", "an object {maximum, headroom, windowMinutes}", render(raw));
    const { max: cMax } = WARMUP_LIMITS.concurrency;
    const maximum = integerIn(raw.maximum, minimum, cMax, "warmup.traffic.maximum");
    const headroom = raw.headroom;
    const { min: hMin, max: hMax } = WARMUP_LIMITS.headroom;
    if (typeof headroom !== "number" || !Number.isFinite(headroom) || headroom < hMin || headroom > hMax) {
        throw new WarmupSettingsError("warmup.traffic.headroom", `a number from ${hMin} to ${hMax}`, render(headroom));
    }
    const { min: wMin, max: wMax } = WARMUP_LIMITS.windowMinutes;
    const traffic: TrafficSettings = { maximum, headroom, windowMinutes: integerIn(raw.windowMinutes, wMin, wMax, "warmup.traffic.windowMinutes") };
    if (raw.reservedConcurrency !== undefined && raw.reservedConcurrency !== null) {
        traffic.reservedConcurrency = integerIn(raw.reservedConcurrency, 1, 1_000_000, "warmup.traffic.reservedConcurrency");
    }
    return traffic;
}

/** Reads and validates MANGUM_WARMUP_CONFIG; every failure is a WarmupSettingsError. */
export function readWarmupSettings(env: NodeJS.ProcessEnv): WarmupSettings {
    const raw = env[WARMUP_CONFIG_ENV];
    if (raw === undefined || raw.trim() === "") throw new WarmupSettingsError(WARMUP_CONFIG_ENV, "set to the warm-up settings as JSON", "nothing");
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch (err) {
        throw new WarmupSettingsError(WARMUP_CONFIG_ENV, "valid JSON", err instanceof Error ? err.message : String(err));
    }
    return parseWarmupSettings(parsed);
}

function integerIn(value: unknown, min: number, max: number, field: string): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        throw new WarmupSettingsError(field, `an integer from ${min} to ${max}`, render(value));
    }
    return value;
}

function render(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// ------------------------------------------------------------ readiness

/** The version never became Active within the budget, or Lambda gave up on it (Failed). */
export class VersionNotActiveError extends Error {
    override readonly name = "VersionNotActiveError";
    constructor(
        message: string,
        /** The last State read, or "unknown" when none could be read. */
        readonly state: string,
    ) {
        super(message);
    }
}

export interface ActiveWaitOptions {
    /** Epoch ms by which the version must be Active, or the wait fails. */
    deadline: number;
    now: () => number;
    sleep: (ms: number) => Promise<void>;
    /** Names the sender of the one invocation that wakes an Inactive version. */
    source: WarmupSource;
}

export interface ActiveWait {
    /** GetFunctionConfiguration calls made. */
    polls: number;
    waitedMs: number;
    /** Whether the version was Inactive and an invocation was sent to wake it. */
    woken: boolean;
}

/** Waits between readiness polls: short at first (most versions are Active at once), then at most 5 s. */
export const ACTIVE_POLL_MS: readonly number[] = [500, 1_000, 2_000, 4_000, 5_000];
/** The shortest time a readiness read is given. */
const READ_MIN_MS = 1_000;

/**
 * Waits until the version's `State` is `Active`, before anything invokes it.
 *
 * Lambda refuses to invoke a version that is not Active ("Lambda function
 * states", https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html:
 * Pending, "Lambda does not invoke a function during pending state"), and a
 * SnapStart version stays Pending while Lambda takes its snapshot, often for
 * minutes ("Lambda SnapStart and function states",
 * https://docs.aws.amazon.com/lambda/latest/dg/snapstart-activate.html). The
 * AWS provider does not wait for the first published version to become
 * Active (terraform-provider-aws #42693), so the deployer can be invoked
 * before it is. `Failed` is final; `Inactive` (idle for long; for SnapStart,
 * 14 days without an invocation) turns Pending again when invoked
 * ("SnapStartNotReadyException", https://docs.aws.amazon.com/lambda/latest/dg/snapstart-troubleshooting.html),
 * so one invocation wakes it and the wait goes on. GetFunctionConfiguration
 * with a Qualifier reads the version itself; it is authorized against the
 * qualified ARN ("Resources and conditions for Lambda actions",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
 */
export async function waitForActive(lambda: LambdaClient, target: WarmupTarget, options: ActiveWaitOptions): Promise<ActiveWait> {
    const started = options.now();
    const what = `version ${target.qualifier} of ${shortName(target.functionName)}`;
    let polls = 0;
    let woken = false;
    let last: GetFunctionConfigurationCommandOutput | undefined;
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
        try {
            polls += 1;
            last = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: target.functionName, Qualifier: target.qualifier }), {
                // At least one short read even when the budget is spent: an Active version must not fail for want of time.
                abortSignal: AbortSignal.timeout(Math.max(READ_MIN_MS, options.deadline - options.now())),
            });
            lastError = undefined;
        } catch (err) {
            if (!isTransientError(err)) {
                throw new VersionNotActiveError(`could not read the state of ${what}: ${safeText(describeError(err))}`, "unknown");
            }
            lastError = err;
        }
        const state = last?.State;
        if (lastError === undefined && state === "Active") return { polls, waitedMs: options.now() - started, woken };
        if (lastError === undefined && state === "Failed") {
            throw new VersionNotActiveError(`${what} is Failed, so Lambda will not run it: ${describeState(last)}. Fix the cause and publish a new version.`, "Failed");
        }
        if (lastError === undefined && state === "Inactive" && !woken) {
            woken = true;
            await wake(lambda, target, options.source);
        }
        const delay = ACTIVE_POLL_MS[Math.min(attempt, ACTIVE_POLL_MS.length - 1)]!;
        if (options.now() + delay >= options.deadline) {
            const seen = lastError !== undefined ? `its state could not be read (${safeText(describeError(lastError))})` : `its State is ${state ?? "not reported"} (${describeState(last)})`;
            throw new VersionNotActiveError(
                `${what} did not become Active within ${Math.round((options.now() - started) / 1000)} s: ${seen}. ` +
                    `A SnapStart version stays Pending while Lambda takes its snapshot; give the hook more time (its timeout) or run \`pulumi up\` again once \`aws lambda get-function-configuration --function-name ${shortName(target.functionName)} --qualifier ${target.qualifier}\` shows Active.`,
                lastError !== undefined ? "unknown" : (state ?? "unknown"),
            );
        }
        await options.sleep(delay);
    }
}

/** `StateReasonCode: StateReason; LastUpdateStatus …: LastUpdateStatusReason`, whatever Lambda gave. */
function describeState(config: GetFunctionConfigurationCommandOutput | undefined): string {
    if (config === undefined) return "no configuration returned";
    const parts: string[] = [];
    const state = [config.StateReasonCode, config.StateReason].filter((p) => p !== undefined && p !== "").join(": ");
    if (state !== "") parts.push(safeText(state));
    if (config.LastUpdateStatus !== undefined && config.LastUpdateStatus !== "Successful") {
        const reason = [config.LastUpdateStatusReasonCode, config.LastUpdateStatusReason].filter((p) => p !== undefined && p !== "").join(": ");
        parts.push(safeText(`LastUpdateStatus ${config.LastUpdateStatus}${reason === "" ? "" : `: ${reason}`}`));
    }
    // Lambda's reasons are sentences; drop a final stop so they join the message cleanly.
    return parts.length > 0 ? parts.join("; ").replace(/\.$/, "") : "Lambda gave no reason";
}

/** One invocation turns an Inactive version Pending again; its outcome does not matter (it fails while Inactive). */
async function wake(lambda: LambdaClient, target: WarmupTarget, source: WarmupSource): Promise<void> {
    try {
        await lambda.send(
            new InvokeCommand({
                FunctionName: target.functionName,
                Qualifier: target.qualifier,
                InvocationType: "RequestResponse",
                Payload: new TextEncoder().encode(JSON.stringify({ [WARMUP_EVENT_KEY]: { v: WARMUP_PROTOCOL_VERSION, source, holdMs: 0 } })),
            }),
            { abortSignal: AbortSignal.timeout(5_000) },
        );
    } catch {
        // Expected: Lambda refuses the invocation and starts reactivating the version.
    }
}

/** Throttling, 5xx and connection failures: worth another poll. */
export function isTransientError(err: unknown): boolean {
    if (!isRecord(err)) return false;
    const name = err.name;
    if (name === "ThrottlingException" || name === "TooManyRequestsException" || name === "TimeoutError") return true;
    const status = isRecord(err.$metadata) ? err.$metadata.httpStatusCode : undefined;
    if (typeof status === "number") return status === 429 || status >= 500;
    return typeof err.code === "string" && ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN"].includes(err.code);
}

/** `arn:aws:lambda:region:account:function:NAME[:qualifier]` or a bare name → NAME. */
function shortName(nameOrArn: string): string {
    return nameOrArn.startsWith("arn:") ? (nameOrArn.split(":")[6] ?? nameOrArn) : nameOrArn;
}

// ------------------------------------------------------------------ events

/** The event one warm-up invocation sends: the helper request, or in http mode an API Gateway v2 GET of `settings.path`. */
export function buildWarmupEvent(settings: WarmupSettings, source: WarmupSource, holdMs: number, deploymentId?: string): object {
    if (settings.mode === "http") return buildHttpEvent(settings.path ?? "/");
    const request: WarmupRequest = { v: WARMUP_PROTOCOL_VERSION, source, holdMs };
    if (settings.checks !== undefined && settings.checks.length > 0) request.checks = [...settings.checks];
    if (deploymentId !== undefined) request.deploymentId = deploymentId;
    // Only the keep-warm yields: it runs while users are on the version, and an environment they use
    // needs no hold to stay warm. Every other source warms a version before users reach it (or must
    // prove N distinct environments), so it always holds.
    if (source === "keep-warm" && (settings.yieldToUsersMs ?? 0) > 0) request.yieldToUsersMs = settings.yieldToUsersMs;
    return { [WARMUP_EVENT_KEY]: request };
}

const WARMUP_USER_AGENT = "pulumi-mangum-warmup/1";

/**
 * What marks a synthetic warm-up request unforgeably: API Gateway and function
 * URLs fill `requestContext` themselves (the client sends only the method,
 * path, headers and body; "Invoking Lambda function URLs", request payload
 * format, https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads;
 * "Create AWS Lambda proxy integrations for HTTP APIs in API Gateway",
 * payload format 2.0, https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html),
 * so a request from outside cannot carry these values; only a direct Invoke,
 * which the warm-up always is, can. The
 * `x-mangum-warmup` header and the user agent stay for readability, but any
 * client can send them. Python's `mangum_warmup.prime` builds the same event.
 */
export const WARMUP_API_ID = "pulumi-mangum-warmup";
export const WARMUP_DOMAIN_NAME = "warmup.pulumi-mangum.invalid";

/**
 * Fixed host, time and ids: Mangum needs them present, the app never needs
 * them real, and fixed values keep the event identical to
 * contract/fixtures/http-event.healthz.json.
 */
function buildHttpEvent(pathWithQuery: string): object {
    const q = pathWithQuery.indexOf("?");
    const path = q === -1 ? pathWithQuery : pathWithQuery.slice(0, q);
    const rawQueryString = q === -1 ? "" : pathWithQuery.slice(q + 1);
    return {
        version: "2.0",
        routeKey: "$default",
        rawPath: path,
        rawQueryString,
        headers: { host: "warmup.invalid", "user-agent": WARMUP_USER_AGENT, "x-mangum-warmup": "1" },
        requestContext: {
            accountId: "anonymous",
            apiId: WARMUP_API_ID,
            domainName: WARMUP_DOMAIN_NAME,
            domainPrefix: "warmup",
            http: { method: "GET", path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: WARMUP_USER_AGENT },
            requestId: "warmup",
            routeKey: "$default",
            stage: "$default",
            time: "01/Jan/2026:00:00:00 +0000",
            timeEpoch: 1767225600000,
        },
        isBase64Encoded: false,
    };
}

/** Uniform integer in [lo, hi]. */
function pickHold([lo, hi]: [number, number], random: () => number): number {
    return Math.min(hi, lo + Math.floor(random() * (hi - lo + 1)));
}

// -------------------------------------------------------------- invoking

type Outcome = (
    | { ok: true; reply?: WarmupReply; executedVersion?: string }
    | { ok: false; error: Omit<EnvironmentError, "invocation"> }
) & {
    /** The client had to send it more than once (a throttle or a transient error) before it got this answer. */
    retried?: boolean;
};

/** Top-up waves at most, after the first. */
export const MAX_TOP_UPS = 2;
/** A top-up is sent only when this much time is left beyond the longest hold. */
const TOP_UP_MIN_MS = 1_000;

/**
 * Warms `target` with settings.concurrency parallel invocations; resolves by
 * options.deadline whatever the function does.
 *
 * Distinct even under throttling (helper mode): a throttled invocation is
 * retried by the SDK after a backoff (about 0.5-1.5 s) longer than the hold
 * (250-400 ms), so the retry lands on an environment another invocation has
 * just freed, and fewer distinct environments answer than were asked for.
 * When that happens (some invocation was retried or throttled, and some but
 * fewer than minDistinct environments answered) and the budget allows, a top-up wave of
 * minDistinct invocations is sent, all held at once: the environments already
 * warm are busy together, so Lambda has to start the missing ones. At most
 * MAX_TOP_UPS waves; the report counts them (`topUps`) and the retries.
 */
export async function runWarmup(
    lambda: LambdaClient,
    target: WarmupTarget,
    settings: WarmupSettings,
    options: WarmupOptions,
): Promise<WarmupReport> {
    const now = options.now ?? Date.now;
    const random = options.random ?? Math.random;
    const started = now();
    const wave = (size: number): Promise<Outcome[]> => {
        const budgetMs = options.deadline - now() - ABORT_MARGIN_MS;
        return Promise.all(
            Array.from({ length: size }, () => {
                const event = buildWarmupEvent(settings, options.source, pickHold(settings.holdMs, random), options.deploymentId);
                return invokeOnce(lambda, target, settings, event, budgetMs);
            }),
        );
    };

    const outcomes = await wave(settings.concurrency);
    const notes: string[] = [];
    let topUps = 0;
    if (settings.mode === "helper") {
        for (let round = 0; round < MAX_TOP_UPS; round++) {
            const distinct = distinctInstances(outcomes);
            const throttled = outcomes.filter(wasThrottled).length;
            // Nothing answered at all: Lambda is out of concurrency, and another wave would only be throttled too.
            if (distinct >= settings.minDistinct || distinct === 0 || throttled === 0) break;
            const left = options.deadline - now() - ABORT_MARGIN_MS;
            if (left < settings.holdMs[1] + TOP_UP_MIN_MS) {
                notes.push(`no time was left for a top-up after ${throttled} throttled or retried ${throttled === 1 ? "invocation" : "invocations"} (${left} ms left)`);
                break;
            }
            outcomes.push(...(await wave(settings.minDistinct)));
            topUps += settings.minDistinct;
        }
    }
    const report = buildReport(target, settings, options.source, outcomes, now() - started);
    report.topUps = topUps;
    report.retried = outcomes.filter((o) => o.retried === true).length;
    if (topUps > 0) {
        notes.push(
            `Lambda throttled or the client retried ${outcomes.filter(wasThrottled).length} of the invocations; ` +
                `${topUps} more were sent at once so that distinct environments answer (${report.distinctEnvironments} did)`,
        );
    }
    report.notes.push(...notes);
    return report;
}

function wasThrottled(outcome: Outcome): boolean {
    return outcome.retried === true || (!outcome.ok && outcome.error.kind === "throttled");
}

function distinctInstances(outcomes: Outcome[]): number {
    return new Set(outcomes.flatMap((o) => (o.ok && o.reply !== undefined ? [o.reply.instanceId] : []))).size;
}

async function invokeOnce(lambda: LambdaClient, target: WarmupTarget, settings: WarmupSettings, event: object, budgetMs: number): Promise<Outcome> {
    if (budgetMs <= 0) {
        return { ok: false, error: { kind: "timeout", message: "not invoked: no time was left before the deadline" } };
    }
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // The race, not just the abort, guarantees the deadline: an SDK retry
    // backoff in progress would not notice the signal until it ends.
    const expired = new Promise<"expired">((resolve) => {
        timer = setTimeout(() => {
            controller.abort();
            resolve("expired");
        }, budgetMs);
    });
    const timeout: Outcome = { ok: false, error: { kind: "timeout", message: `no reply within ${budgetMs} ms (the warm-up deadline)` } };
    try {
        const command = new InvokeCommand({
            FunctionName: target.functionName,
            Qualifier: target.qualifier,
            InvocationType: "RequestResponse",
            Payload: new TextEncoder().encode(JSON.stringify(event)),
        });
        const result = await Promise.race([lambda.send(command, { abortSignal: controller.signal }), expired]);
        if (result === "expired") return timeout;
        const outcome = classify(result, settings);
        // The SDK counts its attempts; more than one means it retried (a throttle or a transient error).
        return (result.$metadata?.attempts ?? 1) > 1 ? { ...outcome, retried: true } : outcome;
    } catch (err) {
        if (controller.signal.aborted) return timeout;
        if (isThrottle(err)) {
            // Lambda's Reason tells which limit bit: the account's, or the function's reserved concurrency.
            const reason = isRecord(err) && typeof err.Reason === "string" ? ` (${err.Reason})` : "";
            return { ok: false, retried: true, error: { kind: "throttled", message: safeText(`throttled by Lambda after retries: ${describeError(err)}${reason}`) } };
        }
        return { ok: false, error: { kind: "invoke-failed", message: safeText(describeError(err)) } };
    } finally {
        clearTimeout(timer);
    }
}

function isThrottle(err: unknown): boolean {
    if (!isRecord(err)) return false;
    const name = err.name;
    const status = isRecord(err.$metadata) ? err.$metadata.httpStatusCode : undefined;
    return name === "TooManyRequestsException" || name === "ThrottlingException" || status === 429;
}

// ------------------------------------------------------------ classifying

function classify(output: InvokeCommandOutput, settings: WarmupSettings): Outcome {
    const text = output.Payload === undefined ? "" : new TextDecoder().decode(output.Payload);
    if (output.FunctionError !== undefined) {
        return { ok: false, error: { kind: "function-error", message: describeFunctionError(output.FunctionError, text) } };
    }
    if (output.StatusCode !== undefined && output.StatusCode !== 200) {
        return { ok: false, error: { kind: "invoke-failed", message: `Invoke answered status ${output.StatusCode}` } };
    }
    let body: unknown;
    try {
        body = JSON.parse(text);
    } catch {
        return { ok: false, error: { kind: "malformed-reply", message: `the reply is not JSON: ${excerpt(text)}` } };
    }
    return settings.mode === "http" ? classifyHttp(body, settings, output.ExecutedVersion) : classifyHelper(body);
}

/** Lambda's error payload is `{errorType, errorMessage, stackTrace}`; runtime failures (timeouts, OOM) omit errorType. */
function describeFunctionError(functionError: string, text: string): string {
    try {
        const payload: unknown = JSON.parse(text);
        if (isRecord(payload) && typeof payload.errorMessage === "string") {
            const type = typeof payload.errorType === "string" ? payload.errorType : functionError;
            return safeText(payload.errorMessage === "" ? type : `${type}: ${payload.errorMessage}`);
        }
    } catch {
        // fall through to the raw text
    }
    return `${functionError}: ${excerpt(text)}`;
}

function classifyHelper(body: unknown): Outcome {
    const problem = replyProblem(body);
    if (problem !== undefined) return { ok: false, error: { kind: "malformed-reply", message: problem } };
    const reply = body as WarmupReply;
    if (reply.error !== undefined) {
        // A well-formed reply refusing our request: the helper and this hook disagree on the protocol.
        return {
            ok: false,
            error: { instanceId: reply.instanceId, kind: "function-error", message: `mangum-warmup rejected the warm-up request: ${safeText(reply.error)}` },
        };
    }
    if (!reply.ok && !Object.values(reply.checks).some((check) => !check.ok)) {
        // `ok: false` means a check failed (docs/warmup-protocol.md); one that names no failed check
        // cannot be judged by failOnCheckError, so the environment counts as failed rather than warm.
        return {
            ok: false,
            error: { instanceId: reply.instanceId, kind: "not-ok", message: `mangum-warmup answered ok: false without a failed check (instance ${shortId(reply.instanceId)})` },
        };
    }
    return { ok: true, reply };
}

/** Why `body` is not a WarmupReply this hook understands, or undefined when it is one. */
function replyProblem(body: unknown): string | undefined {
    const notHelper = `not a mangum-warmup reply (is the handler wrapped with mangum_warmup? otherwise set warmup.mode to "http"): ${excerpt(JSON.stringify(body))}`;
    if (!isRecord(body) || !("protocol" in body)) return notHelper;
    if (body.protocol !== WARMUP_PROTOCOL_VERSION) {
        return `the reply speaks warm-up protocol ${JSON.stringify(body.protocol)}, this hook speaks ${WARMUP_PROTOCOL_VERSION}: align the mangum-warmup and pulumi-mangum versions`;
    }
    const wrong: string[] = [];
    if (typeof body.ok !== "boolean") wrong.push("ok");
    if (typeof body.instanceId !== "string" || body.instanceId === "") wrong.push("instanceId");
    if (typeof body.coldStart !== "boolean") wrong.push("coldStart");
    if (!isNonNegative(body.initMs)) wrong.push("initMs");
    if (typeof body.functionVersion !== "string" || body.functionVersion === "") wrong.push("functionVersion");
    if (!isNonNegative(body.heldMs)) wrong.push("heldMs");
    if (!isResultMap(body.checks)) wrong.push("checks");
    if (!isResultMap(body.init)) wrong.push("init");
    if (body.error !== undefined && typeof body.error !== "string") wrong.push("error");
    if (body.yielded !== undefined && typeof body.yielded !== "boolean") wrong.push("yielded");
    if (wrong.length > 0) return `malformed mangum-warmup reply: invalid ${wrong.join(", ")} in ${excerpt(JSON.stringify(body))}`;
    return undefined;
}

function isResultMap(value: unknown): value is Record<string, CheckResult> {
    return (
        isRecord(value) &&
        Object.values(value).every(
            (r) => isRecord(r) && typeof r.ok === "boolean" && isNonNegative(r.ms) && (r.error === undefined || typeof r.error === "string"),
        )
    );
}

function classifyHttp(body: unknown, settings: WarmupSettings, executedVersion: string | undefined): Outcome {
    if (!isRecord(body) || typeof body.statusCode !== "number") {
        return { ok: false, error: { kind: "malformed-reply", message: `not an API Gateway response (no statusCode): ${excerpt(JSON.stringify(body))}` } };
    }
    if (body.statusCode < 200 || body.statusCode > 299) {
        const detail = typeof body.body === "string" && body.body !== "" ? `: ${excerpt(body.body)}` : "";
        return { ok: false, error: { kind: "http-status", message: `GET ${settings.path ?? "/"} answered ${body.statusCode}${detail}` } };
    }
    return executedVersion === undefined ? { ok: true } : { ok: true, executedVersion };
}

// ---------------------------------------------------------------- report

function buildReport(target: WarmupTarget, settings: WarmupSettings, source: WarmupSource, outcomes: Outcome[], wallMs: number): WarmupReport {
    const errors: EnvironmentError[] = [];
    const replies: WarmupReply[] = [];
    const versions = new Set<string>();
    outcomes.forEach((outcome, invocation) => {
        if (!outcome.ok) {
            errors.push({ ...outcome.error, invocation });
            return;
        }
        if (outcome.reply !== undefined) {
            replies.push(outcome.reply);
            versions.add(outcome.reply.functionVersion);
        }
        if (outcome.executedVersion !== undefined) versions.add(outcome.executedVersion);
    });
    const http = settings.mode === "http";
    const initByInstance = new Map<string, number>();
    for (const reply of replies) if (!initByInstance.has(reply.instanceId)) initByInstance.set(reply.instanceId, reply.initMs);
    // Only a keep-warm that asked for yielding honours it: a reply that says `yielded` to any other warm-up (a
    // pre-traffic one, whose verdict gates the deploy) must not excuse environments it shared.
    const askedToYield = source === "keep-warm" && (settings.yieldToUsersMs ?? 0) > 0;
    const yieldedInstances = new Set(askedToYield ? replies.filter((r) => r.yielded === true).map((r) => r.instanceId) : []);
    const yieldedInvocations = replies.filter((r) => yieldedInstances.has(r.instanceId)).length;
    return {
        ...(yieldedInstances.size > 0 ? { yieldedToUsers: { environments: yieldedInstances.size, invocations: yieldedInvocations } } : {}),
        target,
        mode: settings.mode,
        source,
        requested: outcomes.length,
        succeeded: outcomes.length - errors.length,
        distinctEnvironments: http ? null : initByInstance.size,
        distinctnessVerifiable: !http,
        coldStarts: http ? null : replies.filter((r) => r.coldStart).length,
        initMs: http ? null : stats([...initByInstance.values()]),
        // A yielded reply runs no checks (mangum-warmup answers it at once): it is no unchecked environment,
        // where the keep-warm asked for yielding; anywhere else a requested check it lacks is a failure.
        checks: http ? {} : summarizeChecks(askedToYield ? replies.filter((r) => r.yielded !== true) : replies, settings.checks),
        init: http ? {} : summarizeInit(replies),
        versions: [...versions].sort(),
        wallMs,
        errors,
        notes: http ? ["distinct environments cannot be verified in http mode: an HTTP response does not name the environment that served it"] : [],
    };
}

function summarizeChecks(replies: WarmupReply[], requested: string[] | undefined): Record<string, CheckSummary> {
    const names = requested !== undefined && requested.length > 0 ? requested : namesIn(replies.map((r) => r.checks));
    // A requested check that a reply leaves out was not run there: that environment is unchecked.
    return summarize(replies, names, (r) => r.checks, "not reported by mangum-warmup");
}

/** Init steps run once per environment and are not requested, so a reply without one (an older helper) is no failure. */
function summarizeInit(replies: WarmupReply[]): Record<string, CheckSummary> {
    return summarize(replies, namesIn(replies.map((r) => r.init)), (r) => r.init, undefined);
}

function namesIn(maps: Record<string, CheckResult>[]): string[] {
    return [...new Set(maps.flatMap((m) => Object.keys(m)))].sort();
}

function summarize(
    replies: WarmupReply[],
    names: string[],
    resultsOf: (reply: WarmupReply) => Record<string, CheckResult>,
    missing: string | undefined,
): Record<string, CheckSummary> {
    const summaries: Record<string, CheckSummary> = {};
    for (const name of names) {
        const failedBy = new Map<string, string>(); // instanceId -> first failure message
        const seen = new Set<string>();
        let maxMs = 0;
        for (const reply of replies) {
            const result = resultsOf(reply)[name];
            const failure = result === undefined ? missing : result.ok ? undefined : safeText(result.error ?? "failed without an error message");
            if (result === undefined && missing === undefined) continue;
            seen.add(reply.instanceId);
            if (result !== undefined) maxMs = Math.max(maxMs, result.ms);
            if (failure !== undefined && !failedBy.has(reply.instanceId)) failedBy.set(reply.instanceId, failure);
        }
        summaries[name] = { passed: seen.size - failedBy.size, failed: failedBy.size, maxMs, errors: groupByMessage(failedBy) };
    }
    return summaries;
}

/** `message (instances 9b2d4e60…, 41ac07d2…)`, one entry per distinct message. */
function groupByMessage(messageByInstance: Map<string, string>): string[] {
    const instancesByMessage = new Map<string, string[]>();
    for (const [instance, message] of messageByInstance) {
        instancesByMessage.set(message, [...(instancesByMessage.get(message) ?? []), shortId(instance)]);
    }
    return [...instancesByMessage].map(([message, instances]) => `${message} (${instances.length === 1 ? "instance" : "instances"} ${instances.join(", ")})`);
}

export function shortId(instanceId: string): string {
    return instanceId.length > 8 ? `${instanceId.slice(0, 8)}…` : instanceId;
}

function stats(values: number[]): { min: number; median: number; max: number } | null {
    if (values.length === 0) return null;
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return { min: sorted[0]!, median, max: sorted[sorted.length - 1]! };
}

// ----------------------------------------------------------------- verdict

const KIND_SENTENCE: Record<EnvironmentErrorKind, string> = {
    "function-error": "failed with a function error",
    throttled: "were throttled by Lambda (raise the account or reserved concurrency, or lower warmup.concurrency)",
    timeout: "did not answer before the warm-up deadline (is the function hanging, or its timeout longer than the hook's?)",
    "malformed-reply": "did not answer with a valid warm-up reply",
    "invoke-failed": "could not be invoked",
    "http-status": "answered a non-2xx status",
    "not-ok": "answered ok: false without naming a failed check",
};

/** Pass iff every invocation succeeded, every check and init step passed (when failOnCheckError), the right version answered and enough environments were distinct. */
export function judge(report: WarmupReport, settings: WarmupSettings): Verdict {
    const reasons: string[] = [];
    const n = report.requested;

    const distinct = report.distinctEnvironments;
    // A throttle the top-up made up for is no failure: the environments asked for did answer.
    const madeUp = (report.topUps ?? 0) > 0 && distinct !== null && distinct >= settings.minDistinct;
    const byKind = new Map<EnvironmentErrorKind, EnvironmentError[]>();
    for (const e of report.errors) if (!(madeUp && e.kind === "throttled")) byKind.set(e.kind, [...(byKind.get(e.kind) ?? []), e]);
    for (const [kind, errs] of byKind) {
        reasons.push(`${errs.length} of ${n} warm-up invocations ${KIND_SENTENCE[kind]}: ${listDistinct(errs.map((e) => e.message))}`);
    }

    if (settings.failOnCheckError) {
        // A failed init step (a preload, or the prime of the app's first request) leaves the
        // environment less warm than the deploy promises, so it fails the verdict like a check.
        reasons.push(...failedSteps("check", report.checks), ...failedSteps("init", report.init));
    }

    if (/^\d+$/.test(report.target.qualifier)) {
        const strangers = report.versions.filter((v) => v !== report.target.qualifier);
        if (strangers.length > 0) {
            reasons.push(
                `version ${strangers.join(", ")} answered, but the warm-up targeted version ${report.target.qualifier}: the new version was not the one checked`,
            );
        }
    }

    // Failed invocations explain missing environments already; say more only when answers shared environments.
    // Answers that shared an environment because it yielded to its users are no shortfall: an environment
    // serving users is warm by their traffic, and the invocation that came back to it found it idle.
    const y = report.yieldedToUsers;
    const yieldedShortfall = y !== undefined && distinct !== null && distinct + (y.invocations - y.environments) >= settings.minDistinct;
    if (distinct !== null && distinct < settings.minDistinct && !yieldedShortfall && (report.errors.length === 0 || distinct < report.succeeded)) {
        // `retried` counts throttled invocations too, whether their retries then succeeded or not.
        const throttled = report.retried ?? report.errors.filter((e) => e.kind === "throttled").length;
        const why =
            throttled > 0
                ? `: Lambda throttled ${throttled === 1 ? "an invocation" : `${throttled} invocations`}, and a retry lands on an environment another invocation has just freed` +
                  `${(report.topUps ?? 0) > 0 ? `; ${report.topUps} more sent at once did not make up for it` : ""}` +
                  ` (raise the function's reserved concurrency or the account's concurrency, or lower warmup.concurrency)`
                : "";
        reasons.push(`only ${distinct} distinct execution environments answered; ${settings.minDistinct} required (warmup.minDistinct)${why}`);
    }
    return { pass: reasons.length === 0, reasons };
}

function failedSteps(kind: "check" | "init", summaries: Record<string, CheckSummary>): string[] {
    return Object.entries(summaries)
        .filter(([, step]) => step.failed > 0)
        .map(([name, step]) => {
            const envs = step.passed + step.failed;
            return `${step.failed} of ${envs} ${envs === 1 ? "environment" : "environments"} failed ${kind} '${name}': ${step.errors.join("; ")}`;
        });
}

function listDistinct(messages: string[], limit = 3): string {
    const distinct = [...new Set(messages)];
    const shown = distinct.slice(0, limit).join("; ");
    return distinct.length > limit ? `${shown}; and ${distinct.length - limit} more` : shown;
}

// ----------------------------------------------------------------- helpers

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNonNegative(value: unknown): value is number {
    return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** The start of a foreign text (a reply, a body), cut before it is redacted. */
function excerpt(text: string, max = 200): string {
    if (text === "") return "(empty)";
    return safeText(text, max);
}
