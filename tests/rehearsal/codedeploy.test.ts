/**
 * The CodeDeploy stand-in, driven through the real SDK v3 CodeDeployClient as
 * the deployer and the pre-traffic hook drive it. Lambda is a recording stub
 * here (no emulator): these tests are about the lifecycle and the API.
 */
import {
    CodeDeployClient,
    CreateDeploymentCommand,
    GetDeploymentCommand,
    GetDeploymentTargetCommand,
    ListDeploymentTargetsCommand,
    ListDeploymentsCommand,
    PutLifecycleEventHookExecutionStatusCommand,
    StopDeploymentCommand,
} from "@aws-sdk/client-codedeploy";
import { createLogger } from "../../hooks/log";
import { CodeDeployStandIn, type LambdaControl } from "../../rehearsal/codedeploy/service";
import { shiftSteps, PREDEFINED_CONFIGS } from "../../rehearsal/codedeploy/traffic";

interface HookCall {
    functionName: string;
    payload: { DeploymentId: string; LifecycleEventHookExecutionId: string };
}

/** Records alias updates and hook invocations; the test plays the hook. */
class StubLambda implements LambdaControl {
    readonly aliasUpdates: [string | undefined, Record<string, number> | undefined][] = [];
    readonly hookCalls: HookCall[] = [];
    private waiting: ((call: HookCall) => void)[] = [];
    version = "1";

    aliasState(): { functionVersion: string; weights: Record<string, number> } {
        return { functionVersion: this.version, weights: {} };
    }

    updateAlias(_fn: string, _alias: string, version: string | undefined, weights: Record<string, number> | undefined): void {
        this.aliasUpdates.push([version, weights]);
        if (version !== undefined) this.version = version;
    }

    invokeAsync(functionName: string, _qualifier: string | undefined, payload: Buffer): string {
        const call = { functionName, payload: JSON.parse(payload.toString("utf8")) as HookCall["payload"] };
        this.hookCalls.push(call);
        this.waiting.shift()?.(call);
        return "request-id";
    }

    /** Resolves with the next hook invocation (or the one already made). */
    nextHookCall(index: number): Promise<HookCall> {
        const made = this.hookCalls[index];
        return made ? Promise.resolve(made) : new Promise((resolve) => this.waiting.push(resolve));
    }
}

const APP_SPEC = JSON.stringify({
    version: 0.0,
    Resources: [{ app: { Type: "AWS::Lambda::Function", Properties: { Name: "app", Alias: "live", CurrentVersion: "1", TargetVersion: "2" } } }],
    Hooks: [{ BeforeAllowTraffic: "pre-traffic" }],
});

let lambda: StubLambda;
let codedeploy: CodeDeployStandIn;
let client: CodeDeployClient;

async function start(options: { hookTimeoutMs?: number; config?: string } = {}): Promise<void> {
    lambda = new StubLambda();
    codedeploy = new CodeDeployStandIn({ lambda, minuteMs: 5, hookTimeoutMs: options.hookTimeoutMs ?? 60_000, log: createLogger({}, () => undefined) });
    await codedeploy.start();
    codedeploy.registerDeploymentGroup({
        applicationName: "shop",
        deploymentGroupName: "shop-live",
        deploymentConfigName: options.config ?? "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    });
    client = new CodeDeployClient({
        endpoint: codedeploy.endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
        maxAttempts: 1,
    });
}

afterEach(async () => {
    client.destroy();
    await codedeploy.stop();
});

async function createDeployment(): Promise<string> {
    const out = await client.send(
        new CreateDeploymentCommand({
            applicationName: "shop",
            deploymentGroupName: "shop-live",
            revision: { revisionType: "AppSpecContent", appSpecContent: { content: APP_SPEC } },
        }),
    );
    return out.deploymentId as string;
}

function report(deploymentId: string, executionId: string, status: "Succeeded" | "Failed") {
    return client.send(new PutLifecycleEventHookExecutionStatusCommand({ deploymentId, lifecycleEventHookExecutionId: executionId, status }));
}

describe("CodeDeploy stand-in", () => {
    test("invokes the BeforeAllowTraffic hook with the deployment and execution ids, then shifts a canary and succeeds", async () => {
        await start();
        const id = await createDeployment();
        const call = await lambda.nextHookCall(0);
        expect(call.functionName).toBe("pre-traffic");
        expect(call.payload.DeploymentId).toBe(id);
        expect(lambda.aliasUpdates).toEqual([]); // nothing moves before the hook reports

        await report(id, call.payload.LifecycleEventHookExecutionId, "Succeeded");
        await codedeploy.idle();

        expect(lambda.aliasUpdates).toEqual([
            [undefined, { "2": 0.1 }],
            ["2", {}],
        ]);
        const { deploymentInfo } = await client.send(new GetDeploymentCommand({ deploymentId: id }));
        expect(deploymentInfo?.status).toBe("Succeeded");
        expect(deploymentInfo?.deploymentConfigName).toBe("CodeDeployDefault.LambdaCanary10Percent5Minutes");
        expect(deploymentInfo?.revision?.appSpecContent?.content).toBe(APP_SPEC);
        expect(deploymentInfo?.createTime).toBeInstanceOf(Date);
    });

    test("a Failed report fails the deployment before any traffic moves, and the automatic rollback keeps the alias", async () => {
        await start();
        const id = await createDeployment();
        const call = await lambda.nextHookCall(0);
        await report(id, call.payload.LifecycleEventHookExecutionId, "Failed");
        await codedeploy.idle();

        expect(lambda.aliasUpdates).toEqual([["1", {}]]);
        const { deploymentInfo } = await client.send(new GetDeploymentCommand({ deploymentId: id }));
        expect(deploymentInfo?.status).toBe("Failed");
        expect(deploymentInfo?.errorInformation?.code).toBe("HOOK_EXECUTION_FAILURE");
        expect(deploymentInfo?.rollbackInfo?.rollbackDeploymentId).toMatch(/^d-[A-Z0-9]{9}$/);

        const { targetIds } = await client.send(new ListDeploymentTargetsCommand({ deploymentId: id }));
        expect(targetIds).toEqual(["app:live"]);
        const { deploymentTarget } = await client.send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: "app:live" }));
        const events = deploymentTarget?.lambdaTarget?.lifecycleEvents ?? [];
        expect(events.map((e) => [e.lifecycleEventName, e.status])).toEqual([
            ["BeforeAllowTraffic", "Failed"],
            ["AllowTraffic", "Skipped"],
            ["AfterAllowTraffic", "Skipped"],
        ]);
        expect(events[0]?.diagnostics?.message).toBe("the hook reported Failed through PutLifecycleEventHookExecutionStatus");
        expect(deploymentTarget?.lambdaTarget?.lambdaFunctionInfo).toMatchObject({ functionName: "app", functionAlias: "live", currentVersion: "1", targetVersion: "2", targetVersionWeight: 0 });
    });

    test("a second report for the same hook execution is rejected with LifecycleEventAlreadyCompletedException", async () => {
        await start();
        const id = await createDeployment();
        const { payload } = await lambda.nextHookCall(0);
        await report(id, payload.LifecycleEventHookExecutionId, "Succeeded");
        await expect(report(id, payload.LifecycleEventHookExecutionId, "Failed")).rejects.toMatchObject({ name: "LifecycleEventAlreadyCompletedException" });
        await codedeploy.idle();

        expect(codedeploy.statusReports.map((r) => [r.status, r.accepted, r.error])).toEqual([
            ["Succeeded", true, undefined],
            ["Failed", false, "LifecycleEventAlreadyCompletedException"],
        ]);
        const { deploymentInfo } = await client.send(new GetDeploymentCommand({ deploymentId: id }));
        expect(deploymentInfo?.status).toBe("Succeeded");
    });

    test("a hook that never reports fails the deployment at the hook timeout, and its late report is rejected", async () => {
        await start({ hookTimeoutMs: 50 });
        const id = await createDeployment();
        const { payload } = await lambda.nextHookCall(0);
        await codedeploy.idle();

        const { deploymentInfo } = await client.send(new GetDeploymentCommand({ deploymentId: id }));
        expect(deploymentInfo?.status).toBe("Failed");
        expect(deploymentInfo?.errorInformation?.message).toContain("did not report a status within");
        await expect(report(id, payload.LifecycleEventHookExecutionId, "Succeeded")).rejects.toMatchObject({ name: "LifecycleEventAlreadyCompletedException" });
    });

    test("one active deployment per group: a second CreateDeployment gets DeploymentLimitExceededException, and ListDeployments filters by status", async () => {
        await start();
        const id = await createDeployment();
        await expect(createDeployment()).rejects.toMatchObject({
            name: "DeploymentLimitExceededException",
            message: `The Deployment Group 'shop-live' already has an active Deployment '${id}'`,
        });
        const active = await client.send(new ListDeploymentsCommand({ applicationName: "shop", deploymentGroupName: "shop-live", includeOnlyStatuses: ["InProgress"] }));
        expect(active.deployments).toEqual([id]);

        await client.send(new StopDeploymentCommand({ deploymentId: id }));
        await codedeploy.idle();
        const { deploymentInfo } = await client.send(new GetDeploymentCommand({ deploymentId: id }));
        expect(deploymentInfo?.status).toBe("Stopped");
        const after = await client.send(new ListDeploymentsCommand({ applicationName: "shop", deploymentGroupName: "shop-live", includeOnlyStatuses: ["InProgress"] }));
        expect(after.deployments).toEqual([]);
    });

    test("an AppSpec without a Lambda resource is refused at CreateDeployment", async () => {
        await start();
        await expect(
            client.send(
                new CreateDeploymentCommand({
                    applicationName: "shop",
                    deploymentGroupName: "shop-live",
                    revision: { revisionType: "AppSpecContent", appSpecContent: { content: '{"version":0.0,"Resources":[]}' } },
                }),
            ),
        ).rejects.toMatchObject({ name: "InvalidRevisionException", message: "The AppSpec content is invalid: Resources[0] must be of Type AWS::Lambda::Function" });
    });

    test("an all-at-once config moves the alias in one step", async () => {
        await start({ config: "CodeDeployDefault.LambdaAllAtOnce" });
        const id = await createDeployment();
        const { payload } = await lambda.nextHookCall(0);
        await report(id, payload.LifecycleEventHookExecutionId, "Succeeded");
        await codedeploy.idle();
        expect(lambda.aliasUpdates).toEqual([["2", {}]]);
    });
});

describe("traffic steps", () => {
    test("a linear config adds its percentage every interval and ends with the move to 100 %", () => {
        const steps = shiftSteps(PREDEFINED_CONFIGS["CodeDeployDefault.LambdaLinear10PercentEvery1Minute"]!);
        expect(steps.map((s) => s.weight)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
        expect(steps.every((s) => s.waitMinutes === 1)).toBe(true);
    });

    test("a custom canary routes its percentage for its interval", () => {
        expect(shiftSteps({ type: "TimeBasedCanary", timeBasedCanary: { canaryPercentage: 25, canaryInterval: 3 } })).toEqual([{ weight: 0.25, waitMinutes: 3 }]);
    });
});
