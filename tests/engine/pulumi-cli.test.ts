/**
 * scripts/pulumi-cli.sh without building anything: the cache is keyed by
 * version and trusted only when the binary reports that version; a stale or
 * foreign binary is rebuilt, and without Go the script says what it needs.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..");

function fakePulumi(cacheRoot: string, prints: string): string {
    const dir = path.join(cacheRoot, "pulumi-mangum", "pulumi-cli", "v3.274.1");
    fs.mkdirSync(dir, { recursive: true });
    const bin = path.join(dir, "pulumi");
    fs.writeFileSync(bin, `#!/bin/sh\necho ${prints}\n`, { mode: 0o755 });
    return bin;
}

function ensure(cacheRoot: string, pathVar: string): { code: number; stdout: string; stderr: string } {
    try {
        const stdout = execFileSync("bash", ["-c", `source scripts/pulumi-cli.sh && pm_ensure_pulumi_cli && printf '%s|%s' "$PM_PULUMI" "$(command -v pulumi)"`], {
            cwd: root,
            env: { HOME: os.homedir(), XDG_CACHE_HOME: cacheRoot, PATH: pathVar },
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
        return { code: 0, stdout, stderr: "" };
    } catch (err) {
        const e = err as { status: number; stdout: string; stderr: string };
        return { code: e.status, stdout: e.stdout, stderr: e.stderr };
    }
}

let cacheRoot: string;
beforeEach(() => {
    cacheRoot = fs.mkdtempSync(path.join(os.tmpdir(), "pm-cli-cache-"));
});
afterEach(() => fs.rmSync(cacheRoot, { recursive: true, force: true }));

test("a cached binary that reports the pinned version is used as is, and put first on PATH", () => {
    const bin = fakePulumi(cacheRoot, "v3.274.1");
    expect(ensure(cacheRoot, "/usr/bin:/bin")).toEqual({ code: 0, stdout: `${bin}|${bin}`, stderr: "" });
});

test("a cached binary of another version is not trusted: without Go the script fails and says what it needs", () => {
    fakePulumi(cacheRoot, "v3.100.0");
    const out = ensure(cacheRoot, "/usr/bin:/bin");
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain("go is not on PATH: the Pulumi CLI v3.274.1 is built from the Go module proxy");
});
