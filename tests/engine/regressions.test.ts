/**
 * Lifecycle defects of issue 10 ("Deploys that survive real AWS") that only
 * the real engine shows, because they live in the provider's lifecycle
 * (ignoreChanges, replacement, update with prev_input), not in the hooks:
 * - item 4: a settings-only change after the alias was rolled back by hand
 *   must not deploy anything (the deployer gets tf.action update with the same
 *   target version);
 * - item 3: an aliasName change must start the new alias on the version the
 *   old alias serves, not on the newest published version.
 */
import { EngineRig } from "../../rehearsal/engine/rig";
import { appFunctionName } from "../../rehearsal/engine/lifecycle";

jest.setTimeout(20 * 60_000);

let rig: EngineRig | undefined;
let fn = "";

beforeAll(async () => {
    rig = await EngineRig.start({ minuteMs: 200, scheduleMinuteMs: 200 });
    rig.release.appRelease = "v1";
    const v1 = await rig.up("v1");
    if (!v1.ok) throw new Error(v1.error);
    rig.release.appRelease = "v2";
    const v2 = await rig.up("v2");
    if (!v2.ok) throw new Error(v2.error);
    fn = appFunctionName(rig) ?? "";
    // The user rolls back by hand (aws lambda update-alias --function-version 1).
    rig.aws.lambda.updateAlias(fn, "live", "1", {});
}, 25 * 60_000);

afterAll(async () => {
    await rig?.stop();
});

describe("lifecycle defects only the engine shows", () => {
    test("issue 10 item 4: a settings-only change after a manual rollback deploys nothing; the alias stays on 1", async () => {
        const calls = rig!.aws.invocations.length;
        const deployments = rig!.aws.codedeploy.deployments.size;
        rig!.release.holdMs = [200, 300];
        const s = await rig!.up("settings-only");
        expect(s.error ?? "").toBe("");
        const seen = rig!.aws.invocations.slice(calls).map((i) => i.event as { targetVersion?: string; tf?: { action: string; prev_input: { targetVersion?: string } | null } });
        expect(seen.map((e) => [e.tf?.action, e.targetVersion, e.tf?.prev_input?.targetVersion])).toEqual([["update", "2", "2"]]);
        expect(rig!.aws.codedeploy.deployments.size).toBe(deployments);
        expect(rig!.aws.lambda.aliasState(fn, "live")).toEqual({ functionVersion: "1", weights: {} });
    });

    test("issue 10 item 3: aliasName live → prod starts prod on version 1 (what live serves), not on the newest version 2", async () => {
        rig!.release.aliasName = "prod";
        const s = await rig!.up("rename");
        expect(s.error ?? "").toBe("");
        expect(rig!.aws.lambda.listAliases(fn).map((a) => [a.Name, a.FunctionVersion])).toEqual([["prod", "1"]]);
    });
});
