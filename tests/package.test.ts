/**
 * What a user installs: `npm pack` (and so `npm publish` and `npm install github:…`,
 * which packs the clone the same way) from a fresh clone ships the compiled component,
 * its typings and every hook bundle, built by the `prepare` script; source maps carry
 * their sources; the Pulumi SDKs are peers at the oldest versions the component works
 * with, which it is type-checked against; the examples install one copy of each SDK.
 *
 * npm runs `prepare` before `npm pack` and in the clone of a git dependency, after
 * installing its devDependencies (https://docs.npmjs.com/cli/using-npm/scripts).
 * Needs the npm registry (or npm's cache) for the peer-floor packages.
 *
 * Why the floors are what they are (checked by unpacking the registry's tarballs of
 * @pulumi/aws 7.10.0 to 7.20.0):
 * - `invokedViaFunctionUrl` on aws.lambda.Permission (the second grant a public function
 *   URL needs since October 2025) is first in @pulumi/aws 7.16.0: upstream
 *   terraform-provider-aws 6.29.0 (hashicorp/terraform-provider-aws#44858; requested in
 *   pulumi/pulumi-aws#5930). 7.15.0 fails the type-check below on it.
 * - the Runtime enum lists nodejs24.x (the hooks' runtime) and python3.14 first in
 *   7.17.0. The provider refuses a runtime it does not know at preview ("expected runtime
 *   to be one of [...]": hashicorp/terraform-provider-aws#20132, #32764), so 7.16.0 could
 *   not deploy the hooks.
 * - aws.lambda.Invocation `lifecycleScope`/`triggers` and Function `loggingConfig` are in
 *   every 7.x (and in 6.x, which lacks the two above).
 * - @pulumi/pulumi ^3.142.0 is what @pulumi/aws 7.17.0 itself depends on, so every program
 *   that has that SDK has it; the type-check below holds the component to it.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { PYTHON_RUNTIMES } from "../components/args";

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, "..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const HOOKS = ["deployer", "pre-traffic", "keep-warm"];
const SDKS = ["@pulumi/aws", "@pulumi/pulumi"];

let work: string;

beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pm-package-"));
});

afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The files a fresh clone of the working tree has: tracked, plus new files not ignored. No bin/, no dist/. */
function freshClone(dest: string, nodeModules: string | undefined): string {
    const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
    if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
    for (const file of listed.stdout.split("\0").filter(Boolean)) {
        const from = path.join(ROOT, file);
        if (!fs.existsSync(from)) continue; // deleted in the working tree, not yet in the index
        fs.mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
        fs.copyFileSync(from, path.join(dest, file));
    }
    if (nodeModules) fs.symlinkSync(nodeModules, path.join(dest, "node_modules"), "dir");
    return dest;
}

function npm(args: string[], cwd: string) {
    return spawnSync("npm", args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" } });
}

/** `npm pack --dry-run --json` → the packed paths. npm prints the JSON after any script output. */
function packedFiles(stdout: string): string[] {
    const json = stdout.slice(stdout.indexOf("[\n"));
    return (JSON.parse(json)[0].files as { path: string }[]).map((f) => f.path).sort();
}

describe("npm pack from a fresh clone", () => {
    let clone: string;
    let files: string[];
    let run: ReturnType<typeof npm>;

    beforeAll(() => {
        clone = freshClone(path.join(work, "clone"), path.join(ROOT, "node_modules"));
        expect(fs.existsSync(path.join(clone, "bin"))).toBe(false);
        expect(fs.existsSync(path.join(clone, "dist"))).toBe(false);
        run = npm(["pack", "--dry-run", "--json"], clone);
        files = run.status === 0 ? packedFiles(run.stdout) : [];
    });

    test("runs prepare, which builds the code, and ships it: the component, its typings and every hook bundle", () => {
        expect({ status: run.status, stderr: run.status === 0 ? "" : run.stderr }).toEqual({ status: 0, stderr: "" });
        expect(files).toEqual(
            expect.arrayContaining([
                "bin/index.js",
                "bin/index.d.ts",
                "bin/components/mangumFunction.js",
                "bin/components/mangumFunction.d.ts",
                "bin/hooks/contract.js",
                ...HOOKS.map((h) => `dist/hooks/${h}.js`),
                "LICENSE",
                "README.md",
                "package.json",
            ]),
        );
        expect(files.filter((f) => /^(tests|rehearsal|bin\/rehearsal|runtime|examples|scripts|node_modules|components|hooks|bench|contract)\//.test(f))).toEqual([]);
    });

    test("every source map it ships carries its sources, and every sourceMappingURL points at a shipped map", () => {
        const maps = files.filter((f) => f.endsWith(".map"));
        expect(maps.length).toBeGreaterThan(0);
        const problems: string[] = [];
        for (const map of maps) {
            const doc = JSON.parse(fs.readFileSync(path.join(clone, map), "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
            doc.sources.forEach((source, i) => {
                const shipped = files.includes(path.posix.normalize(path.posix.join(path.posix.dirname(map), source)));
                const inline = typeof doc.sourcesContent?.[i] === "string" && doc.sourcesContent[i]!.length > 0;
                if (!shipped && !inline) problems.push(`${map}: ${source} is neither shipped nor inlined`);
            });
        }
        for (const js of files.filter((f) => f.endsWith(".js"))) {
            const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(fs.readFileSync(path.join(clone, js), "utf8"))?.[1];
            if (url && !url.startsWith("data:") && !files.includes(path.posix.join(path.posix.dirname(js), url))) problems.push(`${js}: points at ${url}, not shipped`);
        }
        expect(problems).toEqual([]);
    });

    test("the packed entry point finds its hook bundles", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const compiled = require(path.join(clone, pkg.main));
        expect(compiled.hookBundlePath("pre-traffic")).toBe(path.join(clone, "dist", "hooks", "pre-traffic.js"));
        for (const hook of HOOKS) expect(fs.statSync(path.join(clone, "dist", "hooks", `${hook}.js`)).size).toBeGreaterThan(1000);
    });
});

test("prepare without the build tools stops with what to run, instead of packing no code", () => {
    const clone = freshClone(path.join(work, "no-dev-deps"), undefined);
    fs.mkdirSync(path.join(clone, "node_modules"));
    const run = npm(["pack", "--dry-run", "--json"], clone);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
        `pulumi-mangum prepare: cannot build bin/ and dist/hooks/: typescript and esbuild are not installed in ${path.join(clone, "node_modules")} (they are devDependencies). Run \`npm ci\` (with dev dependencies) in ${clone}, then retry.`,
    );
});

describe("the Pulumi SDKs are peers", () => {
    const floor = (range: string): string => {
        const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
        if (!m) throw new Error(`peer range ${range} is not a caret range: the tests below read its floor from it`);
        return `${m[1]}.${m[2]}.${m[3]}`;
    };
    const newer = (a: string, b: string): boolean => {
        const [x, y] = [a, b].map((v) => v.split(".").map(Number));
        for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return x![i]! > y![i]!;
        return true;
    };

    test("in peerDependencies, not dependencies, and the versions we develop with satisfy the ranges", () => {
        for (const sdk of SDKS) {
            expect(pkg.dependencies?.[sdk]).toBeUndefined();
            const peer = floor(pkg.peerDependencies[sdk]);
            const dev = floor(pkg.devDependencies[sdk]);
            expect([sdk, dev.split(".")[0], newer(dev, peer)]).toEqual([sdk, peer.split(".")[0], true]);
        }
    });

    describe("at the oldest versions the ranges allow", () => {
        const dirs: Record<string, string> = {};

        beforeAll(() => {
            // Downloaded once per machine: only the typings and package.json are unpacked.
            const cache = path.join(os.tmpdir(), "pulumi-mangum-peer-floors");
            for (const sdk of SDKS) {
                const version = floor(pkg.peerDependencies[sdk]);
                const dir = path.join(cache, `${sdk.replace("/", "+")}@${version}`);
                if (!fs.existsSync(path.join(dir, ".complete"))) {
                    fs.rmSync(dir, { recursive: true, force: true });
                    fs.mkdirSync(dir, { recursive: true });
                    const packed = npm(["pack", "--silent", `${sdk}@${version}`, "--pack-destination", dir], dir);
                    if (packed.status !== 0) throw new Error(`npm pack ${sdk}@${version} failed: ${packed.stderr}`);
                    const tarball = path.join(dir, packed.stdout.trim().split("\n").pop()!);
                    const untar = spawnSync("tar", ["-xzf", tarball, "-C", dir, "--strip-components=1", "--wildcards", "package/*.d.ts", "package/package.json"], { encoding: "utf8" });
                    if (untar.status !== 0) throw new Error(`unpacking ${tarball} failed: ${untar.stderr}`);
                    fs.rmSync(tarball);
                    fs.writeFileSync(path.join(dir, ".complete"), "");
                }
                dirs[sdk] = dir;
            }
        });

        test("the component type-checks against them", () => {
            const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, "tsconfig.json"), {}, {
                ...ts.sys,
                onUnRecoverableConfigFileDiagnostic: (d) => {
                    throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
                },
            })!;
            const paths: Record<string, string[]> = {};
            for (const sdk of SDKS) {
                paths[sdk] = [dirs[sdk]!];
                paths[`${sdk}/*`] = [`${dirs[sdk]}/*`];
            }
            const options: ts.CompilerOptions = { ...config.options, noEmit: true, declaration: false, sourceMap: false, inlineSources: false, baseUrl: ROOT, paths };
            const program = ts.createProgram([path.join(ROOT, "index.ts")], options);
            // Proof that the floors, not the installed SDKs, were compiled against.
            for (const sdk of SDKS) expect(program.getSourceFiles().some((f) => f.fileName.startsWith(dirs[sdk]! + "/"))).toBe(true);
            expect(program.getSourceFiles().some((f) => /node_modules\/@pulumi\/(aws|pulumi)\//.test(f.fileName))).toBe(false);
            const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.relative(ROOT, d.file.fileName) + ": " : ""}${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
            expect(diagnostics).toEqual([]);
        });

        test("the oldest @pulumi/aws knows every Lambda runtime the component deploys", () => {
            // The provider validates `runtime` against the runtimes it knows (issues cited at
            // the top); the SDK's Runtime enum is the list a version knows.
            const enums = fs.readFileSync(path.join(dirs["@pulumi/aws"]!, "types", "enums", "lambda", "index.d.ts"), "utf8");
            const hookRuntime = /const HOOK_RUNTIME = "([^"]+)"/.exec(fs.readFileSync(path.join(ROOT, "components", "mangumFunction.ts"), "utf8"))?.[1];
            expect(hookRuntime).toBeDefined();
            const unknown = [hookRuntime!, ...PYTHON_RUNTIMES].filter((r) => !enums.includes(`"${r}"`));
            expect(unknown).toEqual([]);
        });
    });
});

describe("the examples install one copy of each Pulumi SDK", () => {
    const examples = fs.readdirSync(path.join(ROOT, "examples")).filter((d) => fs.existsSync(path.join(ROOT, "examples", d, "package.json")));

    test.each(examples)("examples/%s: pulumi-mangum is installed as a copy, so its peers resolve to the program's SDKs", (example) => {
        const dir = path.join(ROOT, "examples", example);
        // A symlinked file: dependency would resolve the SDKs from the repository's own
        // node_modules (Node follows the link to its real path), a second copy whose
        // classes the program's do not pass instanceof against.
        expect(fs.readFileSync(path.join(dir, ".npmrc"), "utf8")).toMatch(/^install-links=true$/m);
        const lock = JSON.parse(fs.readFileSync(path.join(dir, "package-lock.json"), "utf8"));
        const entries = lock.packages as Record<string, { link?: boolean; resolved?: string; peerDependencies?: Record<string, string> }>;
        expect(entries["node_modules/pulumi-mangum"]).toMatchObject({ resolved: "file:../.." });
        expect(entries["node_modules/pulumi-mangum"]!.link).toBeUndefined();
        expect(entries["node_modules/pulumi-mangum"]!.peerDependencies).toEqual(pkg.peerDependencies);
        for (const sdk of SDKS) {
            expect(Object.keys(entries).filter((k) => k === `node_modules/${sdk}` || k.endsWith(`/node_modules/${sdk}`))).toEqual([`node_modules/${sdk}`]);
        }
        // The program names both SDKs itself, so package managers that do not install peers (yarn 1) still do.
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
        for (const sdk of SDKS) expect([sdk, typeof manifest.dependencies[sdk]]).toEqual([sdk, "string"]);
        expect(lock.packages[""].dependencies).toEqual(manifest.dependencies);
    });
});
