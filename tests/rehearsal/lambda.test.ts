/**
 * The Lambda stand-in with real execution environments (the official
 * emulator running awslambdaric, or our Node runtime client), driven through
 * the real SDK v3 LambdaClient. Small throwaway functions; no database.
 * Requires a provisioned machine (`npm test` does it): never skipped.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetAliasCommand, InvokeCommand, LambdaClient, UpdateAliasCommand, type InvokeCommandOutput } from "@aws-sdk/client-lambda";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createLogger } from "../../hooks/log";
import { LambdaStandIn } from "../../rehearsal/lambda/service";
import { LogsStandIn } from "../../rehearsal/logs/service";
import { processTree } from "../../rehearsal/support/proc";
import { resolvePaths } from "../../rehearsal/scenarios/stage";

jest.setTimeout(120_000);

const PYTHON_FN = `
import os, time
def handler(event, context):
    if event.get("say"):
        print(event["say"], flush=True)
    if event.get("fail"):
        raise ValueError("boom: " + event["fail"])
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "version": context.function_version, "envVersion": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "name": context.function_name, "requestId": context.aws_request_id, "release": RELEASE}
RELEASE = "first"
`;

const NODE_FN = `
exports.handler = async (event, context) => {
    if (event.fail) throw new TypeError("node says " + event.fail);
    return { requestId: context.awsRequestId, name: context.functionName, version: context.functionVersion,
             remaining: context.getRemainingTimeInMillis(), custom: process.env.CUSTOM };
};
`;

let work: string;
let lambda: LambdaStandIn;
let client: LambdaClient;
let randoms: number[] = [];

beforeAll(async () => {
    const paths = resolvePaths();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pm-lambda-test-"));
    fs.mkdirSync(path.join(work, "py"));
    fs.writeFileSync(path.join(work, "py", "main.py"), PYTHON_FN);
    fs.mkdirSync(path.join(work, "node"));
    fs.writeFileSync(path.join(work, "node", "hook.js"), NODE_FN);
    lambda = new LambdaStandIn({
        rie: paths.rie,
        python: paths.python,
        nodeRuntime: paths.nodeRuntime,
        workDir: path.join(work, "stand-in"),
        baseEnv: {},
        asyncRetryDelaysMs: [10, 10],
        random: () => randoms.shift() ?? 0.99,
        log: createLogger({}, () => undefined),
    });
    await lambda.start();
    lambda.createFunction({ name: "py", runtime: "python", codeDir: path.join(work, "py"), handler: "main.handler", concurrency: 2 });
    lambda.createFunction({ name: "hook", runtime: "node", codeDir: path.join(work, "node"), handler: "hook.handler", env: { CUSTOM: "from-config" }, timeoutSec: 7 });
    client = new LambdaClient({ endpoint: lambda.endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
});

afterAll(async () => {
    client?.destroy();
    await lambda?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
});

function invoke(functionName: string, qualifier: string | undefined, event: object): Promise<InvokeCommandOutput> {
    return client.send(new InvokeCommand({ FunctionName: functionName, Qualifier: qualifier, Payload: Buffer.from(JSON.stringify(event)) }));
}

function body(out: InvokeCommandOutput): Record<string, unknown> {
    return JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8")) as Record<string, unknown>;
}

describe("Lambda stand-in", () => {
    test("each published version runs its own snapshot of the code, with its version in the context and environment", async () => {
        const v1 = lambda.publishVersion("py");
        fs.writeFileSync(path.join(work, "py", "main.py"), PYTHON_FN.replace('RELEASE = "first"', 'RELEASE = "second"'));
        const v2 = lambda.publishVersion("py");

        const first = await invoke("py", v1, {});
        const second = await invoke("py", v2, {});
        expect(body(first)).toMatchObject({ release: "first", version: "1", envVersion: "1", name: "py" });
        expect(body(second)).toMatchObject({ release: "second", version: "2", envVersion: "2", name: "py" });
        expect([first.ExecutedVersion, second.ExecutedVersion]).toEqual(["1", "2"]);
        // The stand-in passes its request id to the emulator, so the function sees the id the caller got.
        expect(body(first).requestId).toBe(first.$metadata.requestId);
    });

    test("a request arriving while another runs gets a new environment; an idle one is reused warm", async () => {
        const from = lambda.records.length;
        const [a, b] = await Promise.all([invoke("py", "2", { sleep: 0.5 }), invoke("py", "2", { sleep: 0.5 })]);
        const c = await invoke("py", "2", {});
        const [ra, rb, rc] = lambda.records.slice(from);

        // From the functions' own replies: two processes served the parallel pair, the third reused one.
        expect(body(a).pid).not.toBe(body(b).pid);
        expect([body(a).pid, body(b).pid]).toContain(body(c).pid);
        // From the stand-in's records: the same story.
        expect(new Set([ra?.environmentId, rb?.environmentId]).size).toBe(2);
        expect([ra?.environmentId, rb?.environmentId]).toContain(rc?.environmentId);
        expect(rc?.cold).toBe(false);
    });

    test("after a configuration update, $LATEST never runs in an environment started with the old one (an idle one goes now, a busy one after its invocation)", async () => {
        const before = body(await invoke("hook", undefined, {}));
        expect(before.custom).toBe("from-config");
        // One busy through the update: it finishes with the old configuration, then is not used again.
        const busy = invoke("py", undefined, { sleep: 0.5 });
        await new Promise((resolve) => setTimeout(resolve, 200));
        const pyFrom = lambda.records.length;
        lambda.updateFunction("py", { env: { CHANGED: "1" } });
        lambda.updateFunction("hook", { env: { CUSTOM: "updated" } });

        const after = await invoke("hook", undefined, {});
        expect(body(after).custom).toBe("updated");
        expect(lambda.records[lambda.records.length - 1]?.cold).toBe(true);
        const oldPid = body(await busy).pid;
        const next = await invoke("py", undefined, {});
        expect(body(next).pid).not.toBe(oldPid);
        const [busyRecord, nextRecord] = lambda.records.slice(pyFrom).filter((r) => r.functionName === "py");
        expect(nextRecord).toMatchObject({ cold: true });
        expect(nextRecord?.environmentId).not.toBe(busyRecord?.environmentId);
        // Back as the other tests expect it (a further update, so again in fresh environments).
        lambda.updateFunction("hook", { env: { CUSTOM: "from-config" } });
        lambda.updateFunction("py", { env: {} });
    });

    test("beyond the function's concurrency the API answers 429 TooManyRequestsException", async () => {
        const outcomes = await Promise.allSettled([0.6, 0.6, 0.6].map((sleep) => invoke("py", "1", { sleep })));
        const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
        expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(2);
        expect(rejected).toHaveLength(1);
        expect(rejected[0]?.reason).toMatchObject({ name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } });
    });

    test("a function error comes back as X-Amz-Function-Error: Unhandled with the runtime's error document", async () => {
        const out = await invoke("py", "1", { fail: "db down" });
        expect(out.StatusCode).toBe(200);
        expect(out.FunctionError).toBe("Unhandled");
        expect(body(out)).toMatchObject({ errorType: "ValueError", errorMessage: "boom: db down" });
    });

    test("an alias routes by its AdditionalVersionWeights, in the SDK's GetAlias/UpdateAlias shapes", async () => {
        lambda.createAlias("py", "live", "1");
        await client.send(new UpdateAliasCommand({ FunctionName: "py", Name: "live", RoutingConfig: { AdditionalVersionWeights: { "2": 0.1 } } }));
        const alias = await client.send(new GetAliasCommand({ FunctionName: "py", Name: "live" }));
        expect(alias).toMatchObject({
            AliasArn: "arn:aws:lambda:us-east-1:000000000000:function:py:live",
            Name: "live",
            FunctionVersion: "1",
            RoutingConfig: { AdditionalVersionWeights: { "2": 0.1 } },
        });

        randoms = [0.05, 0.5];
        const toCanary = await invoke("py", "live", {});
        const toPrimary = await invoke("py", "live", {});
        expect([toCanary.ExecutedVersion, toPrimary.ExecutedVersion]).toEqual(["2", "1"]);

        await client.send(new UpdateAliasCommand({ FunctionName: "py", Name: "live", FunctionVersion: "2", RoutingConfig: { AdditionalVersionWeights: {} } }));
        expect(lambda.aliasState("py", "live")).toEqual({ functionVersion: "2", weights: {} });
    });

    test("an unknown version is ResourceNotFoundException", async () => {
        await expect(invoke("py", "99", {})).rejects.toMatchObject({ name: "ResourceNotFoundException", message: "Function not found: arn:aws:lambda:us-east-1:000000000000:function:py:99" });
    });

    test("Node handlers run under the emulator through the runtime client, with a Lambda context", async () => {
        const ok = await invoke("hook", undefined, {});
        expect(body(ok)).toMatchObject({ name: "hook", version: "$LATEST", custom: "from-config", requestId: ok.$metadata.requestId });
        expect(body(ok).remaining).toBeGreaterThan(0);
        expect(body(ok).remaining).toBeLessThanOrEqual(7000);

        const failed = await invoke("hook", undefined, { fail: "no" });
        expect(failed.FunctionError).toBe("Unhandled");
        expect(body(failed)).toMatchObject({ errorType: "TypeError", errorMessage: "node says no" });
    });

    test("a failed Event invocation is delivered again, twice, as Lambda retries async invocations", async () => {
        const from = lambda.records.length;
        const out = await client.send(new InvokeCommand({ FunctionName: "hook", InvocationType: "Event", Payload: Buffer.from('{"fail":"always"}') }));
        expect(out.StatusCode).toBe(202);
        await lambda.drainAsync();
        const deliveries = lambda.records.slice(from).filter((r) => r.invocationType === "Event");
        expect(deliveries.map((r) => [r.attempt, r.functionError])).toEqual([
            [1, "Unhandled"],
            [2, "Unhandled"],
            [3, "Unhandled"],
        ]);
    });

    test("the Logs stand-in finds a function's output lines by all the terms of a filter pattern, per environment stream", async () => {
        const logs = new LogsStandIn(() => lambda.logEvents);
        await logs.start();
        const logsClient = new CloudWatchLogsClient({ endpoint: logs.endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
        try {
            const from = lambda.records.length;
            const before = Date.now();
            await invoke("py", "1", { say: 'pre-traffic.result "d-LOGS12345" ok' });
            await invoke("py", "1", { say: "pre-traffic.result d-OTHER0000" });
            const found = await logsClient.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/py", filterPattern: '"pre-traffic.result" "d-LOGS12345"', startTime: before }));
            expect(found.events?.map((e) => e.message)).toEqual(['pre-traffic.result "d-LOGS12345" ok']);
            expect(found.events?.[0]?.logStreamName).toBe(lambda.records[from]?.logStreamName);
            // Named as Lambda names streams (YYYY/MM/DD/[version]id): the deployer trusts no other.
            expect(found.events?.[0]?.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[1\][0-9a-f]{32}$/);

            await expect(logsClient.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/py", filterPattern: "{ $.level = \"error\" }" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
        } finally {
            logsClient.destroy();
            await logs.stop();
        }
    });

    test("stop() leaves no emulator or runtime process behind", async () => {
        expect(lambda.environmentsInfo().length).toBeGreaterThan(0);
        const pids = lambda.environmentsInfo().flatMap((env) => (env.pid === undefined ? [] : processTree(env.pid)));
        // Each environment that served something runs the emulator and its runtime.
        expect(pids.length).toBeGreaterThanOrEqual(2 * lambda.environmentsInfo().length);
        await lambda.stop();
        const alive = pids.filter((pid) => {
            try {
                return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
            } catch {
                return false;
            }
        });
        expect(alive).toEqual([]);
    });
});
