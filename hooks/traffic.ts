/**
 * Traffic-aware sizing of a warm-up, and the per-version split of the
 * keep-warm while CodeDeploy holds the alias between two versions.
 *
 * A fixed warm-up of N environments is right only while live traffic needs at
 * most N at once: the final step of a canary moves every user onto the new
 * version, and each user beyond N meets a cold start. So the number of
 * environments to warm is read from what the alias really ran:
 *
 *     concurrency = min(max(minimum, ceil(peak × headroom)), maximum, reservedConcurrency)
 *
 * where `peak` is the highest 1-minute Maximum of the alias's
 * `ConcurrentExecutions` over the window. A metric that cannot be read, or
 * holds no data point (a new function, an idle night), falls back to the
 * minimum; the sizing says which figure was used and why.
 */
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { GetAliasCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { TrafficSettings, WarmupSettings } from "./contract";
import { describeError } from "./errors";
import { safeText } from "./redact";

/** Which figure decided the concurrency. */
export type SizingBasis = "minimum" | "observed-peak" | "maximum" | "reserved-concurrency";

export interface WarmupSizing {
    /** Environments the warm-up asks for. */
    concurrency: number;
    basis: SizingBasis;
    minimum: number;
    maximum: number;
    headroom: number;
    windowMinutes: number;
    /** Highest ConcurrentExecutions of the alias in the window; null when the metric had no data or could not be read. */
    observedPeak: number | null;
    reservedConcurrency: number | null;
    /** One sentence: which figure was used and why. */
    reason: string;
}

/** The metric read, as CloudWatch names it. */
export interface PeakQuery {
    namespace: "AWS/Lambda";
    metricName: "ConcurrentExecutions";
    dimensions: { FunctionName: string; Resource: string };
}

export type PeakReading = { ok: true; peak: number | null; query: PeakQuery } | { ok: false; error: string; query: PeakQuery };

/** `arn:aws:lambda:region:account:function:NAME[:qualifier]` or a bare name → NAME. */
export function functionShortName(nameOrArn: string): string {
    return nameOrArn.startsWith("arn:") ? (nameOrArn.split(":")[6] ?? nameOrArn) : nameOrArn;
}

/**
 * The alias's metric. Lambda publishes ConcurrentExecutions "for all functions,
 * aliases and versions" at 1-minute granularity, to be read with MAX ("Monitoring
 * concurrency", https://docs.aws.amazon.com/lambda/latest/dg/monitoring-concurrency.html);
 * an alias's data points carry the dimensions FunctionName and Resource, the
 * latter `FUNCTION:ALIAS` ("Viewing metrics for Lambda functions", By Resource,
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-view.html;
 * aws-cdk-lib aws-lambda Alias.metric() uses exactly `{FunctionName, Resource: `${functionName}:${aliasName}`}`).
 * Alias metrics count invocations through the alias, whichever version ran them.
 */
export function peakQuery(functionName: string, alias: string): PeakQuery {
    const name = functionShortName(functionName);
    return { namespace: "AWS/Lambda", metricName: "ConcurrentExecutions", dimensions: { FunctionName: name, Resource: `${name}:${alias}` } };
}

/** Metric data periods: Lambda's metrics have 1-minute granularity. */
const PERIOD_S = 60;

/**
 * Reads the peak with GetMetricData. GetMetricData names no resource (Service
 * Authorization Reference, Amazon CloudWatch: no required resource type; its
 * optional `dataset` type applies to OTLP datasets only), so it is granted on
 * `*` (components/iam.ts RESOURCE_LESS_ACTIONS). Never throws: a failure is a reading with `ok: false`.
 */
export async function readObservedPeak(
    cloudwatch: CloudWatchClient,
    functionName: string,
    alias: string,
    windowMinutes: number,
    options: { now: () => number; timeoutMs: number },
): Promise<PeakReading> {
    const query = peakQuery(functionName, alias);
    const end = new Date(options.now());
    const start = new Date(end.getTime() - windowMinutes * 60_000);
    const metric: MetricDataQuery = {
        Id: "peak",
        MetricStat: {
            Metric: {
                Namespace: query.namespace,
                MetricName: query.metricName,
                Dimensions: [
                    { Name: "FunctionName", Value: query.dimensions.FunctionName },
                    { Name: "Resource", Value: query.dimensions.Resource },
                ],
            },
            Period: PERIOD_S,
            Stat: "Maximum",
        },
        ReturnData: true,
    };
    let peak: number | null = null;
    let nextToken: string | undefined;
    try {
        // A week of 1-minute points is 10,080, within one page (GetMetricData returns up to 100,800 data
        // points per call, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html);
        // the loop only guards against a service that pages anyway.
        for (let page = 0; page < 10; page++) {
            const out = await cloudwatch.send(
                new GetMetricDataCommand({ MetricDataQueries: [metric], StartTime: start, EndTime: end, ScanBy: "TimestampDescending", ...(nextToken ? { NextToken: nextToken } : {}) }),
                { abortSignal: AbortSignal.timeout(Math.max(500, options.timeoutMs)) },
            );
            for (const result of out.MetricDataResults ?? []) {
                for (const value of result.Values ?? []) {
                    if (Number.isFinite(value) && value >= 0) peak = Math.max(peak ?? 0, value);
                }
            }
            nextToken = out.NextToken;
            if (nextToken === undefined || nextToken === "") break;
        }
    } catch (err) {
        return { ok: false, error: safeText(describeError(err)), query };
    }
    return { ok: true, peak, query };
}

/** The sizing rule, with the sentence that explains it. Pure. */
export function sizeFromPeak(minimum: number, traffic: TrafficSettings, reading: PeakReading | { ok: true; peak: number | null }): WarmupSizing {
    const base = {
        minimum,
        maximum: traffic.maximum,
        headroom: traffic.headroom,
        windowMinutes: traffic.windowMinutes,
        reservedConcurrency: traffic.reservedConcurrency ?? null,
    };
    const window = `${traffic.windowMinutes} min`;
    let wanted = minimum;
    let basis: SizingBasis = "minimum";
    let reason: string;
    let observedPeak: number | null = null;
    if (!reading.ok) {
        reason = `the alias's ConcurrentExecutions could not be read (${reading.error}); warmed the minimum ${minimum}`;
    } else if (reading.peak === null) {
        reason = `the alias's ConcurrentExecutions has no data point in the last ${window} (a new function, or no traffic); warmed the minimum ${minimum}`;
    } else {
        observedPeak = reading.peak;
        const fromPeak = Math.ceil(reading.peak * traffic.headroom - 1e-9);
        if (fromPeak > minimum) {
            wanted = fromPeak;
            basis = "observed-peak";
            reason = `peak of ${reading.peak} concurrent executions in the last ${window} × headroom ${traffic.headroom} = ${fromPeak}`;
        } else {
            reason = `peak of ${reading.peak} concurrent executions in the last ${window} × headroom ${traffic.headroom} = ${fromPeak}, not above the minimum ${minimum}`;
        }
    }
    let concurrency = wanted;
    if (concurrency > traffic.maximum) {
        concurrency = traffic.maximum;
        basis = "maximum";
        reason += `; capped by warmup.traffic.maximum ${traffic.maximum}`;
    }
    if (traffic.reservedConcurrency !== undefined && concurrency > traffic.reservedConcurrency) {
        concurrency = traffic.reservedConcurrency;
        basis = "reserved-concurrency";
        reason += `; capped by the function's reserved concurrency ${traffic.reservedConcurrency} (no more environments can run at once)`;
    }
    return { ...base, concurrency, basis, observedPeak, reason };
}

/**
 * Settings for `concurrency` parallel invocations. The distinct environments
 * allowed to be missing stay what the user configured (concurrency −
 * minDistinct), so a strict minDistinct stays strict at any size.
 */
export function withConcurrency(settings: WarmupSettings, concurrency: number): WarmupSettings {
    const slack = Math.max(0, settings.concurrency - settings.minDistinct);
    return { ...settings, concurrency, minDistinct: Math.max(0, Math.min(concurrency, concurrency - slack)) };
}

/** Sizes a warm-up of `settings.functionName`'s alias; without `settings.traffic`, the configured concurrency as is. */
export async function sizeWarmup(
    cloudwatch: CloudWatchClient,
    settings: WarmupSettings,
    options: { now: () => number; timeoutMs: number },
): Promise<{ settings: WarmupSettings; sizing: WarmupSizing | null }> {
    if (settings.traffic === undefined) return { settings, sizing: null };
    const reading = await readObservedPeak(cloudwatch, settings.functionName, settings.alias, settings.traffic.windowMinutes, options);
    const sizing = sizeFromPeak(settings.concurrency, settings.traffic, reading);
    return { settings: withConcurrency(settings, sizing.concurrency), sizing };
}

// ------------------------------------------------------------ the shift

export interface VersionShare {
    /** A version number (or the alias name when the routing could not be read). */
    qualifier: string;
    /** The share of traffic this version may carry next: 1 for the version the alias is shifting to. */
    comingShare: number;
    /** Its share now, from the alias's routing config. */
    currentShare: number;
    /** Environments this version should have warm: ceil(sized concurrency × comingShare). */
    target: number;
    /** Environments left to users during the hold: ceil(observed peak × headroom × currentShare). */
    leftToUsers: number;
    /** Warm-up invocations sent: target − leftToUsers, at least 0. */
    concurrency: number;
}

export type AliasRouting =
    | { ok: true; primary: string; additional: { version: string; weight: number }[] }
    | { ok: false; error: string };

/**
 * The alias's versions and weights. GetAlias is authorized against the
 * unqualified function ARN ("Resources and conditions for Lambda actions",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html:
 * GetAlias takes the function's ARN, and the alias is a parameter), so it
 * is called with the function name as configured (unqualified). While
 * CodeDeploy shifts traffic, `RoutingConfig.AdditionalVersionWeights` holds
 * the target version and its weight ("Create a routing configuration for an
 * alias", https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html;
 * the CodeDeploy user guide's "Deployments on an AWS Lambda compute platform").
 */
export async function readAliasRouting(lambda: LambdaClient, functionName: string, alias: string, timeoutMs: number): Promise<AliasRouting> {
    try {
        const out = await lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }), { abortSignal: AbortSignal.timeout(Math.max(500, timeoutMs)) });
        if (out === undefined || typeof out.FunctionVersion !== "string" || out.FunctionVersion === "") {
            return { ok: false, error: "GetAlias returned no FunctionVersion" };
        }
        const weights = out.RoutingConfig?.AdditionalVersionWeights ?? {};
        const additional = Object.entries(weights)
            .filter(([version, weight]) => /^\d+$/.test(version) && version !== out.FunctionVersion && Number.isFinite(weight) && weight > 0 && weight <= 1)
            .map(([version, weight]) => ({ version, weight }));
        return { ok: true, primary: out.FunctionVersion, additional };
    } catch (err) {
        return { ok: false, error: safeText(describeError(err)) };
    }
}

/**
 * How many warm-up invocations each version gets.
 *
 * Each version is invoked by its number, never through the alias:
 * invocations through the alias count in the alias's ConcurrentExecutions
 * (see peakQuery), so a keep-warm through the alias would read its own
 * warm-up as traffic and grow each tick up to the maximum.
 *
 * A version should have `ceil(sized × comingShare)` environments warm: during
 * a shift the version the alias is moving to has a coming share of 1 (all the
 * traffic, at the final step), and the version it is leaving is not warmed at
 * all: its traffic only shrinks from here on, and its own users keep the
 * environments they use warm (a warm-up would only compete with them); without
 * a shift the serving version has a coming share of 1. But a warm-up holds each
 * environment it reaches for 250-400 ms, and a user request arriving while
 * every environment of its version is held starts a new one: a cold start the
 * keep-warm caused. So the environments users may need during the hold (the
 * observed peak × headroom × the version's current share) are left to them:
 * users keep those warm themselves, and the warm-up sends only the rest. A
 * version serving its steady peak therefore gets no warm-up at all, and a
 * quiet one (or the version the alias is moving to) nearly all of it. That
 * alone is not enough: Lambda does not say which idle environment an
 * invocation gets, so the warm-up may still reach the very environment a user
 * is between two requests on, and the spare ones users do not touch are
 * reaped in time. So the keep-warm sends `yieldToUsersMs` (the default): an
 * environment that served a user within it answers at once instead of
 * holding (docs/warmup-protocol.md, "Yielding to users"). Then only the
 * environments users keep busy themselves, about their peak (not the
 * headroom above it), are left out: the keep-warm passes `headroom` 1, and
 * holds the headroom's spares, which no user touches and the reaper would
 * otherwise take. Sending the whole target instead was measured worse (npm
 * run bench, section 5: 3 and 4 user cold starts at 20 users against 2): a
 * wave larger than the idle environments holds every spare while the users'
 * own ones churn through yields, and a user arriving then meets a new one.
 * When the routing could not be read, the alias itself with the whole concurrency.
 */
export function splitByVersion(concurrency: number, alias: string, routing: AliasRouting, observedPeak: number | null = null, headroom = 1): VersionShare[] {
    if (!routing.ok) return [{ qualifier: alias, comingShare: 1, currentShare: 1, target: concurrency, leftToUsers: 0, concurrency }];
    const versions =
        routing.additional.length === 0
            ? [{ qualifier: routing.primary, comingShare: 1, currentShare: 1 }]
            : routing.additional.map((a) => ({ qualifier: a.version, comingShare: 1, currentShare: a.weight }));
    const up = (x: number): number => Math.ceil(x - 1e-9);
    return versions
        .map((v) => {
            const target = up(concurrency * v.comingShare);
            const leftToUsers = observedPeak === null ? 0 : up(observedPeak * headroom * v.currentShare);
            return { ...v, target, leftToUsers, concurrency: Math.max(0, target - leftToUsers) };
        })
        .filter((v) => v.concurrency > 0);
}

// ------------------------------------------------------- cold starts seen

/** The custom metric the component's metric filter publishes (components/trafficWarmup.ts). */
export interface ColdStartMetric {
    namespace: string;
    metricName: string;
}

/** `deployment.userColdStarts`: user requests that met a cold start while the deployment ran. */
export interface ColdStartCount {
    /** Null when the metric could not be read. */
    count: number | null;
    metric: string;
    from: string;
    to: string;
    note: string;
}

/**
 * Sums the cold-start metric from `fromMs` to now. A metric filter publishes
 * only when a line matches, so no data point means none happened; CloudWatch
 * Logs turns a line into a data point within minutes, not at once ("Creating
 * metrics from log events using filters",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringLogData.html),
 * so a count read right at the end of a deployment can miss its last minute;
 * the note says so.
 */
export async function countColdStarts(
    cloudwatch: CloudWatchClient,
    metric: ColdStartMetric,
    fromMs: number,
    options: { now: () => number; timeoutMs: number },
): Promise<ColdStartCount> {
    // Whole minutes: the metric's period; the minute the deployment started in counts.
    const start = new Date(Math.floor(fromMs / 60_000) * 60_000);
    const end = new Date(Math.ceil(options.now() / 60_000) * 60_000);
    const base = { metric: `${metric.namespace}/${metric.metricName}`, from: start.toISOString(), to: end.toISOString() };
    try {
        const out = await cloudwatch.send(
            new GetMetricDataCommand({
                MetricDataQueries: [
                    { Id: "cold", MetricStat: { Metric: { Namespace: metric.namespace, MetricName: metric.metricName }, Period: PERIOD_S, Stat: "Sum" }, ReturnData: true },
                ],
                StartTime: start,
                EndTime: end,
            }),
            { abortSignal: AbortSignal.timeout(Math.max(500, options.timeoutMs)) },
        );
        const count = (out.MetricDataResults ?? []).flatMap((r) => r.Values ?? []).reduce((sum, v) => sum + (Number.isFinite(v) ? v : 0), 0);
        return { ...base, count, note: "from the log metric filter; lines of the last minute or two may not be counted yet" };
    } catch (err) {
        return { ...base, count: null, note: `the cold-start metric could not be read: ${safeText(describeError(err))}` };
    }
}
