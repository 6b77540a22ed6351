/**
 * `bash scripts/run.sh rehearse --engine`: the lifecycle of a stack on the
 * real Pulumi engine (Automation API + the CLI built by scripts/pulumi-cli.sh)
 * against the local AWS (rehearsal/provider). Prints, for each step, the
 * engine's own `Resources:` summary, what the stand-ins saw, and wall time.
 *
 * Options: --keep (keep the work directory: backend, state file, logs),
 * --verbose (echo the engine's whole output), --yaml (the same stack as a
 * Pulumi YAML program, MangumFunction served as a component plugin).
 * Exit code 0 when every step behaved as the design says, 1 otherwise.
 */
import { PrerequisiteError } from "../scenarios/stage";
import { EngineRig } from "../engine/rig";
import { runLifecycle, type StepReport } from "../engine/lifecycle";
import { checkLifecycle } from "../engine/expectations";

const tty = process.stdout.isTTY === true;
const paint = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const dim = paint("2");
const bold = paint("1");
const green = paint("32");
const red = paint("31");
const out = (line = ""): void => void process.stdout.write(line + "\n");

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
    for (const l of saw) out(`  ${dim("saw   ")} ${l}`);
}

async function main(): Promise<number> {
    const argv = process.argv.slice(2);
    const keep = argv.includes("--keep");
    const verbose = argv.includes("--verbose");
    const language = argv.includes("--yaml") ? "yaml" : "typescript";
    for (const a of argv) if (!["--keep", "--verbose", "--yaml"].includes(a)) throw new Error(`unknown option ${a} (known: --keep, --verbose, --yaml)`);
    const t0 = performance.now();
    out(bold(`pulumi-mangum on the real Pulumi engine, against a local slice of AWS (${language === "yaml" ? "a Pulumi YAML program" : "a TypeScript program"})`));
    const rig = await EngineRig.start({ language, keepWorkDir: keep, onOutput: verbose ? (s) => process.stdout.write(dim(s)) : undefined });
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
        if (err instanceof PrerequisiteError) process.stderr.write(`${err.message}\n`);
        else process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
        process.exit(1);
    },
);
