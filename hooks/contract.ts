/**
 * The warm-up contract between the hooks (TypeScript) and `mangum-warmup`
 * (Python, inside the app's Lambda). The same shapes are pinned by the JSON
 * fixtures in `contract/fixtures/`, which both test suites load, and are
 * documented in `docs/warmup-protocol.md`. Change all three together.
 */

/** Key under which a warm-up event carries its request. Namespaced so no AWS event shape can collide with it. */
export const WARMUP_EVENT_KEY = "mangum-warmup";

/** Protocol version this build speaks. A helper answering another version is reported as a malformed reply. */
export const WARMUP_PROTOCOL_VERSION = 1;

/** Who sent a warm-up event; lands in the function's logs so an operator can tell deploys from schedules. */
export type WarmupSource = "pre-traffic" | "keep-warm" | "deployer" | "post-traffic" | "rehearsal";

/** The request inside a helper-mode warm-up event: `{ "mangum-warmup": WarmupRequest }`. */
export interface WarmupRequest {
    /** Protocol version; always {@link WARMUP_PROTOCOL_VERSION}. */
    v: number;
    source: WarmupSource;
    /** How long the environment must stay busy (ms, from handler entry), so parallel invocations land on distinct environments. */
    holdMs: number;
    /** Names of the checks to run. Omitted or empty: every registered check. A name that is not registered fails as a check. */
    checks?: string[];
    /** CodeDeploy deployment id when sent by the pre-traffic hook, for correlating logs. */
    deploymentId?: string;
    /**
     * Keep-warm only: an environment that served a user's request within this
     * many ms answers without holding (its users keep it warm, and holding it
     * would push their next request onto a new environment). Absent or 0: always hold.
     */
    yieldToUsersMs?: number;
}

export interface WarmupEvent {
    [WARMUP_EVENT_KEY]: WarmupRequest;
}

/** Outcome of one check (or one init preload) inside one environment. */
export interface CheckResult {
    ok: boolean;
    /** Wall time the check took, in ms. */
    ms: number;
    /** Present when `ok` is false: the exception type and message, never a secret. */
    error?: string;
}

/** The reply of `mangum-warmup` to a warm-up event. */
export interface WarmupReply {
    /** Always {@link WARMUP_PROTOCOL_VERSION}; tells a helper reply from anything else the function may return. */
    protocol: number;
    /** False when the request was malformed or any check failed. */
    ok: boolean;
    /** Made once per execution environment (and anew after a SnapStart restore). */
    instanceId: string;
    /** True on the first invocation this environment serves. */
    coldStart: boolean;
    /** Time from `mangum_warmup`'s import to the start of the environment's first invocation (ms); the same on every reply of an environment. */
    initMs: number;
    /** The version that answered, from the Lambda context (`$LATEST` or a number). */
    functionVersion: string;
    /** How long the handler held the environment, in ms (at least the requested holdMs, unless it yielded). */
    heldMs: number;
    /** Present (true) when the environment skipped the hold because it served a user within `yieldToUsersMs`. */
    yielded?: boolean;
    checks: Record<string, CheckResult>;
    /** Once-per-environment steps: each `on_init` preload and each `prime` request (`"prime GET /healthz"`). */
    init: Record<string, CheckResult>;
    /** Present when the request itself was malformed: what was wrong with it. */
    error?: string;
}

/** `warmup.mode`: `helper` talks the protocol above; `http` sends an API Gateway v2 request through Mangum. */
export type WarmupMode = "helper" | "http";

/**
 * Settings every hook receives, as JSON in the `MANGUM_WARMUP_CONFIG`
 * environment variable (the deployer receives it in its input too).
 */
export interface WarmupSettings {
    /** Name or ARN of the app function (unqualified). */
    functionName: string;
    /** Alias name, e.g. `live`. */
    alias: string;
    /** Parallel invocations per warm-up. */
    concurrency: number;
    /** Hold range sent to the function; each invocation gets a uniformly random value in it. */
    holdMs: [number, number];
    /** Checks to request; empty or omitted: every registered check. */
    checks?: string[];
    mode: WarmupMode;
    /** Path requested in `http` mode. */
    path?: string;
    /** Distinct environments required for a pass (helper mode only). */
    minDistinct: number;
    /** Whether a failed check fails the verdict. */
    failOnCheckError: boolean;
    /** Sent by the keep-warm hook as the request's `yieldToUsersMs`; absent or 0: the keep-warm holds every environment it reaches. */
    yieldToUsersMs?: number;
    /**
     * Traffic-aware sizing: when set, `concurrency` is the minimum and the hooks
     * warm `max(concurrency, observed peak × headroom)`, capped (hooks/traffic.ts).
     */
    traffic?: TrafficSettings;
}

/** `warmup.traffic` as the hooks receive it. */
export interface TrafficSettings {
    /** The most environments a warm-up may ask for, whatever the traffic. */
    maximum: number;
    /** Multiplier on the observed peak (1 = exactly the peak). */
    headroom: number;
    /** How far back the peak is read, in minutes (1-minute periods). */
    windowMinutes: number;
    /** The function's reserved concurrency, when it has one: no more can run at once. */
    reservedConcurrency?: number;
}

/**
 * `event` of the JSON line mangum-warmup logs when a user's request is the first
 * invocation of an environment (no warm-up reached it first); the component's
 * metric filter counts these lines (components/trafficWarmup.ts).
 */
export const COLD_START_EVENT = "mangum-warmup.cold-start";

/** Environment variable that carries {@link WarmupSettings} to the hooks. */
export const WARMUP_CONFIG_ENV = "MANGUM_WARMUP_CONFIG";
