/**
 * Keep-warm hook: an EventBridge schedule invokes it with `{"concurrency": N}`
 * and it fans N parallel warm-up invocations out to the live alias. A partial
 * failure is logged, never thrown: the next tick tries again, and a thrown
 * error would only make Lambda retry a warm-up that is already stale.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { WARMUP_CONFIG_ENV, type WarmupSettings } from "./contract";
import { createLogger, type Logger } from "./log";
import { readAliasRouting, sizeWarmup, splitByVersion, withConcurrency, type VersionShare, type WarmupSizing } from "./traffic";
import { WARMUP_LAMBDA_CLIENT_CONFIG, WARMUP_LIMITS, judge, readWarmupSettings, runWarmup, type Verdict, type WarmupReport } from "./warm";

/** Margin before Lambda stops the hook, for writing the log line. */
const FINAL_MARGIN_MS = 500;
/** Each read (GetMetricData, GetAlias) gets at most this long; a slow one falls back. */
const READ_MAX_MS = 3_000;

export interface KeepWarmDeps {
    lambda: LambdaClient;
    /** Reads the alias's ConcurrentExecutions when warmup.traffic is set. */
    cloudwatch?: CloudWatchClient;
    now?: () => number;
    random?: () => number;
    log?: Logger;
    env?: NodeJS.ProcessEnv;
}

export interface KeepWarmResult extends Verdict {
    /** The first (or only) warm-up: the alias, or the version the alias serves; null when none was needed. */
    report: WarmupReport | null;
    /** One per qualifier warmed: the alias, or each version while the alias is split (warmup.traffic). */
    reports: WarmupReport[];
    /** How many environments and why, when warmup.traffic is set. */
    sizing: WarmupSizing | null;
    /** What each qualifier got. */
    versions: VersionShare[];
    notes: string[];
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
        let effective: WarmupSettings = { ...settings, concurrency, minDistinct: Math.min(settings.minDistinct, concurrency) };
        const notes: string[] = [];
        let sizing: WarmupSizing | null = null;
        let versions: VersionShare[] = [{ qualifier: settings.alias, comingShare: 1, currentShare: 1, target: concurrency, leftToUsers: 0, concurrency }];

        if (settings.traffic !== undefined) {
            const readMs = (): number => Math.min(READ_MAX_MS, deadline - now() - settings.holdMs[1] - 1_000);
            // Adaptive: the rule's concurrency is the minimum; a busy alias gets what its peak needs, bounded.
            if (deps.cloudwatch !== undefined) {
                ({ settings: effective, sizing } = await sizeWarmup(deps.cloudwatch, effective, { now, timeoutMs: readMs() }));
            } else {
                notes.push("no CloudWatch client: warmed the rule's concurrency");
            }
            // Through the whole shift: while CodeDeploy holds the alias between two versions, warm each by qualifier.
            const routing = await readAliasRouting(deps.lambda, settings.functionName, settings.alias, readMs());
            if (!routing.ok) {
                // Through the alias these invocations count as the alias's traffic: warm only the rule's minimum, so
                // the next tick does not read its own warm-up as a peak.
                notes.push(`could not read the alias's routing (${routing.error}); warmed the alias as a whole, with the rule's concurrency ${concurrency}`);
                effective = withConcurrency(effective, concurrency);
            }
            // Users keep about their peak warm themselves. With yielding, the environments they are between requests
            // on answer at once, so only those are left out and the headroom's spares are held (and kept from the
            // reaper); without it, the headroom is left out too: users may need it while the warm-up holds.
            const yielding = (settings.yieldToUsersMs ?? 0) > 0;
            versions = splitByVersion(effective.concurrency, settings.alias, routing, sizing?.observedPeak ?? null, yielding ? 1 : settings.traffic.headroom);
            if (versions.length === 0) notes.push("the users' own traffic keeps every environment the peak needs busy: no warm-up sent");
        }

        const reports = await Promise.all(
            versions.map((share) =>
                runWarmup(
                    deps.lambda,
                    { functionName: settings.functionName, qualifier: share.qualifier },
                    withConcurrency(effective, share.concurrency),
                    { source: "keep-warm", deadline, now, ...(deps.random === undefined ? {} : { random: deps.random }) },
                ),
            ),
        );
        const reasons: string[] = [];
        reports.forEach((report, i) => {
            const verdict = judge(report, withConcurrency(effective, versions[i]!.concurrency));
            const prefix = versions.length > 1 ? `version ${versions[i]!.qualifier}: ` : "";
            reasons.push(...verdict.reasons.map((r) => prefix + r));
            if (sizing !== null && i === 0) report.sizing = sizing;
            const y = report.yieldedToUsers;
            if (y !== undefined) {
                notes.push(
                    `${prefix}${y.environments} of the environments reached had served users in the last ${effective.yieldToUsersMs} ms and answered ${y.invocations} ` +
                        `${y.invocations === 1 ? "invocation" : "invocations"} without holding (their users keep them warm)`,
                );
                // A yielded answer runs no checks: say so when no held environment ran them either, so that a
                // passing tick is not read as a passing database check.
                if (y.invocations === report.succeeded) {
                    notes.push(`${prefix}no environment ran the checks this tick: every one reached had served users in the last ${effective.yieldToUsersMs} ms, and their requests are the health signal`);
                }
            }
        });
        const result: KeepWarmResult = { pass: reasons.length === 0, reasons, report: reports[0] ?? null, reports, sizing, versions, notes };
        log[result.pass ? "info" : "warn"]("keep-warm.result", { ...result });
        return result;
    };
}

/** Built once per execution environment; the SDK honours AWS_ENDPOINT_URL_LAMBDA. */
export const handler = createHandler({ lambda: new LambdaClient(WARMUP_LAMBDA_CLIENT_CONFIG), cloudwatch: new CloudWatchClient({ maxAttempts: 2 }) });

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
