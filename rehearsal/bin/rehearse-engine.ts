/**
 * `npm run rehearse` (`bash scripts/run.sh rehearse`): the lifecycle of a
 * stack on the real Pulumi engine (Automation API + the CLI built by
 * scripts/pulumi-cli.sh) against the local AWS (rehearsal/provider), with IAM
 * enforced by the policies the engine created. Prints, for each step, the
 * engine's own `Resources:` summary, what the stand-ins saw, IAM's calls
 * evaluated and denied, and wall time; ends with the IAM report per role.
 *
 * Options: --keep (keep the work directory: backend, state file, logs),
 * --verbose (echo the engine's whole output), --yaml (the same stack as a
 * Pulumi YAML program, MangumFunction served as a component plugin),
 * --drop-statement ROLE/SID (the program drops one of the component's
 * statements: what AWS would deny without it), --minute-ms N (one CodeDeploy
 * minute). Exit code 0 when every step behaved as the design says and IAM
 * denied nothing, 1 otherwise.
 */
import { PrerequisiteError } from "../scenarios/stage";
import { DropStatementError, EngineRig } from "../engine/rig";
import { runLifecycle, type StepReport } from "../engine/lifecycle";
import { checkLifecycle } from "../engine/expectations";
import { bold, dim, green, out, red } from "../support/terminal";


function print(r: StepReport): void {
    const { step, facts } = r;
    out();
    out(`${bold(step.label)}  ${dim(`${(step.ms / 1000).toFixed(1)} s`)}  ${step.ok ? green("ok") : red("failed")}`);
    for (const l of step.summary) out(`  ${dim("engine")} ${l}`);
    if (step.error) for (const l of step.error.split("\n").slice(0, 6)) out(`  ${dim("engine")} ${l}`);
    const saw: string[] = [];
    if (facts.versions.length > 0) saw.push(`versions published: ${facts.versions.join(", ")}`);
    for (const [a, v] of Object.entries(facts.aliases)) saw.push(`alias ${a} → version ${v.version}${Object.keys(v.weights).length ? ` (+ ${JSON.stringify(v.weights)})` : ""}`);
    for (const c of facts.deployerCalls) {
        saw.push(
            `deployer via ${c.resource}: tf.action=${c.action}${c.op ? ` op=${c.op}` : ""}${c.targetVersion ? ` targetVersion=${c.targetVersion}` : ""}` +
                `${c.prevTargetVersion !== undefined ? ` prev=${c.prevTargetVersion ?? "null"}` : ""} → ${c.ok ? "ok" : "error"}`,
        );
    }
    for (const d of facts.deployments) saw.push(`CodeDeploy ${d.id} (${d.creator}): ${d.from} → ${d.to} ${d.status}`);
    if (facts.preTrafficRuns > 0) saw.push(`pre-traffic hook ran ${facts.preTrafficRuns}×`);
    if (Object.keys(facts.served).length > 0) saw.push(`user requests through the alias served by: ${Object.entries(facts.served).map(([v, n]) => `v${v}×${n}`).join(", ")}`);
    if (facts.firings.length > 0) saw.push(`schedule firings: ${facts.firings.map((f) => `${f.rule} ${f.delivered ? "delivered" : "denied"}`).join(", ")}; keep-warm reached the alias ${facts.keepWarmInvocations}×`);
    saw.push(`local AWS holds: ${Object.entries(facts.resourcesByType).map(([t, n]) => `${t}×${n}`).join(", ") || "nothing"}`);
    const iam = facts.iam;
    saw.push(`IAM: ${iam.evaluated} calls evaluated with the engine's policies, ${iam.denied} denied${iam.outside ? ` (${iam.outside} from outside the component's roles)` : ""}`);
    for (const l of saw) out(`  ${dim("saw   ")} ${l}`);
    for (const d of iam.denials) out(`  ${red("DENIED")} ${d}`);
}

class UsageError extends Error {
    override readonly name = "UsageError";
}

const USAGE = "options: --keep, --verbose, --yaml, --drop-statement ROLE/SID, --minute-ms N (and --quick, handled by scripts/run.sh: the hook-level rehearsal)";

function parseArgs(argv: string[]): { keep: boolean; verbose: boolean; language: "yaml" | "typescript"; dropStatement?: string; minuteMs?: number } {
    const o: ReturnType<typeof parseArgs> = { keep: false, verbose: false, language: "typescript" };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value (${USAGE})`);
            return v;
        };
        if (a === "--keep") o.keep = true;
        else if (a === "--verbose") o.verbose = true;
        else if (a === "--yaml") o.language = "yaml";
        else if (a === "--engine") continue; // the default now; accepted for old command lines
        else if (a === "--drop-statement") o.dropStatement = value();
        else if (a === "--minute-ms") {
            const n = Number(value());
            if (!Number.isInteger(n) || n < 10 || n > 60_000) throw new UsageError(`--minute-ms takes whole milliseconds between 10 and 60000`);
            o.minuteMs = n;
        } else throw new UsageError(`unknown option ${a} (${USAGE})`);
    }
    return o;
}

async function main(): Promise<number> {
    const { keep, verbose, language, dropStatement, minuteMs } = parseArgs(process.argv.slice(2));
    const t0 = performance.now();
    out(bold(`pulumi-mangum on the real Pulumi engine, against a local slice of AWS (${language === "yaml" ? "a Pulumi YAML program" : "a TypeScript program"})`));
    if (dropStatement) out(red(`rehearsing with statement ${dropStatement} taken out of the component's policies (by a stack transformation in the program)`));
    const rig = await EngineRig.start({ language, keepWorkDir: keep, dropStatement, ...(minuteMs ? { minuteMs } : {}), onOutput: verbose ? (s) => process.stdout.write(dim(s)) : undefined });
    out(dim(`work directory ${rig.workDir}; local AWS at ${rig.aws.endpoint}`));
    let reports: StepReport[] = [];
    // Ctrl-C: stop the local AWS (its emulators and PostgreSQL) before leaving, never orphan them.
    process.once("SIGINT", () => {
        out(red("interrupted: stopping the local AWS"));
        void rig.stop().finally(() => process.exit(130));
    });
    try {
        reports = await runLifecycle(rig, print);
    } finally {
        await rig.stop();
    }
    const problems = checkLifecycle(reports);
    if (dropStatement && rig.dropped.dropped === 0) {
        problems.unshift(`--drop-statement ${dropStatement} took nothing out: ${rig.dropped.roles.size === 0 ? "no role of the program matches" : `role ${[...rig.dropped.roles].join(", ")} has no statement with that Sid`}`);
    }
    out();
    out(bold("IAM, with the policies the engine created"));
    for (const l of rig.aws.iam.formatReport()) out(`  ${l}`);
    out();
    out(bold("Wall time per step"));
    for (const r of reports) out(`  ${(r.step.ms / 1000).toFixed(1).padStart(6)} s  ${r.step.label}`);
    out(`  ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s  total`);
    out();
    if (problems.length === 0) {
        out(green("✓ every step behaved as on AWS with Pulumi's AWS provider"));
        return 0;
    }
    for (const p of problems) out(red(`✗ ${p}`));
    return 1;
}

main().then(
    (code) => process.exit(code),
    (err: unknown) => {
        if (err instanceof PrerequisiteError || err instanceof DropStatementError || err instanceof UsageError) process.stderr.write(`${err.message}\n`);
        else process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
        process.exit(1);
    },
);
