import {
    CodeDeployClient,
    GetDeploymentCommand,
    PutLifecycleEventHookExecutionStatusCommand,
    type GetDeploymentCommandOutput,
} from "@aws-sdk/client-codedeploy";
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from "@aws-sdk/client-lambda";
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

    it("warms MANGUM_TARGET_VERSION and says so in the report", async () => {
        // Prepare
        answerInOrder(...healthyVersion("9"));
        const { handler } = setup({ MANGUM_TARGET_VERSION: "9" });
        // Act
        const result = await handler(event, context());
        // Assess
        expect(lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input.Qualifier).toBe("9");
        expect(statusReports()).toEqual(reported("Succeeded"));
        expect(result.report?.notes).toEqual([
            "the target version was not read from deployment d-EXAMPLE123 (the AppSpec of deployment d-EXAMPLE123 has no numeric Resources[0].*.Properties.TargetVersion); used MANGUM_TARGET_VERSION=9",
        ]);
    });

    it("reports Failed without invoking anything when there is no fallback", async () => {
        // Prepare
        const { handler } = setup();
        // Act
        const result = await handler(event, context());
        // Assess
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
        expect(statusReports()).toEqual(reported("Failed"));
        expect(result.reasons).toEqual([
            "could not determine the version to warm: the AppSpec of deployment d-EXAMPLE123 has no numeric Resources[0].*.Properties.TargetVersion, and MANGUM_TARGET_VERSION is not set",
        ]);
    });
});

it("falls back to MANGUM_TARGET_VERSION when GetDeployment fails", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).rejects(Object.assign(new Error("User is not authorized"), { name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } }));
    answerInOrder(...healthyVersion("9"));
    const { handler } = setup({ MANGUM_TARGET_VERSION: "9" });
    // Act
    const result = await handler(event, context());
    // Assess
    expect(codedeployMock.commandCalls(GetDeploymentCommand)).toHaveLength(1);
    expect(statusReports()).toEqual(reported("Succeeded"));
    expect(result.report?.notes).toEqual([
        "the target version was not read from deployment d-EXAMPLE123 (GetDeployment failed: AccessDeniedException: User is not authorized); used MANGUM_TARGET_VERSION=9",
    ]);
});

it("explains that a YAML AppSpec is not read", async () => {
    // Prepare
    codedeployMock.on(GetDeploymentCommand).resolves(deployment("version: 0.0\nResources: []\n"));
    const { handler } = setup();
    // Act
    const result = await handler(event, context());
    // Assess
    expect(statusReports()).toEqual(reported("Failed"));
    expect(result.reasons).toEqual([
        "could not determine the version to warm: the AppSpec of deployment d-EXAMPLE123 is not JSON (this hook reads JSON AppSpecs, which the pulumi-mangum deployer sends; YAML is not supported), and MANGUM_TARGET_VERSION is not set",
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
