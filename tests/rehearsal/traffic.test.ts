/**
 * Traffic-aware warm-up and the cold-start metric, rehearsed end to end: the
 * real app and hooks on the emulator, IAM enforced with the component's own
 * policies, the CloudWatch stand-in computing the alias's ConcurrentExecutions
 * from the Lambda stand-in's invocations and the cold-start metric from the
 * app's log lines through the component's metric filter.
 *
 * The tests run in order and share one stage; nothing here is timed.
 */
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { deployVersion } from "../../rehearsal/scenarios/scenario";
import { ALIAS, APP, PRE_TRAFFIC, Stage } from "../../rehearsal/scenarios/stage";
import { REGION } from "../../rehearsal/lambda/service";

jest.setTimeout(180_000);

let stage: Stage;
const ALARM = `${APP}-cold-starts`;

beforeAll(async () => {
    stage = await Stage.start({
        minuteMs: 100,
        appConcurrency: 30,
        warmup: { traffic: { maximum: 20, headroom: 1.5, windowMinutes: 60 } },
        componentArgs: { deployment: { coldStartAlarm: { threshold: 3 } } },
    });
});

afterAll(async () => {
    await stage?.stop();
});

function coldLines(): Record<string, unknown>[] {
    return stage.logRecords(APP).map((l) => l.record).filter((r) => r.event === "mangum-warmup.cold-start");
}

async function metricSum(namespace: string, metricName: string, dimensions: Record<string, string> = {}, stat = "Sum"): Promise<number> {
    const cw = new CloudWatchClient({ endpoint: stage.cloudwatch.endpoint, region: REGION, credentials: stage.operatorCredentials, maxAttempts: 1 });
    try {
        const now = Date.now();
        const out = await cw.send(
            new GetMetricDataCommand({
                MetricDataQueries: [
                    {
                        Id: "m",
                        MetricStat: { Metric: { Namespace: namespace, MetricName: metricName, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) }, Period: 60, Stat: stat },
                    },
                ],
                StartTime: new Date(now - 3_600_000),
                EndTime: new Date(now + 60_000),
            }),
        );
        const values = out.MetricDataResults?.[0]?.Values ?? [];
        return stat === "Maximum" ? Math.max(0, ...values) : values.reduce((a, b) => a + b, 0);
    } finally {
        cw.destroy();
    }
}

describe("traffic-aware warm-up and the cold-start metric, rehearsed", () => {
    test("the component's metric filter and alarm reach the stand-ins; warm-ups write no cold-start line", async () => {
        expect(stage.model.metricFilters).toEqual([
            { logGroupName: `/aws/lambda/${APP}`, filterPattern: '{ $.event = "mangum-warmup.cold-start" }', namespace: `pulumi-mangum/${APP}`, metricName: "UserColdStarts", value: 1 },
        ]);
        expect(stage.model.deploymentGroup?.alarms).toEqual([ALARM]);
        const v1 = await deployVersion(stage, "first", { APP_RELEASE: "t1" });
        expect(v1.outcome.ok).toBe(true);
        expect(v1.warmup).toMatchObject({ requested: 5, distinctEnvironments: 5 });
        expect(coldLines()).toEqual([]);
        expect(stage.cloudwatch.alarmState(ALARM)).toBe("OK");
    });

    test("users who meet new environments are counted by the metric, through the SDK, and the alarm fires", async () => {
        // 8 overlapping requests: 5 find the warmed environments, 3 start new ones.
        const replies = await Promise.all(Array.from({ length: 8 }, () => stage.request("/work?ms=400")));
        const cold = replies.filter((r) => r.cold).length;
        expect(cold).toBe(3);
        expect(coldLines()).toHaveLength(3);
        expect(await metricSum(`pulumi-mangum/${APP}`, "UserColdStarts")).toBe(3);
        // The alias's peak, read as the hooks read it.
        expect(await metricSum("AWS/Lambda", "ConcurrentExecutions", { FunctionName: APP, Resource: `${APP}:${ALIAS}` }, "Maximum")).toBe(8);
        expect(stage.cloudwatch.alarmState(ALARM)).toBe("ALARM");
    });

    test("a deploy while the cold-start alarm fires is stopped and rolled back; its warm-up was sized from the peak", async () => {
        const v2 = await deployVersion(stage, "new-version", { APP_RELEASE: "t2" });
        expect(v2.outcome.ok).toBe(false);
        expect(v2.outcome.ok ? "" : v2.outcome.errorMessage).toMatch(/ALARM_ACTIVE|alarms have been activated/);
        expect(stage.lambda.aliasState(APP, ALIAS)).toEqual({ functionVersion: "1", weights: {} });
        const [line] = stage.hookResults(v2.deploymentId ?? "");
        // peak 8 × 1.5 = 12 environments of the new version, and the report says why.
        expect(line?.report).toMatchObject({ requested: 12, distinctEnvironments: 12, sizing: { concurrency: 12, basis: "observed-peak", observedPeak: 8 } });
        expect(stage.gate.calls.filter((c) => c.caller === `${PRE_TRAFFIC}-role` && c.service === "cloudwatch" && c.operation === "GetMetricData" && c.allowed)).toHaveLength(1);
    });

    test("once quiet, a deploy succeeds and the `deployment` output counts its user-facing cold starts", async () => {
        // An operator raises the threshold (the alarm's own period would take a minute to clear).
        stage.cloudwatch.registerAlarm({ name: ALARM, namespace: `pulumi-mangum/${APP}`, metricName: "UserColdStarts", statistic: "Sum", period: 60, evaluationPeriods: 1, threshold: 1000, comparisonOperator: "GreaterThanOrEqualToThreshold", treatMissingData: "notBreaching" });
        const v3 = await deployVersion(stage, "new-version", { APP_RELEASE: "t3" });
        expect(v3.outcome.ok).toBe(true);
        const result = v3.outcome.ok ? v3.outcome.result : {};
        expect(result).toMatchObject({ status: "Succeeded", warmup: { requested: 12, sizing: { basis: "observed-peak" } } });
        // The deployment started in the minute of the 3 cold starts above, or the next one: the count is read back.
        expect(result.userColdStarts).toMatchObject({ metric: `pulumi-mangum/${APP}/UserColdStarts`, count: expect.any(Number) });
        expect([0, 3]).toContain((result.userColdStarts as { count: number }).count);
    });

    test("keep-warm: sized from the peak; the serving version's spares above its users' peak are held, by number; the environment a user just used answers without holding", async () => {
        const user = await stage.request("/");
        const usersEnvironment = stage.lambda.records.find((r) => r.requestId === user.requestId)?.environmentId;
        const from = stage.lambda.records.length;
        const fromLog = stage.lambda.logEvents.length;
        const line = await stage.keepWarmTick(0);
        expect(line).toMatchObject({ pass: true, sizing: { concurrency: 12, basis: "observed-peak" } });
        // Not split: 12 of the serving version should be warm; its users keep their peak of 8 busy themselves, so the
        // 4 spares are sent, and the environments users are between requests on answer at once (yieldToUsersMs).
        const serving = stage.lambda.aliasState(APP, ALIAS).functionVersion;
        expect(line?.versions).toEqual([{ qualifier: serving, comingShare: 1, currentShare: 1, target: 12, leftToUsers: 8, concurrency: 4 }]);
        const ticks = stage.lambda.records.slice(from).filter((r) => r.functionName === APP);
        expect(ticks).toHaveLength(4);
        expect(new Set(ticks.map((r) => r.qualifier))).toEqual(new Set([serving]));
        const warmups = stage.logRecords(APP, fromLog).map((l) => l.record).filter((r) => r.event === "mangum-warmup" && r.source === "keep-warm");
        const envOf = new Map(ticks.map((r) => [r.requestId, r.environmentId]));
        const onUsers = warmups.filter((w) => envOf.get(w.requestId as string) === usersEnvironment);
        expect(onUsers.length).toBeGreaterThan(0);
        expect(onUsers.every((w) => w.yielded === true)).toBe(true);
    });
});
