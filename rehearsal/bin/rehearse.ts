/**
 * `npm run rehearse -- --quick`: the hook-level rehearsal (the default
 * `npm run rehearse` runs the real engine, rehearse-engine.ts): a whole deploy of the embedded app on this machine, with
 * the real emulator, the real bundled hooks and a real PostgreSQL, in about a
 * minute. Shows what a cold start costs the app and what the pre-traffic
 * warm-up saves, then proves that a broken version never gets traffic. Every
 * call a hook or CodeDeploy makes is authorized with the component's own IAM
 * policies; the report counts calls evaluated and denied per role.
 *
 * Options: --keep (keep the work directory with every environment's logs),
 * --minute-ms N (length of one CodeDeploy minute, default 1000),
 * --drop-statement ROLE/SID (repeatable: rehearse with that statement taken
 * out of the component's policies, to see what AWS would deny).
 * Exit code 0 when every step behaved as the design says, 1 otherwise.
 */
import { PolicyMutationError, compose, parseDropStatement, type PolicyMutation } from "../iam/mutations";
import { PrerequisiteError, Stage, ALIAS, APP, type DeployerOutcome, type StageEvent } from "../scenarios/stage";
import { burst, deployVersion, measureColdWarm, sampleCanary, warmupFacts, type CanaryFacts, type DeployFacts, type WarmupFacts } from "../scenarios/scenario";
import { max, median, ms } from "../support/stats";
import { bold, dim, green, out, red } from "../support/terminal";


/** Set on Ctrl-C: requests in flight then fail, and only the signal handler may end the process. */
let interrupted = false;

interface Options {
    keep: boolean;
    minuteMs: number;
    /** `--drop-statement ROLE/SID`, in order. */
    drops: string[];
}

function parseArgs(argv: string[]): Options {
    const options: Options = { keep: false, minuteMs: 1000, drops: [] };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--keep") options.keep = true;
        else if (arg === "--minute-ms") options.minuteMs = Number(argv[++i]);
        else if (arg === "--drop-statement") options.drops.push(String(argv[++i] ?? ""));
        else throw new Error(`unknown option ${arg} (known: --keep, --minute-ms N, --drop-statement ROLE/SID)`);
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
        case "codedeploy.service-role.denied":
            info(red(`IAM denied CodeDeploy's ${e.operation} (service role): ${e.error}`));
            break;
        case "lambda.logs.denied":
            info(red(`IAM denied Lambda's log delivery to stream ${e.logStreamName}: its output never reaches CloudWatch Logs`));
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
    let mutatePolicies: PolicyMutation | undefined;
    let stage: Stage;
    try {
        if (options.drops.length > 0) {
            mutatePolicies = compose(...options.drops.map(parseDropStatement));
            out(red(`  rehearsing with ${options.drops.map((d) => `statement ${d}`).join(", ")} taken out of the component's policies`));
        }
        stage = await Stage.start({ minuteMs: options.minuteMs, onEvent: (e) => narrate(e, canary), ...(mutatePolicies ? { mutatePolicies } : {}) });
    } catch (err) {
        if (err instanceof PrerequisiteError || err instanceof PolicyMutationError) {
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
    out(dim(`  IAM: ${stage.model.roles.length} roles taken from MangumFunction (rendered under Pulumi mocks), each hook and CodeDeploy acting as its own role`));
    const n = stage.settings.concurrency;
    const steps: StepResult[] = [];
    const step = (name: string, ok: boolean): boolean => {
        steps.push({ name, ok });
        return ok;
    };
    try {
        out();
        out(bold("1. First deploy: version 1 (the deployer warms and checks it; nothing to shift yet)"));
        const v1 = await deployVersion(stage, "first", { APP_RELEASE: "v1" });
        out(`${stamp()} ${v1.outcome.ok ? green("✓") : red("✗")} deployer (tf.action "create"): ${deployerMessage(v1)}`);
        if (!step("first deploy", v1.outcome.ok)) return finish(stage, steps, options.keep);

        out();
        out(bold(`2. New version 2 through CodeDeploy (pre-traffic warm-up of ${n} environments, then a canary)`));
        let canaryFacts: Promise<CanaryFacts> | undefined;
        const watcher = setInterval(() => {
            if (canary.on && canaryFacts === undefined) canaryFacts = sampleCanary(stage, canary.target, () => canary.on);
        }, 20);
        const v2 = await deployVersion(stage, "new-version", { APP_RELEASE: "v2" });
        clearInterval(watcher);
        canary.on = false;
        const sampled = canaryFacts ? await canaryFacts : undefined;
        if (sampled) info(`during the canary ${sampled.toTarget} of ${sampled.requests} user requests went to version ${v2.version}, with ${sampled.coldStarts} cold starts`);
        out(`${stamp()} ${v2.outcome.ok ? green("✓") : red("✗")} deployer (tf.action "create", prev_input null): ${deployerMessage(v2)}`);
        if (v2.deleted) out(`${stamp()} ${v2.deleted.ok ? green("✓") : red("✗")} deployer (tf.action "delete" of version 1's Invocation): ${outcomeMessage(v2.deleted)}`);
        if (!step("new version 2", v2.outcome.ok && v2.deleted?.ok === true)) return finish(stage, steps, options.keep);
        const first = await burst(stage, n);
        info(`first burst after the shift: ${n} concurrent requests, ${first.coldStarts} cold starts, max ${ms(max(first.latencies))}`);

        out();
        out(bold("3. Settings-only change: a longer warm-up hold (the same version: no deployment may start)"));
        const deploymentsBefore = stage.codedeploy.deployments.size;
        const [lo, hi] = stage.settings.holdMs;
        const settingsChange = await stage.changeWarmupSettings({ holdMs: [lo + 50, hi + 50] });
        const aliasAfterSettings = stage.lambda.aliasState(APP, ALIAS);
        const noDeployment = stage.codedeploy.deployments.size === deploymentsBefore && aliasAfterSettings.functionVersion === v2.version;
        out(`${stamp()} ${settingsChange.ok && noDeployment ? green("✓") : red("✗")} deployer (tf.action "update", prev_input = version 2's input): ${outcomeMessage(settingsChange)}${noDeployment ? "" : red(" — a deployment started or the alias moved")}`);
        step("settings-only change", settingsChange.ok && noDeployment);

        out();
        out(bold(`4. Keep-warm: the schedule fires (${stage.model.keepWarm[0]?.schedule ?? "none"}); the hook warms the alias`));
        const tick = await stage.keepWarmTick();
        const tickOk = tick?.pass === true;
        const tickReport = warmupFacts(tick?.report, (tick?.reasons as string[] | undefined) ?? []);
        out(`${stamp()} ${tickOk ? green("✓") : red("✗")} keep-warm: ${describeWarmup(tickReport)}${tickOk ? "" : red(` — ${(tickReport?.reasons ?? []).join("; ") || "no keep-warm.result line"}`)}`);
        step("keep-warm tick", tickOk);

        out();
        out(bold("5. New version 3, broken (its DATABASE_URL names a database that does not exist)"));
        const v3 = await deployVersion(stage, "new-version", { APP_RELEASE: "v3", DATABASE_URL: stage.pg.url("missing_db") });
        const v3End = stage.codedeploy.deployments.get(v3.deploymentId ?? "")?.completeTime ?? Date.now();
        out(`${stamp()} ${v3.outcome.ok ? red("✗ the broken version was deployed!") : green("✓ the deployer failed, as it must; `pulumi up` would print:")}`);
        if (!v3.outcome.ok) out(`      ${red(`${v3.outcome.errorType}: ${v3.outcome.errorMessage}`)}`);
        if (v3.deleted === undefined) info("the create failed, so the provider keeps version 2's Invocation and deletes nothing");
        for (const reason of v3.warmup?.reasons ?? []) info(`the pre-traffic hook's verdict (from its logs): ${reason}`);
        const after = await Promise.all(Array.from({ length: 10 }, () => stage.request("/")));
        const v3Served = stage.lambda.records.filter((r) => r.functionName === APP && r.version === v3.version && r.startedAt > v3End).length;
        info(`10 user requests afterwards were served by version ${[...new Set(after.map((r) => r.version))].join(", ")}; version ${v3.version} served ${v3Served} requests after its deployment ended`);
        const alias = stage.lambda.aliasState(APP, ALIAS);
        step("broken version 3 refused", !v3.outcome.ok && v3.deleted === undefined && alias.functionVersion === v2.version && Object.keys(alias.weights).length === 0 && v3Served === 0);

        out();
        out(bold("6. Measuring: a cold start against a warm request (GET /db through the alias)"));
        const latency = await measureColdWarm(stage, 3, 10);
        info(`cold: ${latency.cold.map((v) => ms(v)).join(", ")}; warm: median ${ms(median(latency.warm))}`);

        report({ v1, v2, v3, first, latency, alias, v3Served, n, stage, keep: options.keep });
        return finish(stage, steps, options.keep, true);
    } finally {
        process.off("SIGINT", stopOnSignal);
        process.off("SIGTERM", stopOnSignal);
        await stage.stop(options.keep);
    }
}

interface StepResult {
    name: string;
    ok: boolean;
}

/** The IAM section and the verdict: every step did what the design says, and IAM denied nothing. */
function finish(stage: Stage, steps: StepResult[], keep: boolean, reported = false): number {
    if (!reported) {
        out();
        out(bold("Report"));
        out(red(`  The rehearsal stopped after step ${steps.length}: the steps after it need what it should have done.`));
        out(dim(`  Every environment's log (what CloudWatch would hold): ${stage.workDir}/logs${keep ? "" : " (deleted on exit; keep it with --keep)"}`));
    }
    const iam = stage.gate.summary();
    out(bold("  IAM (the component's own policies, evaluated as AWS would):"));
    for (const line of stage.gate.formatReport()) out(`    ${line.startsWith("  DENIED") ? red(line.trim()) : line}`);
    const failed = steps.filter((s) => !s.ok).map((s) => s.name);
    if (iam.denied > 0) failed.push(`${iam.denied} calls denied by IAM`);
    out();
    if (failed.length === 0) {
        out(green(bold(`Rehearsal passed: every step did what the design says; ${iam.evaluated} calls evaluated against the component's policies, 0 denied.`)));
        return 0;
    }
    out(red(bold(`Rehearsal FAILED: ${failed.join(", ")}.`)));
    return 1;
}

function outcomeMessage(o: DeployerOutcome): string {
    return o.ok ? String(o.result.message) : `${o.errorType}: ${o.errorMessage}`;
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
    out(bold("  The deployer's calls (what the provider sent, and what `pulumi up` shows):"));
    for (const c of r.stage.deployerCalls) {
        const target = typeof c.payload.targetVersion === "string" ? ` version ${c.payload.targetVersion}` : "";
        out(`    ${c.invocation} ${c.action}${target}: ${c.outcome.ok ? outcomeMessage(c.outcome) : red(outcomeMessage(c.outcome))}`);
    }
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
