import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { WarmupSettings } from "../../hooks/contract";
import { WarmupSettingsError } from "../../hooks/errors";
import { buildWarmupEvent, judge, parseWarmupSettings, readWarmupSettings, runWarmup, type WarmupOptions } from "../../hooks/warm";
import { fixture, instanceIds, replyFixture, warmupSettings } from "../helpers/fixtures";
import { invokeFunctionError, invokeOk, invokeRaw, sentEvent } from "../helpers/lambda-replies";

const lambdaMock = mockClient(LambdaClient);
const lambda = new LambdaClient({ region: "us-east-1" });

const settings: WarmupSettings = warmupSettings();
const target = { functionName: "shop-api", qualifier: "7" };
const ids = instanceIds(5);

/** Far enough that no test here reaches it unless the function hangs. */
function options(overrides: Partial<WarmupOptions> = {}): WarmupOptions {
    return { source: "pre-traffic", deploymentId: "d-EXAMPLE123", deadline: Date.now() + 10_000, ...overrides };
}

/** `random` that makes pickHold choose exactly `holdMs` from [250, 400]. */
function randomFor(holdMs: number): () => number {
    return () => (holdMs - 250 + 0.5) / 151;
}

/** Answers the invocations in the order they are sent; the last answer repeats. */
function answerInOrder(...outputs: InvokeCommandOutput[]): void {
    let next = 0;
    lambdaMock.on(InvokeCommand).callsFake(async () => outputs[Math.min(next++, outputs.length - 1)]);
}

function okReplies(version: string, instances: string[]): InvokeCommandOutput[] {
    return instances.map((id) => invokeOk(replyFixture("reply.cold-ok.json", { instanceId: id, functionVersion: version })));
}

beforeEach(() => lambdaMock.reset());

describe("buildWarmupEvent", () => {
    it("builds the pre-traffic event of the contract fixture", () => {
        expect(buildWarmupEvent(settings, "pre-traffic", 312, "d-EXAMPLE123")).toEqual(fixture("event.pre-traffic.json"));
    });

    it("omits checks and deploymentId when there are none, as in the keep-warm fixture", () => {
        expect(buildWarmupEvent({ ...settings, checks: [] }, "keep-warm", 250)).toEqual(fixture("event.keep-warm.json"));
    });

    it("asks for yielding only in the keep-warm's event, as in the keep-warm-yield fixture", () => {
        const yielding: WarmupSettings = { ...settings, checks: [], yieldToUsersMs: 60_000 };
        expect(buildWarmupEvent(yielding, "keep-warm", 300)).toEqual(fixture("event.keep-warm-yield.json"));
        // The pre-traffic warm-up must prove N distinct environments of a version no user reaches yet: it always holds.
        expect(buildWarmupEvent(yielding, "pre-traffic", 300)).toEqual({ "mangum-warmup": { v: 1, source: "pre-traffic", holdMs: 300 } });
        expect(buildWarmupEvent(yielding, "deployer", 300)).toEqual({ "mangum-warmup": { v: 1, source: "deployer", holdMs: 300 } });
        // 0 (the setting as read when the component sends 0) never yields.
        expect(buildWarmupEvent({ ...yielding, yieldToUsersMs: 0 }, "keep-warm", 250)).toEqual(fixture("event.keep-warm.json"));
    });

    it("builds the API Gateway v2 event of the http fixture in http mode", () => {
        const http: WarmupSettings = { ...settings, mode: "http", path: "/healthz" };
        expect(buildWarmupEvent(http, "pre-traffic", 312, "d-EXAMPLE123")).toEqual(fixture("http-event.healthz.json"));
    });

    it("marks the http event with a requestContext no outside request can carry", () => {
        // API Gateway and function URLs fill requestContext themselves; only a direct Invoke chooses it.
        const event = buildWarmupEvent({ ...settings, mode: "http", path: "/healthz" }, "keep-warm", 300) as { requestContext: Record<string, unknown> };
        expect([event.requestContext.apiId, event.requestContext.domainName]).toEqual(["pulumi-mangum-warmup", "warmup.pulumi-mangum.invalid"]);
    });

    it("splits a query string off the configured path", () => {
        const event = buildWarmupEvent({ ...settings, mode: "http", path: "/healthz?deep=1" }, "keep-warm", 300) as Record<string, unknown>;
        expect([event.rawPath, event.rawQueryString]).toEqual(["/healthz", "deep=1"]);
    });
});

describe("runWarmup", () => {
    it("invokes the qualified version N times with the warm-up event and a random hold in range", async () => {
        // Prepare
        answerInOrder(...okReplies("7", ids));
        // Act
        await runWarmup(lambda, target, settings, options({ random: randomFor(312) }));
        // Assess
        const calls = lambdaMock.commandCalls(InvokeCommand);
        expect(calls).toHaveLength(5);
        for (const call of calls) {
            const input = call.args[0].input;
            expect([input.FunctionName, input.Qualifier, input.InvocationType]).toEqual(["shop-api", "7", "RequestResponse"]);
            expect(sentEvent(input)).toEqual(fixture("event.pre-traffic.json"));
        }
    });

    it("reports every environment and passes when all is well", async () => {
        // Prepare
        answerInOrder(...okReplies("7", ids));
        // Act
        const report = await runWarmup(lambda, target, settings, options());
        // Assess
        expect(report).toMatchObject({
            requested: 5,
            succeeded: 5,
            distinctEnvironments: 5,
            distinctnessVerifiable: true,
            coldStarts: 5,
            initMs: { min: 842.7, median: 842.7, max: 842.7 },
            checks: { db: { passed: 5, failed: 0, maxMs: 41.2, errors: [] } },
            init: { sns: { passed: 5, failed: 0, maxMs: 388, errors: [] } },
            versions: ["7"],
            errors: [],
            notes: [],
        });
        expect(judge(report, settings)).toEqual({ pass: true, reasons: [] });
    });

    it("fails naming the check, its error and the environments when one environment's DB check fails", async () => {
        // Prepare
        const target8 = { functionName: "shop-api", qualifier: "8" };
        answerInOrder(invokeOk(replyFixture("reply.db-failed.json")), invokeOk(replyFixture("reply.cold-ok.json", { functionVersion: "8" })));
        // Act
        const report = await runWarmup(lambda, target8, { ...settings, minDistinct: 2 }, options());
        // Assess
        expect(report.checks.db).toEqual({
            passed: 1,
            failed: 1,
            maxMs: 5001,
            errors: ['OperationalError: connection to server at "10.0.3.17", port 5432 failed: timeout expired (instance 9b2d4e60…)'],
        });
        expect(judge(report, { ...settings, minDistinct: 2 }).reasons).toEqual([
            "1 of 2 environments failed check 'db': OperationalError: connection to server at \"10.0.3.17\", port 5432 failed: timeout expired (instance 9b2d4e60…)",
        ]);
    });

    it("only reports a failed check when failOnCheckError is off", async () => {
        // Prepare
        lambdaMock.on(InvokeCommand).resolves(invokeOk(replyFixture("reply.db-failed.json")));
        const lenient = { ...settings, minDistinct: 1, failOnCheckError: false };
        // Act
        const report = await runWarmup(lambda, { functionName: "shop-api", qualifier: "8" }, lenient, options());
        // Assess
        expect(report.checks.db?.failed).toBe(1);
        expect(judge(report, lenient)).toEqual({ pass: true, reasons: [] });
    });

    it("a pre-traffic warm-up never counts `yielded` replies as no shortfall: its verdict gates the deploy", async () => {
        // Prepare: every reply claims it yielded, all from one environment, although pre-traffic never asks to yield.
        lambdaMock.on(InvokeCommand).resolves(invokeOk(replyFixture("reply.yielded.json")));
        const yielding: WarmupSettings = { ...settings, yieldToUsersMs: 60_000 };
        // Act
        const report = await runWarmup(lambda, target, yielding, options());
        // Assess
        expect(report.yieldedToUsers).toBeUndefined();
        // Nor excuses the checks a yielded reply leaves out: an environment that ran none is unchecked.
        expect(judge(report, yielding)).toEqual({
            pass: false,
            reasons: ["1 of 1 environment failed check 'db': not reported by mangum-warmup (instance 3f6c1a9e…)", "only 1 distinct execution environments answered; 5 required (warmup.minDistinct)"],
        });
    });

    it("fails when fewer distinct environments answer than required", async () => {
        // Prepare: five replies from three environments
        answerInOrder(...okReplies("7", [ids[0]!, ids[1]!, ids[2]!, ids[0]!, ids[1]!]));
        // Act
        const report = await runWarmup(lambda, target, settings, options());
        // Assess
        expect(report.distinctEnvironments).toBe(3);
        expect(judge(report, settings).reasons).toEqual([
            "only 3 distinct execution environments answered; 5 required (warmup.minDistinct)",
        ]);
    });

    it("adds the distinctness reason next to failures only when the successful replies shared environments", async () => {
        // Prepare: one failure, four replies from two environments
        const error = invokeFunctionError("RuntimeError", "boom");
        answerInOrder(error, ...okReplies("7", [ids[0]!, ids[1]!, ids[0]!, ids[1]!]));
        // Act
        const report = await runWarmup(lambda, target, settings, options());
        // Assess
        expect(judge(report, settings).reasons).toEqual([
            "1 of 5 warm-up invocations failed with a function error: RuntimeError: boom",
            "only 2 distinct execution environments answered; 5 required (warmup.minDistinct)",
        ]);
    });

    it("classifies a FunctionError with the function's error type and message", async () => {
        // Prepare
        answerInOrder(
            ...okReplies("7", ids.slice(0, 4)),
            invokeFunctionError("Runtime.ImportModuleError", "Unable to import module 'app': No module named 'asyncpg'"),
        );
        // Act
        const report = await runWarmup(lambda, target, { ...settings, minDistinct: 4 }, options());
        // Assess
        expect(report.succeeded).toBe(4);
        expect(report.errors).toEqual([
            { invocation: 4, kind: "function-error", message: "Runtime.ImportModuleError: Unable to import module 'app': No module named 'asyncpg'" },
        ]);
        expect(judge(report, { ...settings, minDistinct: 4 }).reasons).toEqual([
            "1 of 5 warm-up invocations failed with a function error: Runtime.ImportModuleError: Unable to import module 'app': No module named 'asyncpg'",
        ]);
    });

    it("reports a throttle that outlasts the client's retries as throttled", async () => {
        // Prepare
        const throttle = Object.assign(new Error("Rate Exceeded."), { name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } });
        lambdaMock.on(InvokeCommand).rejects(throttle);
        // Act
        const report = await runWarmup(lambda, target, settings, options());
        // Assess
        expect(report.errors.map((e) => e.kind)).toEqual(["throttled", "throttled", "throttled", "throttled", "throttled"]);
        expect(judge(report, settings).reasons).toEqual([
            "5 of 5 warm-up invocations were throttled by Lambda (raise the account or reserved concurrency, or lower warmup.concurrency): throttled by Lambda after retries: TooManyRequestsException: Rate Exceeded.",
        ]);
    });

    it.each([
        ["a non-JSON payload", invokeRaw("Internal Server Error"), "the reply is not JSON: Internal Server Error"],
        [
            "an unwrapped app's HTTP response",
            invokeOk({ statusCode: 500, body: "oops" }),
            'not a mangum-warmup reply (is the handler wrapped with mangum_warmup? otherwise set warmup.mode to "http"): {"statusCode":500,"body":"oops"}',
        ],
        [
            "another protocol version",
            invokeOk(replyFixture("reply.cold-ok.json", { protocol: 2 })),
            "the reply speaks warm-up protocol 2, this hook speaks 1: align the mangum-warmup and pulumi-mangum versions",
        ],
    ])("classifies %s as a malformed reply", async (_name, output, message) => {
        // Prepare
        lambdaMock.on(InvokeCommand).resolves(output);
        // Act
        const report = await runWarmup(lambda, target, { ...settings, concurrency: 1, minDistinct: 1 }, options());
        // Assess
        expect(report.errors).toEqual([{ invocation: 0, kind: "malformed-reply", message }]);
        expect(judge(report, { ...settings, concurrency: 1, minDistinct: 1 }).pass).toBe(false);
    });

    it("names the fields of a reply that breaks the contract", async () => {
        // Prepare
        lambdaMock.on(InvokeCommand).resolves(invokeOk(replyFixture("reply.cold-ok.json", { instanceId: "", initMs: -1 })));
        // Act
        const report = await runWarmup(lambda, target, { ...settings, concurrency: 1, minDistinct: 1 }, options());
        // Assess
        expect(report.errors[0]?.message).toMatch(/^malformed mangum-warmup reply: invalid instanceId, initMs in \{/);
    });

    it("reports a helper that rejected the request, keeping its environment id", async () => {
        // Prepare
        lambdaMock.on(InvokeCommand).resolves(invokeOk(fixture("reply.malformed-request.json")));
        // Act
        const report = await runWarmup(lambda, target, { ...settings, concurrency: 1, minDistinct: 1 }, options());
        // Assess
        expect(report.errors).toEqual([
            {
                instanceId: "3f6c1a9e-7d1b-4c0e-9a55-0b8f5a2d9c11",
                invocation: 0,
                kind: "function-error",
                message: "mangum-warmup rejected the warm-up request: unsupported warm-up protocol version 99 (this helper speaks 1)",
            },
        ]);
    });

    it("counts a reply with ok: false that names no failed check as a failed environment", async () => {
        // Prepare
        const notOk = replyFixture("reply.cold-ok.json", { instanceId: ids[1]!, functionVersion: "7", ok: false });
        answerInOrder(invokeOk(replyFixture("reply.cold-ok.json", { instanceId: ids[0]!, functionVersion: "7" })), invokeOk(notOk));
        const two = { ...settings, concurrency: 2, minDistinct: 1, failOnCheckError: false };
        // Act
        const report = await runWarmup(lambda, target, two, options());
        // Assess
        expect(report).toMatchObject({ succeeded: 1, distinctEnvironments: 1 });
        expect(report.errors).toEqual([
            { invocation: 1, instanceId: ids[1], kind: "not-ok", message: `mangum-warmup answered ok: false without a failed check (instance ${ids[1]!.slice(0, 8)}…)` },
        ]);
        expect(judge(report, two).pass).toBe(false);
    });

    it("cuts and redacts the app's error text where it enters the report", async () => {
        // Prepare: a helper that echoes a connection string, 50 KB long.
        const error = `OperationalError: could not connect to postgresql://app:Hq5vT8wRz@db.internal:5432/shop ${"detail ".repeat(7_000)}`;
        answerInOrder(
            invokeOk(replyFixture("reply.db-failed.json", { instanceId: ids[0]!, functionVersion: "7", checks: { db: { ok: false, ms: 5, error } } })),
            invokeFunctionError("RuntimeError", `password=Pw9xK2mQz ${"x".repeat(50_000)}`),
        );
        // Act
        const report = await runWarmup(lambda, target, { ...settings, concurrency: 2, minDistinct: 1 }, options());
        // Assess
        const text = JSON.stringify(report);
        expect(text).not.toContain("Hq5vT8wRz");
        expect(text).not.toContain("Pw9xK2mQz");
        expect(report.checks.db!.errors[0]).toMatch(/^OperationalError: could not connect to postgresql:\/\/app:\*\*\*@db\.internal:5432\/shop detail .*… \(\d+ more characters cut\) \(instance a0000000…\)$/);
        expect(text.length).toBeLessThan(10_000);
    });

    describe("distinct even under throttling", () => {
        /** A reply from `id` that the SDK got only on its second attempt (Lambda throttled the first). */
        function retriedReply(id: string): InvokeCommandOutput {
            const output = invokeOk(replyFixture("reply.cold-ok.json", { instanceId: id, functionVersion: "7" }));
            return { ...output, $metadata: { ...output.$metadata, attempts: 2, totalRetryDelay: 812 } };
        }

        it("tops up with invocations held at once when a retried one landed on a freed environment, and passes", async () => {
            // Prepare: the fifth invocation was throttled, retried, and answered from environment 0.
            answerInOrder(...okReplies("7", ids.slice(0, 4)), retriedReply(ids[0]!), ...okReplies("7", ids));
            // Act
            const report = await runWarmup(lambda, target, settings, options());
            // Assess
            expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(10);
            expect(report).toMatchObject({ requested: 10, succeeded: 10, distinctEnvironments: 5, retried: 1, topUps: 5 });
            expect(report.notes).toEqual(["Lambda throttled or the client retried 1 of the invocations; 5 more were sent at once so that distinct environments answer (5 did)"]);
            expect(judge(report, settings)).toEqual({ pass: true, reasons: [] });
        });

        it("forgives a throttle that outlasted the retries once the top-up brought the environments", async () => {
            // Prepare
            const throttle = Object.assign(new Error("Rate Exceeded."), { name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } });
            let n = 0;
            const answers = okReplies("7", ids);
            lambdaMock.on(InvokeCommand).callsFake(async () => {
                n += 1;
                if (n === 5) throw throttle;
                return answers[n <= 4 ? n - 1 : n - 6]!;
            });
            // Act
            const report = await runWarmup(lambda, target, settings, options());
            // Assess
            expect(report).toMatchObject({ requested: 10, distinctEnvironments: 5, topUps: 5 });
            expect(report.errors.map((e) => e.kind)).toEqual(["throttled"]);
            expect(judge(report, settings).pass).toBe(true);
        });

        it("says throttling, not a short hold, when the top-ups cannot make up for it", async () => {
            // Prepare: every wave answers from the same four environments.
            answerInOrder(...okReplies("7", ids.slice(0, 4)), retriedReply(ids[0]!), ...okReplies("7", [...ids.slice(0, 4), ids[0]!]));
            // Act
            const report = await runWarmup(lambda, target, settings, options());
            // Assess
            expect(report).toMatchObject({ requested: 15, distinctEnvironments: 4, topUps: 10 });
            expect(judge(report, settings).reasons).toEqual([
                "only 4 distinct execution environments answered; 5 required (warmup.minDistinct): Lambda throttled an invocation, and a retry lands on an environment another invocation has just freed; " +
                    "10 more sent at once did not make up for it (raise the function's reserved concurrency or the account's concurrency, or lower warmup.concurrency)",
            ]);
        });

        it("says so when no time is left for a top-up", async () => {
            // Prepare
            answerInOrder(...okReplies("7", ids.slice(0, 4)), retriedReply(ids[0]!));
            // Act
            const report = await runWarmup(lambda, target, settings, options({ deadline: Date.now() + 900 }));
            // Assess
            expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(5);
            expect(report.topUps).toBe(0);
            expect(report.notes[0]).toMatch(/^no time was left for a top-up after 1 throttled or retried invocation \(\d+ ms left\)$/);
            expect(judge(report, settings).reasons[0]).toMatch(/^only 4 distinct execution environments answered; 5 required \(warmup.minDistinct\): Lambda throttled an invocation/);
        });

        it("sends no top-up when nothing was throttled: a short hold is another cause", async () => {
            // Prepare
            answerInOrder(...okReplies("7", [ids[0]!, ids[1]!, ids[0]!, ids[1]!, ids[2]!]));
            // Act
            const report = await runWarmup(lambda, target, settings, options());
            // Assess
            expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(5);
            expect(judge(report, settings).reasons).toEqual(["only 3 distinct execution environments answered; 5 required (warmup.minDistinct)"]);
        });
    });

    it("fails when another version than the targeted one answers", async () => {
        // Prepare: the fixture replies are from version 7
        lambdaMock.on(InvokeCommand).resolves(invokeOk(fixture("reply.warm-ok.json")));
        const one = { ...settings, concurrency: 1, minDistinct: 1 };
        // Act
        const report = await runWarmup(lambda, { functionName: "shop-api", qualifier: "8" }, one, options());
        // Assess
        expect(judge(report, one).reasons).toEqual([
            "version 7 answered, but the warm-up targeted version 8: the new version was not the one checked",
        ]);
    });

    it("resolves by the deadline with timeouts when the function never answers", async () => {
        // Prepare
        lambdaMock.on(InvokeCommand).callsFake(() => new Promise(() => undefined));
        // Act
        const report = await runWarmup(lambda, target, settings, options({ deadline: Date.now() + 200 }));
        // Assess
        expect(report.errors.map((e) => e.kind)).toEqual(["timeout", "timeout", "timeout", "timeout", "timeout"]);
        expect(report.errors[0]?.message).toMatch(/^no reply within \d+ ms \(the warm-up deadline\)$/);
    });

    it("does not invoke at all when the deadline has already passed", async () => {
        // Act
        const report = await runWarmup(lambda, target, settings, options({ deadline: 1_000, now: () => 5_000 }));
        // Assess
        expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
        expect(report.errors).toHaveLength(5);
        expect(report.errors[0]).toEqual({ invocation: 0, kind: "timeout", message: "not invoked: no time was left before the deadline" });
    });

    it("fails naming the init step, its error and the environments when a prime fails", async () => {
        // Prepare: two of five environments answer that their primed GET /healthz got a 500
        const failedPrime = (id: string): InvokeCommandOutput => invokeOk(replyFixture("reply.prime-failed.json", { instanceId: id }));
        const primed = { "prime GET /healthz": { ok: true, ms: 36.4 } };
        const healthy = (id: string): InvokeCommandOutput => invokeOk(replyFixture("reply.cold-ok.json", { instanceId: id, init: primed }));
        answerInOrder(failedPrime(ids[0]!), healthy(ids[1]!), failedPrime(ids[2]!), healthy(ids[3]!), healthy(ids[4]!));
        // Act
        const report = await runWarmup(lambda, target, settings, options());
        // Assess
        expect(report.init).toEqual({
            "prime GET /healthz": {
                passed: 3,
                failed: 2,
                maxMs: 41.7,
                errors: ["GET /healthz answered 500: Internal Server Error (instances a0000000…, a0000002…)"],
            },
        });
        expect(report.notes).toEqual([]);
        expect(judge(report, settings)).toEqual({
            pass: false,
            reasons: ["2 of 5 environments failed init 'prime GET /healthz': GET /healthz answered 500: Internal Server Error (instances a0000000…, a0000002…)"],
        });
    });

    it("fails on a failed on_init preload too, after the failed checks", async () => {
        // Prepare
        const sick = { sns: { ok: false, ms: 3.2, error: "EndpointConnectionError: Could not connect" } };
        lambdaMock.on(InvokeCommand).resolves(invokeOk(replyFixture("reply.db-failed.json", { functionVersion: "7", init: sick })));
        const one = { ...settings, concurrency: 1, minDistinct: 1 };
        // Act
        const report = await runWarmup(lambda, target, one, options());
        // Assess
        expect(judge(report, one).reasons).toEqual([
            "1 of 1 environment failed check 'db': OperationalError: connection to server at \"10.0.3.17\", port 5432 failed: timeout expired (instance 9b2d4e60…)",
            "1 of 1 environment failed init 'sns': EndpointConnectionError: Could not connect (instance 9b2d4e60…)",
        ]);
    });

    it("only reports a failed init step when failOnCheckError is off", async () => {
        // Prepare
        lambdaMock.on(InvokeCommand).resolves(invokeOk(fixture("reply.prime-failed.json")));
        const lenient = { ...settings, concurrency: 1, minDistinct: 1, failOnCheckError: false };
        // Act
        const report = await runWarmup(lambda, target, lenient, options());
        // Assess
        expect(report.init["prime GET /healthz"]?.failed).toBe(1);
        expect(judge(report, lenient)).toEqual({ pass: true, reasons: [] });
    });

    it("counts an environment whose replies leave out an init step neither passed nor failed", async () => {
        // Prepare: one environment answers twice, the first time before its prime existed (an older helper)
        answerInOrder(
            invokeOk(replyFixture("reply.cold-ok.json", { init: {} })),
            invokeOk(replyFixture("reply.warm-ok.json", { init: { "prime GET /healthz": { ok: true, ms: 30 } } })),
        );
        const two = { ...settings, concurrency: 2, minDistinct: 1 };
        // Act
        const report = await runWarmup(lambda, target, two, options());
        // Assess
        expect(report.init).toEqual({ "prime GET /healthz": { passed: 1, failed: 0, maxMs: 30, errors: [] } });
        expect(judge(report, two)).toEqual({ pass: true, reasons: [] });
    });
});

describe("runWarmup in http mode", () => {
    const http: WarmupSettings = { ...settings, mode: "http", path: "/healthz" };

    it("passes on 2xx and says distinctness cannot be verified", async () => {
        // Prepare
        lambdaMock.on(InvokeCommand).resolves(invokeOk({ statusCode: 200, body: "ok" }, "7"));
        // Act
        const report = await runWarmup(lambda, target, http, options());
        // Assess
        expect(sentEvent(lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input)).toEqual(fixture("http-event.healthz.json"));
        expect(report).toMatchObject({ succeeded: 5, distinctEnvironments: null, distinctnessVerifiable: false, coldStarts: null, versions: ["7"] });
        expect(report.notes).toEqual([
            "distinct environments cannot be verified in http mode: an HTTP response does not name the environment that served it",
        ]);
        expect(judge(report, http)).toEqual({ pass: true, reasons: [] });
    });

    it("fails on a non-2xx status with the response body", async () => {
        // Prepare
        lambdaMock.on(InvokeCommand).resolves(invokeOk({ statusCode: 503, body: '{"detail":"database unavailable"}' }, "7"));
        // Act
        const report = await runWarmup(lambda, target, http, options());
        // Assess
        expect(judge(report, http).reasons).toEqual([
            '5 of 5 warm-up invocations answered a non-2xx status: GET /healthz answered 503: {"detail":"database unavailable"}',
        ]);
    });
});

describe("parseWarmupSettings", () => {
    it("accepts complete settings", () => {
        expect(parseWarmupSettings(settings)).toEqual(settings);
    });

    it.each([
        [{ concurrency: 0 }, "warmup.concurrency must be an integer from 1 to 100 (got 0)"],
        [{ holdMs: [400, 250] }, "warmup.holdMs[1] must be an integer from 400 to 10000 (got 250)"],
        [{ holdMs: 300 }, "warmup.holdMs must be a [min, max] pair of integers from 0 to 10000 (got 300)"],
        [{ minDistinct: 6 }, "warmup.minDistinct must be an integer from 0 to 5 (got 6)"],
        [{ mode: "grpc" }, 'warmup.mode must be "helper" or "http" (got "grpc")'],
        [{ mode: "http" }, "warmup.path must be set when warmup.mode is \"http\" (a path starting with '/', e.g. /healthz) (got nothing)"],
        [{ alias: "7" }, "warmup.alias must be an alias name of 1-128 letters, digits, '-' or '_', not all digits (got \"7\")"],
        [{ failOnCheckError: "yes" }, 'warmup.failOnCheckError must be true or false (got "yes")'],
        [{ checks: ["db", ""] }, 'warmup.checks must be a list of check names (non-empty strings) (got ["db",""])'],
        [{ yieldToUsersMs: 600_001 }, "warmup.yieldToUsersMs must be an integer from 0 to 600000 (got 600001)"],
        [{ yieldToUsersMs: -1 }, "warmup.yieldToUsersMs must be an integer from 0 to 600000 (got -1)"],
        [{ yieldToUsersMs: "60000" }, 'warmup.yieldToUsersMs must be an integer from 0 to 600000 (got "60000")'],
    ])("rejects %j naming the field and the allowed range", (change, message) => {
        const act = () => parseWarmupSettings({ ...settings, ...change });
        expect(act).toThrow(WarmupSettingsError);
        expect(act).toThrow(message);
    });

    it("reads MANGUM_WARMUP_CONFIG and explains what is wrong with it", () => {
        expect(readWarmupSettings({ MANGUM_WARMUP_CONFIG: JSON.stringify(settings) })).toEqual(settings);
        expect(() => readWarmupSettings({})).toThrow("MANGUM_WARMUP_CONFIG must be set to the warm-up settings as JSON (got nothing)");
        expect(() => readWarmupSettings({ MANGUM_WARMUP_CONFIG: "{" })).toThrow(/^MANGUM_WARMUP_CONFIG must be valid JSON \(got .+\)$/);
    });
});
