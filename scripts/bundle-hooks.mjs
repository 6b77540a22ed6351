#!/usr/bin/env node
/**
 * Bundles the Lambda hooks (hooks/<name>.ts) into dist/hooks/<name>.js for
 * the nodejs24.x runtime: one CommonJS file each, exporting `handler`.
 *
 *   node scripts/bundle-hooks.mjs            build dist/hooks with the chosen strategy
 *   node scripts/bundle-hooks.mjs --measure  build both strategies, measure size and cold
 *                                            import time, print a table, write
 *                                            bench/results/bundles.json, then build
 *
 * The two strategies, and why SDK_STRATEGY is what it is: docs/bundling.md.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const HOOKS = ["pre-traffic", "keep-warm", "deployer"];
const OUT_DIR = join(ROOT, "dist", "hooks");
/** Inside the repository, so `require("@aws-sdk/…")` from an external bundle resolves to ./node_modules, standing in for the runtime's copy. */
const MEASURE_DIR = join(ROOT, "dist", "hooks-measure");
const RESULTS = join(ROOT, "bench", "results", "bundles.json");
const IMPORT_RUNS = 15;

/**
 * "bundled": the SDK clients are bundled and minified into each hook.
 * "external": `@aws-sdk/*` is left to the copy the nodejs24.x runtime ships.
 * Chosen from the measurements in docs/bundling.md; `--measure` says if they disagree.
 */
const SDK_STRATEGY = "bundled";

function esbuildOptions(entry, outfile, strategy) {
    return {
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: "node",
        target: "node24",
        format: "cjs",
        // The SDK's ES module builds tree-shake better than its CommonJS ones.
        mainFields: ["module", "main"],
        external: strategy === "external" ? ["@aws-sdk/*"] : [],
        minify: true,
        // No keepNames: it costs ~7% size and import time, and every error the hooks log carries an explicit `name`.
        legalComments: "none",
        logLevel: "warning",
    };
}

/** Hooks whose source exists; another may not be written yet. */
function presentHooks() {
    return HOOKS.filter((name) => {
        const present = existsSync(join(ROOT, "hooks", `${name}.ts`));
        if (!present) console.log(`skipping hooks/${name}.ts: it does not exist yet`);
        return present;
    });
}

async function build(name, strategy, dir) {
    const outfile = join(dir, `${name}.js`);
    await esbuild.build(esbuildOptions(join(ROOT, "hooks", `${name}.ts`), outfile, strategy));
    return outfile;
}

const IMPORT_SCRIPT = [
    "const t = process.hrtime.bigint();",
    "const m = require(process.argv[1]);",
    "const ms = Number(process.hrtime.bigint() - t) / 1e6;",
    "if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(3); }",
    "process.stdout.write(String(ms));",
].join("\n");

/** ms to `require` the bundle in a fresh process: nothing is cached but the OS page cache. */
function importOnce(file) {
    // A region keeps client construction at import from depending on the machine's AWS config.
    const run = spawnSync(process.execPath, ["-e", IMPORT_SCRIPT, file], { encoding: "utf8", env: { ...process.env, AWS_REGION: "us-east-1" } });
    if (run.status !== 0) throw new Error(`importing ${relative(ROOT, file)} failed: ${run.stderr}`);
    return Number(run.stdout);
}

/**
 * Samples the files in turn (a, b, a, b, …) rather than one after the other,
 * so a load spike on a shared machine hits every variant alike.
 */
function importTimes(files) {
    const samples = files.map(() => []);
    for (let i = 0; i < IMPORT_RUNS; i++) files.forEach((file, f) => samples[f].push(importOnce(file)));
    return samples.map((s) => {
        const sorted = [...s].sort((a, b) => a - b);
        return { medianMs: round(sorted[Math.floor(sorted.length / 2)]), minMs: round(sorted[0]), maxMs: round(sorted[sorted.length - 1]), samples: s.map(round) };
    });
}

function round(ms) {
    return Math.round(ms * 10) / 10;
}

function sizes(file) {
    return { bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file)).length };
}

function versionOf(pkg) {
    return JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
}

async function measure(hooks) {
    rmSync(MEASURE_DIR, { recursive: true, force: true });
    const results = {};
    for (const name of hooks) {
        const strategies = ["bundled", "external"];
        const files = [];
        for (const strategy of strategies) files.push(await build(name, strategy, join(MEASURE_DIR, strategy)));
        const times = importTimes(files);
        results[name] = Object.fromEntries(strategies.map((strategy, i) => [strategy, { ...sizes(files[i]), importMs: times[i] }]));
    }
    rmSync(MEASURE_DIR, { recursive: true, force: true });

    const rows = [["hook", "strategy", "size", "gzip", "import median", "min", "max"]];
    for (const [name, byStrategy] of Object.entries(results)) {
        for (const [strategy, r] of Object.entries(byStrategy)) {
            rows.push([name, strategy, kb(r.bytes), kb(r.gzipBytes), `${r.importMs.medianMs} ms`, `${r.importMs.minMs} ms`, `${r.importMs.maxMs} ms`]);
        }
    }
    printTable(rows);

    const bundledFaster = Object.values(results).filter((r) => r.bundled.importMs.medianMs < r.external.importMs.medianMs).length;
    const summary = `bundled imported faster (median) on ${bundledFaster} of ${hooks.length} hooks`;
    const record = {
        measuredAt: new Date().toISOString(),
        node: process.version,
        esbuild: esbuild.version,
        sdk: { "@aws-sdk/client-lambda": versionOf("@aws-sdk/client-lambda"), "@aws-sdk/client-codedeploy": versionOf("@aws-sdk/client-codedeploy") },
        importRuns: IMPORT_RUNS,
        hooks: results,
        summary,
        strategyUsed: SDK_STRATEGY,
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, JSON.stringify(record, null, 2) + "\n");
    console.log(`\nwrote ${relative(ROOT, RESULTS)}`);
    console.log(`${summary}; building with SDK_STRATEGY "${SDK_STRATEGY}" (docs/bundling.md explains the choice)`);
}

function kb(bytes) {
    return `${(bytes / 1024).toFixed(1)} KiB`;
}

function printTable(rows) {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const [i, row] of rows.entries()) {
        console.log(row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
        if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
    }
}

async function main() {
    const hooks = presentHooks();
    if (process.argv.includes("--measure")) await measure(hooks);
    rmSync(OUT_DIR, { recursive: true, force: true });
    for (const name of hooks) {
        const file = await build(name, SDK_STRATEGY, OUT_DIR);
        console.log(`${relative(ROOT, file)}  ${kb(sizes(file).bytes)}  (SDK ${SDK_STRATEGY})`);
    }
}

main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
