/**
 * examples/build-lambda.sh, for real: pip from the package index, the lockfile's
 * hashes, mangum-warmup built from runtime/, and the result served by the Lambda
 * stand-in (the official Runtime Interface Emulator running awslambdaric).
 *
 * Reproducible means: two builds of the same sources in different directories, from a
 * different working directory, with a different umask and temporary directory, give
 * the same tree: same paths, bytes, modes and timestamps. Pulumi hashes a directory
 * archive over paths and bytes only (pulumi/pulumi sdk/go/common/resource/archive/
 * archive.go, EnsureHashWithWD → archiveTar), so an equal tree is an equal `code`
 * hash, and Lambda publishes no new version.
 *
 * Needs the package index (or pip's cache) and a provisioned machine (`npm test`).
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createLogger } from "../../hooks/log";
import { LambdaStandIn } from "../../rehearsal/lambda/service";
import { httpEvent, resolvePaths } from "../../rehearsal/scenarios/stage";

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, "..", "..");
const BUILD_SCRIPT = path.join(ROOT, "examples", "build-lambda.sh");
const FIXTURE = path.join(__dirname, "fixtures", "routed-app");

interface Entry {
    path: string;
    type: "file" | "dir" | "symlink";
    mode: string;
    mtime: number;
    size: number;
    sha256?: string;
}

let work: string;
let python: string;
let hostPython: string;
let buildA: string;
let buildB: string;
let runA: SpawnSyncReturns<string>;
let runB: SpawnSyncReturns<string>;

/** Every entry under `dir`, sorted, with what any packager could see of it. */
function manifest(dir: string): Entry[] {
    const entries: Entry[] = [];
    const walk = (rel: string): void => {
        for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
            const relPath = rel ? `${rel}/${name}` : name;
            const full = path.join(dir, relPath);
            const st = fs.lstatSync(full);
            const type = st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "dir" : "file";
            const entry: Entry = { path: relPath, type, mode: (st.mode & 0o7777).toString(8), mtime: Math.trunc(st.mtimeMs / 1000), size: type === "file" ? st.size : 0 };
            if (type === "file") entry.sha256 = crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex");
            entries.push(entry);
            if (type === "dir") walk(relPath);
        }
    };
    walk("");
    return entries;
}

/** Copies `from` to `to`, leaving out bytecode caches (another engineer's test run may have left some). */
function copyTree(from: string, to: string): void {
    fs.cpSync(from, to, { recursive: true, filter: (src) => !/(__pycache__|\.egg-info|\.pytest_cache|\.mypy_cache|\.ruff_cache)$/.test(src) });
}

/** An example directory as a user has it: the app (plus what must not ship) and a lockfile. */
function makeExample(dir: string, lockfile = path.join(ROOT, "examples", "minimal", "requirements.txt")): string {
    copyTree(path.join(FIXTURE, "app"), path.join(dir, "app"));
    fs.copyFileSync(lockfile, path.join(dir, "requirements.txt"));
    // What a working tree holds besides the app, none of which may reach Lambda.
    fs.mkdirSync(path.join(dir, "app", "tests"), { recursive: true });
    fs.writeFileSync(path.join(dir, "app", "tests", "test_greetings.py"), "def test_nothing() -> None:\n    pass\n");
    fs.writeFileSync(path.join(dir, "app", ".env"), "DB_PASSWORD=hunter2\n");
    fs.mkdirSync(path.join(dir, "app", "routers", "__pycache__"), { recursive: true });
    fs.writeFileSync(path.join(dir, "app", "routers", "__pycache__", "greetings.cpython-311.pyc"), "stale bytecode");
    return dir;
}

function build(example: string, runtimeDir: string, options: { cwd: string; umask: string; tmp: string }): SpawnSyncReturns<string> {
    fs.mkdirSync(options.tmp, { recursive: true });
    return spawnSync("sh", ["-c", `umask ${options.umask} && exec bash "$0" "$@"`, BUILD_SCRIPT, example, runtimeDir], {
        cwd: options.cwd,
        encoding: "utf8",
        env: {
            ...process.env,
            // The stand-in runs the artifact with this machine's interpreter, so build for it.
            LAMBDA_ARCH: os.arch() === "arm64" ? "arm64" : "x86_64",
            LAMBDA_PYTHON: hostPython,
            PYTHON: python,
            TMPDIR: options.tmp,
        },
    });
}

beforeAll(() => {
    python = resolvePaths().python;
    hostPython = spawnSync(python, ["-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"], { encoding: "utf8" }).stdout.trim();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pm-build-lambda-"));
    // Each build gets its own copy of the sources, at a different path: only the bytes may matter.
    const runtimeA = path.join(work, "a", "runtime");
    const runtimeB = path.join(work, "elsewhere", "deeper", "mangum-warmup-src");
    copyTree(path.join(ROOT, "runtime"), runtimeA);
    copyTree(runtimeA, runtimeB);
    const exampleA = makeExample(path.join(work, "a", "routed"));
    const exampleB = makeExample(path.join(work, "elsewhere", "deeper", "another-name"));
    runA = build(exampleA, runtimeA, { cwd: ROOT, umask: "022", tmp: path.join(work, "tmp-a") });
    runB = build(exampleB, runtimeB, { cwd: os.tmpdir(), umask: "077", tmp: path.join(work, "tmp-b") });
    buildA = path.join(exampleA, "build");
    buildB = path.join(exampleB, "build");
});

afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("examples/build-lambda.sh", () => {
    test("both builds succeed and say what they built", () => {
        expect({ status: runA.status, stderr: runA.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
        expect({ status: runB.status, stderr: runB.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
        expect(runA.stdout).toMatch(new RegExp(`built ${buildA} for (arm64|x86_64), CPython ${hostPython.replace(".", "\\.")} \\(\\d+ files`));
    });

    test("the same sources built in another directory, from another cwd, with umask 077, give a byte-for-byte identical tree", () => {
        const a = manifest(buildA);
        const b = manifest(buildB);
        expect(a.length).toBeGreaterThan(100);
        // Compared entry by entry first, so a failure names the file that differs.
        const differing = a.filter((e, i) => JSON.stringify(e) !== JSON.stringify(b[i])).map((e) => e.path);
        expect(differing).toEqual([]);
        expect(b).toEqual(a);
    });

    test("nothing of the build machine is left: no scripts, no bytecode, no install URL, fixed modes and times", () => {
        const entries = manifest(buildA);
        const paths = entries.map((e) => e.path);
        expect(paths.filter((p) => p === "bin" || p.startsWith("bin/"))).toEqual([]);
        expect(paths.filter((p) => /(^|\/)__pycache__(\/|$)|\.py[co]$/.test(p))).toEqual([]);
        expect(paths.filter((p) => p.endsWith("/direct_url.json"))).toEqual([]);
        expect(new Set(entries.map((e) => e.mtime))).toEqual(new Set([315532800]));
        expect(new Set(entries.filter((e) => e.type === "dir").map((e) => e.mode))).toEqual(new Set(["755"]));
        expect(entries.filter((e) => e.type === "file" && e.mode !== "644" && e.mode !== "755")).toEqual([]);
        // mangum-warmup was installed from a wheel in a temporary directory: its RECORD
        // lists its files and nothing about where it came from.
        const distInfo = paths.find((p) => /^mangum_warmup-[^/]+\.dist-info$/.test(p));
        expect(distInfo).toBeDefined();
        const record = fs.readFileSync(path.join(buildA, distInfo!, "RECORD"), "utf8");
        expect(record).toContain("mangum_warmup/__init__.py,sha256=");
        expect(record).not.toMatch(/direct_url|\.\.\/|bin\//);
        for (const e of entries.filter((x) => x.type === "file")) {
            const text = fs.readFileSync(path.join(buildA, e.path));
            expect([e.path, text.includes(work)]).toEqual([e.path, false]);
        }
    });

    test("the whole app tree is copied (subpackage, data, template), without its tests, hidden files or bytecode", () => {
        const paths = manifest(buildA).map((e) => e.path);
        expect(paths).toEqual(expect.arrayContaining(["main.py", "routers", "routers/__init__.py", "routers/greetings.py", "data/greetings.json", "data/templates/greeting.txt"]));
        expect(paths.filter((p) => p === "tests" || p.startsWith("tests/") || p === ".env")).toEqual([]);
        expect(fs.readFileSync(path.join(buildA, "data", "greetings.json"), "utf8")).toBe(fs.readFileSync(path.join(FIXTURE, "app", "data", "greetings.json"), "utf8"));
    });

    describe("on the Lambda emulator", () => {
        let lambda: LambdaStandIn;
        let version: string;

        beforeAll(async () => {
            const paths = resolvePaths();
            lambda = new LambdaStandIn({
                rie: paths.rie,
                python: paths.python,
                nodeRuntime: paths.nodeRuntime,
                workDir: path.join(work, "stand-in"),
                baseEnv: {},
                log: createLogger({}, () => undefined),
            });
            await lambda.start();
            lambda.createFunction({ name: "routed", runtime: "python", codeDir: buildA, handler: "main.handler", concurrency: 1 });
            // A published version runs a snapshot, as Lambda does, so Python's bytecode never lands in buildA.
            version = lambda.publishVersion("routed");
        });

        afterAll(async () => {
            await lambda?.stop();
        });

        test("the handler imports the subpackage and serves its route, with the artifact's own packages", async () => {
            const out = await lambda.invoke("routed", version, Buffer.from(JSON.stringify(httpEvent("/greetings/fr"))));
            const reply = JSON.parse(out.payload.toString("utf8"));
            expect({ functionError: out.functionError, statusCode: reply.statusCode }).toEqual({ functionError: undefined, statusCode: 200 });
            const body = JSON.parse(reply.body);
            expect(body.text).toBe("Bonjour from a subpackage");
            // Imported from the function's code (LAMBDA_TASK_ROOT), not from the machine's virtualenv.
            expect(body.fastapi.startsWith(body.taskRoot + path.sep)).toBe(true);
            expect(body.mangumWarmup.startsWith(body.taskRoot + path.sep)).toBe(true);

            const missing = await lambda.invoke("routed", version, Buffer.from(JSON.stringify(httpEvent("/greetings/xx"))));
            expect(JSON.parse(JSON.parse(missing.payload.toString("utf8")).body)).toEqual({ detail: "no greeting in xx" });
        });

        test("mangum-warmup, built from runtime/, answers a warm-up event", async () => {
            const event = JSON.parse(fs.readFileSync(path.join(ROOT, "contract", "fixtures", "event.pre-traffic.json"), "utf8"));
            event["mangum-warmup"].checks = [];
            event["mangum-warmup"].holdMs = 0;
            const out = await lambda.invoke("routed", version, Buffer.from(JSON.stringify(event)));
            expect(JSON.parse(out.payload.toString("utf8"))).toMatchObject({ protocol: 1, ok: true, functionVersion: version });
        });
    });

    describe("the lockfile guards what gets installed", () => {
        test("a package whose hash does not match the lockfile stops the build, naming it", () => {
            const lock = fs.readFileSync(path.join(ROOT, "examples", "minimal", "requirements.txt"), "utf8");
            // Every hash of the first locked package replaced: whichever file pip picks, it cannot match.
            const match = /^([A-Za-z0-9._-]+)==[^\n]*(\n\s+--hash=sha256:[0-9a-f]{64}[^\n]*)+/m.exec(lock);
            expect(match).not.toBeNull();
            const [block, name] = [match![0], match![1]!];
            const tampered = lock.replace(block, block.replace(/[0-9a-f]{64}/g, "0".repeat(64)));
            const lockPath = path.join(work, "tampered.txt");
            fs.writeFileSync(lockPath, tampered);
            const example = makeExample(path.join(work, "tampered"), lockPath);
            const run = build(example, path.join(work, "a", "runtime"), { cwd: ROOT, umask: "022", tmp: path.join(work, "tmp-c") });
            expect(run.status).not.toBe(0);
            expect(run.stderr).toMatch(/THESE PACKAGES DO NOT MATCH THE HASHES/);
            expect(run.stderr).toContain(name);
        });

        test("a lockfile without hashes is refused before anything is installed", () => {
            const lockPath = path.join(work, "unhashed.txt");
            fs.writeFileSync(lockPath, "mangum==0.22.0\nfastapi==0.165.0\n");
            const example = makeExample(path.join(work, "unhashed"), lockPath);
            const run = build(example, path.join(work, "a", "runtime"), { cwd: ROOT, umask: "022", tmp: path.join(work, "tmp-d") });
            expect(run.status).toBe(2);
            expect(run.stderr).toContain(`${path.join(example, "requirements.txt")} has no hashes: regenerate it with examples/lock.sh`);
            expect(fs.existsSync(path.join(example, "build"))).toBe(false);
        });
    });
});
