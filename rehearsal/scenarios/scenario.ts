/**
 * The deploy story `npm run rehearse` tells, step by step, on a started
 * Stage: first deploy, a good update through CodeDeploy, a broken update
 * that must never get traffic, then a cold-vs-warm measurement. Each step
 * returns facts (not text) so the printer, and anyone else, can judge them.
 */
import { APP, type DeployerOutcome, type Stage, type UserResponse } from "./stage";

/** What the pre-traffic hook (or the deployer, on a first deploy) found, from its own report. */
export interface WarmupFacts {
    requested: number;
    succeeded: number;
    distinctEnvironments: number | null;
    coldStarts: number | null;
    /** check name → environments passed / failed, and the distinct errors. */
    checks: Record<string, { passed: number; failed: number; errors: string[] }>;
    wallMs: number;
    /** The verdict's reasons when it failed. */
    reasons: string[];
}

export interface DeployFacts {
    version: string;
    /** The deployer's answer to the create of this version's Invocation: what `pulumi up` shows. */
    outcome: DeployerOutcome;
    /** The deployer's answer to the delete of the previous Invocation (a replacement), when that came. */
    deleted?: DeployerOutcome;
    wallMs: number;
    deploymentId: string | null;
    warmup: WarmupFacts | null;
    /** Environments of the version the stand-in started during the deploy, and the slowest of their first invocations. */
    environmentsStarted: number;
    slowestColdMs: number;
}

export interface BurstFacts {
    latencies: number[];
    coldStarts: number;
    versions: string[];
}

export interface CanaryFacts {
    requests: number;
    toTarget: number;
    coldStarts: number;
}

/** Turns a WarmupReport-shaped object (deployer result or hook log line) into facts. */
export function warmupFacts(report: unknown, reasons: string[] = []): WarmupFacts | null {
    if (typeof report !== "object" || report === null) return null;
    const r = report as Record<string, unknown>;
    const checks: WarmupFacts["checks"] = {};
    for (const [name, c] of Object.entries((r.checks ?? {}) as Record<string, { passed: number; failed: number; errors: string[] }>)) {
        checks[name] = { passed: c.passed, failed: c.failed, errors: c.errors };
    }
    return {
        requested: Number(r.requested ?? 0),
        succeeded: Number(r.succeeded ?? 0),
        distinctEnvironments: (r.distinctEnvironments as number | null) ?? null,
        coldStarts: (r.coldStarts as number | null) ?? null,
        checks,
        wallMs: Number(r.wallMs ?? 0),
        reasons,
    };
}

/**
 * Publishes the app with `env` and runs the deployer on it as `pulumi up` would, collecting what happened:
 * `first` is the stack's first `up` (alias-origin, the alias, the deploy Invocation's create); `new-version` is
 * every later one with new code or configuration (a replacement of the deploy Invocation: create, then delete).
 */
export async function deployVersion(stage: Stage, kind: "first" | "new-version", env: Record<string, string>): Promise<DeployFacts> {
    const version = stage.publishApp(env);
    const firstRecord = stage.lambda.records.length;
    const started = performance.now();
    let outcome: DeployerOutcome;
    let deleted: DeployerOutcome | undefined;
    if (kind === "first") {
        outcome = await stage.firstDeploy(version);
    } else {
        const replaced = await stage.newVersion(version);
        outcome = replaced.create;
        deleted = replaced.delete;
    }
    const wallMs = performance.now() - started;
    const cold = stage.lambda.records.slice(firstRecord).filter((r) => r.functionName === APP && r.version === version && r.cold);

    let deploymentId: string | null = null;
    let warmup: WarmupFacts | null = null;
    if (outcome.ok) {
        deploymentId = (outcome.result.deploymentId as string | null) ?? null;
        warmup = warmupFacts(outcome.result.warmup);
    } else {
        deploymentId = /deployment (d-[A-Z0-9]+)/.exec(outcome.errorMessage)?.[1] ?? null;
    }
    if (deploymentId !== null && warmup === null) {
        const line = stage.hookResults(deploymentId)[0];
        warmup = warmupFacts(line?.report, (line?.reasons as string[] | undefined) ?? []);
    }
    return {
        version,
        outcome,
        ...(deleted ? { deleted } : {}),
        wallMs,
        deploymentId,
        warmup,
        environmentsStarted: cold.length,
        slowestColdMs: Math.max(0, ...cold.map((r) => r.durationMs)),
    };
}

/** N concurrent user requests at once, as the first users after a shift would send them. */
export async function burst(stage: Stage, n: number, path = "/db"): Promise<BurstFacts> {
    const replies = await Promise.all(Array.from({ length: n }, () => stage.request(path)));
    return summarize(replies);
}

export function summarize(replies: UserResponse[]): BurstFacts {
    return {
        latencies: replies.map((r) => r.latencyMs),
        coldStarts: replies.filter((r) => r.cold).length,
        versions: [...new Set(replies.map((r) => r.version))].sort(),
    };
}

/** Sequential user requests while a canary is on, until `stillOn()` turns false. */
export async function sampleCanary(stage: Stage, targetVersion: string, stillOn: () => boolean): Promise<CanaryFacts> {
    const facts: CanaryFacts = { requests: 0, toTarget: 0, coldStarts: 0 };
    try {
        while (stillOn()) {
            const r = await stage.request("/");
            facts.requests += 1;
            if (r.version === targetVersion) facts.toTarget += 1;
            if (r.cold) facts.coldStarts += 1;
            // A user's pace, not a load test: the machine also runs the deploy.
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
    } catch {
        // The stage stopped under us (Ctrl-C): the sample so far is the answer.
    }
    return facts;
}

/**
 * Cold vs warm latency of the live version, measured: `coldSamples` times the
 * app's idle environments are reaped and one request starts a fresh one, then
 * `warmSamples` requests reuse a warm environment.
 */
export async function measureColdWarm(stage: Stage, coldSamples: number, warmSamples: number, path = "/db"): Promise<{ cold: number[]; warm: number[] }> {
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < coldSamples; i++) {
        stage.lambda.reapIdle(0, (env) => env.functionName === APP);
        const r = await stage.request(path);
        if (r.cold && r.statusCode === 200) cold.push(r.latencyMs);
    }
    for (let i = 0; i < warmSamples; i++) {
        const r = await stage.request(path);
        if (!r.cold && r.statusCode === 200) warm.push(r.latencyMs);
    }
    return { cold, warm };
}
