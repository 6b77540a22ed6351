/**
 * Secrets never leave the function: every secret case of the shared fixture
 * (contract/fixtures/secrets.json, written with the Python helper's tests) and
 * of the hooks' own (secrets.hooks.json) is driven end to end, as an app whose
 * helper did not redact would send it: the reply → the pre-traffic hook's log
 * lines → the deployer reading the hook's `pre-traffic.result` line → the
 * deployer's logs, its thrown message (what `pulumi up` prints) and its
 * result (the `deployment` output, plain text in Pulumi state).
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
    CodeDeployClient,
    CreateDeploymentCommand,
    GetDeploymentCommand,
    GetDeploymentTargetCommand,
    ListDeploymentTargetsCommand,
    ListDeploymentsCommand,
    PutLifecycleEventHookExecutionStatusCommand,
} from "@aws-sdk/client-codedeploy";
import { GetAliasCommand, GetFunctionConfigurationCommand, InvokeCommand, LambdaClient, type InvokeCommandOutput } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { WarmupSettings } from "../../hooks/contract";
import { createHandler as createDeployer, type DeployerResult } from "../../hooks/deployer";
import { createLogger } from "../../hooks/log";
import { createHandler as createPreTraffic } from "../../hooks/pre-traffic";
import { MAX_TEXT_CHARS, safeText } from "../../hooks/redact";
import { FIXTURES_DIR, fixture, instanceIds, replyFixture, warmupSettings } from "../helpers/fixtures";
import { invokeFunctionError, invokeOk } from "../helpers/lambda-replies";

interface SecretCase {
    name: string;
    text: string;
    secrets: string[];
}

/** The shared fixture when the Python side has written it, and the hooks' own cases always. */
function secretCases(): SecretCase[] {
    const files = ["secrets.json", "secrets.hooks.json"].filter((f) => existsSync(join(FIXTURES_DIR, f)));
    return files.flatMap((f) => fixture<{ cases: SecretCase[] }>(f).cases.map((c) => ({ ...c, name: `${f}: ${c.name}` })));
}

const CASES = secretCases();
const lambdaMock = mockClient(LambdaClient);
const codedeployMock = mockClient(CodeDeployClient);
const logsMock = mockClient(CloudWatchLogsClient);

const T0 = 1_767_225_600_000;
const DEPLOYMENT = "d-SECRET001";
const STREAM = "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef";
const IDS = instanceIds(5);

const settings: WarmupSettings = warmupSettings({ functionName: "orders-api", minDistinct: 2 });
const deployment = { applicationName: "orders-api-app", deploymentGroupName: "orders-api-live", beforeAllowTrafficHook: "orders-api-pretraffic" };

/** Five answers carrying `text` three ways: a failed check, a function error, a refused request; then healthy environments. */
function repliesCarrying(text: string, ways: "check" | "all"): InvokeCommandOutput[] {
    const healthy = (i: number) => invokeOk(replyFixture("reply.cold-ok.json", { instanceId: IDS[i]!, functionVersion: "8" }));
    const checkFailed = invokeOk(
        replyFixture("reply.db-failed.json", { instanceId: IDS[0]!, functionVersion: "8", checks: { db: { ok: false, ms: 12, error: text } } }),
    );
    if (ways === "check") return [checkFailed, healthy(1), healthy(2), healthy(3), healthy(4)];
    const refused = invokeOk(replyFixture("reply.cold-ok.json", { instanceId: IDS[2]!, functionVersion: "8", error: text }));
    return [checkFailed, invokeFunctionError("OperationalError", text), refused, healthy(3), healthy(4)];
}

function answer(outputs: InvokeCommandOutput[]): void {
    let n = 0;
    lambdaMock.on(InvokeCommand).callsFake(async () => outputs[Math.min(n++, outputs.length - 1)]);
}

/** Runs the real pre-traffic hook and returns its stdout lines. */
async function runPreTraffic(hookSettings: WarmupSettings): Promise<string[]> {
    const stdout: string[] = [];
    const appSpec = JSON.stringify({ version: 0.0, Resources: [{ "orders-api": { Type: "AWS::Lambda::Function", Properties: { Name: "orders-api", TargetVersion: "8" } } }] });
    codedeployMock.on(GetDeploymentCommand, { deploymentId: DEPLOYMENT }).resolves({ deploymentInfo: { revision: { revisionType: "AppSpecContent", appSpecContent: { content: appSpec } } } });
    const hook = createPreTraffic({
        lambda: new LambdaClient({ region: "eu-west-1" }),
        codedeploy: new CodeDeployClient({ region: "eu-west-1" }),
        log: createLogger({ hook: "pre-traffic" }, (line) => stdout.push(line)),
        env: { MANGUM_WARMUP_CONFIG: JSON.stringify(hookSettings) },
    });
    await hook({ DeploymentId: DEPLOYMENT, LifecycleEventHookExecutionId: "eyJzZWNyZXQiOjF9" }, { getRemainingTimeInMillis: () => 60_000 });
    return stdout;
}

/** Runs the real deployer for version 8 over a CodeDeploy deployment that ends `status`, reading `hookLines` from the hook's log group. */
async function runDeployer(status: "Succeeded" | "Failed", hookLines: string[], deploymentSettings: typeof deployment | null = deployment) {
    const stdout: string[] = [];
    const clock = { t: T0 };
    lambdaMock.on(GetAliasCommand).resolves({ FunctionVersion: "7" });
    codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeployMock.on(CreateDeploymentCommand).resolves({ deploymentId: DEPLOYMENT });
    codedeployMock.on(GetDeploymentCommand, { deploymentId: DEPLOYMENT }).resolves({
        deploymentInfo: { deploymentId: DEPLOYMENT, status, createTime: new Date(T0), rollbackInfo: status === "Failed" ? { rollbackDeploymentId: "d-ROLLBACK1" } : undefined },
    });
    codedeployMock.on(ListDeploymentTargetsCommand).resolves({ targetIds: ["orders-api"] });
    codedeployMock.on(GetDeploymentTargetCommand).resolves({
        deploymentTarget: {
            lambdaTarget: { lifecycleEvents: [{ lifecycleEventName: "BeforeAllowTraffic", status, diagnostics: { message: "The hook orders-api-pretraffic reported Failed." } }] },
        },
    });
    logsMock.on(FilterLogEventsCommand).resolves({
        events: hookLines.filter((l) => l.includes('"pre-traffic.result"')).map((message, i) => ({ timestamp: T0 + i, ingestionTime: T0 + 100 + i, logStreamName: STREAM, message })),
    });
    const handler = createDeployer({
        lambda: new LambdaClient({ region: "eu-west-1" }),
        codedeploy: new CodeDeployClient({ region: "eu-west-1" }),
        logs: new CloudWatchLogsClient({ region: "eu-west-1" }),
        now: () => clock.t,
        sleep: async (ms) => void (clock.t += ms),
        log: createLogger({ hook: "deployer" }, (line) => stdout.push(line)),
    });
    const event = { functionName: "orders-api", alias: "live", targetVersion: "8", deployment: deploymentSettings, warmup: settings, tf: { action: "create", prev_input: null } };
    let result: DeployerResult | undefined;
    let thrown = "";
    try {
        result = (await handler(event, { getRemainingTimeInMillis: () => 900_000 })) as DeployerResult;
    } catch (err) {
        thrown = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    return { result, thrown, stdout };
}

function leaks(c: SecretCase, ...texts: string[]): string[] {
    return c.secrets.filter((secret) => texts.some((t) => t.includes(secret)));
}

beforeEach(() => {
    lambdaMock.reset();
    codedeployMock.reset();
    logsMock.reset();
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ State: "Active" });
    codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
});

it("has the cases it promises: at least 20 formats", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
    for (const c of CASES) expect(c.secrets.length).toBeGreaterThan(0);
});

describe.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    it("reaches neither the hooks' logs nor the error pulumi up prints, when the hook fails the version", async () => {
        // Prepare
        answer(repliesCarrying(c.text, "all"));
        // Act
        const hookLines = await runPreTraffic(settings);
        const deployer = await runDeployer("Failed", hookLines);
        // Assess: the verdict did travel (so the test would see a leak), and carried no secret.
        expect(hookLines.some((l) => l.includes('"pre-traffic.result"') && l.includes('"pass":false'))).toBe(true);
        expect(deployer.thrown).toContain("The BeforeAllowTraffic hook's verdict:");
        expect(leaks(c, ...hookLines, ...deployer.stdout, deployer.thrown)).toEqual([]);
    });

    it("stays out of the deployment output, which keeps no error text, when the check only reports", async () => {
        // Prepare: failOnCheckError off, so the version passes with a failed check in its report.
        answer(repliesCarrying(c.text, "check"));
        const reportOnly = { ...settings, failOnCheckError: false };
        // Act
        const hookLines = await runPreTraffic(reportOnly);
        const deployer = await runDeployer("Succeeded", hookLines);
        // Assess
        expect(deployer.thrown).toBe("");
        expect(deployer.result?.warmup?.checks).toEqual({ db: { passed: 4, failed: 1, maxMs: expect.any(Number) } });
        const output = JSON.stringify(deployer.result);
        expect(output).not.toContain(c.text.slice(0, 40));
        expect(leaks(c, ...hookLines, ...deployer.stdout, output)).toEqual([]);
    });

    it("reaches neither the logs nor the error when the deployer warms the version itself (deployment: false)", async () => {
        // Prepare
        answer(repliesCarrying(c.text, "all"));
        // Act
        const deployer = await runDeployer("Succeeded", [], null);
        // Assess
        expect(deployer.thrown).toMatch(/^WarmupFailedError: version 8 of orders-api failed its warm-up: /);
        expect(leaks(c, ...deployer.stdout, deployer.thrown)).toEqual([]);
    });
});

describe("long error text", () => {
    it("is cut before it is redacted, so a secret past the cut never appears and the text stays bounded", () => {
        // Prepare: 1 MB of text, a password deep inside and one straddling the cut.
        const filler = "x ".repeat(MAX_TEXT_CHARS / 2 - 10);
        const text = `${filler}postgresql://app:Zq8@Wk3rTp@db/x ${"y".repeat(1_000_000)} password=Lk2mN8qR`;
        // Act
        const out = safeText(text);
        // Assess
        expect(out.length).toBeLessThan(MAX_TEXT_CHARS + 60);
        expect(out).toMatch(/… \(\d+ more characters cut\)$/);
        for (const secret of ["Zq8", "Wk3rTp", "Lk2mN8qR"]) expect(out).not.toContain(secret);
    });
});
