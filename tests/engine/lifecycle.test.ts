/**
 * The lifecycle of a stack on the real Pulumi engine (the CLI built by
 * scripts/pulumi-cli.sh, through the Automation API) against the local AWS:
 * up v1 → v2 → broken v3 → v4 → settings-only → aliasName change → keep-warm
 * firing → refresh + preview → destroy. Asserts on the engine's state, on the
 * stand-ins and on what the deployer received.
 *
 * Needs a provisioned machine (npm test does it); the first run on a fresh
 * machine builds the CLI (~5–9 min, cached outside the checkout afterwards).
 * Nothing here is timed.
 */
import { EngineRig } from "../../rehearsal/engine/rig";
import { runLifecycle, type StepReport } from "../../rehearsal/engine/lifecycle";
import { checkLifecycle } from "../../rehearsal/engine/expectations";

jest.setTimeout(20 * 60_000);

let rig: EngineRig | undefined;
let reports: StepReport[] = [];
const step = (n: number): StepReport => {
    const r = reports[n];
    if (!r) throw new Error(`step ${n} did not run`);
    return r;
};
const stateOf = (r: StepReport, type: string, name: string) => r.facts.state[`${type}::${name}`];

beforeAll(async () => {
    rig = await EngineRig.start({ minuteMs: 200, scheduleMinuteMs: 200 });
    reports = await runLifecycle(rig);
}, 25 * 60_000);

afterAll(async () => {
    await rig?.stop();
});

describe("a stack's life on the real engine against the local AWS", () => {
    test("every step behaves as with Pulumi's AWS provider on AWS", () => {
        expect(checkLifecycle(reports)).toEqual([]);
    });

    test("the engine reports its own summary for each command", () => {
        expect(step(0).step.summary).toEqual(["Resources:", expect.stringMatching(/^\s+\+ \d+ created$/)]);
        expect(step(1).step.changes).toMatchObject({ replace: 1 });
        expect(step(9).step.summary.join("\n")).toMatch(/- \d+ deleted/);
    });

    test("a new version arrives as a replacement of the deployer Invocation: create (prev_input null), then delete of the old", () => {
        const calls = step(1).facts.deployerCalls.filter((c) => c.resource === "app-deploy");
        expect(calls).toEqual([
            { resource: "app-deploy", action: "create", alias: "live", targetVersion: "2", prevTargetVersion: null, prevAlias: null, ok: true },
            { resource: "app-deploy", action: "delete", alias: "live", targetVersion: "1", prevTargetVersion: "1", prevAlias: "live", ok: true },
        ]);
    });

    test("ignoreChanges: a new version leaves the alias's saved functionVersion untouched while CodeDeploy moves the real alias", () => {
        expect(stateOf(step(1), "aws:lambda/alias:Alias", "app-alias")?.inputs.functionVersion).toBe("1");
        expect(step(1).facts.aliases.live?.version).toBe("2");
        expect(stateOf(step(1), "aws:lambda/function:Function", "app")?.outputs.version).toBe("2");
    });

    test("a failed create is not saved: after the broken v3 the state keeps v2's Invocation, the function is at v3", () => {
        expect(step(2).step.error).toMatch(/invoking Lambda Function \(app-deployer-[0-9a-f]{7}\): .*DeploymentFailedError/);
        expect((stateOf(step(2), "aws:lambda/invocation:Invocation", "app-deploy")?.inputs.triggers as Record<string, string>).version).toBe("2");
        expect(stateOf(step(2), "aws:lambda/function:Function", "app")?.outputs.version).toBe("3");
        expect(step(2).facts.deployments.map((d) => [d.from, d.to, d.status, d.creator])).toEqual([
            ["2", "3", "Failed", "user"],
            ["3", "2", "Succeeded", "autoRollback"],
        ]);
    });

    test("a settings-only change reaches the deployer as an update with prev_input and starts nothing", () => {
        const calls = step(4).facts.deployerCalls.filter((c) => c.resource === "app-deploy");
        expect(calls).toEqual([{ resource: "app-deploy", action: "update", alias: "live", targetVersion: "4", prevTargetVersion: "4", prevAlias: "live", ok: true }]);
        expect(step(4).facts.deployments).toEqual([]);
        expect(step(4).facts.preTrafficRuns).toBe(0);
    });

    test("an aliasName change: the alias-origin Invocation is replaced, prod starts on the version live served, live and its URL go", () => {
        const r = step(5);
        expect(r.facts.deployerCalls.filter((c) => c.resource === "app-alias-origin")).toEqual([{ resource: "app-alias-origin", action: "create", op: "alias-origin", alias: "prod", ok: true }]);
        expect(r.facts.aliases).toEqual({ prod: { version: "4", weights: {} } });
        expect(stateOf(r, "aws:lambda/alias:Alias", "app-alias")?.outputs.arn).toMatch(/^arn:aws:lambda:us-east-1:000000000000:function:app-[0-9a-f]{7}:prod$/);
        expect(stateOf(r, "aws:lambda/functionUrl:FunctionUrl", "app-url")?.inputs.qualifier).toBe("prod");
    });

    test("the keep-warm rule fires on its (compressed) schedule through the permission the component grants", () => {
        expect(step(6).facts.firings.length).toBeGreaterThan(0);
        expect(step(6).facts.firings.every((f) => f.delivered)).toBe(true);
        expect(step(6).facts.keepWarmInvocations).toBeGreaterThan(0);
    });

    test("IAM: every role the engine created had its calls evaluated with the engine's policies, and none was denied", () => {
        expect(reports.map((r) => [r.step.label, r.facts.iam.denials])).toEqual(reports.map((r) => [r.step.label, []]));
        const byRole = Object.fromEntries(rig!.aws.iam.summary().byRole.map((r) => [r.role.replace(/-[0-9a-f]{7}$/, ""), r]));
        // The app's role: Lambda's log delivery; the hooks' roles: their API calls; CodeDeploy's: its own calls (alias, hooks).
        expect(Object.keys(byRole).sort()).toEqual(["app-codedeploy-role", "app-deployer-role", "app-keep-warm-role", "app-pre-traffic-role", "app-role"]);
        for (const r of Object.values(byRole)) expect(r).toMatchObject({ evaluated: expect.any(Number), denied: 0 });
        for (const r of Object.values(byRole)) expect(r.evaluated).toBeGreaterThan(0);
        expect(rig!.aws.iam.summary().denied).toBe(0);
    });

    test("IAM follows the engine's policy updates: after the alias rename, keep-warm warms prod with the policy the engine updated", () => {
        const keepWarmPolicy = Object.entries(step(5).facts.state).find(([k, v]) => k.startsWith("aws:iam/rolePolicy:RolePolicy::") && /keep-warm/.test(String(v.inputs.role)))?.[1];
        expect(String(keepWarmPolicy?.inputs.policy)).toContain(":prod");
        expect(String(keepWarmPolicy?.inputs.policy)).not.toContain(":live");
        expect(step(6).facts.iam).toMatchObject({ denied: 0 });
        expect(step(6).facts.iam.evaluated).toBeGreaterThan(0);
    });

    test("destroy: the deployer gets tf.action delete, and nothing is left in the local AWS or the state", () => {
        expect(step(9).facts.deployerCalls.filter((c) => c.resource === "app-deploy").map((c) => c.action)).toEqual(["delete"]);
        expect(step(9).facts.resourcesByType).toEqual({});
        expect(rig!.aws.lambda.hasFunction(String(stateOf(step(8), "aws:lambda/function:Function", "app")?.outputs.name))).toBe(false);
        expect(Object.keys(step(9).facts.state).filter((k) => k.startsWith("aws:"))).toEqual([]);
    });
});
