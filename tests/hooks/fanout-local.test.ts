/**
 * The real SDK LambdaClient against a local Invoke API on 127.0.0.1: proves
 * the invocations really run in parallel, that the SDK's throttle retries
 * behave as configured, and that a hanging function cannot make the hook
 * miss its report.
 */
import { CodeDeployClient, GetDeploymentCommand, PutLifecycleEventHookExecutionStatusCommand } from "@aws-sdk/client-codedeploy";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { WarmupSettings } from "../../hooks/contract";
import { createHandler as createPreTraffic } from "../../hooks/pre-traffic";
import { WARMUP_LAMBDA_CLIENT_CONFIG, runWarmup, waitForActive } from "../../hooks/warm";
import { fixture, instanceIds, replyFixture, warmupSettings } from "../helpers/fixtures";
import { barrier, startLambdaInvokeServer, type LambdaInvokeServer, type Responder } from "../helpers/lambda-invoke-server";
import { captureLogs } from "../helpers/logs";

const settings: WarmupSettings = warmupSettings();
const FAKE_CREDENTIALS = { accessKeyId: "AKIDLOCALTEST", secretAccessKey: "local-test-secret" };

let server: LambdaInvokeServer | undefined;

async function serve(respond: Responder, stateOf?: (qualifier: string | null, read: number) => string): Promise<LambdaClient> {
    server = await startLambdaInvokeServer(respond, stateOf);
    return new LambdaClient({ ...WARMUP_LAMBDA_CLIENT_CONFIG, region: "us-east-1", endpoint: server.endpoint, credentials: FAKE_CREDENTIALS });
}

/** Version 8's healthy reply, from environment `index`. */
function healthy(index: number) {
    return { kind: "reply" as const, body: replyFixture("reply.cold-ok.json", { instanceId: instanceIds(100)[index]!, functionVersion: "8" }), executedVersion: "8" };
}

afterEach(async () => {
    await server?.close();
    server = undefined;
});

// 60 is above the SDK's default of 50 sockets per agent, which would queue the rest.
it.each([5, 60])("keeps all %i invocations in flight at once", async (n) => {
    // Prepare: the server answers only once all n are open, so a serialising client would time out instead
    const allOpen = barrier(n);
    const lambda = await serve(async (_inv, index) => {
        await allOpen();
        return healthy(index);
    });
    // Act
    const report = await runWarmup(lambda, { functionName: "shop-api", qualifier: "8" }, { ...settings, concurrency: n, minDistinct: n }, {
        source: "pre-traffic",
        deploymentId: "d-EXAMPLE123",
        deadline: Date.now() + 20_000,
        random: () => (312 - 250 + 0.5) / 151,
    });
    // Assess
    expect(server!.maxInFlight()).toBe(n);
    expect(report).toMatchObject({ succeeded: n, distinctEnvironments: n, versions: ["8"], errors: [] });
    expect(server!.received).toEqual(
        Array(n).fill({ functionName: "shop-api", qualifier: "8", invocationType: "RequestResponse", payload: fixture("event.pre-traffic.json") }),
    );
});

it("retries a transient throttle within the client's attempts", async () => {
    // Prepare
    const lambda = await serve((_inv, index) =>
        index < 2 ? { kind: "api-error", status: 429, errorType: "TooManyRequestsException", message: "Rate Exceeded." } : healthy(0),
    );
    const one = { ...settings, concurrency: 1, minDistinct: 1 };
    // Act
    const report = await runWarmup(lambda, { functionName: "shop-api", qualifier: "8" }, one, { source: "keep-warm", deadline: Date.now() + 20_000 });
    // Assess
    expect(server!.received).toHaveLength(3);
    expect(report).toMatchObject({ succeeded: 1, errors: [] });
});

it("reports a throttle that persists through every attempt as throttled", async () => {
    // Prepare
    const lambda = await serve(() => ({ kind: "api-error", status: 429, errorType: "TooManyRequestsException", message: "Rate Exceeded." }));
    const one = { ...settings, concurrency: 1, minDistinct: 1 };
    // Act
    const report = await runWarmup(lambda, { functionName: "shop-api", qualifier: "8" }, one, { source: "keep-warm", deadline: Date.now() + 20_000 });
    // Assess
    expect(server!.received).toHaveLength(3);
    expect(report.errors).toEqual([
        { invocation: 0, kind: "throttled", message: "throttled by Lambda after retries: TooManyRequestsException: Rate Exceeded." },
    ]);
});

it("reports Failed within the budget when the function hangs", async () => {
    // Prepare: 1.5 s of warm-up budget once the hook keeps its status reserve (3 s + 250 ms)
    const lambda = await serve(() => ({ kind: "hang" }));
    const codedeployMock = mockClient(CodeDeployClient);
    codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({ $metadata: {} });
    const appSpec = JSON.stringify({ version: 0.0, Resources: [{ "shop-api": { Type: "AWS::Lambda::Function", Properties: { Name: "shop-api", TargetVersion: "8" } } }] });
    codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { revision: { revisionType: "AppSpecContent", appSpecContent: { content: appSpec } } } });
    const handler = createPreTraffic({
        lambda,
        codedeploy: new CodeDeployClient({ region: "us-east-1", credentials: FAKE_CREDENTIALS }),
        log: captureLogs().log,
        env: { MANGUM_WARMUP_CONFIG: JSON.stringify(settings), MANGUM_TARGET_VERSION: "8" },
    });
    // Act
    const result = await handler(
        { DeploymentId: "d-EXAMPLE123", LifecycleEventHookExecutionId: "hook-1" },
        { getRemainingTimeInMillis: () => 1_500 + 3_250 },
    );
    // Assess
    expect(server!.maxInFlight()).toBe(5);
    expect(result.report?.errors.map((e) => e.kind)).toEqual(["timeout", "timeout", "timeout", "timeout", "timeout"]);
    expect(codedeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand).map((c) => c.args[0].input)).toEqual([
        { deploymentId: "d-EXAMPLE123", lifecycleEventHookExecutionId: "hook-1", status: "Failed" },
    ]);
    codedeployMock.restore();
});

it("sends the module-level keep-warm handler to AWS_ENDPOINT_URL_LAMBDA", async () => {
    // Prepare
    await serve((_inv, index) => healthy(index));
    const saved = { ...process.env };
    Object.assign(process.env, {
        AWS_ENDPOINT_URL_LAMBDA: server!.endpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
        MANGUM_WARMUP_CONFIG: JSON.stringify({ ...settings, concurrency: 2, minDistinct: 2 }),
    });
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, "write").mockImplementation((chunk) => {
        written.push(String(chunk));
        return true;
    });
    try {
        let keepWarm!: typeof import("../../hooks/keep-warm");
        jest.isolateModules(() => {
            keepWarm = require("../../hooks/keep-warm") as typeof import("../../hooks/keep-warm");
        });
        // Act
        const result = await keepWarm.handler({ concurrency: 2 }, { getRemainingTimeInMillis: () => 20_000 });
        // Assess
        expect(server!.received.map((r) => [r.functionName, r.qualifier])).toEqual([
            ["shop-api", "live"],
            ["shop-api", "live"],
        ]);
        expect(result.pass).toBe(true);
        const lines = written.map((w) => JSON.parse(w) as Record<string, unknown>);
        expect(lines.map((l) => [l.event, l.hook, l.level])).toEqual([["keep-warm.result", "keep-warm", "info"]]);
    } finally {
        stdout.mockRestore();
        process.env = saved;
    }
});

it("reads the version's state with the real SDK call, qualifier and all, until it is Active", async () => {
    // Prepare: Pending on the first read, as a SnapStart version right after publishing.
    const lambda = await serve((_inv, index) => healthy(index), (_q, read) => (read === 0 ? "Pending" : "Active"));
    let t = Date.now();
    // Act
    const waited = await waitForActive(lambda, { functionName: "shop-api", qualifier: "8" }, { deadline: t + 30_000, now: () => t, sleep: async (ms) => void (t += ms), source: "deployer" });
    // Assess
    expect(waited).toEqual({ polls: 2, waitedMs: 500, woken: false });
    expect(server!.configurationReads).toEqual(["8", "8"]);
    expect(server!.received).toHaveLength(0);
});

it("tops up through the real SDK when a throttled invocation's retry lands on a freed environment", async () => {
    // Prepare: a pool of environments, each busy for the hold it is asked for. Lambda throttles the
    // fifth invocation's first attempt; its retry is routed only once the others are done (the SDK's
    // backoff outlasts the hold), so it reuses an environment, as on Lambda.
    const busy: boolean[] = [];
    const held: Array<Promise<void>> = [];
    let retryArrived = false;
    const lambda = await serve(async (inv, index) => {
        if (index === 4) return { kind: "api-error", status: 429, errorType: "TooManyRequestsException", message: "Rate Exceeded." };
        if (index === 5) {
            retryArrived = true;
            await Promise.all(held);
        }
        let env = busy.findIndex((b) => !b);
        if (env < 0) env = busy.push(false) - 1;
        busy[env] = true;
        const holdMs = (inv.payload as { "mangum-warmup": { holdMs: number } })["mangum-warmup"].holdMs;
        const done = new Promise<void>((resolve) => setTimeout(resolve, holdMs)).then(() => void (busy[env] = false));
        if (index < 4) held.push(done);
        await done;
        return { kind: "reply", body: replyFixture("reply.cold-ok.json", { instanceId: instanceIds(100)[env]!, functionVersion: "8" }), executedVersion: "8" };
    });
    // Act
    const report = await runWarmup(lambda, { functionName: "shop-api", qualifier: "8" }, settings, { source: "pre-traffic", deadline: Date.now() + 20_000 });
    // Assess: 5 + 1 retry + 5 top-ups reached the server; five distinct environments answered.
    expect(retryArrived).toBe(true);
    expect(server!.received).toHaveLength(11);
    expect(report).toMatchObject({ requested: 10, succeeded: 10, distinctEnvironments: 5, retried: 1, topUps: 5, errors: [] });
});
