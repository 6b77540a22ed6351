/**
 * Traffic-aware warm-up, the component side (issue 15): the arguments
 * `warmup.traffic` and `deployment.coldStartAlarm`, the CloudWatch metric of
 * user-facing cold starts (a log metric filter on mangum-warmup's JSON line)
 * and its optional alarm, and the IAM statements the hooks need to read the
 * alias's traffic. mangumFunction.ts calls these; validate.ts calls the
 * resolvers. The hooks' side is hooks/traffic.ts.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { COLD_START_EVENT, type TrafficSettings } from "../hooks/contract";
import { resourceLessStatement, statement, type Statement } from "./iam";

// ------------------------------------------------------------------ args

export type { ColdStartAlarm, TrafficWarmup } from "./args";

export type ResolvedTraffic = { enabled: false } | { enabled: true; maximum: number; headroom: number; windowMinutes: number };
export type ResolvedColdStartAlarm = { enabled: false } | { enabled: true; threshold: number; evaluationPeriods: number };

export const TRAFFIC_DEFAULTS = { maximum: 50, headroom: 1.5, windowMinutes: 60 } as const;
export const TRAFFIC_LIMITS = { maximum: { min: 1, max: 100 }, headroom: { min: 1, max: 10 }, windowMinutes: { min: 1, max: 10_080 } } as const;

const show = (v: unknown): string => (v === undefined ? "nothing" : (JSON.stringify(v) ?? String(v)));

function fieldsOf(field: string, raw: unknown, known: readonly string[], problems: string[]): Record<string, unknown> | undefined {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        problems.push(`${field} must be an object { ${known.join("?, ")}? }; got ${show(raw)}.`);
        return undefined;
    }
    const o = raw as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!known.includes(k)) problems.push(`${field}.${k} is not an option; known: ${known.join(", ")}.`);
    if (o.enabled !== undefined && typeof o.enabled !== "boolean") problems.push(`${field}.enabled must be true or false; got ${show(o.enabled)}.`);
    if (o.enabled === false) {
        const others = Object.keys(o).filter((k) => k !== "enabled");
        if (others.length > 0) problems.push(`${field}.enabled is false, so ${field}.${others[0]} would be ignored; remove it or leave ${field} enabled.`);
        return undefined;
    }
    return o;
}

function integerIn(field: string, value: unknown, min: number, max: number, problems: string[]): void {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) problems.push(`${field} must be an integer from ${min} to ${max}; got ${show(value)}.`);
}

/** Resolves `warmup.traffic`; problems are pushed in the validator's words. `minimum` is warmup.concurrency. */
export function resolveTrafficWarmup(raw: unknown, minimum: number, problems: string[]): ResolvedTraffic {
    if (raw === undefined) return { enabled: false };
    const o = fieldsOf("warmup.traffic", raw, ["enabled", "maximum", "headroom", "windowMinutes"], problems);
    if (o === undefined) return { enabled: false };
    const maximum = (o.maximum ?? Math.max(TRAFFIC_DEFAULTS.maximum, minimum)) as number;
    const headroom = (o.headroom ?? TRAFFIC_DEFAULTS.headroom) as number;
    const windowMinutes = (o.windowMinutes ?? TRAFFIC_DEFAULTS.windowMinutes) as number;
    integerIn("warmup.traffic.maximum", maximum, Math.max(TRAFFIC_LIMITS.maximum.min, minimum), TRAFFIC_LIMITS.maximum.max, problems);
    if (typeof headroom !== "number" || !Number.isFinite(headroom) || headroom < TRAFFIC_LIMITS.headroom.min || headroom > TRAFFIC_LIMITS.headroom.max) {
        problems.push(`warmup.traffic.headroom must be a number from ${TRAFFIC_LIMITS.headroom.min} to ${TRAFFIC_LIMITS.headroom.max}; got ${show(headroom)}.`);
    }
    integerIn("warmup.traffic.windowMinutes", windowMinutes, TRAFFIC_LIMITS.windowMinutes.min, TRAFFIC_LIMITS.windowMinutes.max, problems);
    return { enabled: true, maximum, headroom, windowMinutes };
}

/** Resolves `deployment.coldStartAlarm`. */
export function resolveColdStartAlarm(raw: unknown, problems: string[]): ResolvedColdStartAlarm {
    if (raw === undefined) return { enabled: false };
    const o = fieldsOf("deployment.coldStartAlarm", raw, ["enabled", "threshold", "evaluationPeriods"], problems);
    if (o === undefined) return { enabled: false };
    const threshold = (o.threshold ?? 1) as number;
    const evaluationPeriods = (o.evaluationPeriods ?? 1) as number;
    integerIn("deployment.coldStartAlarm.threshold", threshold, 1, 100_000, problems);
    integerIn("deployment.coldStartAlarm.evaluationPeriods", evaluationPeriods, 1, 60, problems);
    return { enabled: true, threshold, evaluationPeriods };
}

/** `warmup.traffic` as the hooks receive it in MANGUM_WARMUP_CONFIG; undefined when off. */
export function trafficSettings(traffic: ResolvedTraffic, reservedConcurrency: number | undefined): TrafficSettings | undefined {
    if (!traffic.enabled) return undefined;
    return {
        maximum: traffic.maximum,
        headroom: traffic.headroom,
        windowMinutes: traffic.windowMinutes,
        ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
    };
}

// ---------------------------------------------------------------- metric

export const COLD_START_METRIC_NAME = "UserColdStarts";
/** Custom namespaces may not start with `AWS/`; one per function keeps functions apart without dimensions. */
export const COLD_START_NAMESPACE_PREFIX = "pulumi-mangum/";

/**
 * The JSON filter pattern on mangum-warmup's cold-start line. The helper writes
 * its lines with its own stdout handler, which Lambda stores as the line
 * itself, not wrapped, even with the JSON log format ("Log and monitor Python
 * Lambda functions", https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html:
 * output written to stdout outside the runtime's logging setup is sent as is), so
 * a JSON pattern on `$.event` matches it ("Filter pattern syntax for metric
 * filters", JSON log events,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntaxForMetricFilters.html).
 * Warm-up invocations never write that line (runtime/src/mangum_warmup/handler.py).
 */
export const COLD_START_FILTER_PATTERN = `{ $.event = "${COLD_START_EVENT}" }`;

export interface ColdStartMetricResources {
    filter: aws.cloudwatch.LogMetricFilter;
    alarm?: aws.cloudwatch.MetricAlarm;
    /** What the deployer reads: `deployment.coldStartMetric` of its input. */
    metric: pulumi.Output<{ namespace: string; metricName: string }>;
}

/**
 * The metric of user-facing cold starts of the function (every version and
 * so the alias: users reach the function only through the alias) and, when
 * asked, an alarm on it for CodeDeploy to watch. A metric filter publishes
 * only when a line matches; `treatMissingData: notBreaching` keeps a quiet
 * minute OK ("Configuring how CloudWatch alarms treat missing data",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data).
 */
export function coldStartMetric(
    name: string,
    opts: pulumi.CustomResourceOptions,
    fn: { name: pulumi.Input<string>; logGroupName: pulumi.Input<string>; alias: string },
    alarm: ResolvedColdStartAlarm,
    tags: pulumi.Input<Record<string, pulumi.Input<string>>> | undefined,
): ColdStartMetricResources {
    const namespace = pulumi.interpolate`${COLD_START_NAMESPACE_PREFIX}${fn.name}`;
    const filter = new aws.cloudwatch.LogMetricFilter(
        `${name}-cold-starts`,
        {
            logGroupName: fn.logGroupName,
            pattern: COLD_START_FILTER_PATTERN,
            metricTransformation: { name: COLD_START_METRIC_NAME, namespace, value: "1", unit: "Count" },
        },
        opts,
    );
    const out: ColdStartMetricResources = { filter, metric: pulumi.output({ namespace, metricName: COLD_START_METRIC_NAME }) };
    if (alarm.enabled) {
        out.alarm = new aws.cloudwatch.MetricAlarm(
            `${name}-cold-starts`,
            {
                alarmDescription: pulumi.interpolate`User requests that met a cold start on ${fn.name}:${fn.alias}; stops a CodeDeploy deployment and rolls the alias back.`,
                namespace,
                metricName: COLD_START_METRIC_NAME,
                statistic: "Sum",
                period: 60,
                evaluationPeriods: alarm.evaluationPeriods,
                threshold: alarm.threshold,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                treatMissingData: "notBreaching",
                ...(tags !== undefined ? { tags } : {}),
            },
            { ...opts, dependsOn: [filter] },
        );
    }
    return out;
}

// ------------------------------------------------------------------- IAM

/**
 * GetMetricData names no resource: the Service Authorization Reference
 * (Amazon CloudWatch) lists no required resource type for it (its optional
 * `dataset` type is for OTLP datasets queried with PromQL, not classic metrics),
 * so it is granted on `*` (components/iam.ts RESOURCE_LESS_ACTIONS).
 */
export function readTrafficStatement(): Statement {
    return resourceLessStatement("ReadAliasTraffic", ["cloudwatch:GetMetricData"]);
}

/**
 * The keep-warm's extra grants when traffic-aware: GetAlias on the unqualified
 * function ARN ("Resources and conditions for Lambda actions": GetAlias takes
 * the function), and Invoke on the function's versions (`FUNCTION:*`), since
 * it warms each version by number: through the alias its invocations would
 * count in the alias's own ConcurrentExecutions (hooks/traffic.ts splitByVersion).
 */
export function keepWarmTrafficStatements(functionArn: pulumi.Input<string>, qualifiedArns: pulumi.Input<string>): Statement[] {
    return [
        readTrafficStatement(),
        statement("ReadAliasRouting", ["lambda:GetAlias"], [functionArn]),
        statement("WarmVersionsThroughShift", ["lambda:InvokeFunction"], [qualifiedArns]),
    ];
}
