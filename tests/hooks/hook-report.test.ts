import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import { CodeDeployClient, GetDeploymentCommand, PutLifecycleEventHookExecutionStatusCommand } from "@aws-sdk/client-codedeploy";
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { WarmupSettings } from "../../hooks/contract";
import { readHookReport, type HookReport } from "../../hooks/hook-report";
import { createLogger } from "../../hooks/log";
import { createHandler as createPreTrafficHandler } from "../../hooks/pre-traffic";
import type { WarmupReport } from "../../hooks/warm";
import { fixture, instanceIds, replyFixture, warmupSettings } from "../helpers/fixtures";
import { invokeOk } from "../helpers/lambda-replies";
import { captureLogs } from "../helpers/logs";

const logsMock = mockClient(CloudWatchLogsClient);
const lambdaMock = mockClient(LambdaClient);
const codedeployMock = mockClient(CodeDeployClient);

const T0 = 1_767_225_600_000;
const GROUP = "orders-pre-traffic-logs-8d2e4c1";
const DEPLOYMENT = "d-7Q2XK9ZLB";
const EXECUTION = "eyJlbmNyeXB0ZWREYXRhIjoiQkVGT1JFIn0=";
const DB_REASON =
    "3 of 5 environments failed check 'db': OperationalError: connection to server at \"10.0.3.17\", port 5432 failed: timeout expired (instances 9b2d4e60…, 41ac07d2…, 7f03b9e8…)";

const REPORT: WarmupReport = {
    target: { functionName: "orders-api", qualifier: "8" },
    mode: "helper",
    source: "pre-traffic",
    requested: 5,
    succeeded: 5,
    distinctEnvironments: 5,
    distinctnessVerifiable: true,
    coldStarts: 5,
    initMs: { min: 880, median: 901, max: 950 },
    checks: { db: { passed: 2, failed: 3, maxMs: 5001, errors: [DB_REASON.slice(DB_REASON.indexOf("OperationalError"))] } },
    init: {},
    versions: ["8"],
    wallMs: 5400,
    errors: [],
    notes: [],
};

interface LineOptions {
    deploymentId?: string;
    execution?: string;
    pass?: boolean;
    reasons?: string[];
    report?: WarmupReport | null;
    statusReported?: boolean;
}

/** A result line exactly as the hook's logger writes it (hooks/log.ts through hooks/pre-traffic.ts). */
function resultLine(o: LineOptions = {}): string {
    const deploymentId = o.deploymentId ?? DEPLOYMENT;
    const lines: string[] = [];
    const log = createLogger({ hook: "pre-traffic", deploymentId, lifecycleEventHookExecutionId: o.execution ?? EXECUTION }, (l) => lines.push(l));
    const pass = o.pass ?? false;
    log.warn("pre-traffic.result", {
        status: pass ? "Succeeded" : "Failed",
        pass,
        reasons: o.reasons ?? (pass ? [] : [DB_REASON]),
        deploymentId,
        target: { functionName: "orders-api", qualifier: "8" },
        report: o.report === undefined ? REPORT : o.report,
        statusReported: o.statusReported ?? true,
    });
    return lines[0]!;
}

/** A log stream named the way Lambda names them: date, version, 32 hex digits of the environment. */
const STREAM = "2026/01/01/[$LATEST]9f0c2d1e4b5a69788796a5b4c3d2e1f0";

/** An event as FilterLogEvents returns it; CloudWatch ingested it 200 ms after its timestamp. */
function at(timestamp: number, message: string, logStreamName = STREAM, ingestionTime = timestamp + 200): FilteredLogEvent {
    return { timestamp, ingestionTime, message, logStreamName, eventId: String(timestamp) };
}

/** A clock that moves only when the reader sleeps. */
function setup(budgetMs = 20_000) {
    const clock = { t: T0, sleeps: [] as number[] };
    const logs = captureLogs();
    const read = (lifecycleEventName: string | undefined): Promise<HookReport | undefined> =>
        readHookReport(new CloudWatchLogsClient({ region: "eu-west-1" }), GROUP, DEPLOYMENT, lifecycleEventName, {
            createdAt: T0 - 30_000,
            deadline: T0 + budgetMs,
            now: () => clock.t,
            sleep: async (ms) => {
                clock.sleeps.push(ms);
                clock.t += ms;
            },
            log: logs.log,
        });
    return { clock, logs, read };
}

function searches() {
    return logsMock.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
}

beforeEach(() => {
    logsMock.reset();
    lambdaMock.reset();
    codedeployMock.reset();
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ State: "Active" });
});

describe("reading the hook's result line", () => {
    it("reads back exactly what the pre-traffic hook logged for a failed DB check", async () => {
        // Prepare: run the real hook and keep its stdout line as CloudWatch Logs would store it.
        const settings: WarmupSettings = warmupSettings({ functionName: "orders-api" });
        const appSpec = JSON.stringify({ version: 0.0, Resources: [{ "orders-api": { Type: "AWS::Lambda::Function", Properties: { Name: "orders-api", TargetVersion: "8" } } }] });
        codedeployMock.on(GetDeploymentCommand).resolves({ deploymentInfo: { revision: { revisionType: "AppSpecContent", appSpecContent: { content: appSpec } } } });
        codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
        const replies = [
            invokeOk(fixture("reply.db-failed.json")),
            ...instanceIds(4).map((id) => invokeOk(replyFixture("reply.cold-ok.json", { instanceId: id, functionVersion: "8" }))),
        ];
        let n = 0;
        lambdaMock.on(InvokeCommand).callsFake(async () => replies[n++]);
        const stdout: string[] = [];
        const hook = createPreTrafficHandler({
            lambda: new LambdaClient({ region: "eu-west-1" }),
            codedeploy: new CodeDeployClient({ region: "eu-west-1" }),
            log: createLogger({ hook: "pre-traffic" }, (line) => stdout.push(line)),
            env: { MANGUM_WARMUP_CONFIG: JSON.stringify(settings) },
        });
        const outcome = await hook({ DeploymentId: DEPLOYMENT, LifecycleEventHookExecutionId: EXECUTION }, { getRemainingTimeInMillis: () => 60_000 });
        logsMock.on(FilterLogEventsCommand).resolves({ events: stdout.filter((l) => l.includes("pre-traffic.result")).map((l) => at(T0, l)) });
        const { read } = setup();

        // Act
        const found = await read("BeforeAllowTraffic");

        // Assess
        expect(outcome.pass).toBe(false);
        expect(found).toEqual({ verdict: { pass: false, reasons: outcome.reasons }, report: outcome.report });
        expect(found?.verdict.reasons).toEqual([
            "1 of 5 environments failed check 'db': OperationalError: connection to server at \"10.0.3.17\", port 5432 failed: timeout expired (instance 9b2d4e60…)",
        ]);
        expect(searches()).toEqual([{ logGroupName: GROUP, filterPattern: `"pre-traffic.result" "${DEPLOYMENT}"`, startTime: T0 - 30_000 - 60_000 }]);
    });

    it("waits for CloudWatch Logs to show the line, with short backoff", async () => {
        // Prepare
        logsMock
            .on(FilterLogEventsCommand)
            .resolvesOnce({ events: [] })
            .resolves({ events: [at(T0 + 500, resultLine())] });
        const { read, clock, logs } = setup();

        // Act
        const found = await read("BeforeAllowTraffic");

        // Assess
        expect(found).toEqual({ verdict: { pass: false, reasons: [DB_REASON] }, report: REPORT });
        expect(clock.sleeps).toEqual([1_000]);
        expect(logs.events("hook-report.found")).toEqual([expect.objectContaining({ level: "info", attempts: 2, logGroupName: GROUP })]);
    });

    it.each([
        ["Lambda's JSON wrapper with the line as its message text", (line: string) => JSON.stringify({ timestamp: "2026-01-01T00:00:00.000Z", level: "WARN", requestId: "5c1d0e2a", message: line })],
        ["Lambda's JSON wrapper with the line as an object", (line: string) => JSON.stringify({ timestamp: "2026-01-01T00:00:00.000Z", level: "WARN", requestId: "5c1d0e2a", message: JSON.parse(line) })],
        ["Lambda's text format prefix", (line: string) => `2026-01-01T00:00:00.000Z\t5c1d0e2a\tWARN\t${line}`],
    ])("reads a line wrapped in %s", async (_label, wrap) => {
        // Prepare
        logsMock.on(FilterLogEventsCommand).resolves({ events: [at(T0, wrap(resultLine()))] });
        const { read } = setup();

        // Act
        const found = await read("BeforeAllowTraffic");

        // Assess
        expect(found).toEqual({ verdict: { pass: false, reasons: [DB_REASON] }, report: REPORT });
    });

    it("ignores lines of another deployment and lines that are not results", async () => {
        // Prepare: a term search also matches a line that merely mentions the id.
        logsMock.on(FilterLogEventsCommand).resolves({
            events: [
                at(T0 + 1, resultLine({ deploymentId: "d-OTHER0001", reasons: [`version 8 answered, see ${DEPLOYMENT}`] })),
                at(T0 + 2, `START RequestId: 5c1d0e2a Version: 3 ${DEPLOYMENT} pre-traffic.result`),
                at(T0 + 3, `{"event":"pre-traffic.result","deploymentId":"${DEPLOYMENT}","pass":"no"}`),
                at(T0 + 4, `{"event":"pre-traffic.result","deploymentId":"${DEPLOYMENT}",`),
            ],
        });
        const { read, clock } = setup();

        // Act
        const found = await read("BeforeAllowTraffic");

        // Assess: nothing usable, so it searched again until its waits ran out.
        expect(found).toBeUndefined();
        expect(clock.sleeps).toEqual([1_000, 2_000, 4_000, 8_000]);
        expect(searches()).toHaveLength(5);
    });

    it("keeps a verdict whose report is absent (the hook failed before warming)", async () => {
        // Prepare
        const reason = "could not determine the version to warm: GetDeployment failed: AccessDeniedException: not authorized, and MANGUM_TARGET_VERSION is not set";
        logsMock.on(FilterLogEventsCommand).resolves({ events: [at(T0, resultLine({ reasons: [reason], report: null }))] });
        const { read } = setup();

        // Act / Assess
        await expect(read("BeforeAllowTraffic")).resolves.toEqual({ verdict: { pass: false, reasons: [reason] }, report: null });
    });

    it("follows the result pages", async () => {
        // Prepare
        logsMock
            .on(FilterLogEventsCommand)
            .resolvesOnce({ events: [], nextToken: "page-2" })
            .resolvesOnce({ events: [at(T0, resultLine())] });
        const { read, clock } = setup();

        // Act
        const found = await read("BeforeAllowTraffic");

        // Assess
        expect(found?.verdict.reasons).toEqual([DB_REASON]);
        expect(searches().map((s) => s.nextToken)).toEqual([undefined, "page-2"]);
        expect(clock.sleeps).toEqual([]);
    });
});

describe("choosing among several executions of the hook", () => {
    const BEFORE = "eyJlbmNyeXB0ZWREYXRhIjoiQkVGT1JFIn0=";
    const AFTER = "eyJlbmNyeXB0ZWREYXRhIjoiQUZURVIifQ==";
    const smokeFailure = "1 of 5 warm-up invocations failed with a function error: RuntimeError: database is locked";

    it("tells the BeforeAllowTraffic run from the smoke check run of the same function by their order", async () => {
        // Prepare: listed newest first, as nothing guarantees the order of a search's events.
        logsMock.on(FilterLogEventsCommand).resolves({
            events: [
                at(T0 + 300_000, resultLine({ execution: AFTER, reasons: [smokeFailure] })),
                at(T0 + 10_000, resultLine({ execution: BEFORE, pass: true })),
            ],
        });
        const { read } = setup();

        // Act
        const before = await read("BeforeAllowTraffic");
        const after = await read("AfterAllowTraffic");
        const latest = await read(undefined);

        // Assess
        expect(before?.verdict).toEqual({ pass: true, reasons: [] });
        expect(after?.verdict).toEqual({ pass: false, reasons: [smokeFailure] });
        expect(latest?.verdict).toEqual({ pass: false, reasons: [smokeFailure] });
    });

    it("does not answer for AfterAllowTraffic with the BeforeAllowTraffic line while the later one is not in yet", async () => {
        // Prepare
        logsMock.on(FilterLogEventsCommand).resolves({ events: [at(T0, resultLine({ execution: BEFORE, pass: true }))] });
        const { read } = setup(4_000);

        // Act / Assess
        await expect(read("AfterAllowTraffic")).resolves.toBeUndefined();
    });

    it("prefers the line whose status reached CodeDeploy when Lambda retried the hook", async () => {
        // Prepare: the first attempt could not report its status and logged its own verdict; the retry reported.
        logsMock.on(FilterLogEventsCommand).resolves({
            events: [
                at(T0 + 1_000, resultLine({ reasons: ["the hook started with 200 ms left"], statusReported: false })),
                at(T0 + 61_000, resultLine({ reasons: [DB_REASON] })),
                at(T0 + 62_000, resultLine({ reasons: ["a late, unreported attempt"], statusReported: false })),
            ],
        });
        const { read } = setup();

        // Act / Assess
        await expect(read("BeforeAllowTraffic")).resolves.toMatchObject({ verdict: { pass: false, reasons: [DB_REASON] } });
    });
});

describe("when the logs cannot be read", () => {
    it("gives up at once on an error, with a warning", async () => {
        // Prepare
        const denied = Object.assign(new Error("User: arn:aws:sts::123456789012:assumed-role/orders-deployer is not authorized to perform: logs:FilterLogEvents"), {
            name: "AccessDeniedException",
        });
        logsMock.on(FilterLogEventsCommand).rejects(denied);
        const { read, clock, logs } = setup();

        // Act
        const found = await read("BeforeAllowTraffic");

        // Assess
        expect(found).toBeUndefined();
        expect(searches()).toHaveLength(1);
        expect(clock.sleeps).toEqual([]);
        expect(logs.events("hook-report.unreadable")).toEqual([
            expect.objectContaining({
                level: "warn",
                logGroupName: GROUP,
                deploymentId: DEPLOYMENT,
                error: `AccessDeniedException: ${denied.message}`,
            }),
        ]);
    });

    it("never waits past its deadline", async () => {
        // Prepare: 1 s + 2 s fit in 5 s; the next 4 s wait would not.
        logsMock.on(FilterLogEventsCommand).resolves({ events: [] });
        const { read, clock, logs } = setup(5_000);

        // Act
        const found = await read("BeforeAllowTraffic");

        // Assess
        expect(found).toBeUndefined();
        expect(clock.sleeps).toEqual([1_000, 2_000]);
        expect(searches()).toHaveLength(3);
        expect(logs.events("hook-report.not-found")).toEqual([expect.objectContaining({ level: "warn", attempts: 3 })]);
    });

    it("does not search at all when no time is left", async () => {
        // Prepare
        const { read } = setup(0);

        // Act / Assess
        await expect(read("BeforeAllowTraffic")).resolves.toBeUndefined();
        expect(searches()).toHaveLength(0);
    });
});

describe("whose line it is (provenance)", () => {
    const forged = (reasons: string[], execution = "eyJmb3JnZWQiOnRydWV9") => resultLine({ reasons, execution });

    it("ignores a forged line with an earlier timestamp in a stream Lambda did not name", async () => {
        // Prepare: the forger wrote first and back-dated its line; the hook's line came later.
        logsMock.on(FilterLogEventsCommand).resolves({
            events: [at(T0 - 20_000, forged(["attacker-chosen text"]), "app-stream"), at(T0 + 5_000, resultLine())],
        });
        const { read, logs } = setup();

        // Act
        const found = await read("BeforeAllowTraffic");

        // Assess
        expect(found?.verdict.reasons).toEqual([DB_REASON]);
        expect(logs.events("hook-report.rejected")).toEqual([
            expect.objectContaining({ level: "warn", logGroupName: GROUP, deploymentId: DEPLOYMENT, rejected: { "not in a log stream Lambda names": 1 } }),
        ]);
        // The rejected text is not repeated in the deployer's own logs.
        expect(JSON.stringify(logs.lines)).not.toContain("attacker-chosen");
    });

    it("orders by CloudWatch's ingestion time, not by the timestamp the writer chose", async () => {
        // Prepare: a line in a Lambda-like stream, back-dated but ingested after the hook's own.
        logsMock.on(FilterLogEventsCommand).resolves({
            events: [at(T0 - 20_000, forged(["attacker-chosen text"]), STREAM.replace("9f0c", "aaaa"), T0 + 9_000), at(T0 + 5_000, resultLine())],
        });
        const { read } = setup();

        // Act / Assess
        await expect(read("BeforeAllowTraffic")).resolves.toMatchObject({ verdict: { reasons: [DB_REASON] } });
    });

    it.each([
        ["ingested before the deployment was created", at(T0 - 60_000, forged(["written beforehand"]), STREAM, T0 - 40_000)],
        ["written by another logger (no hook field)", at(T0, forged(["not the hook"]).replace('"hook":"pre-traffic",', ""))],
        ["without a lifecycle execution id", at(T0, forged(["no execution"]).replace(/"lifecycleEventHookExecutionId":"[^"]*",/, ""))],
        ["without an ingestion time", { ...at(T0, forged(["no ingestion"])), ingestionTime: undefined }],
    ])("ignores a line %s", async (_label, event) => {
        // Prepare
        logsMock.on(FilterLogEventsCommand).resolves({ events: [event] });
        const { read } = setup(2_000);

        // Act / Assess
        await expect(read("BeforeAllowTraffic")).resolves.toBeUndefined();
    });

    it("takes only a line ingested while its lifecycle event ran, when CodeDeploy says when that was", async () => {
        // Prepare
        logsMock.on(FilterLogEventsCommand).resolves({
            events: [at(T0 - 10_000, forged(["before the hook started"]), STREAM, T0 - 10_000), at(T0 + 5_000, resultLine())],
        });
        const logs = captureLogs();

        // Act
        const found = await readHookReport(new CloudWatchLogsClient({ region: "eu-west-1" }), GROUP, DEPLOYMENT, "BeforeAllowTraffic", {
            createdAt: T0 - 30_000,
            deadline: T0 + 20_000,
            now: () => T0,
            sleep: async () => undefined,
            log: logs.log,
            window: { from: T0, to: T0 + 6_000 },
        });

        // Assess
        expect(found?.verdict.reasons).toEqual([DB_REASON]);
    });

    it("answers nothing when the chosen line contradicts the status CodeDeploy recorded", async () => {
        // Prepare
        logsMock.on(FilterLogEventsCommand).resolves({ events: [at(T0, resultLine({ pass: false }))] });
        const logs = captureLogs();

        // Act
        const found = await readHookReport(new CloudWatchLogsClient({ region: "eu-west-1" }), GROUP, DEPLOYMENT, "BeforeAllowTraffic", {
            createdAt: T0 - 30_000,
            deadline: T0 + 20_000,
            now: () => T0,
            sleep: async () => undefined,
            log: logs.log,
            expectPass: true,
        });

        // Assess
        expect(found).toBeUndefined();
        expect(logs.events("hook-report.contradicts-codedeploy")).toHaveLength(1);
    });
});
