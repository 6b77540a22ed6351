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

describe("yielding to users (warmup.yieldToUsersMs)", () => {
    const yielding: WarmupSettings = { ...settings, holdMs: [300, 400], yieldToUsersMs: 60_000 };

    it("asks each environment to yield when it served a user within yieldToUsersMs", async () => {
        // Prepare
        distinctEnvironments();
        const { handler } = setup(yielding);
        // Act
        await handler({ concurrency: 2 }, context);
        // Assess
        const invokes = lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input);
        expect(invokes.map((i) => sentEvent(i))).toEqual([fixture("event.keep-warm-yield.json"), fixture("event.keep-warm-yield.json")]);
    });

    it("counts answers that came back to a yielding environment as no shortfall, and says so", async () => {
        // Prepare: the first and third invocations reach the environment a user is between requests on;
        // it answers without holding, so it is idle again when the third arrives.
        const [busy, other] = instanceIds(2);
        let next = 0;
        lambdaMock.on(InvokeCommand).callsFake(async () =>
            next++ === 1 ? invokeOk(replyFixture("reply.warm-ok.json", { instanceId: other! })) : invokeOk(replyFixture("reply.yielded.json", { instanceId: busy! })),
        );
        const { handler, logs } = setup(yielding);
        // Act
        const result = await handler({ concurrency: 3 }, context);
        // Assess
        // The yielded answers ran no checks (mangum-warmup answers them at once): the held environment's count.
        expect(result).toMatchObject({
            pass: true,
            reasons: [],
            report: { distinctEnvironments: 2, yieldedToUsers: { environments: 1, invocations: 2 }, checks: { db: { passed: 1, failed: 0, errors: [] } } },
        });
        expect(result.notes).toEqual(["1 of the environments reached had served users in the last 60000 ms and answered 2 invocations without holding (their users keep them warm)"]);
        expect(logs.events("keep-warm.result")).toEqual([expect.objectContaining({ level: "info", pass: true })]);
    });

    it("says so when no environment ran the checks because every one reached yielded", async () => {
        // Prepare: one environment, which a user has just used, answers every invocation at once.
        const [busy] = instanceIds(1);
        lambdaMock.on(InvokeCommand).callsFake(async () => invokeOk(replyFixture("reply.yielded.json", { instanceId: busy! })));
        const { handler } = setup({ ...yielding, minDistinct: 1 });
        // Act
        const result = await handler({ concurrency: 2 }, context);
        // Assess: the tick passes (its users keep it warm), and nobody reads that as a passing database check.
        expect(result).toMatchObject({ pass: true, reasons: [], report: { succeeded: 2, checks: {} } });
        expect(result.notes).toEqual([
            "1 of the environments reached had served users in the last 60000 ms and answered 2 invocations without holding (their users keep them warm)",
            "no environment ran the checks this tick: every one reached had served users in the last 60000 ms, and their requests are the health signal",
        ]);
    });

    it("still reports a shortfall when environments were shared without yielding", async () => {
        // Prepare: the same two environments answer, but neither says it yielded.
        const [a, b] = instanceIds(2);
        let next = 0;
        lambdaMock.on(InvokeCommand).callsFake(async () => invokeOk(replyFixture("reply.warm-ok.json", { instanceId: next++ === 1 ? b! : a! })));
        const { handler } = setup(yielding);
        // Act
        const result = await handler({ concurrency: 3 }, context);
        // Assess
        expect(result.pass).toBe(false);
        expect(result.reasons).toEqual(["only 2 distinct execution environments answered; 3 required (warmup.minDistinct)"]);
        expect(result.report?.yieldedToUsers).toBeUndefined();
    });

    it("does not honour `yielded` when the keep-warm did not ask for it (yieldToUsersMs 0)", async () => {
        // Prepare: a helper that says it yielded although nothing asked it to, sharing one environment.
        const [busy, other] = instanceIds(2);
        let next = 0;
        lambdaMock.on(InvokeCommand).callsFake(async () =>
            next++ === 1 ? invokeOk(replyFixture("reply.warm-ok.json", { instanceId: other! })) : invokeOk(replyFixture("reply.yielded.json", { instanceId: busy! })),
        );
        const { handler } = setup({ ...yielding, yieldToUsersMs: 0 });
        // Act
        const result = await handler({ concurrency: 3 }, context);
        // Assess
        expect(result.pass).toBe(false);
        expect(result.reasons).toEqual([
            `1 of 2 environments failed check 'db': not reported by mangum-warmup (instance ${busy!.slice(0, 8)}…)`,
            "only 2 distinct execution environments answered; 3 required (warmup.minDistinct)",
        ]);
        expect(result.report?.yieldedToUsers).toBeUndefined();
    });

    it("refuses a reply whose `yielded` is not a boolean", async () => {
        // Prepare
        lambdaMock.on(InvokeCommand).callsFake(async () => invokeOk({ ...replyFixture("reply.yielded.json"), yielded: "yes" }));
        const { handler } = setup(yielding);
        // Act
        const result = await handler({ concurrency: 1 }, context);
        // Assess
        expect(result.pass).toBe(false);
        expect(result.reasons[0]).toMatch(/^1 of 1 warm-up invocations did not answer with a valid warm-up reply: malformed mangum-warmup reply: invalid yielded in /);
    });
});
