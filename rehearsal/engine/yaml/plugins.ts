/**
 * The provider plugins a YAML program's engine finds on PATH, in a directory of the run.
 *
 * Why not the checkout's directories: pulumi-language-yaml v1.25.0 loads schemas with its
 * own loader (pkg/server/server.go `Run`: `useRPCLoader` is false in
 * cmd/pulumi-language-yaml/main.go, so `pulumiyaml.NewPackageLoader`), built on
 * github.com/pulumi/pulumi v3.206.0, which caches the schema of a versioned plugin found on
 * PATH at `<parent of the plugin's directory>/schema-<name>.json`
 * (sdk/go/common/workspace/plugins.go `setFileMetadata`, codegen/schema/loader.go
 * `canCache`), and reuses it while the file is newer than that directory. With the plugins
 * in rehearsal/provider, the aws schema landed in the checkout as rehearsal/schema-aws.json,
 * and a later schema change could be hidden by the stale copy. Here each run gets its own
 * `<workDir>/plugins/bin` of exec wrappers, so the cache is `<workDir>/plugins/schema-*.json`,
 * fresh per run and removed with it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The plugins the YAML program needs: the local aws provider and the package's own plugin. */
export function yamlPluginBin(root: string, workDir: string): string {
    const bin = path.join(workDir, "plugins", "bin");
    fs.mkdirSync(bin, { recursive: true });
    const targets = {
        "pulumi-resource-aws": path.join(root, "rehearsal", "provider", "pulumi-resource-aws"),
        "pulumi-resource-pulumi-mangum": path.join(root, "rehearsal", "engine", "yaml", "pulumi-resource-pulumi-mangum"),
    };
    for (const [name, target] of Object.entries(targets)) {
        if (!fs.existsSync(target)) throw new Error(`${target} is missing`);
        const quoted = `'${target.replace(/'/g, `'\\''`)}'`;
        fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\nexec ${quoted} "$@"\n`, { mode: 0o755 });
    }
    return bin;
}
