/**
 * The CloudWatch stand-in: GetMetricData (AWS JSON 1.0, `X-Amz-Target:
 * GraniteServiceVersion20100801.GetMetricData`, the protocol
 * @aws-sdk/client-cloudwatch speaks) over two kinds of metric:
 *
 * - `AWS/Lambda ConcurrentExecutions` with dimensions FunctionName and
 *   Resource (`FUNCTION:ALIAS` or `FUNCTION:VERSION`), computed from the
 *   Lambda stand-in's invocation records: per period, the most invocations
 *   through that qualifier running at one instant (throttled ones never ran).
 *   Lambda publishes it for functions, aliases and versions ("Monitoring
 *   concurrency", https://docs.aws.amazon.com/lambda/latest/dg/monitoring-concurrency.html).
 * - Custom metrics of metric filters registered with {@link registerMetricFilter}:
 *   each log line of the group that matches the pattern adds `value` to the
 *   period it was written in; periods without a match have no data point, as
 *   CloudWatch's ("Creating metrics from log events using filters",
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringLogData.html).
 *
 * Alarms registered with {@link registerAlarm} are evaluated on demand
 * (`alarmState`), which is how the CodeDeploy stand-in reads the alarms a
 * deployment group watches. With an IAM gate each request is authorized as
 * the role session that signed it (rehearsal/iam/table.ts: GetMetricData on
 * "*"); a refusal is answered HTTP 400 with `__type: AccessDenied`.
 *
 * Filter patterns: JSON patterns of `$.field = "value"` terms joined by
 * `&&`, which is what the component writes; anything else is refused rather
 * than misread.
 */
import type * as http from "node:http";
import { IamDenied, type IamGate } from "../iam/gate";
import type { InvocationRecord, LogEvent } from "../lambda/service";
import { LoopbackApi, readBody } from "../support/net";

const TARGET = "GraniteServiceVersion20100801.GetMetricData";

export interface MetricFilterSpec {
    logGroupName: string;
    filterPattern: string;
    namespace: string;
    metricName: string;
    /** Added per matching line. */
    value: number;
}

export interface AlarmSpec {
    name: string;
    namespace: string;
    metricName: string;
    statistic: "Sum" | "Maximum";
    /** Seconds. */
    period: number;
    evaluationPeriods: number;
    threshold: number;
    comparisonOperator: "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold";
    /** notBreaching: a period without data is OK. */
    treatMissingData: "notBreaching";
}

class CloudWatchApiError extends Error {
    constructor(
        readonly type: string,
        message: string,
    ) {
        super(message);
    }
}

/** `{ $.a = "x" && $.b = "y" }` → [["a", "x"], ["b", "y"]]; anything else throws. */
export function parseJsonPattern(pattern: string): [string, string][] {
    const m = /^\s*\{(.*)\}\s*$/.exec(pattern);
    if (!m) throw new CloudWatchApiError("InvalidParameterException", `the CloudWatch stand-in reads JSON patterns { $.field = "value" && ... } only, not ${pattern}`);
    return (m[1] ?? "").split("&&").map((term) => {
        const t = /^\s*\$\.([A-Za-z0-9_]+)\s*=\s*"([^"]*)"\s*$/.exec(term);
        if (!t) throw new CloudWatchApiError("InvalidParameterException", `unsupported term in filter pattern: ${term.trim()}`);
        return [t[1] as string, t[2] as string];
    });
}

function matches(terms: [string, string][], message: string): boolean {
    if (!message.startsWith("{")) return false;
    let record: unknown;
    try {
        record = JSON.parse(message);
    } catch {
        return false;
    }
    if (typeof record !== "object" || record === null) return false;
    return terms.every(([field, value]) => (record as Record<string, unknown>)[field] === value);
}

export class CloudWatchStandIn extends LoopbackApi {
    private readonly filters: (MetricFilterSpec & { terms: [string, string][] })[] = [];
    private readonly alarms = new Map<string, AlarmSpec>();

    constructor(
        private readonly source: { records: () => readonly InvocationRecord[]; logEvents: () => readonly LogEvent[] },
        private readonly iam?: IamGate,
    ) {
        super();
    }

    registerMetricFilter(spec: MetricFilterSpec): void {
        this.filters.push({ ...spec, terms: parseJsonPattern(spec.filterPattern) });
    }

    registerAlarm(spec: AlarmSpec): void {
        this.alarms.set(spec.name, spec);
    }

    /**
     * The alarm's state now: ALARM when the last `evaluationPeriods` periods, as a window sliding with the
     * clock, breach the threshold (wall-clock minute boundaries would make a test depend on when it runs;
     * CloudWatch's own evaluation is per aligned period and lags by up to a period).
     */
    alarmState(name: string, now = Date.now()): "OK" | "ALARM" | "INSUFFICIENT_DATA" {
        const a = this.alarms.get(name);
        if (!a) return "INSUFFICIENT_DATA";
        const windowS = a.period * a.evaluationPeriods;
        const points = this.series(a.namespace, a.metricName, {}, a.statistic, windowS, now - windowS * 1000, now + 1, now - windowS * 1000);
        const breach = points.values.some((v) => (a.comparisonOperator === "GreaterThanOrEqualToThreshold" ? v >= a.threshold : v > a.threshold));
        return breach ? "ALARM" : "OK";
    }

    /** One metric's data points over [startMs, endMs), newest first, only periods with data. */
    series(
        namespace: string,
        metricName: string,
        dimensions: Record<string, string>,
        stat: string,
        periodS: number,
        startMs: number,
        endMs: number,
        /** Periods start here (default: aligned to the epoch, as CloudWatch's). */
        origin = 0,
    ): { timestamps: number[]; values: number[] } {
        const periodMs = periodS * 1000;
        const byPeriod = new Map<number, number>();
        const add = (at: number, value: number, combine: (a: number, b: number) => number): void => {
            if (at < startMs || at >= endMs) return;
            const p = origin + Math.floor((at - origin) / periodMs) * periodMs;
            const prev = byPeriod.get(p);
            byPeriod.set(p, prev === undefined ? value : combine(prev, value));
        };
        if (namespace === "AWS/Lambda" && metricName === "ConcurrentExecutions") {
            this.concurrency(dimensions, periodMs, startMs, endMs).forEach(([p, v]) => add(p, v, Math.max));
        } else {
            const combine = stat === "Maximum" ? Math.max : stat === "Sum" ? (a: number, b: number) => a + b : undefined;
            if (!combine) throw new CloudWatchApiError("InvalidParameterException", `the CloudWatch stand-in computes Sum and Maximum, not ${stat}`);
            for (const f of this.filters) {
                if (f.namespace !== namespace || f.metricName !== metricName) continue;
                for (const e of this.source.logEvents()) if (e.logGroupName === f.logGroupName && matches(f.terms, e.message)) add(e.timestamp, f.value, combine);
            }
        }
        const periods = [...byPeriod.keys()].sort((a, b) => b - a);
        return { timestamps: periods, values: periods.map((p) => byPeriod.get(p) as number) };
    }

    /** Per period, the most invocations through FunctionName:qualifier running at one instant. */
    private concurrency(dimensions: Record<string, string>, periodMs: number, startMs: number, endMs: number): [number, number][] {
        const fn = dimensions.FunctionName;
        const resource = dimensions.Resource;
        const runs = this.source.records().filter((r) => {
            if (r.throttled || r.functionName !== fn) return false;
            if (resource === undefined) return true;
            const [, qualifier] = resource.split(":");
            return qualifier === r.qualifier || (qualifier === r.version && r.qualifier === r.version);
        });
        const edges: [number, number][] = [];
        for (const r of runs) {
            if (r.endedAt < startMs || r.startedAt >= endMs) continue;
            edges.push([r.startedAt, 1], [Math.max(r.endedAt, r.startedAt + 1), -1]);
        }
        edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        const out = new Map<number, number>();
        let running = 0;
        for (const [at, delta] of edges) {
            running += delta;
            const p = Math.floor(at / periodMs) * periodMs;
            out.set(p, Math.max(out.get(p) ?? 0, running));
        }
        return [...out];
    }

    getMetricData(input: Record<string, unknown>): object {
        const start = toMs(input.StartTime);
        const end = toMs(input.EndTime);
        const queries = Array.isArray(input.MetricDataQueries) ? (input.MetricDataQueries as Record<string, unknown>[]) : [];
        if (queries.length === 0) throw new CloudWatchApiError("InvalidParameterValue", "MetricDataQueries must not be empty");
        const results = queries.map((q) => {
            const stat = q.MetricStat as { Metric?: { Namespace?: string; MetricName?: string; Dimensions?: { Name: string; Value: string }[] }; Period?: number; Stat?: string } | undefined;
            if (!stat?.Metric?.Namespace || !stat.Metric.MetricName || !stat.Period || !stat.Stat) {
                throw new CloudWatchApiError("InvalidParameterValue", "the CloudWatch stand-in answers MetricStat queries only");
            }
            const dims = Object.fromEntries((stat.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
            const s = this.series(stat.Metric.Namespace, stat.Metric.MetricName, dims, stat.Stat, stat.Period, start, end);
            // JSON 1.0 timestamps: epoch seconds.
            return { Id: q.Id, Label: stat.Metric.MetricName, Timestamps: s.timestamps.map((t) => t / 1000), Values: s.values, StatusCode: "Complete" };
        });
        return { MetricDataResults: results, Messages: [] };
    }

    protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        let status = 200;
        let out: object;
        try {
            if (req.headers["x-amz-target"] !== TARGET) throw new CloudWatchApiError("UnknownOperationException", `the CloudWatch stand-in implements ${TARGET} only`);
            const input = JSON.parse((await readBody(req)).toString("utf8") || "{}") as Record<string, unknown>;
            await this.iam?.enforce(req.headers, "cloudwatch", "GetMetricData", input);
            out = this.getMetricData(input);
        } catch (err) {
            status = 400;
            const e =
                err instanceof IamDenied ? new CloudWatchApiError("AccessDenied", err.message) : err instanceof CloudWatchApiError ? err : new CloudWatchApiError("InvalidParameterValue", (err as Error).message);
            out = { __type: e.type, message: e.message };
        }
        const text = JSON.stringify(out);
        res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "content-length": String(Buffer.byteLength(text)) });
        res.end(text);
    }
}

function toMs(value: unknown): number {
    if (typeof value === "number") return value * 1000;
    if (typeof value === "string") return Date.parse(value);
    throw new CloudWatchApiError("InvalidParameterValue", "StartTime and EndTime are required");
}
