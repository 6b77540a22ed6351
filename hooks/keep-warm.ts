/**
 * Keep-warm hook: an EventBridge schedule invokes it with `{"concurrency": N}`
 * and it fans N parallel warm-up invocations out to the live alias. A partial
 * failure is logged, never thrown: the next tick tries again, and a thrown
 * error would only make Lambda retry a warm-up that is already stale.
 */
import { LambdaClient } from "@aws-sdk/client-lambda";
import { WARMUP_CONFIG_ENV, type WarmupSettings } from "./contract";
import { createLogger, type Logger } from "./log";
import { WARMUP_LAMBDA_CLIENT_CONFIG, WARMUP_LIMITS, judge, readWarmupSettings, runWarmup, type Verdict, type WarmupReport } from "./warm";

/** Margin before Lambda stops the hook, for writing the log line. */
const FINAL_MARGIN_MS = 500;

export interface KeepWarmDeps {
    lambda: LambdaClient;
    now?: () => number;
    random?: () => number;
    log?: Logger;
    env?: NodeJS.ProcessEnv;
}

export interface KeepWarmResult extends Verdict {
    report: WarmupReport;
}

export interface HookContext {
    getRemainingTimeInMillis(): number;
}

export function createHandler(deps: KeepWarmDeps): (event: unknown, context: HookContext) => Promise<KeepWarmResult> {
    const now = deps.now ?? Date.now;
    const log = deps.log ?? createLogger({ hook: "keep-warm" });

    return async (event, context) => {
        const deadline = now() + context.getRemainingTimeInMillis() - FINAL_MARGIN_MS;
        // Misconfigured settings are the one error worth throwing: every tick would fail the same way, and the
        // hook's Errors metric is how an operator notices.
        const settings = readSettings(deps.env ?? process.env, log);
        const concurrency = requestedConcurrency(event, settings, log);
        const effective: WarmupSettings = { ...settings, concurrency, minDistinct: Math.min(settings.minDistinct, concurrency) };

        const report = await runWarmup(
            deps.lambda,
            { functionName: settings.functionName, qualifier: settings.alias },
            effective,
            { source: "keep-warm", deadline, now, ...(deps.random === undefined ? {} : { random: deps.random }) },
        );
        const verdict = judge(report, effective);
        log[verdict.pass ? "info" : "warn"]("keep-warm.result", { ...verdict, report });
        return { ...verdict, report };
    };
}

/** Built once per execution environment; the SDK honours AWS_ENDPOINT_URL_LAMBDA. */
export const handler = createHandler({ lambda: new LambdaClient(WARMUP_LAMBDA_CLIENT_CONFIG) });

function readSettings(env: NodeJS.ProcessEnv, log: Logger): WarmupSettings {
    try {
        return readWarmupSettings(env);
    } catch (err) {
        log.error("keep-warm.invalid-settings", { message: err instanceof Error ? err.message : String(err) });
        throw err;
    }
}

/**
 * The rule's input `{"concurrency": N}`. A rule without input delivers the
 * scheduled event itself, which has no `concurrency`: use the settings'.
 */
function requestedConcurrency(event: unknown, settings: WarmupSettings, log: Logger): number {
    const value = typeof event === "object" && event !== null ? (event as Record<string, unknown>).concurrency : undefined;
    if (value === undefined) return settings.concurrency;
    const { min, max } = WARMUP_LIMITS.concurrency;
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    log.warn("keep-warm.invalid-input", {
        message: `input concurrency must be an integer from ${min} to ${max} (got ${JSON.stringify(value)}); using ${settings.concurrency} from ${WARMUP_CONFIG_ENV}`,
    });
    return settings.concurrency;
}
