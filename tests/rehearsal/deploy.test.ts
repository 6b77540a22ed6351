/**
 * A whole deploy, end to end, on one machine: the real app (FastAPI + Mangum +
 * mangum-warmup under awslambdaric in the official emulator), the real bundled
 * hooks, a real PostgreSQL, and the Lambda and CodeDeploy stand-ins. The same
 * story `npm run rehearse` tells: first deploy, a good update, a broken one.
 *
 * The tests run in order and share one stage. Nothing here is timed: speed
 * is the benchmark's business (npm run bench). Requires a provisioned machine
 * (`npm test` does it); a missing prerequisite fails the suite, naming it.
 */
import { deployVersion, type DeployFacts } from "../../rehearsal/scenarios/scenario";
import { ALIAS, APP, Stage } from "../../rehearsal/scenarios/stage";

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

/** Invocations of the app's `version` that the pre-traffic hook made (synchronous, from the hook's environment). */
function warmupInvocations(version: string, from: number, to = stage.lambda.records.length) {
    return stage.lambda.records.slice(from, to).filter((r) => r.functionName === APP && r.version === version && r.qualifier === version);
}

describe("a deploy rehearsed end to end", () => {
    test("first deploy: the deployer warms and checks version 1 on five distinct environments; the alias serves it", async () => {
        v1 = await deployVersion(stage, "create", { APP_RELEASE: "v1" });

        expect(v1.outcome).toMatchObject({ ok: true, result: { status: "Succeeded", deploymentId: null, toVersion: "1" } });
        expect(v1.warmup).toMatchObject({ requested: 5, succeeded: 5, distinctEnvironments: 5, checks: { db: { passed: 5, failed: 0 } } });
        expect(stage.lambda.aliasState(APP, ALIAS)).toEqual({ functionVersion: "1", weights: {} });
    });

    test("update: five parallel warm-ups of version 2 land on five distinct environments, and each ran the DB query", async () => {
        const from = stage.lambda.records.length;
        v2 = await deployVersion(stage, "update", { APP_RELEASE: "v2" });
        expect(v2.outcome).toMatchObject({ ok: true, result: { status: "Succeeded", fromVersion: "1", toVersion: "2" } });
        const deploymentId = v2.deploymentId as string;

        // The replies, as the app logged them: five environments, each with a passing db check.
        const replies = stage.warmupReplies(deploymentId);
        expect(replies).toHaveLength(5);
        expect(new Set(replies.map((r) => r.instanceId)).size).toBe(5);
        expect(replies.every((r) => r.functionVersion === "2" && r.coldStart === true)).toBe(true);
        expect(replies.map((r) => (r.checks as { db: { ok: boolean } }).db.ok)).toEqual([true, true, true, true, true]);

        // The stand-in's own records: five warm-up invocations, each starting its own environment...
        const invocations = warmupInvocations("2", from);
        expect(invocations).toHaveLength(5);
        expect(invocations.every((r) => r.cold && r.functionError === undefined)).toBe(true);
        const environments = new Set(invocations.map((r) => r.environmentId));
        expect(environments.size).toBe(5);
        // ...and the request ids tie each reply to a different one of them.
        const environmentOf = new Map(invocations.map((r) => [r.requestId, r.environmentId]));
        expect(new Set(replies.map((r) => environmentOf.get(r.requestId as string))).size).toBe(5);

        // PostgreSQL's view: a session opened by each of those environments (the app tags them with its log stream).
        const sessions = await stage.pg.query(`SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name LIKE '${APP}:2#%'`);
        expect(new Set(sessions)).toEqual(environments);
    });

    test("update: CodeDeploy ran the canary and the alias ends on version 2 with no weighted routing", () => {
        const deployment = stage.codedeploy.deployments.get(v2.deploymentId as string);
        expect(deployment?.status).toBe("Succeeded");
        expect(deployment?.events.map((e) => [e.lifecycleEventName, e.status])).toEqual([
            ["BeforeAllowTraffic", "Succeeded"],
            ["AllowTraffic", "Succeeded"],
            ["AfterAllowTraffic", "Skipped"],
        ]);
        expect(stage.lambda.aliasState(APP, ALIAS)).toEqual({ functionVersion: "2", weights: {} });
    });

    test("broken update: the pre-traffic hook reports Failed, and the deployer throws the reason with where the alias stays", async () => {
        v3 = await deployVersion(stage, "update", { APP_RELEASE: "v3", DATABASE_URL: stage.pg.url("missing_db") });
        const deploymentId = v3.deploymentId as string;

        expect(v3.outcome.ok).toBe(false);
        if (v3.outcome.ok) return;
        expect(v3.outcome.errorType).toBe("DeploymentFailedError");
        expect(v3.outcome.errorMessage).toContain(`CodeDeploy deployment ${deploymentId} failed: the BeforeAllowTraffic hook pre-traffic failed`);
        expect(v3.outcome.errorMessage).toContain("the alias live stays on version 2");
        // The deployer found the hook's verdict in its logs (CloudWatch Logs stand-in) and quotes the cause.
        expect(v3.outcome.errorMessage).toMatch(/The BeforeAllowTraffic hook's verdict: 5 of 5 environments failed check 'db': .*database "missing_db" does not exist/);

        // The hook's verdict names the failing check and the database error, in its own logs.
        expect(v3.warmup?.reasons).toEqual([expect.stringMatching(/^5 of 5 environments failed check 'db': OperationalError: .*database "missing_db" does not exist/)]);
        expect(stage.codedeploy.deployments.get(deploymentId)?.status).toBe("Failed");
    });

    test("the alias ends on version 2 after the failure", () => {
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
});
