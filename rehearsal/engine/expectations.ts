/**
 * What each lifecycle step must show, as Pulumi's AWS provider and AWS would
 * behave, in one place: the printed rehearsal exits 1 on any of these, and the
 * jest test asserts the same facts in detail.
 */
import type { StepReport } from "./lifecycle";

const only = (served: Record<string, number>, version: string): boolean => Object.keys(served).length > 0 && Object.keys(served).every((v) => v === version);

export function checkLifecycle(reports: StepReport[]): string[] {
    const problems: string[] = [];
    const at = (i: number): StepReport | undefined => reports[i];
    const expect = (cond: boolean, what: string): void => {
        if (!cond) problems.push(what);
    };
    const deploy = (r: StepReport | undefined) => (r ? r.facts.deployerCalls.filter((c) => c.resource === "app-deploy") : []);
    const iamDenials = (): void => {
        // IAM: every call a role of the component made was evaluated with the policies the engine created, and none
        // may be denied: a denial here is a call AWS would refuse.
        for (const r of reports) {
            expect(r.facts.iam.denied === 0, `${r.step.label}: IAM denied ${r.facts.iam.denied} call(s) AWS would deny too: ${r.facts.iam.denials.join("; ")}`);
        }
        expect(reports.reduce((n, r) => n + r.facts.iam.evaluated, 0) > 0, "IAM evaluated no call: the stand-ins are not enforcing the engine's policies");
    };

    // The lifecycle stops when the first deploy or the new version fails: say why, not every step after it.
    const stopped = reports.find((r, i) => i < 2 && !r.step.ok);
    if (stopped) {
        problems.push(`${stopped.step.label} failed, so the lifecycle stopped there (every later step needs it): ${stopped.step.error ?? ""}`);
        iamDenials();
        return problems;
    }

    const v1 = at(0);
    expect(v1?.step.ok === true, `up v1 failed: ${v1?.step.error ?? "not run"}`);
    expect(v1?.facts.aliases.live?.version === "1", "after v1 the alias live must serve version 1");
    expect(deploy(v1).some((c) => c.action === "create" && c.targetVersion === "1" && c.prevTargetVersion === null && c.ok), "v1: the deployer must get tf.action create for version 1 with prev_input null");
    expect(v1 !== undefined && only(v1.facts.served, "1"), "v1: users must be served by version 1");

    const v2 = at(1);
    expect(v2?.step.ok === true, `up v2 failed: ${v2?.step.error ?? "not run"}`);
    const v2calls = deploy(v2);
    expect(v2calls.some((c) => c.action === "create" && c.targetVersion === "2" && c.prevTargetVersion === null && c.ok), "v2 arrives as a replacement: tf.action create for version 2, prev_input null");
    expect(v2calls.some((c) => c.action === "delete" && c.targetVersion === "1"), "v2: the old Invocation (version 1) must then be deleted with tf.action delete");
    const createIdx = v2calls.findIndex((c) => c.action === "create");
    const deleteIdx = v2calls.findIndex((c) => c.action === "delete");
    expect(createIdx >= 0 && deleteIdx > createIdx, "v2: create of the new Invocation must come before the delete of the old one (create-before-delete)");
    expect(v2?.facts.deployments.some((d) => d.from === "1" && d.to === "2" && d.status === "Succeeded") === true, "v2: a CodeDeploy deployment 1 → 2 must succeed");
    expect((v2?.facts.preTrafficRuns ?? 0) > 0, "v2: the pre-traffic hook must run");
    expect(v2?.facts.aliases.live?.version === "2" && Object.keys(v2.facts.aliases.live.weights).length === 0, "after v2 the alias must serve version 2 alone");

    const v3 = at(2);
    expect(v3?.step.ok === false, "up v3 (broken) must fail");
    expect(v3?.facts.aliases.live?.version === "2" && Object.keys(v3?.facts.aliases.live?.weights ?? {}).length === 0, "after the broken v3 the alias must stay on version 2 with no weights");
    expect(v3 !== undefined && only(v3.facts.served, "2"), "nothing of v3 may serve users");
    expect(!deploy(v3).some((c) => c.action === "delete"), "a failed create of the v3 Invocation must not delete v2's");

    const v4 = at(3);
    expect(v4?.step.ok === true, `up v4 failed: ${v4?.step.error ?? "not run"}`);
    expect(v4?.facts.aliases.live?.version === "4", "after v4 the alias must serve version 4");
    expect(deploy(v4).some((c) => c.action === "delete" && c.targetVersion === "2"), "v4: the Invocation deleted is v2's (v3's was never saved)");

    const settings = at(4);
    expect(settings?.step.ok === true, `the settings-only up failed: ${settings?.step.error ?? "not run"}`);
    expect((settings?.facts.deployments.length ?? 1) === 0, "a settings-only change must not start a deployment");
    expect(deploy(settings).some((c) => c.action === "update" && c.prevTargetVersion === c.targetVersion), "a settings-only change reaches the deployer as tf.action update with the same target version");
    expect(settings?.facts.versions.length === v4?.facts.versions.length, "a settings-only change must not publish a version");

    const rename = at(5);
    expect(rename?.step.ok === true, `the aliasName change failed: ${rename?.step.error ?? "not run"}`);
    expect(rename?.facts.aliases.prod?.version === "4", "the new alias prod must start on the version live served (4)");
    expect(rename?.facts.aliases.live === undefined, "the old alias live must be deleted");
    expect((rename?.facts.deployments.length ?? 1) === 0, "an alias rename must not start a deployment");

    const warm = at(6);
    expect(warm?.step.ok === true && (warm?.facts.keepWarmInvocations ?? 0) > 0, "the keep-warm schedule must fire and warm the alias");

    const preview = at(8);
    const changed = Object.entries(preview?.step.changes ?? {}).filter(([k, n]) => k !== "same" && n > 0);
    expect(preview?.step.ok === true && changed.length === 0, `after refresh a preview must show no changes (got ${JSON.stringify(preview?.step.changes)})`);

    iamDenials();

    const destroy = at(9);
    expect(destroy?.step.ok === true, `destroy failed: ${destroy?.step.error ?? "not run"}`);
    expect(destroy !== undefined && Object.keys(destroy.facts.resourcesByType).length === 0, `destroy must leave nothing in the local AWS (left: ${JSON.stringify(destroy?.facts.resourcesByType)})`);
    return problems;
}
