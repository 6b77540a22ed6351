import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { WarmupSettings } from "../../hooks/contract";
import { WarmupSettingsError } from "../../hooks/errors";
import { createHandler } from "../../hooks/keep-warm";
import { fixture, instanceIds, replyFixture, warmupSettings } from "../helpers/fixtures";
import { invokeFunctionError, invokeOk, sentEvent } from "../helpers/lambda-replies";
import { captureLogs } from "../helpers/logs";

const lambdaMock = mockClient(LambdaClient);

// No `checks`: the schedule asks for every check the app registered.
const { checks: _named, ...settings }: WarmupSettings = warmupSettings({ concurrency: 3, minDistinct: 3 });
const context = { getRemainingTimeInMillis: () => 30_000 };

function setup(config: unknown = settings) {
    const logs = captureLogs();
    const handler = createHandler({
        lambda: new LambdaClient({ region: "us-east-1" }),
        log: logs.log,
        random: () => 0,
        env: { MANGUM_WARMUP_CONFIG: JSON.stringify(config) },
    });
    return { handler, logs };
}

/** Every invocation answers from its own environment. */
function distinctEnvironments(): void {
    let next = 0;
    const ids = instanceIds(100);
    lambdaMock.on(InvokeCommand).callsFake(async () => invokeOk(replyFixture("reply.warm-ok.json", { instanceId: ids[next++]! })));
}

beforeEach(() => lambdaMock.reset());

it("fans the rule's concurrency out to the alias with the keep-warm event", async () => {
    // Prepare
    distinctEnvironments();
    const { handler, logs } = setup();
    // Act
    const result = await handler({ concurrency: 7 }, context);
    // Assess
    const invokes = lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(invokes.map((i) => [i.FunctionName, i.Qualifier, i.InvocationType])).toEqual(Array(7).fill(["shop-api", "live", "RequestResponse"]));
    expect(sentEvent(invokes[0]!)).toEqual(fixture("event.keep-warm.json"));
    expect(result).toMatchObject({ pass: true, reasons: [], report: { source: "keep-warm", requested: 7, distinctEnvironments: 7 } });
    expect(logs.events("keep-warm.result")).toEqual([expect.objectContaining({ level: "info", pass: true })]);
});

it("uses the settings' concurrency when the rule sends the bare scheduled event", async () => {
    // Prepare
    distinctEnvironments();
    const { handler, logs } = setup();
    // Act
    await handler({ "detail-type": "Scheduled Event", source: "aws.events", detail: {} }, context);
    // Assess
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(3);
    expect(logs.events("keep-warm.invalid-input")).toHaveLength(0);
});

it("warns and uses the settings' concurrency when the rule's concurrency is invalid", async () => {
    // Prepare
    distinctEnvironments();
    const { handler, logs } = setup();
    // Act
    await handler({ concurrency: "lots" }, context);
    // Assess
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(3);
    expect(logs.events("keep-warm.invalid-input")).toEqual([
        expect.objectContaining({
            level: "warn",
            message: 'input concurrency must be an integer from 1 to 100 (got "lots"); using 3 from MANGUM_WARMUP_CONFIG',
        }),
    ]);
});

it("logs a partial failure as one line and does not throw", async () => {
    // Prepare
    let next = 0;
    lambdaMock.on(InvokeCommand).callsFake(async () =>
        next++ === 0 ? invokeFunctionError("MemoryError", "") : invokeOk(replyFixture("reply.warm-ok.json", { instanceId: `env-${next}` })),
    );
    const { handler, logs } = setup();
    // Act
    const result = await handler({ concurrency: 3 }, context);
    // Assess
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual(["1 of 3 warm-up invocations failed with a function error: MemoryError"]);
    const lines = logs.events("keep-warm.result");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "warn", pass: false, report: { requested: 3, succeeded: 2 } });
});

it("judges distinctness against the smaller of minDistinct and the rule's concurrency", async () => {
    // Prepare
    distinctEnvironments();
    const { handler } = setup({ ...settings, concurrency: 10, minDistinct: 10 });
    // Act
    const result = await handler({ concurrency: 2 }, context);
    // Assess
    expect(result).toMatchObject({ pass: true, report: { distinctEnvironments: 2 } });
});

it("throws a settings error, after logging it, when MANGUM_WARMUP_CONFIG is invalid", async () => {
    // Prepare
    const { handler, logs } = setup({ ...settings, alias: "" });
    // Act
    const act = handler({ concurrency: 2 }, context);
    // Assess
    await expect(act).rejects.toThrow(WarmupSettingsError);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(logs.events("keep-warm.invalid-settings")).toEqual([
        expect.objectContaining({ level: "error", message: "warmup.alias must be an alias name of 1-128 letters, digits, '-' or '_', not all digits (got \"\")" }),
    ]);
});
