/**
 * IAM on the real-engine path: the policies that decide the hooks' calls are
 * the ones the ENGINE created (aws.iam.RolePolicy through the local provider),
 * not a mock render. A program that drops the deployer's "ReadAliases"
 * statement (a stack transformation on aws.iam.RolePolicy, as a user's program
 * could) makes the first `up` fail: the deployer's alias-origin call
 * (lambda:ListAliases on the unqualified function ARN) is denied, and the
 * engine's own error output names the role, the action and the resource, in
 * AWS's words.
 *
 * Needs a provisioned machine (npm test does it). Nothing here is timed.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { EngineRig, type EngineStep } from "../../rehearsal/engine/rig";
import { findRoot } from "../../rehearsal/scenarios/stage";

jest.setTimeout(10 * 60_000);

let rig: EngineRig | undefined;
let up: EngineStep | undefined;

beforeAll(async () => {
    rig = await EngineRig.start({ minuteMs: 200, scheduleMinuteMs: 200, dropStatement: "app-deployer-role/ReadAliases" });
    up = await rig.up("v1 without ReadAliases");
}, 15 * 60_000);

afterAll(async () => {
    await rig?.stop();
});

describe("the deployer's policy without its alias grant, on the real engine", () => {
    test("the program's transformation took exactly that statement out of the deployer's RolePolicy the engine created", () => {
        expect(rig!.dropped.dropped).toBe(1);
        expect([...rig!.dropped.roles]).toEqual([expect.stringMatching(/^app-deployer-role-[0-9a-f]{7}$/)]);
        const stored = rig!.aws.resources("aws:iam/rolePolicy:RolePolicy").find((r) => /^app-deployer-role-[0-9a-f]{7}$/.test(String(r.props.role)));
        const sids = (JSON.parse(String(stored?.props.policy)) as { Statement: { Sid?: string }[] }).Statement.map((s) => s.Sid);
        expect(sids).not.toContain("ReadAliases");
        expect(sids.length).toBeGreaterThan(0);
    });

    test("`up` fails, and the engine's error names the role, the action and the resource denied, in AWS's words", () => {
        expect(up?.ok).toBe(false);
        expect(up?.error).toMatch(
            /aws:lambda:Invocation \(app-alias-origin\):\s+error: invoking Lambda Function \(app-deployer-[0-9a-f]{7}\): \{"errorType":"AccessDeniedException","errorMessage":"User: arn:aws:sts::000000000000:assumed-role\/app-deployer-role-[0-9a-f]{7}\/app-deployer-[0-9a-f]{7} is not authorized to perform: lambda:ListAliases on resource: arn:aws:lambda:us-east-1:000000000000:function:app-[0-9a-f]{7} because no identity-based policy allows the lambda:ListAliases action"/,
        );
    });

    test("the gate counted it: one denial, for the deployer's role, and nothing of the app was deployed behind it", () => {
        const summary = rig!.aws.iam.summary();
        expect(summary.denials.map((d) => [d.caller.replace(/-[0-9a-f]{7}$/, "-*"), d.denied?.action, d.denied?.resource.replace(/app-[0-9a-f]{7}$/, "app-*")])).toEqual([
            ["app-deployer-role-*", "lambda:ListAliases", "arn:aws:lambda:us-east-1:000000000000:function:app-*"],
        ]);
        expect(rig!.aws.resources("aws:lambda/alias:Alias")).toEqual([]);
        expect(rig!.aws.codedeploy.deployments.size).toBe(0);
    });
});

test("`npm run rehearse -- --drop-statement` refuses a spec that is not ROLE/SID before starting anything", () => {
    const root = findRoot();
    const run = spawnSync(process.execPath, [path.join(root, "bin", "rehearsal", "bin", "rehearse-engine.js"), "--drop-statement", "ReadAliases"], { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--drop-statement takes ROLE/SID, e.g. app-deployer-role/ReadAliases; got "ReadAliases"');
});
