// What `npm publish` would ship: the compiled component, its typings and the
// bundled hooks it deploys, and nothing of the rehearsal or the tests.
import { execFileSync } from "child_process";
import * as path from "path";

const root = path.resolve(__dirname, "..");

test("the packed package holds the compiled component, its typings and every hook bundle", () => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" });
    const files: string[] = JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
    for (const f of ["bin/index.js", "bin/index.d.ts", "bin/components/mangumFunction.js", "dist/hooks/deployer.js", "dist/hooks/pre-traffic.js", "dist/hooks/keep-warm.js", "LICENSE", "README.md"]) {
        expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(tests|rehearsal|bin\/rehearsal|runtime|examples|scripts)\//.test(f))).toEqual([]);
});

test("the compiled package finds its hook bundles from bin/", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const compiled = require(path.join(root, "bin", "index.js"));
    expect(compiled.hookBundlePath("pre-traffic")).toBe(path.join(root, "dist", "hooks", "pre-traffic.js"));
});
