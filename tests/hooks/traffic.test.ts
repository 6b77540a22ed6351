/**
 * Traffic-aware warm-up: the sizing rule, the CloudWatch read, the pre-traffic
 * hook warming what the alias's peak needs, and the keep-warm splitting its
 * environments between the versions of a shifting alias.
 */
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CodeDeployClient, GetDeploymentCommand, PutLifecycleEventHookExecutionStatusCommand } from "@aws-sdk/client-codedeploy";
import { GetAliasCommand, GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { TrafficSettings, WarmupSettings } from "../../hooks/contract";
import { WarmupSettingsError } from "../../hooks/errors";
import { createHandler as createKeepWarm } from "../../hooks/keep-warm";
import { createHandler as createPreTraffic } from "../../hooks/pre-traffic";
import { peakQuery, readObservedPeak, sizeFromPeak, splitByVersion, withConcurrency } from "../../hooks/traffic";
import { parseWarmupSettings } from "../../hooks/warm";
import { instanceIds, replyFixture, warmupSettings } from "../helpers/fixtures";
import { invokeOk } from "../helpers/lambda-replies";
import { captureLogs } from "../helpers/logs";

const cloudwatchMock = mockClient(CloudWatchClient);
const lambdaMock = mockClient(LambdaClient);
const codedeployMock = mockClient(CodeDeployClient);

const traffic: TrafficSettings = { maximum: 40, headroom: 1.5, windowMinutes: 60 };
const NOW = Date.parse("2026-11-29T15:00:00Z");

beforeEach(() => {
    cloudwatchMock.reset();
    lambdaMock.reset();
    codedeployMock.reset();
});

/** Every invocation answers from its own environment, with the version it was sent to. */
function distinctEnvironments(): void {
    let next = 0;
    const ids = instanceIds(200);
    lambdaMock.on(InvokeCommand).callsFake(async (input: { Qualifier?: string }) =>
        invokeOk(replyFixture("reply.cold-ok.json", { instanceId: ids[next++]!, functionVersion: /^\d+$/.test(input.Qualifier ?? "") ? input.Qualifier! : "7" })),
    );
}

function peakData(...values: number[]): void {
    cloudwatchMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "peak", Values: values, StatusCode: "Complete" }] });
}

describe("sizing rule", () => {
    test("no data point (a new function) falls back to the minimum and says so", () => {
        const s = sizeFromPeak(5, traffic, { ok: true, peak: null });
        expect(s).toMatchObject({ concurrency: 5, basis: "minimum", observedPeak: null });
        expect(s.reason).toBe("the alias's ConcurrentExecutions has no data point in the last 60 min (a new function, or no traffic); warmed the minimum 5");
    });

    test("an unreadable metric falls back to the minimum with the error", () => {
        const s = sizeFromPeak(5, traffic, { ok: false, error: "AccessDenied: not authorized to perform cloudwatch:GetMetricData", query: peakQuery("shop-api", "live") });
        expect(s).toMatchObject({ concurrency: 5, basis: "minimum", observedPeak: null });
        expect(s.reason).toMatch(/could not be read \(AccessDenied: not authorized to perform cloudwatch:GetMetricData\); warmed the minimum 5/);
    });

    test("the observed peak × headroom, rounded up, when above the minimum", () => {
        expect(sizeFromPeak(5, traffic, { ok: true, peak: 12 })).toMatchObject({ concurrency: 18, basis: "observed-peak", observedPeak: 12 });
        expect(sizeFromPeak(5, traffic, { ok: true, peak: 13 })).toMatchObject({ concurrency: 20, basis: "observed-peak" });
        expect(sizeFromPeak(5, { ...traffic, headroom: 1 }, { ok: true, peak: 20 }).concurrency).toBe(20);
    });

    test("a quiet alias keeps the minimum", () => {
        const s = sizeFromPeak(5, traffic, { ok: true, peak: 2 });
        expect(s).toMatchObject({ concurrency: 5, basis: "minimum", observedPeak: 2 });
        expect(s.reason).toBe("peak of 2 concurrent executions in the last 60 min × headroom 1.5 = 3, not above the minimum 5");
    });

    test("capped by the maximum, then by reserved concurrency", () => {
        expect(sizeFromPeak(5, traffic, { ok: true, peak: 100 })).toMatchObject({ concurrency: 40, basis: "maximum" });
        const s = sizeFromPeak(5, { ...traffic, reservedConcurrency: 25 }, { ok: true, peak: 100 });
        expect(s).toMatchObject({ concurrency: 25, basis: "reserved-concurrency", reservedConcurrency: 25 });
        expect(s.reason).toMatch(/capped by warmup.traffic.maximum 40; capped by the function's reserved concurrency 25/);
    });

    test("the allowed shortfall of distinct environments stays what the user configured", () => {
        expect(withConcurrency(warmupSettings({ concurrency: 5, minDistinct: 5 }), 18)).toMatchObject({ concurrency: 18, minDistinct: 18 });
        expect(withConcurrency(warmupSettings({ concurrency: 5, minDistinct: 4 }), 18)).toMatchObject({ concurrency: 18, minDistinct: 17 });
    });

    test("settings: traffic is validated field by field", () => {
        const base = warmupSettings();
        expect(parseWarmupSettings({ ...base, traffic }).traffic).toEqual(traffic);
        expect(() => parseWarmupSettings({ ...base, traffic: { ...traffic, maximum: 3 } })).toThrow(new WarmupSettingsError("warmup.traffic.maximum", "an integer from 5 to 100", "3"));
        expect(() => parseWarmupSettings({ ...base, traffic: { ...traffic, headroom: 0.5 } })).toThrow(/warmup.traffic.headroom/);
        expect(() => parseWarmupSettings({ ...base, traffic: { ...traffic, windowMinutes: 0 } })).toThrow(/warmup.traffic.windowMinutes/);
        expect(() => parseWarmupSettings({ ...base, traffic: { ...traffic, reservedConcurrency: -1 } })).toThrow(/warmup.traffic.reservedConcurrency/);
    });
});

describe("reading the peak from CloudWatch", () => {
    test("GetMetricData: ConcurrentExecutions of the alias (FunctionName + Resource), 1-minute Maximum over the window", async () => {
        peakData(3, 12, 7);
        const reading = await readObservedPeak(new CloudWatchClient({ region: "us-east-1" }), "arn:aws:lambda:us-east-1:123456789012:function:shop-api", "live", 60, {
            now: () => NOW,
            timeoutMs: 1_000,
        });
        expect(reading).toMatchObject({ ok: true, peak: 12 });
        const [call] = cloudwatchMock.commandCalls(GetMetricDataCommand);
        expect(call!.args[0].input).toEqual({
            MetricDataQueries: [
                {
                    Id: "peak",
                    MetricStat: {
                        Metric: {
                            Namespace: "AWS/Lambda",
                            MetricName: "ConcurrentExecutions",
                            Dimensions: [
                                { Name: "FunctionName", Value: "shop-api" },
                                { Name: "Resource", Value: "shop-api:live" },
                            ],
                        },
                        Period: 60,
                        Stat: "Maximum",
                    },
                    ReturnData: true,
                },
            ],
            StartTime: new Date(NOW - 60 * 60_000),
            EndTime: new Date(NOW),
            ScanBy: "TimestampDescending",
        });
    });

    test("hostile or broken data points: negative and non-finite values are ignored, a huge peak is capped by the maximum", async () => {
        peakData(-5, Number.NaN, Number.POSITIVE_INFINITY, 1e9);
        const reading = await readObservedPeak(new CloudWatchClient({ region: "us-east-1" }), "shop-api", "live", 60, { now: () => NOW, timeoutMs: 1_000 });
        expect(reading).toMatchObject({ ok: true, peak: 1e9 });
        expect(sizeFromPeak(5, traffic, reading)).toMatchObject({ concurrency: 40, basis: "maximum" });
    });

    test("no values is no data, not zero", async () => {
        peakData();
        expect(await readObservedPeak(new CloudWatchClient({ region: "us-east-1" }), "shop-api", "live", 60, { now: () => NOW, timeoutMs: 1_000 })).toMatchObject({ ok: true, peak: null });
    });

    test("an error is a reading, never a throw", async () => {
        cloudwatchMock.on(GetMetricDataCommand).rejects(Object.assign(new Error("User is not authorized to perform: cloudwatch:GetMetricData"), { name: "AccessDenied" }));
        const reading = await readObservedPeak(new CloudWatchClient({ region: "us-east-1" }), "shop-api", "live", 60, { now: () => NOW, timeoutMs: 1_000 });
        expect(reading).toMatchObject({ ok: false, error: expect.stringMatching(/AccessDenied.*cloudwatch:GetMetricData/) });
    });
});

describe("pre-traffic hook with warmup.traffic", () => {
    const event = { DeploymentId: "d-EXAMPLE123", LifecycleEventHookExecutionId: "eyJlbmNyeXB0ZWREYXRhIjoiTk9QRSJ9" };
    const appSpec = JSON.stringify({
        version: 0.0,
        Resources: [{ app: { Type: "AWS::Lambda::Function", Properties: { Name: "shop-api", Alias: "live", CurrentVersion: "7", TargetVersion: "8" } } }],
    });

    function setup(settings: WarmupSettings) {
        codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
        codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { deploymentId: event.DeploymentId, revision: { revisionType: "AppSpecContent", appSpecContent: { content: appSpec } } } });
        lambdaMock.on(GetFunctionConfigurationCommand).resolves({ State: "Active", LastUpdateStatus: "Successful" });
        distinctEnvironments();
        const logs = captureLogs();
        const handler = createPreTraffic({
            lambda: new LambdaClient({ region: "us-east-1" }),
            codedeploy: new CodeDeployClient({ region: "us-east-1" }),
            cloudwatch: new CloudWatchClient({ region: "us-east-1" }),
            log: logs.log,
            random: () => 0,
            sleep: async () => undefined,
            env: { MANGUM_WARMUP_CONFIG: JSON.stringify(settings) },
        });
        return { handler, logs };
    }

    test("warms the observed peak × headroom on the target version, and the report says why", async () => {
        peakData(4, 12, 9);
        const { handler } = setup(warmupSettings({ traffic }));
        const result = await handler(event, { getRemainingTimeInMillis: () => 60_000 });
        const invokes = lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input.Qualifier);
        expect(invokes).toEqual(Array(18).fill("8"));
        expect(result).toMatchObject({ status: "Succeeded", report: { requested: 18, distinctEnvironments: 18, sizing: { concurrency: 18, basis: "observed-peak", observedPeak: 12 } } });
        expect(result.report!.notes).toContain("warmed 18 environments (observed-peak): peak of 12 concurrent executions in the last 60 min × headroom 1.5 = 18");
        expect(codedeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand)[0]!.args[0].input.status).toBe("Succeeded");
    });

    test("CloudWatch unreachable: the minimum, and the deploy goes on", async () => {
        cloudwatchMock.on(GetMetricDataCommand).rejects(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
        const { handler } = setup(warmupSettings({ traffic }));
        const result = await handler(event, { getRemainingTimeInMillis: () => 60_000 });
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(5);
        expect(result).toMatchObject({ status: "Succeeded", report: { sizing: { concurrency: 5, basis: "minimum", observedPeak: null } } });
        expect(result.report!.sizing!.reason).toMatch(/could not be read .*ECONNREFUSED.*warmed the minimum 5/);
    });

    test("without warmup.traffic CloudWatch is never asked", async () => {
        const { handler } = setup(warmupSettings());
        const result = await handler(event, { getRemainingTimeInMillis: () => 60_000 });
        expect(cloudwatchMock.commandCalls(GetMetricDataCommand)).toHaveLength(0);
        expect(result.report!.sizing).toBeUndefined();
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(5);
    });
});

describe("keep-warm through the shift", () => {
    function setup(settings: WarmupSettings) {
        distinctEnvironments();
        const logs = captureLogs();
        const handler = createKeepWarm({
            lambda: new LambdaClient({ region: "us-east-1" }),
            cloudwatch: new CloudWatchClient({ region: "us-east-1" }),
            log: logs.log,
            random: () => 0,
            env: { MANGUM_WARMUP_CONFIG: JSON.stringify(settings) },
        });
        return { handler, logs };
    }
    const context = { getRemainingTimeInMillis: () => 30_000 };
    const qualifiers = () => lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input.Qualifier);
    const count = (q: string) => qualifiers().filter((x) => x === q).length;

    test("without yielding (yieldToUsersMs 0), split alias: the target version is warmed for the whole traffic minus what its users may need during the hold, the leaving one not at all; GetAlias on the unqualified function", async () => {
        peakData(10);
        lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: "7", RoutingConfig: { AdditionalVersionWeights: { "8": 0.1 } } });
        const { handler, logs } = setup(warmupSettings({ traffic, concurrency: 2, minDistinct: 2 }));
        const result = await handler({ concurrency: 2 }, context);
        expect(lambdaMock.commandCalls(GetAliasCommand).map((c) => c.args[0].input)).toEqual([{ FunctionName: "shop-api", Name: "live" }]);
        // peak 10 × 1.5 = 15. Version 8 (coming share 1) should have 15 warm; users may need ceil(15 × 0.1) = 2 of
        // them during the hold, so 13 warm-ups. Version 7, which the alias is leaving, keeps only what its own users use.
        expect([count("8"), count("7"), count("live")]).toEqual([13, 0, 0]);
        expect(result.versions).toEqual([{ qualifier: "8", comingShare: 1, currentShare: 0.1, target: 15, leftToUsers: 2, concurrency: 13 }]);
        expect(result).toMatchObject({ pass: true, sizing: { concurrency: 15, basis: "observed-peak" } });
        expect(result.reports.map((r) => [r.target.qualifier, r.requested, r.versions])).toEqual([["8", 13, ["8"]]]);
        expect(logs.events("keep-warm.result")).toEqual([expect.objectContaining({ pass: true })]);
    });

    test("without yielding, alias not split: the version it serves, by number (not counted as the alias's traffic), only the environments users are not holding", async () => {
        peakData(3, 6);
        lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: "7" });
        // A keep-warm minimum above what the peak needs: 12 should be warm; users may need 6 × 1.5 = 9 of them.
        const { handler } = setup(warmupSettings({ traffic, concurrency: 12, minDistinct: 12 }));
        await handler({ concurrency: 12 }, context);
        expect([count("7"), qualifiers().length]).toEqual([3, 3]);
    });

    test("without yielding, a version serving its steady peak gets no warm-up: its users keep every environment it needs warm", async () => {
        peakData(8);
        lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: "7" });
        const { handler } = setup(warmupSettings({ traffic, concurrency: 2, minDistinct: 2 }));
        const result = await handler({ concurrency: 2 }, context);
        expect(qualifiers()).toEqual([]);
        expect(result).toMatchObject({ pass: true, report: null, reports: [] });
        expect(result.notes).toContain("the users' own traffic keeps every environment the peak needs busy: no warm-up sent");
    });

    test("with yielding (the default), split alias: the target version gets its target minus only what its users keep busy (no headroom); their environments answer at once", async () => {
        peakData(10);
        lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: "7", RoutingConfig: { AdditionalVersionWeights: { "8": 0.1 } } });
        const { handler } = setup(warmupSettings({ traffic, concurrency: 2, minDistinct: 2, yieldToUsersMs: 60_000 }));
        const result = await handler({ concurrency: 2 }, context);
        // peak 10 × 1.5 = 15 for the final step; its users (10 % of the peak) keep ceil(10 × 0.1) = 1 busy themselves.
        expect([count("8"), count("7"), count("live")]).toEqual([14, 0, 0]);
        expect(result.versions).toEqual([{ qualifier: "8", comingShare: 1, currentShare: 0.1, target: 15, leftToUsers: 1, concurrency: 14 }]);
        const events = lambdaMock.commandCalls(InvokeCommand).map((c) => JSON.parse(Buffer.from(c.args[0].input.Payload as Uint8Array).toString("utf8")));
        expect(new Set(events.map((e) => e["mangum-warmup"].yieldToUsersMs))).toEqual(new Set([60_000]));
    });

    test("with yielding, a version serving its steady peak gets the headroom's spares held, which no user keeps warm", async () => {
        peakData(8);
        lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: "7" });
        const { handler } = setup(warmupSettings({ traffic, concurrency: 2, minDistinct: 2, yieldToUsersMs: 60_000 }));
        const result = await handler({ concurrency: 2 }, context);
        // 8 × 1.5 = 12 should be warm; users keep their 8 busy themselves: the 4 spares.
        expect([count("7"), qualifiers().length]).toEqual([4, 4]);
        expect(result).toMatchObject({ pass: true, sizing: { concurrency: 12, basis: "observed-peak" }, versions: [{ qualifier: "7", target: 12, leftToUsers: 8, concurrency: 4 }] });
    });

    test("a quiet night warms the rule's minimum", async () => {
        peakData();
        lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: "7" });
        const { handler } = setup(warmupSettings({ traffic, concurrency: 2, minDistinct: 2 }));
        const result = await handler({ concurrency: 2 }, context);
        expect(qualifiers()).toEqual(["7", "7"]);
        expect(result.sizing).toMatchObject({ basis: "minimum", concurrency: 2 });
    });

    test("routing unreadable: the alias as a whole with the rule's concurrency (not the sized one), with a note", async () => {
        peakData(20);
        lambdaMock.on(GetAliasCommand).rejects(Object.assign(new Error("not authorized to perform: lambda:GetAlias"), { name: "AccessDeniedException" }));
        const { handler } = setup(warmupSettings({ traffic, concurrency: 3, minDistinct: 3 }));
        const result = await handler({ concurrency: 3 }, context);
        expect(qualifiers()).toEqual(["live", "live", "live"]);
        expect(result.notes).toEqual([expect.stringMatching(/could not read the alias's routing \(AccessDeniedException: not authorized to perform: lambda:GetAlias\); warmed the alias as a whole, with the rule's concurrency 3/)]);
    });

    test("without warmup.traffic: no CloudWatch, no GetAlias, the alias as before", async () => {
        const { handler } = setup(warmupSettings({ concurrency: 3, minDistinct: 3 }));
        await handler({ concurrency: 3 }, context);
        expect(cloudwatchMock.commandCalls(GetMetricDataCommand)).toHaveLength(0);
        expect(lambdaMock.commandCalls(GetAliasCommand)).toHaveLength(0);
        expect(qualifiers()).toEqual(["live", "live", "live"]);
    });

    test("splitByVersion ignores weights that name the primary or are not versions", () => {
        expect(splitByVersion(10, "live", { ok: true, primary: "7", additional: [] })).toEqual([{ qualifier: "7", comingShare: 1, currentShare: 1, target: 10, leftToUsers: 0, concurrency: 10 }]);
        expect(splitByVersion(10, "live", { ok: false, error: "x" })).toEqual([{ qualifier: "live", comingShare: 1, currentShare: 1, target: 10, leftToUsers: 0, concurrency: 10 }]);
        expect(splitByVersion(10, "live", { ok: true, primary: "7", additional: [{ version: "8", weight: 0.999 }] })).toEqual([
            { qualifier: "8", comingShare: 1, currentShare: 0.999, target: 10, leftToUsers: 0, concurrency: 10 },
        ]);
    });
});
