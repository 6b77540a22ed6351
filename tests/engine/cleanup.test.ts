/**
 * The stand-ins' processes die with their parent when it is ended by SIGTERM,
 * as jest ends a worker (SIGTERM, then SIGKILL 500 ms later): the emulators
 * and their runtimes are killed and PostgreSQL is shut down, instead of being
 * orphaned (G's report: "emulators and PostgreSQL orphaned when jest kills a
 * test"). The parent here is a child Node process running the compiled local
 * AWS and PostgreSQL helper, as a jest worker would.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { isRunning, processTree } from "../../rehearsal/support/proc";
import { findRoot } from "../../rehearsal/scenarios/stage";

jest.setTimeout(120_000);

const CHILD = `
const path = require("node:path");
const bin = path.join(process.argv[1], "bin", "rehearsal");
const { LocalAws } = require(path.join(bin, "provider", "localAws.js"));
const { startPostgres } = require(path.join(bin, "support", "postgres.js"));
const { resolvePaths } = require(path.join(bin, "scenarios", "stage.js"));
const { SIG_KEY, ARCHIVE_SIG, ASSET_SIG } = require(path.join(bin, "provider", "schema.js"));
(async () => {
    const p = resolvePaths(process.argv[1]);
    const pg = await startPostgres(p.root);
    const aws = await LocalAws.start({ dataDir: process.argv[2], rie: p.rie, python: p.python, nodeRuntime: p.nodeRuntime });
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    await aws.create("aws:iam/role:Role", "r", { name: "r", assumeRolePolicy: trust, path: "/" });
    const code = { [SIG_KEY]: ARCHIVE_SIG, hash: "h", assets: { "index.js": { [SIG_KEY]: ASSET_SIG, hash: "h1", text: "exports.handler = async () => ({ ok: true });" } } };
    await aws.create("aws:lambda/function:Function", "f", { name: "f", role: "arn:aws:iam::000000000000:role/r", code, handler: "index.handler", runtime: "nodejs24.x", publish: true, timeout: 10 });
    await aws.lambda.invoke("f", "1", Buffer.from("{}"));
    process.stdout.write(JSON.stringify({ emulators: aws.lambda.environmentsInfo().map((e) => e.pid), pgPort: pg.port }) + "\\n");
    setInterval(() => undefined, 1000);
})().catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(3); });
`;

const listening = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port }, () => {
            socket.destroy();
            resolve(true);
        });
        socket.on("error", () => resolve(false));
    });

test("SIGTERM to the process running the local AWS and PostgreSQL leaves no emulator, runtime or server behind", async () => {
    const root = findRoot();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-cleanup-"));
    const child = spawn(process.execPath, ["-e", CHILD, root, dataDir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const ready = await new Promise<{ emulators: number[]; pgPort: number }>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0] as string) as { emulators: number[]; pgPort: number });
        });
        child.on("exit", (code) => reject(new Error(`the child exited ${code} before it was ready: ${err}`)));
    });
    try {
        expect(ready.emulators.length).toBe(1);
        // The emulator and the runtime it started (its own process group): all must go.
        const tree = processTree(ready.emulators[0] as number);
        expect(tree.length).toBeGreaterThanOrEqual(2);
        expect(await listening(ready.pgPort)).toBe(true);

        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        child.kill("SIGTERM");
        expect(await exited).toBe(143);

        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline && (tree.some(isRunning) || (await listening(ready.pgPort)))) await new Promise((r) => setTimeout(r, 100));
        expect(tree.filter(isRunning)).toEqual([]);
        expect(await listening(ready.pgPort)).toBe(false);
    } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
});
