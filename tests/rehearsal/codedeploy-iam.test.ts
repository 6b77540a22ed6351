/**
 * CodeDeploy's own calls, authorized against the service role the component
 * gives the deployment group: reading the alias and its provisioned
 * concurrency, invoking the hook, reading the watched alarms before each
 * traffic step, moving the alias, publishing to trigger topics. The
 * component is rendered with an error alarm and a trigger; Lambda is a stub
 * (no emulator) and the test plays the hook, signing as the hook's role.
 */
import { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, PutLifecycleEventHookExecutionStatusCommand } from "@aws-sdk/client-codedeploy";
import * as path from "node:path";
import { createLogger } from "../../hooks/log";
import { CodeDeployStandIn, type LambdaControl } from "../../rehearsal/codedeploy/service";
import { Principals, type Principal } from "../../rehearsal/iam/authorize";
import { renderRehearsalComponent, type ComponentModel } from "../../rehearsal/iam/component";
import { IamGate } from "../../rehearsal/iam/gate";
import { withoutStatement, type PolicyMutation } from "../../rehearsal/iam/mutations";

jest.setTimeout(60_000);

const TOPIC = "arn:aws:sns:us-east-1:000000000000:deploy-events";
const FN = "arn:aws:lambda:us-east-1:000000000000:function:app";

class StubLambda implements LambdaControl {
    readonly hookCalls: { DeploymentId: string; LifecycleEventHookExecutionId: string }[] = [];
    private waiting: (() => void)[] = [];
    version = "1";
    aliasState(): { functionVersion: string; weights: Record<string, number> } {
        return { functionVersion: this.version, weights: {} };
    }
    updateAlias(_fn: string, _alias: string, version: string | undefined): void {
        if (version !== undefined) this.version = version;
    }
    invokeAsync(_fn: string, _q: string | undefined, payload: Buffer): string {
        this.hookCalls.push(JSON.parse(payload.toString("utf8")) as StubLambda["hookCalls"][number]);
        this.waiting.shift()?.();
        return "request-id";
    }
    async nextHookCall(index: number): Promise<StubLambda["hookCalls"][number]> {
        if (!this.hookCalls[index]) await new Promise<void>((resolve) => this.waiting.push(resolve));
        return this.hookCalls[index] as StubLambda["hookCalls"][number];
    }
}

let model: ComponentModel;

beforeAll(async () => {
    model = await renderRehearsalComponent({
        appDir: path.join(__dirname, "..", "..", "rehearsal", "app"),
        deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        reservedConcurrency: 10,
        warmup: { checks: ["db"] },
        extraArgs: { deployment: { errorAlarm: true, triggers: [{ name: "deploy-events", topicArn: TOPIC, events: ["DeploymentSuccess", "DeploymentFailure"] }] } },
    });
});

interface Rig {
    lambda: StubLambda;
    codedeploy: CodeDeployStandIn;
    gate: IamGate;
    clientAs(principal: Principal): CodeDeployClient;
    deployer: Principal;
    preTraffic: Principal;
    stop(): Promise<void>;
}

async function rig(mutate?: PolicyMutation): Promise<Rig> {
    const principals = Principals.fromRoles(mutate ? mutate(model.roles) : model.roles);
    const gate = new IamGate(principals);
    const lambda = new StubLambda();
    const codedeploy = new CodeDeployStandIn({ lambda, minuteMs: 5, iam: gate, log: createLogger({}, () => undefined) });
    await codedeploy.start();
    const g = model.deploymentGroup!;
    codedeploy.registerDeploymentGroup({ ...g });
    const clients: CodeDeployClient[] = [];
    const roleOf = (name: string): string => model.functions.find((f) => f.name === name)!.roleArn;
    return {
        lambda,
        codedeploy,
        gate,
        deployer: principals.assume(roleOf("app-deployer"), "app-deployer", "lambda.amazonaws.com"),
        preTraffic: principals.assume(roleOf("app-pre-traffic"), "app-pre-traffic", "lambda.amazonaws.com"),
        clientAs(p) {
            const c = new CodeDeployClient({ endpoint: codedeploy.endpoint, region: "us-east-1", credentials: { accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey }, maxAttempts: 1 });
            clients.push(c);
            return c;
        },
        async stop() {
            for (const c of clients) c.destroy();
            await codedeploy.stop();
        },
    };
}

const APP_SPEC = JSON.stringify({
    version: 0.0,
    Resources: [{ app: { Type: "AWS::Lambda::Function", Properties: { Name: "app", Alias: "live", CurrentVersion: "1", TargetVersion: "2" } } }],
    Hooks: [{ BeforeAllowTraffic: "app-pre-traffic" }],
});

/** A deployment created as the deployer, its hook answered as the pre-traffic hook; resolves with its final status. */
async function deploy(r: Rig): Promise<{ id: string; status?: string; code?: string }> {
    const g = model.deploymentGroup!;
    const asDeployer = r.clientAs(r.deployer);
    const { deploymentId } = await asDeployer.send(
        new CreateDeploymentCommand({ applicationName: g.applicationName, deploymentGroupName: g.deploymentGroupName, revision: { revisionType: "AppSpecContent", appSpecContent: { content: APP_SPEC } } }),
    );
    const id = deploymentId as string;
    const call = await Promise.race([r.lambda.nextHookCall(0), r.codedeploy.idle().then(() => undefined)]);
    if (call) await r.clientAs(r.preTraffic).send(new PutLifecycleEventHookExecutionStatusCommand({ deploymentId: id, lifecycleEventHookExecutionId: call.LifecycleEventHookExecutionId, status: "Succeeded" }));
    await r.codedeploy.idle();
    const info = (await asDeployer.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo;
    return { id, status: info?.status, code: info?.errorInformation?.code };
}

describe("CodeDeploy's calls as its service role", () => {
    test("a canary reads the alias, invokes the hook, reads the alarm before each step, moves the alias and notifies the trigger: all allowed by the component's service role", async () => {
        const r = await rig();
        try {
            const result = await deploy(r);
            expect(result.status).toBe("Succeeded");
            const asService = r.gate.calls.filter((c) => c.caller === "app-codedeploy-role").map((c) => `${c.service}:${c.operation} ${c.checks.map((k) => k.resource).join(",")}`);
            expect(asService).toEqual([
                `lambda:GetAlias ${FN}`,
                `lambda:GetProvisionedConcurrencyConfig ${FN}:live`,
                "lambda:Invoke arn:aws:lambda:us-east-1:000000000000:function:app-pre-traffic",
                "cloudwatch:DescribeAlarms arn:aws:cloudwatch:us-east-1:000000000000:alarm:app-errors",
                `lambda:UpdateAlias ${FN}`,
                "cloudwatch:DescribeAlarms arn:aws:cloudwatch:us-east-1:000000000000:alarm:app-errors",
                `lambda:UpdateAlias ${FN}`,
                `sns:Publish ${TOPIC}`,
            ]);
            expect(r.gate.summary().denied).toBe(0);
            expect(r.codedeploy.notifications).toEqual([expect.objectContaining({ event: "DeploymentSuccess", topicArn: TOPIC, delivered: true })]);
        } finally {
            await r.stop();
        }
    });

    test("each role reports only for itself: the deployer's key may not report the hook's status", async () => {
        const r = await rig();
        try {
            const g = model.deploymentGroup!;
            const asDeployer = r.clientAs(r.deployer);
            const { deploymentId } = await asDeployer.send(
                new CreateDeploymentCommand({ applicationName: g.applicationName, deploymentGroupName: g.deploymentGroupName, revision: { revisionType: "AppSpecContent", appSpecContent: { content: APP_SPEC } } }),
            );
            const call = await r.lambda.nextHookCall(0);
            await expect(
                asDeployer.send(new PutLifecycleEventHookExecutionStatusCommand({ deploymentId, lifecycleEventHookExecutionId: call.LifecycleEventHookExecutionId, status: "Succeeded" })),
            ).rejects.toMatchObject({ name: "AccessDeniedException", message: expect.stringContaining("assumed-role/app-deployer-role/app-deployer is not authorized to perform: codedeploy:PutLifecycleEventHookExecutionStatus") });
            await r.clientAs(r.preTraffic).send(new PutLifecycleEventHookExecutionStatusCommand({ deploymentId, lifecycleEventHookExecutionId: call.LifecycleEventHookExecutionId, status: "Failed" }));
            await r.codedeploy.idle();
        } finally {
            await r.stop();
        }
    });

    test("without ReadWatchedAlarms the alarms cannot be read: the deployment stops with IAM_ROLE_PERMISSIONS before any traffic moves", async () => {
        const r = await rig(withoutStatement("app-codedeploy-role", { sid: "ReadWatchedAlarms" }));
        try {
            const result = await deploy(r);
            expect(result).toMatchObject({ status: "Failed", code: "IAM_ROLE_PERMISSIONS" });
            expect(r.lambda.version).toBe("1");
            expect(r.gate.summary().denials.map((d) => [d.caller, d.denied?.action, d.denied?.resource])).toEqual([
                ["app-codedeploy-role", "cloudwatch:DescribeAlarms", "arn:aws:cloudwatch:us-east-1:000000000000:alarm:app-errors"],
            ]);
        } finally {
            await r.stop();
        }
    });

    test("without NotifyTriggerTopics the deployment still succeeds, the notification is not delivered and the denial is counted", async () => {
        const r = await rig(withoutStatement("app-codedeploy-role", { sid: "NotifyTriggerTopics" }));
        try {
            const result = await deploy(r);
            expect(result.status).toBe("Succeeded");
            expect(r.codedeploy.notifications).toEqual([expect.objectContaining({ event: "DeploymentSuccess", delivered: false })]);
            expect(r.gate.summary().denials.map((d) => [d.caller, d.denied?.action, d.denied?.resource])).toEqual([["app-codedeploy-role", "sns:Publish", TOPIC]]);
        } finally {
            await r.stop();
        }
    });
});
