/**
 * The Pulumi YAML programs the engine rehearsal runs. Both use the package as a YAML user
 * does after `pulumi package add`: `type: pulumi-mangum:index:MangumFunction`, with the
 * spellings of the schema the analyzer infers from components/args.ts (an archive for
 * `code`, `keepWarm` a list, `holdMs` a list); the engine gets MangumFunction from the
 * package's own plugin (./pulumi-resource-pulumi-mangum: @pulumi/pulumi's run-plugin on the
 * repository root) and builds it through Construct, the path Python, Go and C# take.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The lifecycle's program: the same stack as the TypeScript one (rehearsal/engine/rig.ts),
 * its release read from stack config (the scenario sets it before each command, as a user
 * edits config).
 */
export function yamlProgram(project: string): string {
    return [
        `name: ${project}`,
        "runtime: yaml",
        "description: pulumi-mangum's engine rehearsal, as a Pulumi YAML program",
        "config:",
        "  codeDir: { type: string }",
        "  databaseUrl: { type: string }",
        "  appRelease: { type: string }",
        "  aliasName: { type: string }",
        "  holdLow: { type: integer }",
        "  holdHigh: { type: integer }",
        "  warmupConcurrency: { type: integer }",
        "resources:",
        "  app:",
        "    type: pulumi-mangum:index:MangumFunction",
        "    properties:",
        "      code:",
        "        fn::fileArchive: ${codeDir}",
        "      handler: main.handler",
        "      runtime: python3.13",
        "      memorySize: 512",
        "      timeout: 30",
        "      environment:",
        "        DATABASE_URL: ${databaseUrl}",
        "        APP_RELEASE: ${appRelease}",
        "      aliasName: ${aliasName}",
        "      warmup:",
        "        concurrency: ${warmupConcurrency}",
        "        holdMs:",
        "          - ${holdLow}",
        "          - ${holdHigh}",
        "        checks: [db]",
        "      keepWarm:",
        "        - schedule: rate(1 minute)",
        "          concurrency: 2",
        "      tags:",
        "        project: pulumi-mangum-rehearsal",
        "outputs:",
        "  version: ${app.version}",
        "  aliasArn: ${app.aliasArn}",
        "  url: ${app.url}",
        "  deployment: ${app.deployment}",
        "  functionName: ${app.function.name}",
        "",
    ].join("\n");
}

/** The docs' YAML program could not be found or adapted: the docs and this reader disagree. */
export class DocsProgramError extends Error {
    override readonly name = "DocsProgramError";
}

/** Where the YAML program users read lives, and the code path it names. */
export const DOCS_PAGE = path.join("docs", "multi-language.md");
export const DOCS_CODE_PATH = "./build";

/**
 * The YAML program of docs/multi-language.md (the first ```yaml block under `## YAML`), as
 * the rehearsal runs it. Two edits, both refused loudly if the text no longer has them:
 * - `fn::fileArchive: ./build` → the rehearsal's app directory (`codeDir`, absolute);
 * - the `packages:` block goes: it names the package's git URL, which the engine would
 *   resolve and install; here the same package is the plugin on PATH (no network, and the
 *   Node.js language host that runs a source package cannot be built from the Go proxy).
 */
export function docsYamlProgram(root: string, codeDir: string): string {
    const page = fs.readFileSync(path.join(root, DOCS_PAGE), "utf8");
    const section = page.split(/^## YAML\s*$/m)[1];
    const block = section && /^```yaml\n([\s\S]*?)^```$/m.exec(section)?.[1];
    if (!block) throw new DocsProgramError(`${DOCS_PAGE} has no \`\`\`yaml block under "## YAML"`);
    const lines = block.split("\n");
    const start = lines.findIndex((l) => /^packages:\s*$/.test(l));
    if (start < 0) throw new DocsProgramError(`${DOCS_PAGE}'s YAML program has no top-level \`packages:\` block (the line \`pulumi package add\` writes)`);
    let end = start + 1;
    while (end < lines.length && /^\s+\S/.test(lines[end]!)) end++;
    const kept = [...lines.slice(0, start), ...lines.slice(end)].join("\n");
    const codeLine = `fn::fileArchive: ${DOCS_CODE_PATH}`;
    if (kept.split(codeLine).length !== 2) throw new DocsProgramError(`${DOCS_PAGE}'s YAML program must name its code exactly once as \`${codeLine}\``);
    if (!path.isAbsolute(codeDir) || /[\s#'"{}$]/.test(codeDir)) throw new DocsProgramError(`the code directory must be an absolute path without spaces or YAML/interpolation characters; got ${JSON.stringify(codeDir)}`);
    return kept.replace(codeLine, `fn::fileArchive: ${codeDir}`);
}
