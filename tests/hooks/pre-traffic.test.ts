import {
    CodeDeployClient,
    GetDeploymentCommand,
    PutLifecycleEventHookExecutionStatusCommand,
    type GetDeploymentCommandOutput,
} from "@aws-sdk/client-codedeploy";
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient, type InvokeCommandOutput } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { WarmupSettings } from "../../hooks/contract";
import { HookInputError } from "../../hooks/errors";
import { StatusReportError, createHandler, type PreTrafficDeps } from "../../hooks/pre-traffic";
import { fixture, instanceIds, replyFixture, warmupSettings } from "../helpers/fixtures";
import { invokeFunctionError, invokeOk, invokeRaw, sentEvent } from "../helpers/lambda-replies";
import { captureLogs } from "../helpers/logs";

const lambdaMock = mockClient(LambdaClient);
const codedeployMock = mockClient(CodeDeployClient);

const settings: WarmupSettings = warmupSettings();
const event = { DeploymentId: "d-EXAMPLE123", LifecycleEventHookExecutionId: "eyJlbmNyeXB0ZWREYXRhIjoiTk9QRSJ9" };
const ids = instanceIds(5);

/** A Lambda context with plenty of time unless told otherwise. */
function context(remainingMs = 60_000) {
    return { getRemainingTimeInMillis: () => remainingMs };
}

function appSpec(targetVersion: unknown, name = "shop-api"): string {
    return JSON.stringify({
        version: 0.0,
        Resources: [{ app: { Type: "AWS::Lambda::Function", Properties: { Name: name, Alias: "live", CurrentVersion: "7", TargetVersion: targetVersion } } }],
        Hooks: [{ BeforeAllowTraffic: "shop-api-pre-traffic" }],
    });
}

function deployment(content: string, revisionType: "AppSpecContent" | "String" = "AppSpecContent"): GetDeploymentCommandOutput {
    const revision = revisionType === "AppSpecContent" ? { revisionType, appSpecContent: { content } } : { revisionType, string: { content } };
    return { $metadata: {}, deploymentInfo: { deploymentId: event.DeploymentId, revision } };
}

/** Answers the invocations in the order they are sent; the last answer repeats. */
function answerInOrder(...outputs: InvokeCommandOutput[]): void {
    let next = 0;
    lambdaMock.on(InvokeCommand).callsFake(async () => outputs[Math.min(next++, outputs.length - 1)]);
}

function healthyVersion(version: string): InvokeCommandOutput[] {
    return ids.map((id) => invokeOk(replyFixture("reply.cold-ok.json", { instanceId: id, functionVersion: version })));
}

function setup(env: Record<string, string> = {}, overrides: Partial<PreTrafficDeps> = {}) {
    const logs = captureLogs();
    const sleeps: number[] = [];
    const handler = createHandler({
        lambda: new LambdaClient({ region: "us-east-1" }),
        codedeploy: new CodeDeployClient({ region: "us-east-1" }),
        log: logs.log,
        sleep: async (ms) => {
            sleeps.push(ms);
        },
        env: { MANGUM_WARMUP_CONFIG: JSON.stringify(settings), ...env },
        ...overrides,
    });
    return { handler, logs, sleeps };
}

/** The inputs of every status report the hook sent. */
function statusReports() {
    return codedeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand).map((c) => c.args[0].input);
}

function reported(status: "Succeeded" | "Failed") {
    return [{ deploymentId: "d-EXAMPLE123", lifecycleEventHookExecutionId: "eyJlbmNyeXB0ZWREYXRhIjoiTk9QRSJ9", status }];
}

beforeEach(() => {
    lambdaMock.reset();
    codedeployMock.reset();
    codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({ $metadata: {} });
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ State: "Active", LastUpdateStatus: "Successful" });
});

it("warms the deployment's target version and reports Succeeded once", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand, { deploymentId: "d-EXAMPLE123" }).resolves(deployment(appSpec("8")));
    answerInOrder(...healthyVersion("8"));
    const { handler, logs } = setup({}, { random: () => (312 - 250 + 0.5) / 151 });
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toEqual(reported("Succeeded"));
    const invokes = lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(invokes.map((i) => [i.FunctionName, i.Qualifier])).toEqual(Array(5).fill(["shop-api", "8"]));
    expect(sentEvent(invokes[0]!)).toEqual(fixture("event.pre-traffic.json"));
    expect(result).toMatchObject({ status: "Succeeded", pass: true, reasons: [], statusReported: true, target: { functionName: "shop-api", qualifier: "8" } });
    expect(result.report).toMatchObject({ succeeded: 5, distinctEnvironments: 5, versions: ["8"] });
    const lines = logs.events("pre-traffic.result");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "info", status: "Succeeded", deploymentId: "d-EXAMPLE123", report: { succeeded: 5 } });
});

it("reads the target version from a String revision too", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec(8), "String"));
    answerInOrder(...healthyVersion("8"));
    const { handler } = setup();
    // Act
    const result = await handler(event, context());
    // Assess
    expect(lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input.Qualifier).toBe("8");
    expect(statusReports()).toEqual(reported("Succeeded"));
    expect(result.status).toBe("Succeeded");
});

it("reports Failed naming the check and the environment when one environment's DB check fails", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
    answerInOrder(invokeOk(fixture("reply.db-failed.json")), ...healthyVersion("8").slice(1));
    const { handler, logs } = setup();
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toEqual(reported("Failed"));
    expect(result.reasons).toEqual([
        "1 of 5 environments failed check 'db': OperationalError: connection to server at \"10.0.3.17\", port 5432 failed: timeout expired (instance 9b2d4e60…)",
    ]);
    expect(logs.events("pre-traffic.result")[0]).toMatchObject({ level: "warn", status: "Failed", reasons: result.reasons });
});

it("reports Failed when fewer distinct environments answer than required", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
    answerInOrder(...healthyVersion("8").slice(0, 2));
    const { handler } = setup();
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toEqual(reported("Failed"));
    expect(result.reasons).toEqual(["only 2 distinct execution environments answered; 5 required (warmup.minDistinct)"]);
});

it("reports Failed when an invocation raises a function error", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
    answerInOrder(...healthyVersion("8").slice(0, 4), invokeFunctionError("RuntimeError", "unable to infer a handler to use for the event"));
    const { handler } = setup({ MANGUM_WARMUP_CONFIG: JSON.stringify({ ...settings, minDistinct: 4 }) });
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toEqual(reported("Failed"));
    expect(result.reasons).toEqual([
        "1 of 5 warm-up invocations failed with a function error: RuntimeError: unable to infer a handler to use for the event",
    ]);
});

it("reports Failed when Lambda keeps throttling the warm-up", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
    lambdaMock.on(InvokeCommand).rejects(Object.assign(new Error("Rate Exceeded."), { name: "TooManyRequestsException" }));
    const { handler } = setup();
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toEqual(reported("Failed"));
    expect(result.reasons).toEqual([
        "5 of 5 warm-up invocations were throttled by Lambda (raise the account or reserved concurrency, or lower warmup.concurrency): throttled by Lambda after retries: TooManyRequestsException: Rate Exceeded.",
    ]);
});

it("retries a throttled status report with short backoff until it goes through", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
    answerInOrder(...healthyVersion("8"));
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });
    codedeployMock
        .on(PutLifecycleEventHookExecutionStatusCommand)
        .rejectsOnce(throttled)
        .rejectsOnce(Object.assign(new Error("We encountered an internal error."), { name: "InternalFailure", $metadata: { httpStatusCode: 500 } }))
        .resolves({ $metadata: {} });
    const { handler, sleeps } = setup();
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toEqual([...reported("Succeeded"), ...reported("Succeeded"), ...reported("Succeeded")]);
    expect(sleeps).toEqual([100, 250]);
    expect(result.statusReported).toBe(true);
});

it("reports Failed when the function answers something that is not a warm-up reply", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
    answerInOrder(invokeRaw("null"));
    const { handler } = setup();
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toEqual(reported("Failed"));
    expect(result.reasons).toEqual([
        '5 of 5 warm-up invocations did not answer with a valid warm-up reply: not a mangum-warmup reply (is the handler wrapped with mangum_warmup? otherwise set warmup.mode to "http"): null',
    ]);
});

describe("when the deployment does not name the target version", () => {
    beforeEach(() => {
        codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec(undefined)));
    });

    it("reports Failed without warming MANGUM_TARGET_VERSION: the deployment was read and names no target", async () => {
        // Prepare
        answerInOrder(...healthyVersion("9"));
        const { handler } = setup({ MANGUM_TARGET_VERSION: "9" });
        // Act
        const result = await handler(event, context());
        // Assess
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
        expect(statusReports()).toEqual(reported("Failed"));
        expect(result.reasons).toEqual([
            "could not determine the version to warm: the AppSpec of deployment d-EXAMPLE123 has no numeric Resources[0].*.Properties.TargetVersion",
        ]);
    });

    it("reports Failed without invoking anything when there is no fallback either", async () => {
        // Prepare
        const { handler } = setup();
        // Act
        const result = await handler(event, context());
        // Assess
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
        expect(statusReports()).toEqual(reported("Failed"));
        expect(result.reasons).toEqual([
            "could not determine the version to warm: the AppSpec of deployment d-EXAMPLE123 has no numeric Resources[0].*.Properties.TargetVersion",
        ]);
    });
});

describe("when GetDeployment fails", () => {
    const accessDenied = Object.assign(new Error("User: arn:aws:sts::123456789012:assumed-role/shop-pre-traffic/shop-pre-traffic is not authorized to perform: codedeploy:GetDeployment"), {
        name: "AccessDeniedException",
        $metadata: { httpStatusCode: 400 },
    });

    it.each([
        ["throttling", Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } })],
        ["a 5xx", Object.assign(new Error("We encountered an internal error."), { name: "InternalFailure", $metadata: { httpStatusCode: 500 } })],
        ["a network failure", Object.assign(new Error("socket hang up"), { name: "Error", code: "ECONNRESET" })],
    ])("falls back to MANGUM_TARGET_VERSION on %s that outlasts its retries, and says so", async (_label, error) => {
        // Prepare
        codedeployMock.on(GetDeploymentCommand).rejects(error);
        answerInOrder(...healthyVersion("9"));
        let t = 1_767_225_600_000;
        const { handler } = setup({ MANGUM_TARGET_VERSION: "9" }, { now: () => t, sleep: async (ms) => void (t += ms) });
        // Act
        const result = await handler(event, context());
        // Assess
        expect(codedeployMock.commandCalls(GetDeploymentCommand).length).toBeGreaterThan(1);
        expect(lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input.Qualifier).toBe("9");
        expect(statusReports()).toEqual(reported("Succeeded"));
        expect(result.report?.notes).toEqual([
            `the target version was not read from deployment d-EXAMPLE123 (GetDeployment failed: ${error.name}: ${error.message}); used MANGUM_TARGET_VERSION=9`,
        ]);
    });

    it("reports Failed on AccessDenied, without the fallback and without retrying", async () => {
        // Prepare
        codedeployMock.on(GetDeploymentCommand).rejects(accessDenied);
        answerInOrder(...healthyVersion("9"));
        const { handler } = setup({ MANGUM_TARGET_VERSION: "9" });
        // Act
        const result = await handler(event, context());
        // Assess
        expect(codedeployMock.commandCalls(GetDeploymentCommand)).toHaveLength(1);
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
        expect(statusReports()).toEqual(reported("Failed"));
        expect(result.reasons).toEqual([
            `could not determine the version to warm: GetDeployment failed: AccessDeniedException: ${accessDenied.message} ` +
                "(the hook's role needs codedeploy:GetDeployment on its deployment group; the hook does not warm a version it could not read from the deployment)",
        ]);
    });

    it("reports Failed when the deployment does not exist", async () => {
        // Prepare
        codedeployMock
            .on(GetDeploymentCommand)
            .rejects(Object.assign(new Error("The deployment d-EXAMPLE123 could not be found."), { name: "DeploymentDoesNotExistException", $metadata: { httpStatusCode: 400 } }));
        const { handler } = setup({ MANGUM_TARGET_VERSION: "9" });
        // Act
        const result = await handler(event, context());
        // Assess
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
        expect(statusReports()).toEqual(reported("Failed"));
        expect(result.reasons).toEqual([
            "could not determine the version to warm: GetDeployment failed: DeploymentDoesNotExistException: The deployment d-EXAMPLE123 could not be found. " +
                "(no such deployment: the hook runs as the BeforeAllowTraffic hook of a CodeDeploy deployment, not by hand)",
        ]);
    });
});

it("reports Failed on a YAML AppSpec, even with MANGUM_TARGET_VERSION set", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment("version: 0.0\nResources: []\n"));
    const { handler } = setup({ MANGUM_TARGET_VERSION: "8" });
    // Act
    const result = await handler(event, context());
    // Assess
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(statusReports()).toEqual(reported("Failed"));
    expect(result.reasons).toEqual([
        "could not determine the version to warm: the AppSpec of deployment d-EXAMPLE123 is not JSON (the pulumi-mangum deployer sends JSON AppSpecs; YAML is not read)",
    ]);
});

it("refuses to warm when the deployment shifts another function, even with a fallback", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8", "arn:aws:lambda:us-east-1:123456789012:function:billing-api")));
    const { handler } = setup({ MANGUM_TARGET_VERSION: "8" });
    // Act
    const result = await handler(event, context());
    // Assess
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(statusReports()).toEqual(reported("Failed"));
    expect(result.reasons).toEqual([
        "deployment d-EXAMPLE123 shifts function 'arn:aws:lambda:us-east-1:123456789012:function:billing-api', but this hook warms 'shop-api' (MANGUM_WARMUP_CONFIG.functionName): each function needs its own hook",
    ]);
});

it("reports Failed naming the field when the settings are invalid", async () => {
    // Prepare
    const { handler } = setup({ MANGUM_WARMUP_CONFIG: JSON.stringify({ ...settings, concurrency: 500 }) });
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toEqual(reported("Failed"));
    expect(result.reasons).toEqual(["the hook's settings are invalid: warmup.concurrency must be an integer from 1 to 100 (got 500)"]);
});

describe("near its own timeout", () => {
    it("reports Failed once without warming when less time is left than the status call needs", async () => {
        // Prepare
        codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
        const { handler } = setup();
        // Act
        const result = await handler(event, context(2_000));
        // Assess
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
        expect(statusReports()).toEqual(reported("Failed"));
        expect(result.reasons).toEqual([
            "the hook started with 2000 ms left, less than the 3250 ms it keeps to report its status: raise the pre-traffic hook's timeout",
        ]);
    });

    it("reports Failed once when the target hangs past the warm-up budget", async () => {
        // Prepare: 3.8 s left leaves a ~0.5 s warm-up budget
        codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
        lambdaMock.on(InvokeCommand).callsFake(() => new Promise(() => undefined));
        const { handler } = setup();
        // Act
        const result = await handler(event, context(3_800));
        // Assess
        expect(statusReports()).toEqual(reported("Failed"));
        expect(result.report?.errors.map((e) => e.kind)).toEqual(["timeout", "timeout", "timeout", "timeout", "timeout"]);
        expect(result.reasons[0]).toMatch(/^5 of 5 warm-up invocations did not answer before the warm-up deadline/);
    });
});

it("still reports Failed once when something unexpected throws", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
    const { handler } = setup({}, { random: () => { throw new TypeError("boom"); } });
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toEqual(reported("Failed"));
    expect(result.reasons).toEqual(["the pre-traffic hook failed unexpectedly: TypeError: boom"]);
});

it.each([
    [{}, "pre-traffic hook input needs non-empty strings DeploymentId and LifecycleEventHookExecutionId; it is invoked by CodeDeploy as a BeforeAllowTraffic hook"],
    [{ DeploymentId: "d-1", LifecycleEventHookExecutionId: "" }, "pre-traffic hook input needs non-empty strings LifecycleEventHookExecutionId; it is invoked by CodeDeploy as a BeforeAllowTraffic hook"],
])("throws without reporting when the input %j has nothing to report to", async (input, message) => {
    // Prepare
    const { handler, logs } = setup();
    // Act
    const act = handler(input, context());
    // Assess
    await expect(act).rejects.toThrow(new HookInputError(message));
    expect(statusReports()).toHaveLength(0);
    expect(logs.events("pre-traffic.invalid-input")).toHaveLength(1);
});

it("throws after logging the result when the status cannot be reported", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
    answerInOrder(...healthyVersion("8"));
    codedeployMock
        .on(PutLifecycleEventHookExecutionStatusCommand)
        .rejects(Object.assign(new Error("not authorized to perform codedeploy:PutLifecycleEventHookExecutionStatus"), { name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } }));
    const { handler, logs } = setup();
    // Act
    const act = handler(event, context());
    // Assess
    await expect(act).rejects.toThrow(StatusReportError);
    expect(statusReports()).toEqual(reported("Succeeded"));
    expect(logs.events("pre-traffic.result")[0]).toMatchObject({
        level: "error",
        statusReported: false,
        statusError: "AccessDeniedException: not authorized to perform codedeploy:PutLifecycleEventHookExecutionStatus",
    });
});

it("treats a lifecycle event already completed by an earlier attempt as reported", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
    answerInOrder(...healthyVersion("8"));
    codedeployMock
        .on(PutLifecycleEventHookExecutionStatusCommand)
        .rejects(Object.assign(new Error("already completed"), { name: "LifecycleEventAlreadyCompletedException", $metadata: { httpStatusCode: 400 } }));
    const { handler } = setup();
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toHaveLength(1);
    expect(result.statusReported).toBe(true);
});

it("reports Failed when a reply says ok: false without naming a failed check, even with failOnCheckError off", async () => {
    // Prepare: a helper that is not ok yet reports every check passed must not approve the deployment.
    codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
    const notOk = replyFixture("reply.cold-ok.json", { instanceId: ids[0]!, functionVersion: "8", ok: false });
    answerInOrder(invokeOk(notOk), ...healthyVersion("8").slice(1));
    const { handler } = setup({ MANGUM_WARMUP_CONFIG: JSON.stringify({ ...settings, failOnCheckError: false, minDistinct: 4 }) });
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toEqual(reported("Failed"));
    expect(result.reasons).toEqual([
        `1 of 5 warm-up invocations answered ok: false without naming a failed check: mangum-warmup answered ok: false without a failed check (instance ${ids[0]!.slice(0, 8)}…)`,
    ]);
});

describe("before warming, the version must be Active", () => {
    /** A clock that moves only when the hook sleeps. */
    function fakeTime() {
        const clock = { t: 1_767_225_600_000 };
        return { clock, now: () => clock.t, sleep: async (ms: number) => void (clock.t += ms) };
    }

    it("waits while a SnapStart version is Pending, then warms it", async () => {
        // Prepare
        codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
        lambdaMock
            .on(GetFunctionConfigurationCommand)
            .resolvesOnce({ State: "Pending", StateReasonCode: "Creating", StateReason: "The function is being created." })
            .resolvesOnce({ State: "Pending", StateReasonCode: "Creating", StateReason: "The function is being created." })
            .resolves({ State: "Active" });
        answerInOrder(...healthyVersion("8"));
        const { now, sleep } = fakeTime();
        const { handler } = setup({}, { now, sleep });
        // Act
        const result = await handler(event, context());
        // Assess
        expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand).map((c) => c.args[0].input)).toEqual(
            Array(3).fill({ FunctionName: "shop-api", Qualifier: "8" }),
        );
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(5);
        expect(statusReports()).toEqual(reported("Succeeded"));
        expect(result.report?.notes).toEqual(["waited 1500 ms for version 8 to become Active"]);
    });

    it("reports Failed naming the state and Lambda's reason when the version is Failed, without invoking it", async () => {
        // Prepare
        codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
        lambdaMock.on(GetFunctionConfigurationCommand).resolves({
            State: "Failed",
            StateReasonCode: "FunctionError",
            StateReason: "SnapStart snapshot creation failed: Init error (Runtime.ExitError)",
            LastUpdateStatus: "Failed",
            LastUpdateStatusReasonCode: "FunctionError",
            LastUpdateStatusReason: "Init error",
        });
        const { handler } = setup();
        // Act
        const result = await handler(event, context());
        // Assess
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
        expect(statusReports()).toEqual(reported("Failed"));
        expect(result.reasons).toEqual([
            "version 8 of shop-api is Failed, so Lambda will not run it: FunctionError: SnapStart snapshot creation failed: Init error (Runtime.ExitError); " +
                "LastUpdateStatus Failed: FunctionError: Init error. Fix the cause and publish a new version.",
        ]);
    });

    it("reports Failed within its budget when the version stays Pending", async () => {
        // Prepare: 20 s of hook time; the wait must leave the hold, 2 s and the status reserve.
        codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
        lambdaMock.on(GetFunctionConfigurationCommand).resolves({ State: "Pending", StateReasonCode: "Creating", StateReason: "The function is being created." });
        const { clock, now, sleep } = fakeTime();
        const startedAt = clock.t;
        const { handler } = setup({}, { now, sleep });
        // Act
        const result = await handler(event, context(20_000));
        // Assess
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
        expect(statusReports()).toEqual(reported("Failed"));
        expect(clock.t - startedAt).toBeLessThanOrEqual(20_000 - 250 - 3_000 - 400 - 2_000);
        expect(result.reasons[0]).toMatch(
            /^version 8 of shop-api did not become Active within 1\d s: its State is Pending \(Creating: The function is being created\)\. A SnapStart version stays Pending while Lambda takes its snapshot/,
        );
    });

    it("wakes an Inactive version with one invocation, then waits for it", async () => {
        // Prepare
        codedeployMock.on(GetDeploymentCommand).resolves(deployment(appSpec("8")));
        lambdaMock
            .on(GetFunctionConfigurationCommand)
            .resolvesOnce({ State: "Inactive", StateReasonCode: "Idle" })
            .resolvesOnce({ State: "Pending", StateReasonCode: "Restoring" })
            .resolves({ State: "Active" });
        let n = 0;
        const answers = [invokeFunctionError("SnapStartNotReadyException", "Lambda is initializing your function."), ...healthyVersion("8")];
        lambdaMock.on(InvokeCommand).callsFake(async () => answers[Math.min(n++, answers.length - 1)]);
        const { now, sleep } = fakeTime();
        const { handler } = setup({}, { now, sleep });
        // Act
        const result = await handler(event, context());
        // Assess
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(6);
        expect(statusReports()).toEqual(reported("Succeeded"));
        expect(result.report?.notes).toEqual(["waited 1500 ms for version 8 to become Active (it was Inactive)"]);
    });
});
