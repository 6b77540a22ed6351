/**
 * A deploy under load: C simulated users send requests through the alias,
 * back to back with a short think time, while a new version is deployed and a
 * whole (time-compressed) canary runs; the Lambda stand-in reaps idle
 * environments as Lambda does. Every request is recorded with the traffic
 * step it was sent in (the target version's weight at that moment), whether
 * it met a cold start (the stand-in started an environment for it), and
 * whether Lambda throttled it (counted apart: a throttled request got no
 * environment at all).
 *
 * Three strategies, on the same stage:
 * - `none`: no warm-up; the alias is moved by the same canary steps directly.
 * - `fixed`: today's default: the pre-traffic hook warms N = 5, and the
 *   keep-warm schedule warms 5 through the alias on its ticks.
 * - `traffic`: warmup.traffic: the pre-traffic hook warms the alias's observed
 *   peak × headroom; the keep-warm warms the versions of the split alias
 *   (hooks/traffic.ts).
 */
import type { WarmupSettings } from "../../hooks/contract";
import { max, median } from "../support/stats";
import { deployVersion, type DeployFacts } from "./scenario";
import { ALIAS, APP, type Stage } from "./stage";

export type Strategy = "none" | "fixed" | "traffic";

export interface LoadRequest {
    /** ms since the run started. */
    at: number;
    /** The step it was sent in: "before", "0%" (pre-traffic), "10%", "100%". */
    step: string;
    latencyMs: number;
    cold: boolean;
    throttled: boolean;
    error: boolean;
    version: string;
    /** Served by the version being deployed. */
    isNew: boolean;
}

export interface StepSummary {
    step: string;
    requests: number;
    coldStarts: number;
    /** Of those, on the version being deployed; the rest met a new environment of the version it replaces. */
    coldOnNew: number;
    /** Requests the version being deployed served. */
    servedByNew: number;
    throttled: number;
    errors: number;
    p50: number;
    p99: number;
    max: number;
    /** This process's event-loop stall (ms) while the step lasted, p99 and max: latency the stand-in, not the app, added. */
    loopLagP99Ms?: number;
    loopLagMaxMs?: number;
}

export interface LoadRun {
    users: number;
    strategy: Strategy;
    targetVersion: string;
    /** The pre-traffic warm-up's size and why (traffic), or the fixed N. */
    warmed: { requested: number; distinct: number | null; basis: string; reason: string } | null;
    keepWarmTicks: number;
    /** When each keep-warm tick started and ended (ms since the run started). */
    tickTimes: [number, number][];
    /** When the alias's weights changed (ms since the run started): "0%" (published), "10%", "100%". */
    stepTimes: Record<string, number>;
    /** When the run started on CLOCK_MONOTONIC (µs), the clock of `node --cpu-prof`. */
    startedMonotonicUs: number;
    /** Environments of the version being deployed alive as each step began: what the shift landed on. */
    newEnvironments: Record<string, number>;
    /** Every request that met a cold start: when, in which step, on which version ("old" or "new"). */
    coldRequests: { at: number; step: string; version: "old" | "new" }[];
    steps: StepSummary[];
    /** Every request, for the record. */
    requests: LoadRequest[];
    /**
     * The app's invocations that did not come through the alias (the warm-ups: pre-traffic and keep-warm, each
     * by version number), with the environment each reached: what a user's cold start is lined up against.
     */
    warmups: { at: number; ms: number; version: string; environmentId?: string; cold: boolean }[];
    deployOk: boolean;
    deployError?: string;
    wallMs: number;
}

export interface LoadOptions {
    users: number;
    strategy: Strategy;
    /** Steady traffic on the live version before the deploy starts (ms). */
    warmPhaseMs: number;
    /** Traffic after the final shift (ms). */
    afterMs: number;
    /** Service time of each request (the app's /work?ms=). */
    serviceMs: number;
    /** Think time between a user's requests, uniform in [lo, hi] ms. */
    thinkMs: [number, number];
    /** Keep-warm ticks during the deploy, every this many ms (fixed and traffic); 0: none. */
    keepWarmEveryMs: number;
    /** One CodeDeploy minute (ms), for the `none` strategy's own canary. */
    minuteMs: number;
    /** The canary: weight of the first step and its wait (CodeDeploy minutes). */
    canary: { weight: number; minutes: number };
    /** warmup.traffic for the traffic strategy (the hooks' shape). */
    traffic: NonNullable<WarmupSettings["traffic"]>;
    release: string;
}

/** The warm phase goes on until no user met a cold start for this long… */
const SETTLE_QUIET_MS = 2_000;
/** …or this much longer than warmPhaseMs at most. */
const SETTLE_MAX_MS = 15_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
    if (sorted.length === 0) return Number.NaN;
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function summarizeSteps(requests: LoadRequest[], order: string[]): StepSummary[] {
    return order
        .map((step) => {
            const mine = requests.filter((r) => r.step === step);
            const served = mine.filter((r) => !r.throttled && !r.error).map((r) => r.latencyMs).sort((a, b) => a - b);
            return {
                step,
                requests: mine.length,
                coldStarts: mine.filter((r) => r.cold).length,
                coldOnNew: mine.filter((r) => r.cold && r.isNew).length,
                servedByNew: mine.filter((r) => r.isNew).length,
                throttled: mine.filter((r) => r.throttled).length,
                errors: mine.filter((r) => r.error).length,
                p50: served.length ? median(served) : Number.NaN,
                p99: percentile(served, 99),
                max: served.length ? max(served) : Number.NaN,
            };
        })
        .filter((s) => s.requests > 0);
}

/** The step the alias is in for `target`: its weight as a percentage, or "before" while it is not the target yet. */
function stepOf(stage: Stage, target: string | null): string {
    if (target === null) return "before";
    const a = stage.lambda.aliasState(APP, ALIAS);
    if (a.functionVersion === target) return "100%";
    const w = a.weights[target];
    return w === undefined ? "0%" : `${Math.round(w * 100)}%`;
}

export async function deployUnderLoad(stage: Stage, o: LoadOptions): Promise<LoadRun> {
    const started = performance.now();
    const startedEpochMs = Date.now();
    const firstRecord = stage.lambda.records.length;
    // CLOCK_MONOTONIC in µs: the clock of a --cpu-prof profile, to line a slow step up with what the process did.
    const startedMonotonicUs = Number(process.hrtime.bigint() / 1000n);
    const requests: LoadRequest[] = [];
    let target: string | null = null;
    let running = true;
    const user = async (): Promise<void> => {
        while (running) {
            const step = stepOf(stage, target);
            const at = performance.now() - started;
            const sentAt = performance.now();
            inFlight.add(sentAt);
            try {
                const r = await stage.request(`/work?ms=${o.serviceMs}`);
                requests.push({ at, step, latencyMs: r.latencyMs, cold: r.cold, throttled: false, error: r.statusCode !== 200, version: r.version, isNew: r.version === target });
            } catch (err) {
                const name = (err as { name?: string }).name ?? "";
                const throttled = name === "TooManyRequestsException" || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 429;
                requests.push({ at, step, latencyMs: performance.now() - started - at, cold: false, throttled, error: !throttled, version: "?", isNew: false });
            }
            inFlight.delete(sentAt);
            const [lo, hi] = o.thinkMs;
            await sleep(lo + Math.random() * (hi - lo));
        }
    };

    // Settings for this strategy: the fixed N is the component's default; traffic adds warmup.traffic.
    if (o.strategy !== "none") {
        const { traffic: _t, ...rest } = stage.settings;
        const next: WarmupSettings = o.strategy === "traffic" ? { ...rest, traffic: o.traffic } : rest;
        if (JSON.stringify(next) !== JSON.stringify(stage.settings)) {
            const changed = await stage.changeWarmupSettings(o.strategy === "traffic" ? { traffic: o.traffic } : { traffic: undefined });
            if (!changed.ok) throw new Error(`could not change the warm-up settings: ${changed.errorMessage}`);
        }
    }

    // The stand-in and the users share this process's event loop: a stall there is latency no environment
    // caused. Sampled every 10 ms and reported per step, so a slow step can be told apart from a slow app.
    const lag: { step: string; ms: number }[] = [];
    let expected = performance.now() + 10;
    const lagTimer = setInterval(() => {
        const t = performance.now();
        lag.push({ step: stepOf(stage, target), ms: Math.max(0, t - expected) });
        expected = t + 10;
    }, 10);
    const inFlight = new Set<number>();
    const users = Array.from({ length: o.users }, () => user());
    // Steady state first: the live version scales out to this many users (cold starts of its own, before any
    // deploy), and the deploy starts only once none has happened for a while, so every cold start counted
    // during the deploy is the deploy's doing. Bounded, so a stage that never settles still measures.
    await sleep(o.warmPhaseMs);
    const settleBy = performance.now() + SETTLE_MAX_MS;
    const lastCold = (): number => Math.max(0, ...requests.filter((r) => r.cold).map((r) => started + r.at + r.latencyMs));
    // A cold start is known only once its request returns: one still out after a warm request's time may be one.
    const slowInFlight = (): boolean => [...inFlight].some((t) => performance.now() - t > 4 * o.serviceMs);
    while (performance.now() < settleBy && (performance.now() - lastCold() < SETTLE_QUIET_MS || slowInFlight())) await sleep(100);

    let ticks = 0;
    const tickTimes: [number, number][] = [];
    const stepTimes: Record<string, number> = {};
    const newEnvironments: Record<string, number> = {};
    let ticking = true;
    const watcher = (async () => {
        let last = "";
        while (ticking) {
            const s = stepOf(stage, target);
            if (s !== last && s !== "before") {
                stepTimes[s] = Math.round(performance.now() - started);
                newEnvironments[s] = stage.lambda.environmentsInfo().filter((e) => e.functionName === APP && e.version === target && e.alive).length;
            }
            last = s;
            await sleep(20);
        }
    })();
    const ticker = (async () => {
        if (o.strategy === "none" || o.keepWarmEveryMs <= 0) return;
        while (ticking) {
            await sleep(o.keepWarmEveryMs);
            if (!ticking) break;
            const t0 = performance.now() - started;
            await stage.keepWarmTick(0);
            tickTimes.push([Math.round(t0), Math.round(performance.now() - started)]);
            ticks += 1;
        }
    })();

    let facts: DeployFacts | null = null;
    let deployError: string | undefined;
    if (o.strategy === "none") {
        // The same canary steps, with nothing warmed first.
        const version = stage.publishApp({ APP_RELEASE: o.release });
        target = version;
        stage.lambda.updateAlias(APP, ALIAS, undefined, { [version]: o.canary.weight });
        await sleep(o.canary.minutes * o.minuteMs);
        stage.lambda.updateAlias(APP, ALIAS, version, {});
    } else {
        // The target is known once published; deployVersion publishes first, then runs the deployer.
        const publish = stage.publishApp.bind(stage);
        stage.publishApp = (env) => {
            const v = publish(env);
            target = v;
            return v;
        };
        try {
            facts = await deployVersion(stage, "new-version", { APP_RELEASE: o.release });
            if (!facts.outcome.ok) deployError = facts.outcome.errorMessage;
        } finally {
            stage.publishApp = publish;
        }
    }
    await sleep(o.afterMs);
    ticking = false;
    running = false;
    await Promise.all(users);
    clearInterval(lagTimer);
    await ticker;
    await watcher;

    const w = facts?.warmup;
    const sizing = (facts?.outcome.ok ? ((facts.outcome.result.warmup as { sizing?: { basis: string; reason: string } } | null)?.sizing ?? null) : null) ?? null;
    return {
        users: o.users,
        strategy: o.strategy,
        targetVersion: target ?? "?",
        warmed: w ? { requested: w.requested, distinct: w.distinctEnvironments, basis: sizing?.basis ?? "fixed", reason: sizing?.reason ?? `warmup.concurrency ${stage.settings.concurrency}` } : null,
        keepWarmTicks: ticks,
        tickTimes,
        stepTimes,
        newEnvironments,
        startedMonotonicUs,
        coldRequests: requests.filter((r) => r.cold && r.step !== "before").map((r) => ({ at: Math.round(r.at), step: r.step, version: r.isNew ? "new" : "old" })),
        steps: summarizeSteps(requests, ["before", "0%", `${Math.round(o.canary.weight * 100)}%`, "100%"]).map((s) => {
            const mine = lag.filter((l) => l.step === s.step).map((l) => l.ms).sort((a, b) => a - b);
            return { ...s, loopLagP99Ms: percentile(mine, 99), loopLagMaxMs: mine.length ? (mine[mine.length - 1] as number) : Number.NaN };
        }),
        requests,
        warmups: stage.lambda.records
            .slice(firstRecord)
            .filter((r) => r.functionName === APP && r.qualifier !== ALIAS)
            .map((r) => ({ at: r.startedAt - startedEpochMs, ms: r.durationMs, version: r.version, ...(r.environmentId !== undefined ? { environmentId: r.environmentId } : {}), cold: r.cold })),
        deployOk: o.strategy === "none" || deployError === undefined,
        ...(deployError !== undefined ? { deployError } : {}),
        wallMs: performance.now() - started,
    };
}
