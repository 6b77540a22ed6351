/**
 * `npm run rehearse`: a whole deploy of the embedded app on this machine, with
 * the real emulator, the real bundled hooks and a real PostgreSQL, in about a
 * minute. Shows what a cold start costs the app and what the pre-traffic
 * warm-up saves, then proves that a broken version never gets traffic.
 *
 * Options: --keep (keep the work directory with every environment's logs),
 * --minute-ms N (length of one CodeDeploy minute, default 1000).
 * Exit code 0 when every step behaved as the design says, 1 otherwise.
 */
import { PrerequisiteError, Stage, ALIAS, APP, type StageEvent } from "../scenarios/stage";
import { burst, deployVersion, measureColdWarm, sampleCanary, type CanaryFacts, type DeployFacts, type WarmupFacts } from "../scenarios/scenario";
import { max, median, ms } from "../support/stats";

const tty = process.stdout.isTTY === true;
const paint = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const dim = paint("2");
const bold = paint("1");
const green = paint("32");
const red = paint("31");

const out = (line = ""): void => void process.stdout.write(line + "\n");

/** Set on Ctrl-C: requests in flight then fail, and only the signal handler may end the process. */
let interrupted = false;

interface Options {
    keep: boolean;
    minuteMs: number;
}

function parseArgs(argv: string[]): Options {
    const options: Options = { keep: false, minuteMs: 1000 };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--keep") options.keep = true;
        else if (arg === "--minute-ms") options.minuteMs = Number(argv[++i]);
        else throw new Error(`unknown option ${arg} (known: --keep, --minute-ms N)`);
    }
    if (!(options.minuteMs >= 10)) throw new Error("--minute-ms must be a number of at least 10");
    return options;
}

const t0 = performance.now();
const stamp = (): string => dim(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s]`);
const info = (text: string): void => out(`${stamp()}   · ${text}`);

/** Progress lines from the stand-ins' own structured events. */
function narrate(e: StageEvent, canary: { on: boolean; target: string }): void {
    switch (e.event) {
        case "codedeploy.deployment.created":
            info(`CodeDeploy deployment ${e.deploymentId} created: ${e.deploymentConfigName}`);
            break;
        case "codedeploy.hook.invoked":
            info(`${e.lifecycleEvent}: CodeDeploy invoked the ${e.hook} hook`);
            break;
        case "lambda.environment.starting":
            if (String(e.environmentId).startsWith(`${APP}:`)) info(`new execution environment ${e.environmentId} (cold start)`);
            break;
        case "codedeploy.hook.status-report":
            info(`the hook reported ${e.status === "Succeeded" ? green("Succeeded") : red(String(e.status))}${e.accepted ? "" : ` (rejected: ${e.error})`}`);
            break;
        case "codedeploy.traffic.shifted": {
            const pct = Math.round(Number(e.weight) * 100);
            info(`traffic: ${pct}% of alias ${ALIAS} → version ${e.targetVersion}`);
            canary.on = pct < 100;
            canary.target = String(e.targetVersion);
            break;
        }
        case "codedeploy.deployment.rolled-back":
            info(`automatic rollback ${e.rollbackDeploymentId}: alias ${ALIAS} kept on the current version`);
            break;
        case "codedeploy.deployment.finished":
            info(`CodeDeploy deployment ${e.deploymentId}: ${e.status === "Succeeded" ? green("Succeeded") : red(String(e.status))}`);
            break;
        default:
    }
}

function describeWarmup(w: WarmupFacts | null): string {
    if (w === null) return "no warm-up report";
    const checks = Object.entries(w.checks).map(([name, c]) =>
        c.failed === 0 ? `${name} check passed in ${c.passed}/${c.passed}` : red(`${name} check FAILED in ${c.failed}/${c.passed + c.failed}: ${c.errors[0] ?? ""}`),
    );
    return [`${w.succeeded}/${w.requested} invocations answered`, `${w.distinctEnvironments ?? "?"} distinct environments`, ...checks, `in ${ms(w.wallMs)}`].join(", ");
}

function deployerMessage(d: DeployFacts): string {
    return d.outcome.ok ? String(d.outcome.result.message) : `${d.outcome.errorType}: ${d.outcome.errorMessage}`;
}

async function main(): Promise<number> {
    const options = parseArgs(process.argv.slice(2));
    const canary = { on: false, target: "" };
    out(bold("pulumi-mangum rehearsal: a whole deploy on this machine; nothing reaches AWS"));
    let stage: Stage;
    try {
        stage = await Stage.start({ minuteMs: options.minuteMs, onEvent: (e) => narrate(e, canary) });
    } catch (err) {
        if (err instanceof PrerequisiteError) {
            out(red(err.message));
            return 1;
        }
        throw err;
    }
    const stopOnSignal = (): void => {
        interrupted = true;
        out(red("\ninterrupted: stopping every environment and PostgreSQL"));
        void stage.stop(options.keep).finally(() => process.exit(130));
    };
    process.once("SIGINT", stopOnSignal);
    process.once("SIGTERM", stopOnSignal);

    out(dim(`  real: PostgreSQL on 127.0.0.1:${stage.pg.port}, the AWS Lambda Runtime Interface Emulator (one process per execution environment),`));
    out(dim(`        the app (rehearsal/app, FastAPI + Mangum + mangum-warmup via awslambdaric), the bundled hooks (dist/hooks)`));
    out(dim(`  stand-ins: the Lambda API on ${stage.lambda.endpoint}, the CodeDeploy API on ${stage.codedeploy.endpoint}; one CodeDeploy minute = ${ms(options.minuteMs)}`));
    const n = stage.settings.concurrency;
    try {
        out();
        out(bold("1. First deploy: version 1 (the deployer warms and checks it; nothing to shift yet)"));
        const v1 = await deployVersion(stage, "create", { APP_RELEASE: "v1" });
        out(`${stamp()} ${v1.outcome.ok ? green("✓") : red("✗")} deployer: ${deployerMessage(v1)}`);

        out();
        out(bold(`2. Update: version 2 through CodeDeploy (pre-traffic warm-up of ${n} environments, then a canary)`));
        let canaryFacts: Promise<CanaryFacts> | undefined;
        const watcher = setInterval(() => {
            if (canary.on && canaryFacts === undefined) canaryFacts = sampleCanary(stage, canary.target, () => canary.on);
        }, 20);
        const v2 = await deployVersion(stage, "update", { APP_RELEASE: "v2" });
        clearInterval(watcher);
        canary.on = false;
        const sampled = canaryFacts ? await canaryFacts : undefined;
        if (sampled) info(`during the canary ${sampled.toTarget} of ${sampled.requests} user requests went to version ${v2.version}, with ${sampled.coldStarts} cold starts`);
        out(`${stamp()} ${v2.outcome.ok ? green("✓") : red("✗")} deployer: ${deployerMessage(v2)}`);
        const first = await burst(stage, n);
        info(`first burst after the shift: ${n} concurrent requests, ${first.coldStarts} cold starts, max ${ms(max(first.latencies))}`);

        out();
        out(bold("3. Update: broken version 3 (its DATABASE_URL names a database that does not exist)"));
        const v3 = await deployVersion(stage, "update", { APP_RELEASE: "v3", DATABASE_URL: stage.pg.url("missing_db") });
        const v3End = stage.codedeploy.deployments.get(v3.deploymentId ?? "")?.completeTime ?? Date.now();
        out(`${stamp()} ${v3.outcome.ok ? red("✗ the broken version was deployed!") : green("✓ the deployer failed, as it must; `pulumi up` would print:")}`);
        if (!v3.outcome.ok) out(`      ${red(`${v3.outcome.errorType}: ${v3.outcome.errorMessage}`)}`);
        for (const reason of v3.warmup?.reasons ?? []) info(`the pre-traffic hook's verdict (from its logs): ${reason}`);
        const after = await Promise.all(Array.from({ length: 10 }, () => stage.request("/")));
        const v3Served = stage.lambda.records.filter((r) => r.functionName === APP && r.version === v3.version && r.startedAt > v3End).length;
        info(`10 user requests afterwards were served by version ${[...new Set(after.map((r) => r.version))].join(", ")}; version ${v3.version} served ${v3Served} requests after its deployment ended`);

        out();
        out(bold("4. Measuring: a cold start against a warm request (GET /db through the alias)"));
        const latency = await measureColdWarm(stage, 3, 10);
        info(`cold: ${latency.cold.map((v) => ms(v)).join(", ")}; warm: median ${ms(median(latency.warm))}`);

        const alias = stage.lambda.aliasState(APP, ALIAS);
        const passed = v1.outcome.ok && v2.outcome.ok && !v3.outcome.ok && alias.functionVersion === v2.version && Object.keys(alias.weights).length === 0 && v3Served === 0;
        report({ v1, v2, v3, first, latency, alias, v3Served, n, stage, keep: options.keep });
        out();
        out(passed ? green(bold("Rehearsal passed: every step did what the design says.")) : red(bold("Rehearsal FAILED: see the steps above.")));
        return passed ? 0 : 1;
    } finally {
        process.off("SIGINT", stopOnSignal);
        process.off("SIGTERM", stopOnSignal);
        await stage.stop(options.keep);
    }
}

interface ReportInput {
    v1: DeployFacts;
    v2: DeployFacts;
    v3: DeployFacts;
    first: { latencies: number[]; coldStarts: number };
    latency: { cold: number[]; warm: number[] };
    alias: { functionVersion: string; weights: Record<string, number> };
    v3Served: number;
    n: number;
    stage: Stage;
    keep: boolean;
}

function report(r: ReportInput): void {
    const cold = median(r.latency.cold);
    const warm = median(r.latency.warm);
    out();
    out(bold("Report"));
    out(bold("  What a cold start costs this app") + " (GET /db through the alias, measured end to end):");
    out(`    cold, new execution environment   median ${ms(cold).padStart(9)}   (${r.latency.cold.length} samples)`);
    out(`    warm                              median ${ms(warm).padStart(9)}   (${r.latency.warm.length} samples)`);
    if (Number.isFinite(cold) && Number.isFinite(warm)) out(`    → every request that meets a cold start waits ~${ms(cold - warm)} longer (${Math.round(cold / warm)}× a warm one)`);
    out(bold("  What the pre-traffic warm-up saved:"));
    out(`    version ${r.v2.version} went live with ${r.v2.warmup?.distinctEnvironments ?? "?"} warm environments; the first ${r.n} concurrent requests after the shift met ${r.first.coldStarts} cold starts (max ${ms(max(r.first.latencies))}).`);
    out(`    Without it, each of those first ${r.n} users would have waited for a cold start (~${ms(cold)}); \`npm run bench\` measures both.`);
    out(bold("  Environments warmed and checked:"));
    out(`    version ${r.v1.version} (deployer, first deploy):  ${describeWarmup(r.v1.warmup)}`);
    out(`    version ${r.v2.version} (pre-traffic hook):        ${describeWarmup(r.v2.warmup)}; slowest cold start ${ms(r.v2.slowestColdMs)}`);
    out(`    version ${r.v3.version} (pre-traffic hook):        ${describeWarmup(r.v3.warmup)}`);
    out(bold("  Where traffic is:"));
    const split = Object.entries(r.alias.weights).map(([v, w]) => `, ${Math.round(w * 100)}% to version ${v}`).join("");
    out(`    alias ${ALIAS} → version ${r.alias.functionVersion}${split || " (no weighted routing)"}; version ${r.v3.version} served ${r.v3Served} requests after its deployment ended`);
    out(bold("  The deployer's messages (what `pulumi up` shows):"));
    for (const d of [r.v1, r.v2, r.v3]) out(`    version ${d.version}: ${deployerMessage(d)}`);
    out(dim(`  Every environment's log (what CloudWatch would hold): ${r.stage.workDir}/logs${r.keep ? "" : " (deleted on exit; keep it with --keep)"}`));
}

main().then(
    (code) => process.exit(code),
    (err: unknown) => {
        if (interrupted) return;
        out(red(`rehearsal crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
        process.exit(1);
    },
);
