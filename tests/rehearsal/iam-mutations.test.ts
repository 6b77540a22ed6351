/**
 * Mutation tests: the rehearsal denies what AWS would deny. Each test breaks
 * one grant in the policies taken from the component (a rendered copy, never
 * the component's source), runs the part of the rehearsal that needs it, and
 * checks that the deploy fails and that the report names the role, the
 * action and the resource that were denied. One mutation per hook, one for
 * CodeDeploy's service role, and one through `npm run rehearse`'s own
 * binary. Requires a provisioned machine (`npm test` builds and provisions).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { retargetStatement, withoutAction, withoutStatement, type PolicyMutation } from "../../rehearsal/iam/mutations";
import { deployVersion } from "../../rehearsal/scenarios/scenario";
import { ALIAS, APP, Stage, findRoot } from "../../rehearsal/scenarios/stage";

jest.setTimeout(180_000);

const FN = "arn:aws:lambda:us-east-1:000000000000:function:app";

async function withStage<T>(mutatePolicies: PolicyMutation, run: (stage: Stage) => Promise<T>): Promise<T> {
    const stage = await Stage.start({ minuteMs: 50, mutatePolicies });
    try {
        return await run(stage);
    } finally {
        await stage.stop();
    }
}

/** The report's DENIED lines, as `npm run rehearse` prints them. */
function deniedLines(stage: Stage): string[] {
    return stage.gate.formatReport().filter((l) => l.trimStart().startsWith("DENIED"));
}

describe("one broken grant, one failed deploy that names it", () => {
    test("deployer: its alias grant pointed back at the alias ARN — the first deploy fails, denied on the function ARN", async () => {
        await withStage(retargetStatement("app-deployer-role", { action: "lambda:GetAlias" }, [`${FN}:live`]), async (stage) => {
            const v1 = await deployVersion(stage, "first", { APP_RELEASE: "v1" });

            expect(v1.outcome.ok).toBe(false);
            if (v1.outcome.ok) return;
            // The deployer's own error path ran on a real AccessDeniedException: what `pulumi up` prints.
            expect(v1.outcome.errorMessage).toMatch(/User: arn:aws:sts::000000000000:assumed-role\/app-deployer-role\/app-deployer is not authorized to perform: lambda:(ListAliases|GetAlias) on resource: arn:aws:lambda:us-east-1:000000000000:function:app because no identity-based policy allows/);
            const [denial] = stage.gate.summary().denials;
            expect(denial).toMatchObject({ caller: "app-deployer-role", denied: { resource: FN } });
            expect(deniedLines(stage)[0]).toMatch(/DENIED lambda:(ListAliases|GetAlias) by role app-deployer-role: lambda:(ListAliases|GetAlias) on arn:aws:lambda:us-east-1:000000000000:function:app$/);
        });
    });

    test("deployer: GetAlias alone taken out — the alias-origin read passes, the deploy's GetAlias is denied", async () => {
        await withStage(withoutAction("app-deployer-role", "lambda:GetAlias"), async (stage) => {
            const v1 = await deployVersion(stage, "first", { APP_RELEASE: "v1" });

            expect(v1.outcome).toMatchObject({ ok: false, errorType: "AccessDeniedException" });
            expect(stage.gate.summary().denials.map((d) => [d.caller, d.denied?.action, d.denied?.resource])).toEqual([["app-deployer-role", "lambda:GetAlias", FN]]);
        });
    });

    test("pre-traffic hook: WarmNewVersion taken out — its warm-ups are denied, it reports Failed, the deploy fails and the alias stays", async () => {
        await withStage(withoutStatement("app-pre-traffic-role", { sid: "WarmNewVersion" }), async (stage) => {
            const v1 = await deployVersion(stage, "first", { APP_RELEASE: "v1" });
            expect(v1.outcome.ok).toBe(true);
            const v2 = await deployVersion(stage, "new-version", { APP_RELEASE: "v2" });

            expect(v2.outcome).toMatchObject({ ok: false, errorType: "DeploymentFailedError" });
            if (v2.outcome.ok) return;
            expect(v2.outcome.errorMessage).toContain("the alias live stays on version 1");
            expect(stage.lambda.aliasState(APP, ALIAS)).toEqual({ functionVersion: "1", weights: {} });
            const denials = stage.gate.summary().denials;
            expect(denials.length).toBeGreaterThan(0);
            expect(new Set(denials.map((d) => `${d.caller} ${d.denied?.action} ${d.denied?.resource}`))).toEqual(new Set([`app-pre-traffic-role lambda:InvokeFunction ${FN}:2`]));
            expect(deniedLines(stage)[0]).toBe(`  DENIED lambda:Invoke by role app-pre-traffic-role: lambda:InvokeFunction on ${FN}:2`);
        });
    });

    test("keep-warm hook: WarmAlias taken out — the schedule's tick is denied on the alias ARN and its verdict fails", async () => {
        await withStage(withoutStatement("app-keep-warm-role", { sid: "WarmAlias" }), async (stage) => {
            const v1 = await deployVersion(stage, "first", { APP_RELEASE: "v1" });
            expect(v1.outcome.ok).toBe(true);
            const tick = await stage.keepWarmTick();

            expect(tick).toMatchObject({ pass: false, report: { succeeded: 0 } });
            expect(new Set(stage.gate.summary().denials.map((d) => `${d.caller} ${d.denied?.action} ${d.denied?.resource}`))).toEqual(new Set([`app-keep-warm-role lambda:InvokeFunction ${FN}:live`]));
        });
    });

    test("CodeDeploy's service role: InvokeOwnHooks taken out — CodeDeploy cannot invoke the hook, the deployment fails with IAM_ROLE_PERMISSIONS", async () => {
        await withStage(withoutStatement("app-codedeploy-role", { sid: "InvokeOwnHooks" }), async (stage) => {
            const v1 = await deployVersion(stage, "first", { APP_RELEASE: "v1" });
            expect(v1.outcome.ok).toBe(true);
            const v2 = await deployVersion(stage, "new-version", { APP_RELEASE: "v2" });

            expect(v2.outcome).toMatchObject({ ok: false, errorType: "DeploymentFailedError" });
            if (v2.outcome.ok) return;
            expect(v2.outcome.errorMessage).toContain(
                "The IAM role arn:aws:iam::000000000000:role/app-codedeploy-role does not give you permission to perform operations in the following AWS service: AWSLambda",
            );
            expect(stage.codedeploy.deployments.get(v2.deploymentId as string)?.errorInformation?.code).toBe("IAM_ROLE_PERMISSIONS");
            expect(stage.gate.summary().denials.map((d) => [d.caller, d.denied?.action, d.denied?.resource])).toEqual([
                ["app-codedeploy-role", "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:000000000000:function:app-pre-traffic"],
            ]);
        });
    });

    test("`npm run rehearse -- --quick --drop-statement app-deployer-role/ReadAliases` exits 1 and its output names the role, the action and the resource denied", () => {
        const root = findRoot();
        const binary = path.join(root, "bin", "rehearsal", "bin", "rehearse.js");
        expect(fs.existsSync(binary)).toBe(true);
        const run = spawnSync(process.execPath, [binary, "--minute-ms", "50", "--drop-statement", "app-deployer-role/ReadAliases"], { cwd: root, encoding: "utf8", timeout: 170_000 });
        const output = run.stdout + run.stderr;

        expect(run.status).toBe(1);
        expect(output).toContain("rehearsing with statement app-deployer-role/ReadAliases taken out of the component's policies");
        expect(output).toMatch(/DENIED lambda:ListAliases by role app-deployer-role: lambda:ListAliases on arn:aws:lambda:us-east-1:000000000000:function:app/);
        expect(output).toMatch(/IAM: \d+ calls evaluated against the component's own policies, 1 denied/);
        expect(output).toMatch(/Rehearsal FAILED: first deploy, 1 calls denied by IAM\./);
    });
});
