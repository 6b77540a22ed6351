/**
 * The `deployment` output counts the user-facing cold starts of the
 * deployment, from the metric the component's log metric filter publishes.
 */
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, ListDeploymentsCommand } from "@aws-sdk/client-codedeploy";
import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { createHandler, type DeployerResult } from "../../hooks/deployer";
import { createLogger } from "../../hooks/log";

const lambdaMock = mockClient(LambdaClient);
const codedeployMock = mockClient(CodeDeployClient);
const logsMock = mockClient(CloudWatchLogsClient);
const cloudwatchMock = mockClient(CloudWatchClient);

const T0 = Date.parse("2026-11-29T15:00:30Z");
const metric = { namespace: "pulumi-mangum/orders-api", metricName: "UserColdStarts" };

function setup(withClient = true) {
    let t = T0;
    const handler = createHandler({
        lambda: new LambdaClient({}),
        codedeploy: new CodeDeployClient({}),
        logs: new CloudWatchLogsClient({}),
        ...(withClient ? { cloudwatch: new CloudWatchClient({}) } : {}),
        now: () => t,
        sleep: async (ms) => {
            t += ms;
        },
        log: createLogger({ hook: "deployer" }, () => undefined),
    });
    return (e: unknown) => handler(e, { getRemainingTimeInMillis: () => 900_000 }) as Promise<DeployerResult>;
}

function event(deployment: Record<string, unknown>) {
    const warmup = { functionName: "orders-api", alias: "live", concurrency: 3, holdMs: [250, 400], mode: "helper", minDistinct: 3, failOnCheckError: true };
    return { functionName: "orders-api", alias: "live", targetVersion: "8", deployment, warmup, tf: { action: "create", prev_input: null } };
}

const codeDeploy = { applicationName: "orders-api-app", deploymentGroupName: "orders-api-live", beforeAllowTrafficHook: "orders-api-pretraffic" };

beforeEach(() => {
    for (const m of [lambdaMock, codedeployMock, logsMock, cloudwatchMock]) m.reset();
    lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: "7" });
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ State: "Active", LastUpdateStatus: "Successful" });
    codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeployMock.on(CreateDeploymentCommand).resolves({ deploymentId: "d-COLD00001" });
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { deploymentId: "d-COLD00001", status: "Succeeded", createTime: new Date(T0) } });
    logsMock.on(FilterLogEventsCommand).resolves({ events: [] });
});

it("sums the cold-start metric from the minute the deployment started", async () => {
    cloudwatchMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "cold", Values: [2, 1] }] });
    const result = await setup()(event({ ...codeDeploy, coldStartMetric: metric }));
    expect(result.userColdStarts).toMatchObject({ count: 3, metric: "pulumi-mangum/orders-api/UserColdStarts", from: "2026-11-29T15:00:00.000Z" });
    const input = cloudwatchMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.MetricDataQueries).toEqual([
        { Id: "cold", MetricStat: { Metric: { Namespace: "pulumi-mangum/orders-api", MetricName: "UserColdStarts" }, Period: 60, Stat: "Sum" }, ReturnData: true },
    ]);
    expect(input.StartTime).toEqual(new Date("2026-11-29T15:00:00Z"));
});

it("no data point is zero cold starts (the filter publishes only on a match)", async () => {
    cloudwatchMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "cold", Values: [] }] });
    expect((await setup()(event({ ...codeDeploy, coldStartMetric: metric }))).userColdStarts?.count).toBe(0);
});

it("an unreadable metric is null with the reason, and the deploy still succeeds", async () => {
    cloudwatchMock.on(GetMetricDataCommand).rejects(Object.assign(new Error("not authorized to perform: cloudwatch:GetMetricData"), { name: "AccessDenied" }));
    const result = await setup()(event({ ...codeDeploy, coldStartMetric: metric }));
    expect(result).toMatchObject({ status: "Succeeded", userColdStarts: { count: null, note: expect.stringMatching(/could not be read: AccessDenied/) } });
});

it("without the metric in the input: no count, CloudWatch never asked", async () => {
    const result = await setup()(event(codeDeploy));
    expect(result.userColdStarts).toBeUndefined();
    expect(cloudwatchMock.commandCalls(GetMetricDataCommand)).toHaveLength(0);
});

it("a malformed coldStartMetric fails the input with the field named", async () => {
    await expect(setup()(event({ ...codeDeploy, coldStartMetric: { namespace: "x" } }))).rejects.toThrow(/deployment.coldStartMetric.metricName/);
});
