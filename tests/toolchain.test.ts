// The project's scripts must bring Node 24 themselves on a machine whose Node is older
// than 22 (the machine image ships Node 20). This runs scripts/toolchain.sh for real,
// against the npm registry, with a `node` on PATH that claims to be 20.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.resolve(__dirname, "..");

function shell(script: string, env: NodeJS.ProcessEnv): string {
    return execFileSync("bash", ["-c", script], { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

function fakeNode(dir: string, major: number): string {
    // Answers the version probe as an old Node; everything else (npm itself) runs on the real one.
    const bin = path.join(dir, "fakebin");
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(
        path.join(bin, "node"),
        `#!/bin/sh\ncase "$*" in *process.versions.node*) echo ${major}; exit 0;; esac\nexec "${process.execPath}" "$@"\n`,
        { mode: 0o755 },
    );
    return bin;
}

describe("scripts/toolchain.sh", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-toolchain-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("provisions Node 24 from the npm registry when the machine's Node is 20", () => {
        const env = { ...process.env, PATH: `${fakeNode(dir, 20)}:${path.dirname(process.execPath)}:/usr/bin:/bin`, PM_TOOLCHAIN: path.join(dir, "tc") };
        const out = shell(`source scripts/toolchain.sh && pm_ensure_node 2>/dev/null && command -v node && node -p process.versions.node`, env);
        const [nodePath, version] = out.split("\n").slice(-2);
        expect(nodePath).toBe(path.join(dir, "tc", "node", "bin", "node"));
        expect(version).toMatch(/^24\./);
    }, 180_000);

    test("leaves a Node 22+ machine alone", () => {
        const env = { ...process.env, PATH: `${fakeNode(dir, 22)}:/usr/bin:/bin`, PM_TOOLCHAIN: path.join(dir, "tc") };
        shell(`source scripts/toolchain.sh && pm_ensure_node`, env);
        expect(fs.existsSync(path.join(dir, "tc"))).toBe(false);
    });
});
