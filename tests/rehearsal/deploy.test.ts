/**
 * A whole deploy, end to end, on one machine: the real app (FastAPI + Mangum +
 * mangum-warmup under awslambdaric in the official emulator), the real bundled
 * hooks, a real PostgreSQL, and the Lambda, CodeDeploy and Logs stand-ins
 * enforcing IAM with the component's own policies. The same story `npm run
 * rehearse` tells: first deploy, a new version, a settings-only change, a
 * keep-warm tick, a broken version.
 *
 * The tests run in order and share one stage. Nothing here is timed: speed
 * is the benchmark's business (npm run bench). Requires a provisioned machine
 * (`npm test` does it); a missing prerequisite fails the suite, naming it.
 */
import { deployVersion, type DeployFacts } from "../../rehearsal/scenarios/scenario";
import { ALIAS, APP, DEPLOYER, KEEP_WARM, PRE_TRAFFIC, Stage } from "../../rehearsal/scenarios/stage";

jest.setTimeout(120_000);

let stage: Stage;
let v1: DeployFacts;
let v2: DeployFacts;
let v3: DeployFacts;

beforeAll(async () => {
    // One CodeDeploy minute = 100 ms: the canary lasts half a second.
    stage = await Stage.start({ minuteMs: 100 });
});

afterAll(async () => {
    await stage?.stop();
});

/** Invocations of the app's `version` that a hook made by qualifier (synchronous, from the hook's environment). */
function warmupInvocations(version: string, from: number, to = stage.lambda.records.length) {
    return stage.lambda.records.slice(from, to).filter((r) => r.functionName === APP && r.version === version && r.qualifier === version);
}

describe("a deploy rehearsed end to end, with IAM enforced", () => {
    test("first deploy: alias-origin runs as created (no tf key), then the deploy Invocation is created and warms version 1 on five environments", async () => {
        v1 = await deployVersion(stage, "first", { APP_RELEASE: "v1" });

        expect(v1.outcome).toMatchObject({ ok: true, result: { status: "Succeeded", deploymentId: null, toVersion: "1" } });
        expect(v1.warmup).toMatchObject({ requested: 5, succeeded: 5, distinctEnvironments: 5, checks: { db: { passed: 5, failed: 0 } } });
        expect(stage.lambda.aliasState(APP, ALIAS)).toEqual({ functionVersion: "1", weights: {} });
        // The provider's sequence (terraform-provider-aws invocation.go buildInput): CREATE_ONLY sends the input as is,
        // CRUD adds tf {action: "create", prev_input: null} on a create.
        const calls = stage.deployerCalls.map((c) => [c.invocation, c.action, c.payload.tf ?? null]);
        expect(calls).toEqual([
            ["app-alias-origin", "create-only", null],
            ["app-deploy", "create", { action: "create", prev_input: null }],
        ]);
    });

    test("new version: a replacement, the create of version 2's input (prev_input null) then the delete of version 1's, which does nothing", async () => {
        const from = stage.deployerCalls.length;
        v2 = await deployVersion(stage, "new-version", { APP_RELEASE: "v2" });

        expect(v2.outcome).toMatchObject({ ok: true, result: { status: "Succeeded", fromVersion: "1", toVersion: "2" } });
        expect(v2.deleted).toMatchObject({ ok: true, result: { status: "Skipped", reason: "delete" } });
        const [create, remove] = stage.deployerCalls.slice(from);
        expect(create?.action).toBe("create");
        expect(create?.payload).toMatchObject({ targetVersion: "2", tf: { action: "create", prev_input: null } });
        // The delete carries the old input as the payload and as prev_input (aws_lambda_invocation docs, "CRUD Lifecycle Scope").
        expect(remove?.action).toBe("delete");
        const { tf, ...oldInput } = remove?.payload as Record<string, unknown>;
        expect(oldInput).toMatchObject({ targetVersion: "1" });
        expect(tf).toEqual({ action: "delete", prev_input: oldInput });
    });

    test("new version: five parallel warm-ups of version 2 land on five distinct environments, and each ran the DB query", () => {
        const deploymentId = v2.deploymentId as string;

        // The replies, as the app logged them: five environments, each with a passing db check.
        const replies = stage.warmupReplies(deploymentId);
        expect(replies).toHaveLength(5);
        expect(new Set(replies.map((r) => r.instanceId)).size).toBe(5);
        expect(replies.every((r) => r.functionVersion === "2" && r.coldStart === true)).toBe(true);
        expect(replies.map((r) => (r.checks as { db: { ok: boolean } }).db.ok)).toEqual([true, true, true, true, true]);

        // The stand-in's own records: five warm-up invocations of version 2 by qualifier, each starting its own environment...
        const invocations = stage.lambda.records.filter((r) => r.functionName === APP && r.version === "2" && r.qualifier === "2");
        expect(invocations).toHaveLength(5);
        expect(invocations.every((r) => r.cold && r.functionError === undefined)).toBe(true);
        expect(new Set(invocations.map((r) => r.environmentId)).size).toBe(5);
        // ...and the request ids tie each reply to a different one of them.
        const environmentOf = new Map(invocations.map((r) => [r.requestId, r.environmentId]));
        expect(new Set(replies.map((r) => environmentOf.get(r.requestId as string))).size).toBe(5);
    });

    test("new version: PostgreSQL saw a session from each of those environments (the app tags them with its log stream)", async () => {
        const streams = new Set(stage.lambda.records.filter((r) => r.functionName === APP && r.version === "2" && r.qualifier === "2").map((r) => r.logStreamName));
        const sessions = await stage.pg.query(`SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name LIKE '%/[2]%'`);
        expect(new Set(sessions)).toEqual(streams);
    });

    test("new version: CodeDeploy ran the canary and the alias ends on version 2 with no weighted routing", () => {
        const deployment = stage.codedeploy.deployments.get(v2.deploymentId as string);
        expect(deployment?.status).toBe("Succeeded");
        expect(deployment?.events.map((e) => [e.lifecycleEventName, e.status])).toEqual([
            ["BeforeAllowTraffic", "Succeeded"],
            ["AllowTraffic", "Succeeded"],
            ["AfterAllowTraffic", "Skipped"],
        ]);
        expect(stage.lambda.aliasState(APP, ALIAS)).toEqual({ functionVersion: "2", weights: {} });
    });

    test("settings-only change: an update with prev_input, the same target version; no deployment starts and the alias stays", async () => {
        const deployments = stage.codedeploy.deployments.size;
        const outcome = await stage.changeWarmupSettings({ holdMs: [300, 450] });

        expect(outcome.ok).toBe(true);
        const call = stage.deployerCalls.at(-1);
        expect(call?.action).toBe("update");
        expect(call?.payload).toMatchObject({ targetVersion: "2", warmup: { holdMs: [300, 450] }, tf: { action: "update", prev_input: { targetVersion: "2", warmup: { holdMs: [250, 400] } } } });
        expect(stage.codedeploy.deployments.size).toBe(deployments);
        expect(stage.lambda.aliasState(APP, ALIAS)).toEqual({ functionVersion: "2", weights: {} });
    });

    test("keep-warm: the schedule's tick warms the alias on five environments, as the keep-warm role", async () => {
        const from = stage.lambda.records.length;
        const result = await stage.keepWarmTick();

        expect(result).toMatchObject({ pass: true, report: { requested: 5, succeeded: 5 } });
        const byAlias = stage.lambda.records.slice(from).filter((r) => r.functionName === APP && r.qualifier === ALIAS);
        expect(byAlias).toHaveLength(5);
        expect(byAlias.every((r) => r.version === "2")).toBe(true);
        expect(stage.gate.calls.filter((c) => c.caller === "app-keep-warm-role" && c.operation === "Invoke" && c.allowed)).toHaveLength(5);
    });

    test("keep-warm: the environment a user has just used answers without holding (yieldToUsersMs), and the tick passes", async () => {
        const user = await stage.request("/");
        expect(user.statusCode).toBe(200);
        const usersEnvironment = stage.lambda.records.find((r) => r.requestId === user.requestId)?.environmentId;
        expect(usersEnvironment).toBeDefined();
        const fromRecord = stage.lambda.records.length;
        const fromLog = stage.lambda.logEvents.length;

        const result = await stage.keepWarmTick();

        // The default window (60 s) covers the request just made: its environment yields, the others hold.
        expect(result).toMatchObject({ pass: true, report: { requested: 5, yieldedToUsers: { environments: 1 } } });
        const ticks = stage.lambda.records.slice(fromRecord).filter((r) => r.functionName === APP);
        const byRequest = new Map(ticks.map((r) => [r.requestId, r.environmentId]));
        const lines = stage.logRecords(APP, fromLog).map((l) => l.record).filter((r) => r.event === "mangum-warmup" && r.source === "keep-warm");
        expect(lines).toHaveLength(5);
        for (const line of lines) {
            expect(line.yieldToUsersMs).toBe(60000);
            const onUsers = byRequest.get(line.requestId as string) === usersEnvironment;
            expect(line.yielded).toBe(onUsers);
            // The yielded environment answers at once, with no check (the database query) run in it.
            if (onUsers) expect(line.checks).toEqual({});
            else expect(line.heldMs as number).toBeGreaterThanOrEqual(250);
            if (!onUsers) expect(line.checks).toMatchObject({ db: { ok: true } });
        }
        expect(lines.some((l) => l.yielded === true)).toBe(true);
        // The tick's check count is the held environments', none failed for the yielded one's absent check.
        const held = new Set(ticks.filter((r) => r.environmentId !== usersEnvironment).map((r) => r.environmentId)).size;
        expect(result).toMatchObject({ report: { checks: { db: { passed: held, failed: 0 } } } });
    });

    test("broken new version: the pre-traffic hook reports Failed, the deployer throws the reason, and the old Invocation is not deleted", async () => {
        const calls = stage.deployerCalls.length;
        v3 = await deployVersion(stage, "new-version", { APP_RELEASE: "v3", DATABASE_URL: stage.pg.url("missing_db") });
        const deploymentId = v3.deploymentId as string;

        expect(v3.outcome.ok).toBe(false);
        if (v3.outcome.ok) return;
        expect(v3.outcome.errorType).toBe("DeploymentFailedError");
        expect(v3.outcome.errorMessage).toContain(`CodeDeploy deployment ${deploymentId} failed: the BeforeAllowTraffic hook ${PRE_TRAFFIC} failed`);
        expect(v3.outcome.errorMessage).toContain("the alias live stays on version 2");
        // The deployer read the hook's verdict through the Logs stand-in, as its role (logs:FilterLogEvents on the hook's group).
        expect(v3.outcome.errorMessage).toMatch(/The BeforeAllowTraffic hook's verdict: 5 of 5 environments failed check 'db': .*database "missing_db" does not exist/);
        // A failed create saves nothing and deletes nothing: one call, the create.
        expect(v3.deleted).toBeUndefined();
        expect(stage.deployerCalls.slice(calls).map((c) => c.action)).toEqual(["create"]);

        expect(v3.warmup?.reasons).toEqual([expect.stringMatching(/^5 of 5 environments failed check 'db': OperationalError: .*database "missing_db" does not exist/)]);
        expect(stage.codedeploy.deployments.get(deploymentId)?.status).toBe("Failed");
        expect(stage.lambda.aliasState(APP, ALIAS)).toEqual({ functionVersion: "2", weights: {} });
    });

    test("the failing version never receives a request after its deployment ends", async () => {
        const ended = stage.codedeploy.deployments.get(v3.deploymentId as string)?.completeTime as number;
        // Four bursts of five: as many as version 2 has warm environments, so no burst can run
        // into the app's concurrency limit (10, like reserved concurrency) and be throttled.
        const replies = [];
        for (let burst = 0; burst < 4; burst++) replies.push(...(await Promise.all(Array.from({ length: 5 }, () => stage.request("/")))));

        expect(new Set(replies.map((r) => r.version))).toEqual(new Set(["2"]));
        expect(replies.every((r) => r.statusCode === 200)).toBe(true);
        const v3Invocations = stage.lambda.records.filter((r) => r.functionName === APP && r.version === "3");
        // Only the hook's five warm-ups ever reached version 3, all before the deployment ended.
        expect(v3Invocations).toHaveLength(5);
        expect(v3Invocations.every((r) => r.qualifier === "3" && r.endedAt <= ended)).toBe(true);
    });

    test("CodeDeploy received exactly one status report per hook execution", () => {
        const reports = stage.codedeploy.statusReports;
        const perExecution = new Map<string, number>();
        for (const r of reports) perExecution.set(r.lifecycleEventHookExecutionId, (perExecution.get(r.lifecycleEventHookExecutionId) ?? 0) + 1);

        expect([...perExecution.values()]).toEqual([1, 1]);
        expect(reports.map((r) => [r.deploymentId, r.status, r.accepted])).toEqual([
            [v2.deploymentId, "Succeeded", true],
            [v3.deploymentId, "Failed", true],
        ]);
    });

    test("IAM: the whole story ran on the component's own policies with 0 denials, every role's calls evaluated, and the report says how many", () => {
        const summary = stage.gate.summary();

        expect(summary.denials).toEqual([]);
        expect(summary.denied).toBe(0);
        const roles = Object.fromEntries(summary.byRole.map((r) => [r.role, r.evaluated]));
        for (const role of ["app-role", "app-deployer-role", "app-pre-traffic-role", "app-keep-warm-role", "app-codedeploy-role"]) expect(roles[role]).toBeGreaterThan(0);
        // The deployer's alias reads are authorized on the function ARN, as Lambda does (not on the alias ARN).
        const getAlias = stage.gate.calls.find((c) => c.caller === "app-deployer-role" && c.operation === "GetAlias");
        expect(getAlias?.checks).toEqual([expect.objectContaining({ action: "lambda:GetAlias", resource: "arn:aws:lambda:us-east-1:000000000000:function:app", allowed: true })]);
        // The hooks' environments run with their own role's session, named after the function, as Lambda assumes it.
        expect(stage.lambda.sessionOf(DEPLOYER)?.arn).toBe("arn:aws:sts::000000000000:assumed-role/app-deployer-role/app-deployer");
        expect(stage.lambda.sessionOf(KEEP_WARM)?.roleName).toBe("app-keep-warm-role");
        expect(stage.gate.formatReport()[0]).toBe(`IAM: ${summary.evaluated} calls evaluated against the component's own policies, 0 denied (${summary.outside} calls from outside the component's roles, not evaluated)`);
    });

    test("settings-only change after a manual rollback: the deployer starts no deployment and leaves the alias where the operator put it", async () => {
        // An operator moved the alias back to version 1 by hand (aws lambda update-alias).
        stage.lambda.updateAlias(APP, ALIAS, "1", {});
        const deployments = stage.codedeploy.deployments.size;
        const outcome = await stage.changeWarmupSettings({ holdMs: [260, 410] });

        expect(outcome.ok).toBe(true);
        expect(stage.codedeploy.deployments.size).toBe(deployments);
        expect(stage.lambda.aliasState(APP, ALIAS)).toEqual({ functionVersion: "1", weights: {} });
    });
});
