/**
 * `npm run bench`: one run on this machine, on the rehearsal stage (real
 * emulator, real app, real hooks, real PostgreSQL), of what the project
 * promises:
 *
 *  1. the first burst of N concurrent user requests right after a shift,
 *     with and without the pre-traffic warm-up (p50, max, cold starts);
 *  2. distinct environments per warm-up, over fresh (cold) versions;
 *  3. the pre-traffic hook's wall time against its slowest warm-up invocation;
 *  4. hook bundle size and cold import time;
 *  5. a deploy under load (rehearsal/scenarios/load.ts): C users (5, 10, 20)
 *     through the alias during a whole time-compressed canary, per strategy
 *     (no warm-up, fixed N = 5, traffic-aware), cold starts and latency per step.
 *
 * Writes bench/results/bench.json, bench.svg, load.json and load.svg, and
 * rewrites the tables in docs/benchmarks.md. Options: --reps N (burst
 * repetitions, default 3), --trials N (distinctness trials, default 20),
 * --load-users 5,10,20, --load-only (section 5 only), --skip-load,
 * --dump-requests FILE (every user request and warm-up invocation of section 5, as JSON lines, for analysis).
 * --placement first-started|most-recent|random (which idle environment an invocation gets in section 5: Lambda
 * does not document it, so the target can be checked under each; default first-started).
 * Exit code 0 when every target is met, 1 otherwise.
 */
import { LambdaClient } from "@aws-sdk/client-lambda";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { WARMUP_LAMBDA_CLIENT_CONFIG, runWarmup } from "../../hooks/warm";
import { renderMarkdown, renderSvg, type BenchResults, type BurstTrial, type HookTrial } from "../scenarios/bench-report";
import { PLACEMENTS, REGION, type Placement } from "../lambda/service";
import { burst, deployVersion } from "../scenarios/scenario";
import { ALIAS, APP, PRE_TRAFFIC, PrerequisiteError, Stage, findRoot } from "../scenarios/stage";
import { deployUnderLoad, type LoadRun, type Strategy } from "../scenarios/load";
import { DEPLOY_STEPS, deployColdStarts, renderLoadMarkdown, renderLoadSvg, type LoadResults } from "../scenarios/load-report";
import { max, median, ms } from "../support/stats";

const out = (line = ""): void => void process.stdout.write(line + "\n");

interface BenchOptions {
    reps: number;
    trials: number;
    loadUsers: number[];
    load: "also" | "only" | "skip";
    dumpRequests?: string;
    placement: Placement;
}

function parseArgs(argv: string[]): BenchOptions {
    const options: BenchOptions = { reps: 3, trials: 20, loadUsers: [5, 10, 20], load: "also", placement: "first-started" };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = Number(argv[i + 1]);
        if ((arg === "--reps" || arg === "--trials") && Number.isInteger(value) && value > 0) {
            options[arg === "--reps" ? "reps" : "trials"] = value;
            i++;
        } else if (arg === "--load-users" && /^\d+(,\d+)*$/.test(argv[i + 1] ?? "")) {
            options.loadUsers = (argv[i + 1] as string).split(",").map(Number).filter((n) => n > 0 && n <= 50);
            i++;
        } else if (arg === "--dump-requests" && argv[i + 1] !== undefined) {
            options.dumpRequests = argv[i + 1] as string;
            i++;
        } else if (arg === "--placement" && (PLACEMENTS as readonly string[]).includes(argv[i + 1] ?? "")) {
            options.placement = argv[i + 1] as Placement;
            i++;
        } else if (arg === "--load-only" || arg === "--skip-load") {
            options.load = arg === "--load-only" ? "only" : "skip";
        } else {
            throw new Error(`unknown or invalid option ${arg} (known: --reps N, --trials N, --load-users 5,10,20, --load-only, --skip-load, --dump-requests FILE, --placement ${PLACEMENTS.join("|")})`);
        }
    }
    return options;
}

/** Environments that already served two bursts: the steady state a warm burst is compared with. */
async function steadyWarmBurst(stage: Stage, n: number): Promise<number[]> {
    await burst(stage, n);
    await burst(stage, n);
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) samples.push(...(await burst(stage, n)).latencies);
    return samples;
}

const reapApp = (stage: Stage): number => stage.lambda.reapIdle(0, (env) => env.functionName === APP);

async function burstTrials(stage: Stage, reps: number, n: number): Promise<{ with: BurstTrial[]; without: BurstTrial[]; hooks: HookTrial[]; warm: number[] }> {
    const withWarmup: BurstTrial[] = [];
    const withoutWarmup: BurstTrial[] = [];
    const hooks: HookTrial[] = [];
    let warm: number[] = [];
    const [holdLo, holdHi] = stage.settings.holdMs;
    for (let rep = 1; rep <= reps; rep++) {
        // Without: what a plain alias update does, with nothing warmed first.
        reapApp(stage);
        const bare = stage.publishApp({ APP_RELEASE: `bench-without-${rep}` });
        stage.lambda.updateAlias(APP, ALIAS, bare, {});
        const b = await burst(stage, n);
        withoutWarmup.push({ rep, version: bare, latencies: b.latencies, coldStarts: b.coldStarts });
        out(`  burst without warm-up #${rep}: p50 ${ms(median(b.latencies))}, max ${ms(max(b.latencies))}, ${b.coldStarts}/${n} cold starts`);

        // With: a deploy through the deployer, CodeDeploy and the pre-traffic hook.
        reapApp(stage);
        const from = stage.lambda.records.length;
        const d = await deployVersion(stage, "new-version", { APP_RELEASE: `bench-with-${rep}` });
        if (!d.outcome.ok) throw new Error(`deploy ${rep} failed: ${d.outcome.errorMessage}`);
        const w = await burst(stage, n);
        withWarmup.push({ rep, version: d.version, latencies: w.latencies, coldStarts: w.coldStarts });
        out(`  burst with warm-up    #${rep}: p50 ${ms(median(w.latencies))}, max ${ms(max(w.latencies))}, ${w.coldStarts}/${n} cold starts`);

        const hook = stage.lambda.records.slice(from).find((r) => r.functionName === PRE_TRAFFIC);
        if (hook) {
            const bound = d.slowestColdMs + holdHi + 300;
            hooks.push({ rep, hookMs: hook.durationMs, slowestColdMs: d.slowestColdMs, holdMs: [holdLo, holdHi], boundMs: bound, pass: hook.durationMs <= bound });
            out(`  pre-traffic hook      #${rep}: ${ms(hook.durationMs)} against its slowest warm-up invocation ${ms(d.slowestColdMs)} (bound ${ms(bound)})`);
        }
        if (rep === reps) warm = await steadyWarmBurst(stage, n);
    }
    return { with: withWarmup, without: withoutWarmup, hooks, warm };
}

async function distinctTrials(stage: Stage, trials: number): Promise<{ trial: number; distinct: number; environments: number; wallMs: number }[]> {
    const client = new LambdaClient({ ...WARMUP_LAMBDA_CLIENT_CONFIG, endpoint: stage.lambda.endpoint, region: REGION, credentials: stage.operatorCredentials });
    const results = [];
    try {
        for (let trial = 1; trial <= trials; trial++) {
            reapApp(stage);
            // A fresh version each trial: every environment starts cold, as after a real publish.
            const version = stage.publishApp({ APP_RELEASE: `bench-distinct-${trial}` });
            const from = stage.lambda.records.length;
            const report = await runWarmup(client, { functionName: APP, qualifier: version }, stage.settings, { source: "rehearsal", deadline: Date.now() + 60_000 });
            const environments = new Set(stage.lambda.records.slice(from).filter((r) => r.version === version).map((r) => r.environmentId)).size;
            results.push({ trial, distinct: report.distinctEnvironments ?? 0, environments, wallMs: report.wallMs });
            out(`  trial ${trial}/${trials}: ${report.distinctEnvironments}/${stage.settings.concurrency} distinct environments in ${ms(report.wallMs)}`);
        }
    } finally {
        client.destroy();
    }
    return results;
}

/** bench/results/bundles.json from `node scripts/bundle-hooks.mjs --measure` when present; otherwise measured here. */
function bundleFacts(root: string): BenchResults["bundles"] {
    const file = path.join(root, "bench", "results", "bundles.json");
    if (fs.existsSync(file)) {
        const data = JSON.parse(fs.readFileSync(file, "utf8")) as {
            strategyUsed?: string;
            hooks: Record<string, Record<string, { bytes: number; gzipBytes: number; importMs: { medianMs: number } }>>;
        };
        const strategy = data.strategyUsed ?? "bundled";
        return Object.entries(data.hooks).map(([hook, byStrategy]) => {
            const r = byStrategy[strategy] ?? Object.values(byStrategy)[0];
            return { hook, bytes: r?.bytes ?? 0, gzipBytes: r?.gzipBytes ?? 0, importMedianMs: r?.importMs.medianMs ?? Number.NaN, source: "bundles.json" };
        });
    }
    const dir = path.join(root, "dist", "hooks");
    return fs.readdirSync(dir).filter((f) => f.endsWith(".js")).map((f) => {
        const full = path.join(dir, f);
        const samples: number[] = [];
        for (let i = 0; i < 7; i++) {
            const run = spawnSync(process.execPath, ["-e", "const t=process.hrtime.bigint();require(process.argv[1]);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))", full], {
                encoding: "utf8",
                env: { ...process.env, AWS_REGION: REGION },
            });
            samples.push(Number(run.stdout));
        }
        const bytes = fs.readFileSync(full);
        return { hook: f.replace(/\.js$/, ""), bytes: bytes.length, gzipBytes: gzipSync(bytes).length, importMedianMs: median(samples), source: "measured" };
    });
}

function updateDocs(root: string, markdown: string, section = "results"): void {
    const file = path.join(root, "docs", "benchmarks.md");
    const begin = `<!-- bench:${section}:begin -->`;
    const end = `<!-- bench:${section}:end -->`;
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : `# Benchmarks\n\n${begin}\n${end}\n`;
    const i = text.indexOf(begin);
    const j = text.indexOf(end);
    if (i < 0 || j < i) throw new Error(`docs/benchmarks.md lacks the ${begin} … ${end} markers`);
    fs.writeFileSync(file, `${text.slice(0, i + begin.length)}\n${markdown}\n${text.slice(j)}`);
}

async function main(): Promise<number> {
    const options = parseArgs(process.argv.slice(2));
    out("pulumi-mangum benchmark: one run on this machine, on the rehearsal stage");
    let loadPass = true;
    if (options.load !== "skip") {
        const code = await loadSection(options.loadUsers, options.dumpRequests, options.placement);
        if (code === null) return 1;
        loadPass = code;
        if (options.load === "only") return loadPass ? 0 : 1;
    }
    let stage: Stage;
    try {
        stage = await Stage.start({ minuteMs: 50, deploymentConfigName: "CodeDeployDefault.LambdaAllAtOnce", isolateInit: true });
    } catch (err) {
        if (err instanceof PrerequisiteError) {
            out(err.message);
            return 1;
        }
        throw err;
    }
    const stop = (): void => void stage.stop().finally(() => process.exit(130));
    process.once("SIGINT", stop);
    const n = stage.settings.concurrency;
    try {
        const first = await deployVersion(stage, "first", { APP_RELEASE: "bench-first" });
        if (!first.outcome.ok) throw new Error(`the first deploy failed: ${first.outcome.errorMessage}`);
        out(`1. first burst of ${n} concurrent requests after a shift, ${options.reps} repetitions`);
        const bursts = await burstTrials(stage, options.reps, n);
        out(`2. distinct environments per warm-up, ${options.trials} trials on fresh versions`);
        const distinct = await distinctTrials(stage, options.trials);
        out("3. hook bundles");
        const bundles = bundleFacts(stage.paths.root);

        const warmP50 = median(bursts.warm);
        const withCold = bursts.with.reduce((sum, t) => sum + t.coldStarts, 0);
        const withMax = Math.max(...bursts.with.map((t) => max(t.latencies)));
        const results: BenchResults = {
            measuredAt: new Date().toISOString(),
            machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
            concurrency: n,
            holdMs: stage.settings.holdMs,
            bursts: { with: bursts.with, without: bursts.without, warmSteadyLatencies: bursts.warm, warmP50Ms: warmP50 },
            distinct,
            hooks: bursts.hooks,
            bundles,
            targets: [
                { name: `with warm-up: 0 cold starts in the first burst`, value: `${withCold} in ${bursts.with.length} bursts`, pass: withCold === 0 },
                { name: `with warm-up: first-burst max ≤ 2 × warm p50 (${ms(warmP50)})`, value: ms(withMax), pass: withMax <= 2 * warmP50 },
                { name: `distinct environments: ${n} of ${n} in every trial`, value: `${distinct.filter((d) => d.distinct === n).length} of ${distinct.length} trials`, pass: distinct.every((d) => d.distinct === n && d.environments === n) },
                { name: "hook wall time ≤ slowest warm-up invocation + max hold + 300 ms", value: `${bursts.hooks.filter((h) => h.pass).length} of ${bursts.hooks.length} deploys`, pass: bursts.hooks.length > 0 && bursts.hooks.every((h) => h.pass) },
            ],
        };
        const dir = path.join(stage.paths.root, "bench", "results");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "bench.json"), JSON.stringify(results, null, 2) + "\n");
        fs.writeFileSync(path.join(dir, "bench.svg"), renderSvg(results));
        updateDocs(stage.paths.root, renderMarkdown(results));
        out();
        for (const t of results.targets) out(`  ${t.pass ? "PASS" : "FAIL"}  ${t.name}: ${t.value}`);
        out("Results: bench/results/bench.json, bench/results/bench.svg, docs/benchmarks.md");
        return results.targets.every((t) => t.pass) && loadPass ? 0 : 1;
    } finally {
        process.off("SIGINT", stop);
        await stage.stop();
    }
}

// ------------------------------------------------------------ deploy under load

/**
 * One CodeDeploy minute in the load section (ms); the canary's 5 minutes last 20 s. Not shorter: the
 * environments' inits are not compressed, and on 2 cores the 30 of a 20-user warm-up take about 10 s of CPU
 * one after the other (on AWS each has its own); with a 1-second minute that is "10 minutes", and the stand-in
 * reaped the first environments warmed before the warm-up had even ended.
 */
const LOAD_MINUTE_MS = 4_000;
const LOAD = {
    canary: { weight: 0.1, minutes: 5 },
    // Lambda reaps idle environments after an undocumented time, minutes in practice; here 4 of the canary's 5 minutes,
    // so the warm-up's idle environments are gone by the final step unless something keeps them warm.
    idleTimeoutMs: 4 * LOAD_MINUTE_MS,
    serviceMs: 100,
    thinkMs: [20, 80] as [number, number],
    // Reserved concurrency as a user would set it for 20 users and a traffic-aware warm-up (20 × 1.5 = 30 held at once
    // beside the users' 20), with room to spare: the stand-in throttles beyond it, as Lambda does.
    appConcurrency: 60,
    // keepWarm: { schedule: "rate(1 minute)" }: EventBridge's finest rate.
    keepWarmEveryMs: 1 * LOAD_MINUTE_MS,
    warmPhaseMs: 3_000,
    afterMs: 1 * LOAD_MINUTE_MS,
    // A one-minute window reads the peak of this run's steady phase (the runs of one C follow each other).
    traffic: { maximum: 50, headroom: 1.5, windowMinutes: 1 },
    // warmup.yieldToUsersMs: the default minute, compressed like the canary's minutes.
    yieldToUsersMs: 1 * LOAD_MINUTE_MS,
};

/** Runs section 5 on its own stage; true when its targets are met, null when the stage could not start. */
async function loadSection(usersList: number[], dumpRequests: string | undefined, placement: Placement): Promise<boolean | null> {
    out(`5. deploy under load: ${usersList.join(", ")} users × (no warm-up, fixed N = 5, traffic-aware), canary ${LOAD.canary.weight * 100} % for ${LOAD.canary.minutes} min (1 min = ${LOAD_MINUTE_MS} ms)`);
    let stage: Stage;
    try {
        stage = await Stage.start({
            minuteMs: LOAD_MINUTE_MS,
            deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            idleTimeoutMs: LOAD.idleTimeoutMs,
            appConcurrency: LOAD.appConcurrency,
            maxEnvironments: 100,
            // Rendered traffic-aware, so the roles hold its grants and the cold-start metric exists; the fixed runs drop it.
            warmup: { traffic: LOAD.traffic, yieldToUsersMs: LOAD.yieldToUsersMs },
            // Each environment's init at the lowest CPU priority until its first invoke ends: on AWS every
            // environment has its own CPU, so 30 inits do not slow the users' requests (docs/rehearsal.md).
            isolateInit: true,
            placement,
        });
    } catch (err) {
        if (err instanceof PrerequisiteError) {
            out(err.message);
            return null;
        }
        throw err;
    }
    const fixedConcurrency = stage.settings.concurrency;
    const initIsolation = stage.lambda.initIsolation;
    const runs: LoadRun[] = [];
    try {
        const first = await deployVersion(stage, "first", { APP_RELEASE: "load-first" });
        if (!first.outcome.ok) throw new Error(`the first deploy failed: ${first.outcome.errorMessage}`);
        let release = 0;
        for (const users of usersList) {
            for (const strategy of ["traffic", "fixed", "none"] as Strategy[]) {
                const run = await deployUnderLoad(stage, { users, strategy, ...LOAD, minuteMs: LOAD_MINUTE_MS, release: `load-${++release}` });
                runs.push(run);
                const deploySteps = run.steps.filter((s) => s.step !== "before");
                out(
                    `  ${String(users).padStart(2)} users, ${strategy.padEnd(7)}: warmed ${run.warmed ? `${run.warmed.requested} (${run.warmed.basis})` : "nothing"}, ` +
                        deploySteps.map((s) => `${s.step}: ${s.coldStarts}/${s.requests} cold (${s.coldOnNew} on the new version), ${s.throttled} throttled, p99 ${ms(s.p99)}`).join("; ") +
                        (run.deployOk ? "" : `; DEPLOY FAILED: ${run.deployError}`),
                );
            }
        }
    } finally {
        await stage.stop();
    }
    if (dumpRequests !== undefined) {
        const lines = runs.flatMap((r) => [
            ...r.requests.map((q) => JSON.stringify({ users: r.users, strategy: r.strategy, kind: "user", ...q })),
            ...r.warmups.map((w) => JSON.stringify({ users: r.users, strategy: r.strategy, kind: "warmup", ...w })),
        ]);
        fs.writeFileSync(dumpRequests, lines.join("\n") + "\n");
        out(`Every request: ${dumpRequests}`);
    }
    const warm = runs.flatMap((r) => r.requests.filter((q) => q.step === "before" && !q.cold && !q.throttled && !q.error).map((q) => q.latencyMs));
    const warmP50 = median(warm);
    const aware = runs.filter((r) => r.strategy === "traffic");
    const awareCold = aware.map((r) => `${r.users}: ${deployColdStarts(r)}`).join(", ");
    const fixedCold = runs.filter((r) => r.strategy === "fixed").map((r) => `${r.users}: ${deployColdStarts(r)}`).join(", ");
    const worstP99 = (r: LoadRun): number => Math.max(...DEPLOY_STEPS(r).map((s) => s.p99).filter((v) => Number.isFinite(v)));
    const results: LoadResults = {
        measuredAt: new Date().toISOString(),
        machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
        config: { minuteMs: LOAD_MINUTE_MS, canary: LOAD.canary, idleTimeoutMs: LOAD.idleTimeoutMs, serviceMs: LOAD.serviceMs, thinkMs: LOAD.thinkMs, appConcurrency: LOAD.appConcurrency, keepWarmEveryMs: LOAD.keepWarmEveryMs, fixedConcurrency, traffic: LOAD.traffic, yieldToUsersMs: LOAD.yieldToUsersMs, initIsolation, placement },
        warmP50Ms: warmP50,
        runs: runs.map(({ requests: _r, warmups: _w, ...rest }) => rest),
        targets: [
            {
                name: "traffic-aware: 0 user-facing cold starts during the deploy, for every C (fixed N = 5 beside it)",
                value: `traffic-aware ${awareCold}; fixed ${fixedCold}`,
                pass: aware.length > 0 && aware.every((r) => r.deployOk && deployColdStarts(r) === 0),
            },
            {
                // The deploy's own share: cold starts of the version being deployed. The rest are the old version scaling
                // out again after the stand-in reaped an idle environment (reaping compressed like the canary, fluctuations not).
                name: "traffic-aware: 0 cold starts on the new version (the deploy's own) for every C",
                value: `traffic-aware ${aware.map((r) => `${r.users}: ${DEPLOY_STEPS(r).reduce((n, s) => n + s.coldOnNew, 0)}`).join(", ")}; fixed ${runs
                    .filter((r) => r.strategy === "fixed")
                    .map((r) => `${r.users}: ${DEPLOY_STEPS(r).reduce((n, s) => n + s.coldOnNew, 0)}`)
                    .join(", ")}`,
                pass: aware.length > 0 && aware.every((r) => r.deployOk && DEPLOY_STEPS(r).every((s) => s.coldOnNew === 0)),
            },
            {
                name: `traffic-aware: p99 ≤ 2 × warm p50 (${ms(2 * warmP50)}) at every step`,
                value: aware.map((r) => `${r.users}: ${ms(worstP99(r))}`).join(", "),
                pass: aware.length > 0 && aware.every((r) => worstP99(r) <= 2 * warmP50),
            },
            {
                name: "traffic-aware: no user request throttled during the deploy",
                value: aware.map((r) => `${r.users}: ${DEPLOY_STEPS(r).reduce((n, s) => n + s.throttled, 0)}`).join(", "),
                pass: aware.every((r) => DEPLOY_STEPS(r).every((s) => s.throttled === 0)),
            },
        ],
    };
    const root = findRoot();
    const dir = path.join(root, "bench", "results");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "load.json"), JSON.stringify(results, null, 2) + "\n");
    fs.writeFileSync(path.join(dir, "load.svg"), renderLoadSvg(results));
    updateDocs(root, renderLoadMarkdown(results), "load");
    for (const t of results.targets) out(`  ${t.pass ? "PASS" : "FAIL"}  ${t.name}: ${t.value}`);
    out("Results: bench/results/load.json, bench/results/load.svg, docs/benchmarks.md");
    return results.targets.every((t) => t.pass);
}

main().then(
    (code) => process.exit(code),
    (err: unknown) => {
        out(`benchmark crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        process.exit(1);
    },
);
