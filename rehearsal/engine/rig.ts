/**
 * The real Pulumi engine against the local slice of AWS: the Pulumi CLI
 * (built by scripts/pulumi-cli.sh) driven through the Node Automation API with
 * an inline program that uses MangumFunction as a user's program would, a
 * local file backend, and the local `aws` provider plugin found on PATH.
 *
 * Why the Automation API and an inline program: the Node SDK runs the program
 * in this process and hands the CLI its own language server, so no
 * pulumi-language-nodejs host is needed (the Go proxy refuses that module),
 * and the program can read the stand-ins' endpoints directly.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { MangumFunction } from "../../components/mangumFunction";
import type { MangumFunctionArgs } from "../../components/args";
import { resolvePaths, PrerequisiteError } from "../scenarios/stage";
import { startPostgres, type Postgres } from "../support/postgres";
import { LocalAws } from "../provider/localAws";
import { yamlProgram } from "./yaml/program";
import { yamlPluginBin } from "./yaml/plugins";

export const PULUMI_VERSION = "v3.274.1";
export const STACK = "rehearsal";
export const PROJECT = "pulumi-mangum-engine-rehearsal";
/** The component's resource name in the program; its app function is auto-named `app-xxxxxxx`. */
export const COMPONENT = "app";

/** What the program reads on every `up`: the scenario changes it between steps, as a user edits their program. */
export interface Release {
    /** APP_RELEASE in the function's environment: a configuration change, so a new version. */
    appRelease: string;
    /** Database the app's DATABASE_URL names; a missing one makes the warm-up's db check fail. */
    database?: string;
    aliasName: string;
    /** warmup.holdMs: changes the deployer's and hooks' settings, not the app function. */
    holdMs: [number, number];
}

export interface EngineRigOptions {
    /**
     * The program's language: "typescript" (default), an inline Automation API program; "yaml", a
     * Pulumi YAML program run by pulumi-language-yaml, with MangumFunction served as a component
     * provider plugin (rehearsal/engine/yaml). Both describe the same stack.
     */
    language?: "typescript" | "yaml";
    /**
     * With `language: "yaml"`: this program text instead of the rehearsal's (e.g. the docs'
     * program, rehearsal/engine/yaml/program.ts `docsYamlProgram`); the scenario's release
     * config is then not set, the caller sets the program's own config.
     */
    yamlSource?: string;
    /** One CodeDeploy minute in real ms (default 500). */
    minuteMs?: number;
    /** One EventBridge minute in real ms (default 500). */
    scheduleMinuteMs?: number;
    /** Warm-up concurrency of the program (default 3: a shared 2-core machine runs 3 Python environments comfortably). */
    warmupConcurrency?: number;
    keepWorkDir?: boolean;
    /**
     * `ROLE/SID`: the program drops that statement from the role's inline
     * policies (a stack transformation on aws.iam.RolePolicy, as a user's
     * program could), so the engine creates the component's policies without
     * it: what AWS would deny without that grant. ROLE is the role's logical
     * name (e.g. `app-deployer-role`; the engine auto-names it
     * `app-deployer-role-<7 hex>`). TypeScript programs only.
     */
    dropStatement?: string;
    onEvent?: (event: { event: string; [field: string]: unknown }) => void;
    /** Every line the engine prints. */
    onOutput?: (text: string) => void;
}

/** One engine operation, as the engine reported it. */
export interface EngineStep {
    label: string;
    op: "up" | "refresh" | "preview" | "destroy";
    ok: boolean;
    ms: number;
    /** The engine's own `Resources:` block (its summary lines). */
    summary: string[];
    /** resourceChanges of the update summary (create, update, replace, delete, same…). */
    changes: Record<string, number>;
    outputs?: Record<string, unknown>;
    /** The engine's error text (the `error:` lines) when it failed. */
    error?: string;
}

/** Builds (or finds in the cache) the pinned CLI through scripts/pulumi-cli.sh; returns the binary. */
export function ensurePulumiCli(root: string, onProgress: (line: string) => void = (l) => process.stderr.write(l + "\n")): Promise<string> {
    const cached = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pulumi-mangum", "pulumi-cli", PULUMI_VERSION, "pulumi");
    const pinned = process.env.PM_PULUMI;
    if (pinned && fs.existsSync(pinned)) return Promise.resolve(pinned);
    return new Promise((resolve, reject) => {
        const child = execFile("bash", ["-c", `source "${root}/scripts/pulumi-cli.sh" && pm_ensure_pulumi_cli && printf '%s' "$PM_PULUMI"`], { cwd: root, maxBuffer: 1 << 20 }, (err, stdout) => {
            if (err) reject(new PrerequisiteError(`the Pulumi CLI ${PULUMI_VERSION} could not be provisioned (source scripts/pulumi-cli.sh && pm_ensure_pulumi_cli): ${err.message}`));
            else resolve(stdout.trim() || cached);
        });
        child.stderr?.on("data", (d: Buffer) => onProgress(d.toString("utf8").trimEnd()));
    });
}

/** Builds (or finds) pulumi-language-yaml through scripts/pulumi-cli.sh; returns its directory. */
export function ensurePulumiLanguageYaml(root: string, onProgress: (line: string) => void = (l) => process.stderr.write(l + "\n")): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = execFile("bash", ["-c", `source "${root}/scripts/pulumi-cli.sh" && pm_ensure_pulumi_language_yaml && printf '%s' "$PM_PULUMI_LANGUAGE_YAML"`], { cwd: root, maxBuffer: 1 << 20 }, (err, stdout) => {
            if (err) reject(new PrerequisiteError(`pulumi-language-yaml could not be provisioned (source scripts/pulumi-cli.sh && pm_ensure_pulumi_language_yaml): ${err.message}`));
            else resolve(path.dirname(stdout.trim()));
        });
        child.stderr?.on("data", (d: Buffer) => onProgress(d.toString("utf8").trimEnd()));
    });
}

/** The YAML programs live with the YAML plugin (rehearsal/engine/yaml/program.ts). */
export { yamlProgram } from "./yaml/program";

/** The `Resources:` block of the engine's output: the line itself and the indented count lines under it. */
export function resourcesSummary(output: string): string[] {
    const lines = output.split("\n");
    const start = lines.findIndex((l) => l.trim() === "Resources:");
    if (start < 0) return [];
    const out = ["Resources:"];
    for (const l of lines.slice(start + 1)) {
        if (l.trim() === "") break;
        out.push(l.trimEnd());
    }
    return out;
}

function errorLines(output: string): string {
    // A hook's error payload carries the bundle's minified stack trace: noise next to its errorMessage
    // (--verbose still shows the engine's whole output).
    const lines = output.replace(/,"stackTrace":\[(?:"(?:[^"\\]|\\.)*",?)*\]/g, "").split("\n");
    const i = lines.findIndex((l) => /^\s*error:/.test(l));
    if (i < 0) return output.slice(-2000);
    // The engine prints the failing resource (`aws:lambda:Invocation (app-deploy):`) on the line before its
    // error; whether a progress line comes between depends on timing, so keep the header whenever it is there.
    const header = lines.slice(Math.max(0, i - 3), i).reverse().find((l) => /^\s*[\w-]+:[\w/.-]+:[\w.-]+ \(.*\):\s*$/.test(l));
    return [...(header === undefined ? [] : [header]), ...lines.slice(i, i + 12)].join("\n");
}

/** A `--drop-statement` that names no role or statement the program creates, or is not ROLE/SID. */
export class DropStatementError extends Error {
    override readonly name = "DropStatementError";
}

/** `ROLE/SID` → its parts; refuses anything else. */
export function parseRoleSid(spec: string): { role: string; sid: string } {
    const slash = spec.lastIndexOf("/");
    if (slash <= 0 || slash === spec.length - 1) throw new DropStatementError(`--drop-statement takes ROLE/SID, e.g. app-deployer-role/ReadAliases; got ${JSON.stringify(spec)}`);
    return { role: spec.slice(0, slash), sid: spec.slice(slash + 1) };
}

/**
 * A stack transformation that takes statement SID out of the inline policies
 * of role ROLE. The role is matched on its physical name once the engine knows
 * it (the RolePolicy's `role` input is the role's id, i.e. its name:
 * aws_iam_role's id is the role name), so the edit happens during `up`;
 * `seen` records each role matched and whether the statement was found.
 */
export function dropStatementTransformation(spec: string, seen: { roles: Set<string>; dropped: number }): pulumi.ResourceTransformation {
    const { role, sid } = parseRoleSid(spec);
    const auto = new RegExp(`^${role.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-[0-9a-f]{7}$`);
    return (args) => {
        if (args.type !== "aws:iam/rolePolicy:RolePolicy") return undefined;
        const policy = pulumi.all([args.props.role, args.props.policy]).apply(([roleName, raw]) => {
            const name = String(roleName);
            if (name !== role && !auto.test(name)) return raw as string;
            seen.roles.add(name);
            const doc = JSON.parse(String(raw)) as { Statement: { Sid?: string }[] | { Sid?: string } };
            const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
            const kept = statements.filter((st) => st.Sid !== sid);
            seen.dropped += statements.length - kept.length;
            return JSON.stringify({ ...doc, Statement: kept });
        });
        return { props: { ...args.props, policy }, opts: args.opts };
    };
}

export class EngineRig {
    readonly release: Release = { appRelease: "v1", aliasName: "live", holdMs: [250, 400] };
    /** With `dropStatement`: the roles it matched and how many statements it took out (0 means the Sid named nothing). */
    readonly dropped = { roles: new Set<string>(), dropped: 0 };

    private constructor(
        readonly root: string,
        readonly workDir: string,
        readonly pg: Postgres,
        readonly aws: LocalAws,
        readonly stack: Stack,
        private readonly options: EngineRigOptions,
    ) {}

    static async start(options: EngineRigOptions = {}): Promise<EngineRig> {
        const paths = resolvePaths();
        const root = paths.root;
        if (options.dropStatement !== undefined) {
            parseRoleSid(options.dropStatement);
            if (options.language === "yaml") throw new DropStatementError("--drop-statement works on the TypeScript program only");
        }
        const plugin = path.join(root, "bin", "rehearsal", "provider", "plugin.js");
        if (!fs.existsSync(plugin)) throw new PrerequisiteError(`the compiled local aws provider (${plugin}): npm run build`);
        const pulumi = await ensurePulumiCli(root);
        const yaml = options.language === "yaml";
        const yamlDirs = yaml ? [await ensurePulumiLanguageYaml(root)] : undefined;
        if (yaml && !fs.existsSync(path.join(root, "bin", "index.js"))) {
            throw new PrerequisiteError("the compiled package (bin/index.js, which the package's plugin rehearsal/engine/yaml/pulumi-resource-pulumi-mangum serves): npm run build");
        }
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-engine-"));
        const cliRoot = path.join(workDir, "cli");
        fs.mkdirSync(path.join(cliRoot, "bin"), { recursive: true });
        fs.symlinkSync(pulumi, path.join(cliRoot, "bin", "pulumi"));
        const pg = await startPostgres(root);
        let aws: LocalAws | undefined;
        try {
            aws = await LocalAws.start({
                dataDir: path.join(workDir, "local-aws"),
                rie: paths.rie,
                python: paths.python,
                nodeRuntime: paths.nodeRuntime,
                minuteMs: options.minuteMs ?? 500,
                scheduleMinuteMs: options.scheduleMinuteMs ?? 500,
                onEvent: options.onEvent,
            });
            const backend = path.join(workDir, "backend");
            fs.mkdirSync(backend);
            fs.mkdirSync(path.join(workDir, "project"));
            const envVars: Record<string, string> = {
                // A local file backend, and nothing of this machine's own Pulumi setup.
                PULUMI_BACKEND_URL: `file://${backend}`,
                PULUMI_CONFIG_PASSPHRASE: "pulumi-mangum-rehearsal",
                PULUMI_HOME: path.join(workDir, "pulumi-home"),
                PULUMI_SKIP_UPDATE_CHECK: "true",
                // No plugin download: the only `aws` plugin is the local one on PATH.
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
                PATH: [
                    // YAML: the aws plugin and the package's plugin as per-run wrappers (./yaml/plugins.ts: the YAML host caches schemas next to them).
                    yaml ? yamlPluginBin(root, workDir) : path.join(root, "rehearsal", "provider"),
                    ...(yamlDirs ?? []),
                    process.env.PATH ?? "",
                ].join(":"),
                PM_NODE: process.execPath,
                ...aws.env,
            };
            const rig: { value?: EngineRig } = {};
            const program = async (): Promise<Record<string, unknown>> => rig.value!.program();
            const pulumiCommand = await PulumiCommand.get({ root: cliRoot, skipVersionCheck: true });
            const projectDir = path.join(workDir, "project");
            let stack: Stack;
            if (yaml) {
                fs.writeFileSync(path.join(projectDir, "Pulumi.yaml"), options.yamlSource ?? yamlProgram(PROJECT));
                stack = await LocalWorkspace.createOrSelectStack({ stackName: STACK, workDir: projectDir }, { pulumiHome: envVars.PULUMI_HOME, envVars, pulumiCommand });
            } else {
                stack = await LocalWorkspace.createOrSelectStack(
                    { stackName: STACK, projectName: PROJECT, program },
                    {
                        workDir: projectDir,
                        pulumiHome: envVars.PULUMI_HOME,
                        envVars,
                        pulumiCommand,
                        projectSettings: { name: PROJECT, runtime: "nodejs", backend: { url: envVars.PULUMI_BACKEND_URL } },
                    },
                );
            }
            await stack.setConfig("aws:region", { value: "us-east-1" });
            rig.value = new EngineRig(root, workDir, pg, aws, stack, options);
            return rig.value;
        } catch (err) {
            await aws?.stop();
            await pg.stop();
            fs.rmSync(workDir, { recursive: true, force: true });
            throw err;
        }
    }

    /** The YAML program reads the release from stack config. */
    private async configureYaml(): Promise<void> {
        const r = this.release;
        await this.stack.setAllConfig({
            codeDir: { value: path.join(this.root, "rehearsal", "app") },
            databaseUrl: { value: this.pg.url(r.database) },
            appRelease: { value: r.appRelease },
            aliasName: { value: r.aliasName },
            holdLow: { value: String(r.holdMs[0]) },
            holdHigh: { value: String(r.holdMs[1]) },
            warmupConcurrency: { value: String(this.options.warmupConcurrency ?? 3) },
        });
    }

    /** The user's program: one MangumFunction, configured from `release`. */
    private program(): Record<string, unknown> {
        const r = this.release;
        const concurrency = this.options.warmupConcurrency ?? 3;
        const args: MangumFunctionArgs = {
            code: path.join(this.root, "rehearsal", "app"),
            handler: "main.handler",
            runtime: "python3.13",
            memorySize: 512,
            timeout: 30,
            environment: { DATABASE_URL: this.pg.url(r.database), APP_RELEASE: r.appRelease },
            aliasName: r.aliasName,
            warmup: { concurrency, holdMs: r.holdMs, checks: ["db"] },
            keepWarm: [{ schedule: "rate(1 minute)", concurrency: 2 }],
            tags: { project: "pulumi-mangum-rehearsal" },
        };
        // Registered per run: each `up` runs the program afresh, with a new stack resource.
        if (this.options.dropStatement !== undefined) pulumi.runtime.registerStackTransformation(dropStatementTransformation(this.options.dropStatement, this.dropped));
        const app = new MangumFunction(COMPONENT, args);
        return { version: app.version, aliasArn: app.aliasArn, url: app.url, deployment: app.deployment, functionName: app.function.name };
    }

    private async run(label: string, op: EngineStep["op"], fn: (onOutput: (s: string) => void) => Promise<{ changes: Record<string, number>; outputs?: Record<string, unknown> }>): Promise<EngineStep> {
        let output = "";
        const onOutput = (s: string): void => {
            output += s;
            this.options.onOutput?.(s);
        };
        const started = performance.now();
        try {
            if (this.options.language === "yaml" && this.options.yamlSource === undefined) await this.configureYaml();
            const { changes, outputs } = await fn(onOutput);
            return { label, op, ok: true, ms: performance.now() - started, summary: resourcesSummary(output), changes, outputs };
        } catch (err) {
            const text = output + "\n" + ((err as { stdout?: string }).stdout ?? "") + "\n" + ((err as { stderr?: string }).stderr ?? "") + "\n" + (err as Error).message;
            return { label, op, ok: false, ms: performance.now() - started, summary: resourcesSummary(output), changes: {}, error: errorLines(text) };
        }
    }

    up(label: string): Promise<EngineStep> {
        return this.run(label, "up", async (onOutput) => {
            const res = await this.stack.up({ onOutput, color: "never" });
            const outputs: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(res.outputs)) outputs[k] = v.value;
            return { changes: (res.summary.resourceChanges ?? {}) as Record<string, number>, outputs };
        });
    }

    refresh(label: string): Promise<EngineStep> {
        return this.run(label, "refresh", async (onOutput) => {
            const res = await this.stack.refresh({ onOutput, color: "never" });
            return { changes: (res.summary.resourceChanges ?? {}) as Record<string, number> };
        });
    }

    preview(label: string): Promise<EngineStep> {
        return this.run(label, "preview", async (onOutput) => {
            const res = await this.stack.preview({ onOutput, color: "never" });
            return { changes: res.changeSummary as Record<string, number> };
        });
    }

    destroy(label: string): Promise<EngineStep> {
        return this.run(label, "destroy", async (onOutput) => {
            const res = await this.stack.destroy({ onOutput, color: "never" });
            return { changes: (res.summary.resourceChanges ?? {}) as Record<string, number> };
        });
    }

    /** The stack's state as the engine saved it. */
    async state(): Promise<{ type: string; urn: string; id?: string; outputs?: Record<string, unknown>; inputs?: Record<string, unknown> }[]> {
        const exported = await this.stack.exportStack();
        return ((exported.deployment as { resources?: unknown[] }).resources ?? []) as { type: string; urn: string; id?: string; outputs?: Record<string, unknown>; inputs?: Record<string, unknown> }[];
    }

    async stop(): Promise<void> {
        await this.aws.stop();
        await this.pg.stop();
        if (!this.options.keepWorkDir) fs.rmSync(this.workDir, { recursive: true, force: true });
    }
}
