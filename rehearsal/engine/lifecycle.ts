/**
 * The lifecycle scenario on the real engine: what a user's stack lives
 * through, one `pulumi` command per step, against the local AWS.
 *
 *   up v1 → up v2 (pre-traffic warm-up, canary) → up v3, broken (fails; the
 *   alias stays; nothing of v3 serves) → up v4, the fix → a settings-only
 *   change (no deployment) → an aliasName change (the new alias starts on the
 *   version the old one serves) → a keep-warm schedule firing → refresh, then
 *   preview (no drift) → destroy (nothing left)
 *
 * v4 is there because a failed `up` leaves the function at v3 in the state
 * (its update succeeded; only the deployer's Invocation failed and was not
 * saved): the next `up` of the same program retries v3's deployment, and any
 * change of the app function publishes a version, so a settings-only change
 * can only be shown once the code is fixed.
 *
 * Each step returns the engine's own summary and what the stand-ins saw, so
 * the printed rehearsal (rehearsal/bin/rehearse-engine.ts) and the test
 * (tests/engine/lifecycle.test.ts) read the same facts.
 */
import { httpEvent } from "../scenarios/stage";
import { sleep } from "../support/net";
import { T } from "../provider/schema";
import type { InvocationSeen } from "../provider/localAws";
import { EngineRig, type EngineStep } from "./rig";

export interface StepFacts {
    /** Published versions of the app function after the step. */
    versions: string[];
    /** Aliases of the app function → their version (and weights). */
    aliases: Record<string, { version: string; weights: Record<string, number> }>;
    /** Calls of the deployer made by aws.lambda.Invocation resources during the step. */
    deployerCalls: { resource: string; action: string; op?: string; alias?: string; targetVersion?: string; prevTargetVersion?: string | null; prevAlias?: string | null; ok: boolean }[];
    /** CodeDeploy deployments created during the step. */
    deployments: { id: string; status: string; from: string; to: string; creator: string }[];
    /** Invocations of the pre-traffic hook during the step. */
    preTrafficRuns: number;
    /** Versions that answered user requests through the alias after the step (request count per version). */
    served: Record<string, number>;
    /** Schedule firings during the step. */
    firings: { rule: string; delivered: boolean }[];
    /** App invocations made by the keep-warm hook during the step. */
    keepWarmInvocations: number;
    /** Resources left in the local AWS after the step, by type. */
    resourcesByType: Record<string, number>;
    /**
     * IAM during the step: calls a role of the component made (a hook's request, CodeDeploy's own calls, Lambda's
     * log delivery), evaluated with the policies the engine created; those denied, as `ROLE: ACTION on RESOURCE`.
     */
    iam: { evaluated: number; denied: number; outside: number; denials: string[] };
    /** The engine's state after the step: `type::name` → the resource's saved inputs and outputs. */
    state: Record<string, { id?: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }>;
}

export interface StepReport {
    step: EngineStep;
    facts: StepFacts;
}

export type Reporter = (report: StepReport) => void;

interface Marks {
    calls: number;
    invocations: number;
    records: number;
    firings: number;
    iamCalls: number;
    deployments: Set<string>;
}

function marks(rig: EngineRig): Marks {
    return {
        calls: rig.aws.calls.length,
        invocations: rig.aws.invocations.length,
        records: rig.aws.lambda.records.length,
        firings: rig.aws.firings.length,
        iamCalls: rig.aws.iam.calls.length,
        deployments: new Set(rig.aws.codedeploy.deployments.keys()),
    };
}

/** The app function's name: the auto-named `app-xxxxxxx` (not one of the hooks). */
export function appFunctionName(rig: EngineRig): string | undefined {
    const fn = rig.aws.resources(T.function).find((r) => /^app-[0-9a-f]{7}$/.test(String(r.props.name)));
    return fn ? String(fn.props.name) : undefined;
}

function hookName(rig: EngineRig, role: string): string | undefined {
    const re = new RegExp(`^app-${role}-[0-9a-f]{7}$`);
    const fn = rig.aws.resources(T.function).find((r) => re.test(String(r.props.name)));
    return fn ? String(fn.props.name) : undefined;
}

function deployerCall(i: InvocationSeen): StepFacts["deployerCalls"][number] {
    const e = i.event as { op?: string; alias?: string; targetVersion?: string; tf?: { action?: string; prev_input?: { targetVersion?: string; alias?: string } | null } };
    return {
        resource: i.resourceName,
        action: e.tf?.action ?? i.action,
        ...(e.op ? { op: e.op } : {}),
        ...(e.alias ? { alias: e.alias } : {}),
        ...(e.targetVersion ? { targetVersion: e.targetVersion } : {}),
        ...(e.tf ? { prevTargetVersion: e.tf.prev_input?.targetVersion ?? null, prevAlias: e.tf.prev_input?.alias ?? null } : {}),
        ok: i.ok,
    };
}

/** Sends `n` user requests through the alias and counts the versions that answered. */
export async function userRequests(rig: EngineRig, alias: string, n: number): Promise<Record<string, number>> {
    const fn = appFunctionName(rig);
    const served: Record<string, number> = {};
    if (!fn || !rig.aws.lambda.listAliases(fn).some((a) => a.Name === alias)) return served;
    for (let i = 0; i < n; i++) {
        // Users come through the front door: AWS authorizes them by the function URL's resource-based policy.
        rig.aws.iam.recordOutside("lambda", "Invoke", "users");
        const out = await rig.aws.lambda.invoke(fn, alias, Buffer.from(JSON.stringify(httpEvent("/"))));
        served[out.version] = (served[out.version] ?? 0) + 1;
    }
    return served;
}

async function facts(rig: EngineRig, since: Marks, requests: number): Promise<StepFacts> {
    const fn = appFunctionName(rig);
    const aliases: StepFacts["aliases"] = {};
    if (fn && rig.aws.lambda.hasFunction(fn)) {
        for (const a of rig.aws.lambda.listAliases(fn)) aliases[a.Name] = { version: a.FunctionVersion, weights: a.RoutingConfig?.AdditionalVersionWeights ?? {} };
    }
    const newDeployments = [...rig.aws.codedeploy.deployments.values()].filter((d) => !since.deployments.has(d.deploymentId));
    const preTraffic = hookName(rig, "pre-traffic");
    const keepWarm = hookName(rig, "keep-warm");
    const newRecords = rig.aws.lambda.records.slice(since.records);
    const served = requests > 0 && rig.release.aliasName in aliases ? await userRequests(rig, rig.release.aliasName, requests) : {};
    const state: StepFacts["state"] = {};
    for (const r of await rig.state()) {
        const name = r.urn.split("::").pop() ?? r.urn;
        state[`${r.type}::${name}`] = { id: r.id, inputs: r.inputs ?? {}, outputs: r.outputs ?? {} };
    }
    const calls = rig.aws.iam.calls.slice(since.iamCalls);
    const iam: StepFacts["iam"] = {
        evaluated: calls.filter((c) => !c.outside).length,
        denied: calls.filter((c) => !c.allowed).length,
        outside: calls.filter((c) => c.outside).length,
        denials: calls.filter((c) => !c.allowed).map((c) => `${c.caller}: ${c.denied?.action ?? `${c.service}:${c.operation}`} on ${c.denied?.resource ?? "?"}`),
    };
    const resourcesByType: Record<string, number> = {};
    for (const r of rig.aws.resources()) {
        const short = r.type.split(":").pop() ?? r.type;
        resourcesByType[short] = (resourcesByType[short] ?? 0) + 1;
    }
    return {
        versions: fn && rig.aws.lambda.hasFunction(fn) ? rig.aws.lambda.versionsOf(fn).map((v) => v.version) : [],
        aliases,
        deployerCalls: rig.aws.invocations.slice(since.invocations).map(deployerCall),
        deployments: newDeployments.map((d) => ({ id: d.deploymentId, status: d.status, from: d.resource.currentVersion, to: d.resource.targetVersion, creator: d.creator })),
        preTrafficRuns: preTraffic ? newRecords.filter((r) => r.functionName === preTraffic).length : 0,
        served,
        firings: rig.aws.firings.slice(since.firings).map((f) => ({ rule: f.rule, delivered: f.delivered })),
        // The keep-warm hook's own invocations run in its environments; the app's invocations made by it
        // are the ones that reached the alias while the hook was running, i.e. all alias hits of the step.
        keepWarmInvocations: keepWarm ? newRecords.filter((r) => r.functionName === fn && r.qualifier === rig.release.aliasName).length : 0,
        resourcesByType,
        iam,
        state,
    };
}

async function step(rig: EngineRig, report: Reporter, run: () => Promise<EngineStep>, requests = 0, during?: () => Promise<void>): Promise<StepReport> {
    const since = marks(rig);
    const [s] = await Promise.all([run(), during?.() ?? Promise.resolve()]);
    // CodeDeploy may still be reporting a finished deployment's last events.
    await rig.aws.codedeploy.idle();
    const r: StepReport = { step: s, facts: await facts(rig, since, requests) };
    report(r);
    return r;
}

/**
 * Runs the lifecycle on `rig` and returns every step's report. It stops when
 * the first deploy or the new version fails (every later step needs them, as
 * in the hook-level rehearsal); any later step runs whatever happened before.
 */
export async function runLifecycle(rig: EngineRig, report: Reporter = () => undefined): Promise<StepReport[]> {
    const out: StepReport[] = [];
    rig.release.appRelease = "v1";
    out.push(await step(rig, report, () => rig.up("1. up v1: first deploy"), 10));
    if (!out[0]?.step.ok) return out;

    rig.release.appRelease = "v2";
    out.push(await step(rig, report, () => rig.up("2. up v2: pre-traffic warm-up, then a canary shift"), 10));
    if (!out[1]?.step.ok) return out;

    rig.release.appRelease = "v3";
    rig.release.database = "missing_db";
    out.push(await step(rig, report, () => rig.up("3. up v3, broken (its DATABASE_URL names a missing database)"), 20));

    rig.release.appRelease = "v4";
    rig.release.database = undefined;
    out.push(await step(rig, report, () => rig.up("4. up v4: the fix"), 10));

    rig.release.holdMs = [200, 300];
    out.push(await step(rig, report, () => rig.up("5. settings-only change (warmup.holdMs)"), 10));

    rig.release.aliasName = "prod";
    out.push(await step(rig, report, () => rig.up("6. aliasName live → prod"), 10));

    out.push(
        await step(
            rig,
            report,
            async () => {
                const started = performance.now();
                rig.aws.resumeSchedules();
                const deadline = Date.now() + 60_000;
                while (Date.now() < deadline && !rig.aws.firings.some((f) => f.delivered)) await sleep(100);
                // Stop the clock first: with a firing every clock minute, the async queue would never drain.
                rig.aws.pauseSchedules();
                await rig.aws.lambda.drainAsync();
                const ok = rig.aws.firings.some((f) => f.delivered);
                return { label: "7. a keep-warm schedule fires (EventBridge time-compressed)", op: "up", ok, ms: performance.now() - started, summary: [], changes: {} } as EngineStep;
            },
            0,
        ),
    );

    out.push(await step(rig, report, () => rig.refresh("8a. refresh")));
    out.push(await step(rig, report, () => rig.preview("8b. preview after refresh (no drift: no changes)")));
    out.push(await step(rig, report, () => rig.destroy("9. destroy")));
    return out;
}
