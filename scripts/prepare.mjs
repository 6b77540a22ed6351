#!/usr/bin/env node
/**
 * npm's `prepare` script: builds what the package ships and git does not hold,
 * the compiled component (tsc → bin/) and the bundled hooks (dist/hooks/).
 *
 * npm runs `prepare` (https://docs.npmjs.com/cli/using-npm/scripts, "Life Cycle
 * Scripts"): on `npm install` / `npm ci` without package arguments in this
 * repository; before `npm pack` and `npm publish`; when a directory dependency is
 * installed as a copy (the examples' `file:../..` with install-links); and in the
 * clone npm makes of a git dependency (`npm install github:…`), after installing
 * that clone's dependencies *and devDependencies*, so TypeScript and esbuild are
 * there. Anywhere they are not (e.g. `npm ci --omit=dev` here), it stops and says
 * what to run, rather than shipping a package with no code.
 *
 * It compiles tsconfig.package.json (the component and the hooks, what `files` ships),
 * not the rehearsal, which is this repository's own and `npm run build` compiles.
 * What it builds is emptied first: tsc never deletes the output of a source that was
 * removed or renamed, and `files` in package.json would ship it.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(ROOT, "package.json"));

function fail(message) {
    console.error(`pulumi-mangum prepare: ${message}`);
    process.exit(1);
}

const missing = ["typescript", "esbuild"].filter((name) => {
    try {
        require.resolve(`${name}/package.json`);
        return false;
    } catch {
        return true;
    }
});
if (missing.length > 0) {
    fail(
        `cannot build bin/ and dist/hooks/: ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not installed in ${join(ROOT, "node_modules")} ` +
            `(they are devDependencies). Run \`npm ci\` (with dev dependencies) in ${ROOT}, then retry.`,
    );
}

function run(what, args) {
    const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "inherit" });
    if (result.status !== 0) fail(`${what} failed (exit ${result.status ?? result.signal}); see its output above.`);
}

const BIN = join(ROOT, "bin");
let stale = [];
try {
    stale = readdirSync(BIN).filter((name) => name === "components" || name === "hooks" || name.startsWith("index."));
} catch {
    // no bin/ yet: a fresh clone
}
for (const name of stale) rmSync(join(BIN, name), { recursive: true, force: true });
run("compiling the component (tsc -p tsconfig.package.json)", [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.package.json"]);
run("bundling the hooks (scripts/bundle-hooks.mjs)", [join(ROOT, "scripts", "bundle-hooks.mjs")]);
