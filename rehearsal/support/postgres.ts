/**
 * A throwaway PostgreSQL server for a rehearsal: a real server in a temporary
 * directory on a free loopback port, started and stopped with the project's
 * own helpers in scripts/postgres.sh (so tests, the rehearsal and pytest share
 * one way of doing it, including running as `postgres` when we are root).
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { freePort, releasePort } from "./net";
import { exitOnTermination } from "./signals";

const run = promisify(execFile);

export interface Postgres {
    port: number;
    /** libpq URL for a database on this server (the password is random per server). */
    url(database?: string): string;
    /** Runs one SQL statement with psql; returns the rows, columns joined by `|`. */
    query(sql: string): Promise<string[]>;
    stop(): Promise<void>;
}

/** `bash -c` with the project's helpers sourced, so their error messages reach the caller as is. */
function helperScript(root: string, command: string): string[] {
    return ["-c", `set -euo pipefail; source "${root}/scripts/toolchain.sh"; source "${root}/scripts/postgres.sh"; ${command}`, "postgres-helper"];
}

export async function startPostgres(root: string): Promise<Postgres> {
    if (!fs.existsSync(path.join(root, "scripts", "postgres.sh"))) {
        throw new Error(`scripts/postgres.sh is missing under ${root}: the rehearsal starts PostgreSQL with its helpers`);
    }
    // Under the system temp dir: the server runs as `postgres` when we are root, and must be able to reach it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-rehearsal-pg-"));
    const port = await freePort();
    const password = randomBytes(12).toString("hex");
    const env = { ...process.env, PM_PG_PASSWORD: password };
    const stopSync = (): void => {
        try {
            execFileSync("bash", helperScript(root, `pm_pg_stop "$1"`).concat(dir), { env, stdio: "ignore" });
            fs.rmSync(dir, { recursive: true, force: true });
        } catch {
            // best effort while exiting
        }
    };
    try {
        await run("bash", helperScript(root, `pm_pg_start "$1" "$2"`).concat(dir, String(port)), { env });
    } catch (err) {
        const e = err as { stderr?: string; message: string };
        fs.rmSync(dir, { recursive: true, force: true });
        throw new Error(`PostgreSQL did not start (scripts/postgres.sh pm_pg_start): ${(e.stderr ?? "").trim() || e.message}`);
    }
    // A server left running after we exit would hold the port and the temp dir forever.
    process.on("exit", stopSync);
    // SIGTERM/SIGHUP (jest ending a worker) skip "exit" listeners unless turned into an exit.
    exitOnTermination();
    const url = (database = "postgres"): string => `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`;
    return {
        port,
        url,
        async query(sql) {
            const { stdout } = await run("bash", helperScript(root, `pm_ensure_postgres && "$PM_PG_BIN/psql" "$1" -X -A -t -v ON_ERROR_STOP=1 -c "$2"`).concat(url(), sql), { env });
            return stdout.split("\n").filter((line) => line !== "");
        },
        async stop() {
            process.off("exit", stopSync);
            await run("bash", helperScript(root, `pm_pg_stop "$1"`).concat(dir), { env }).catch(() => undefined);
            releasePort(port);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
