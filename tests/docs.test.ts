/**
 * The documentation a user copies from must work: every ```ts block in the
 * README, docs/ and the examples' READMEs type-checks against this package
 * (imported as "pulumi-mangum", the way a user's program imports it), and
 * every relative link points at a file, and heading, that exists.
 *
 * A block that is deliberately partial can be preceded by `<!-- not-compiled -->`.
 * Blocks are compiled in memory, as files under the repository root that are
 * never written, so they resolve node_modules like a program in the repository.
 *
 * And every install line (README.md, docs/, examples/, runtime/README.md) installs
 * this project's packages from something this project controls: its repository
 * (package.json `repository`) or a local path, never by a bare registry name, since
 * neither `pulumi-mangum` on npm nor `mangum-warmup` on PyPI is registered by it.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..");
const NOT_COMPILED = "<!-- not-compiled -->";

interface CodeBlock {
    /** Markdown file, relative to the repository root. */
    file: string;
    /** 1-based line of the opening fence. */
    line: number;
    code: string;
}

function markdownFiles(): string[] {
    const inDir = (dir: string) =>
        fs.existsSync(path.join(ROOT, dir))
            ? fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith(".md")).map((f) => path.join(dir, f))
            : [];
    const examples = fs.existsSync(path.join(ROOT, "examples"))
        ? fs.readdirSync(path.join(ROOT, "examples")).map((d) => path.join("examples", d, "README.md"))
        : [];
    return ["README.md", path.join("runtime", "README.md"), ...inDir("docs"), ...examples].filter((f) => fs.existsSync(path.join(ROOT, f))).sort();
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/;

/** The ```ts / ```typescript blocks of one markdown text, minus those marked not-compiled. */
function extractBlocks(file: string, text: string): CodeBlock[] {
    const lines = text.split("\n");
    const blocks: CodeBlock[] = [];
    let open: { fence: string; indent: number; lang: string; line: number; body: string[]; skip: boolean } | undefined;
    let previous = "";
    lines.forEach((raw, i) => {
        const m = FENCE.exec(raw);
        if (open === undefined) {
            if (m) {
                const lang = m[3]!.toLowerCase();
                open = { fence: m[2]!, indent: m[1]!.length, lang, line: i + 1, body: [], skip: previous.trim() === NOT_COMPILED };
            } else if (raw.trim() !== "") {
                previous = raw;
            }
            return;
        }
        if (m && m[2]!.startsWith(open.fence) && m[3] === "") {
            if ((open.lang === "ts" || open.lang === "typescript") && !open.skip) {
                blocks.push({ file, line: open.line, code: open.body.join("\n") });
            }
            open = undefined;
            previous = raw;
            return;
        }
        open.body.push(raw.slice(Math.min(open.indent, raw.length - raw.trimStart().length)));
    });
    return blocks;
}

/** Text outside fenced blocks and inline code, where links and headings live. */
function prose(text: string): string[] {
    let inFence = false;
    return text.split("\n").map((line) => {
        if (FENCE.test(line)) {
            inFence = !inFence;
            return "";
        }
        return inFence ? "" : line.replace(/`[^`]*`/g, "");
    });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(text: string): Set<string> {
    const anchors = new Set<string>();
    const seen = new Map<string, number>();
    let inFence = false;
    for (const line of text.split("\n")) {
        if (FENCE.test(line)) inFence = !inFence;
        if (inFence) continue;
        for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]!);
        const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
        if (!h) continue;
        const base = h[1]!
            .toLowerCase()
            .replace(/<[^>]+>/g, "")
            .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
            .replace(/\s/g, "-");
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    return anchors;
}

/** Relative links that do not resolve, as `line: target (why)`. */
function brokenLinks(file: string): string[] {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    const problems: string[] = [];
    prose(text).forEach((line, i) => {
        for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
            const target = m[1]!;
            if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
            const [pathPart, anchor] = target.split("#", 2) as [string, string | undefined];
            const resolved = pathPart === "" ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), decodeURI(pathPart));
            if (!fs.existsSync(resolved)) {
                problems.push(`${i + 1}: ${target} (no such file)`);
                continue;
            }
            if (anchor !== undefined && resolved.endsWith(".md") && !anchorsOf(fs.readFileSync(resolved, "utf8")).has(anchor)) {
                problems.push(`${i + 1}: ${target} (no heading #${anchor} in ${path.relative(ROOT, resolved)})`);
            }
        }
    });
    return problems;
}

/** Type-checks every block in one program; returns each block's diagnostics as `file:line: message`. */
function typeCheck(blocks: CodeBlock[]): string[][] {
    const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, "tsconfig.json"), {}, {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
            throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
        },
    })!;
    const options: ts.CompilerOptions = {
        ...config.options,
        noEmit: true,
        declaration: false,
        sourceMap: false,
        inlineSources: false,
        // Snippets show a few lines of a program; an unused import there is not a bug.
        noUnusedLocals: false,
        noUnusedParameters: false,
        baseUrl: ROOT,
        paths: { "pulumi-mangum": ["index.ts"] },
    };
    const virtual = new Map<string, CodeBlock & { index: number }>();
    blocks.forEach((b, index) => {
        const name = `${b.file.replace(/[^\w]+/g, "-")}-L${b.line}.ts`;
        // Each block is a module of its own, so blocks never share a global scope.
        virtual.set(path.join(ROOT, ".docs-blocks", name), { ...b, code: `${b.code}\nexport {};\n`, index });
    });
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
        const block = virtual.get(path.resolve(fileName));
        return block ? ts.createSourceFile(fileName, block.code, languageVersion, true) : getSourceFile(fileName, languageVersion, onError, shouldCreate);
    };
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (fileName) => virtual.has(path.resolve(fileName)) || fileExists(fileName);
    const readFile = host.readFile.bind(host);
    host.readFile = (fileName) => virtual.get(path.resolve(fileName))?.code ?? readFile(fileName);

    const program = ts.createProgram([...virtual.keys()], options, host);
    const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()].map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    if (global.length > 0) throw new Error(`the documentation blocks cannot be compiled at all:\n${global.join("\n")}`);

    const results: string[][] = blocks.map(() => []);
    for (const [fileName, block] of virtual) {
        const sf = program.getSourceFile(fileName)!;
        for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
            const { line } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
            results[block.index]!.push(`${block.file}:${block.line + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
        }
    }
    return results;
}

const files = markdownFiles();
const blocks = files.flatMap((f) => extractBlocks(f, fs.readFileSync(path.join(ROOT, f), "utf8")));
// A block that must fail, compiled with the others, proves the check can fail.
const CANARY: CodeBlock = {
    file: "(canary)",
    line: 1,
    code: 'import { MangumFunction } from "pulumi-mangum";\nnew MangumFunction("x", { code: "./build", memorySize: "big" });',
};

describe("code blocks in the documentation", () => {
    let results: string[][] = [];
    beforeAll(() => {
        results = typeCheck([...blocks, CANARY]);
    }, 180_000);

    test("there are blocks to check", () => {
        expect(blocks.length).toBeGreaterThan(0);
    });

    test.each(blocks.map((b) => [`${b.file}:${b.line}`, blocks.indexOf(b)] as const))("%s compiles against the package", (_where, index) => {
        expect(results[index]).toEqual([]);
    });

    test("a block with a type error is reported with its file and line", () => {
        const canary = results[results.length - 1]!;
        expect(canary).toHaveLength(1);
        expect(canary[0]).toMatch(/^\(canary\):3: Type 'string' is not assignable to type 'number'/);
    });
});

describe("extracting blocks", () => {
    test("takes ts and typescript fences, indented or not, and skips the ones marked not-compiled", () => {
        const md = [
            "# Title",
            "```ts",
            "const a = 1;",
            "```",
            "<!-- not-compiled -->",
            "",
            "```typescript",
            "partial(",
            "```",
            "- a list item:",
            "  ```typescript",
            "  const b = 2;",
            "  ```",
            "```sh",
            "echo not typescript",
            "```",
        ].join("\n");
        expect(extractBlocks("x.md", md)).toEqual([
            { file: "x.md", line: 2, code: "const a = 1;" },
            { file: "x.md", line: 11, code: "const b = 2;" },
        ]);
    });
});

describe("links in the documentation", () => {
    test.each(files)("every relative link in %s resolves", (file) => {
        expect(brokenLinks(file)).toEqual([]);
    });
});

// ---- Install lines ------------------------------------------------------------------

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; repository: { url: string } };
/** What this project can publish under, read from its own manifests. */
const PROJECT = {
    npmName: PKG.name,
    repo: /github\.com\/([^/]+\/[^/.]+)/.exec(PKG.repository.url)![1]!,
    pythonName: /^name\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(path.join(ROOT, "runtime", "pyproject.toml"), "utf8"))![1]!,
};

interface InstallLine {
    /** File, relative to the repository root. */
    file: string;
    line: number;
    tool: "npm" | "pip";
    args: string[];
}

const INSTALL = /(?:^|[\s`"'(;&|])((?:python3?\s+-m\s+)?pip3?\s+install|uv\s+pip\s+install|uv\s+add|npm\s+(?:install|i|add)|yarn\s+add|pnpm\s+(?:add|install|i)|poetry\s+add)(?=\s|`|$)([^`\n]*)/g;
const PIP_VALUE_FLAGS = new Set(["-r", "--requirement", "-c", "--constraint", "-t", "--target", "--prefix", "--root", "--platform", "--python-version", "--implementation", "--abi", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--only-binary", "--no-binary", "--cache-dir", "--src", "--python", "--progress-bar"]);
const NPM_VALUE_FLAGS = new Set(["--prefix", "--registry", "--omit", "--include", "-w", "--workspace", "--tag", "--cache"]);

/** Shell-like words: quotes group, a comment or a command separator ends the command. */
function words(text: string): string[] {
    const out: string[] = [];
    for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|(&&|\|\||[;|]|#.*$)|([^\s"';|&]+)/g)) {
        if (m[3] !== undefined) break;
        out.push(m[1] ?? m[2] ?? m[4]!);
    }
    return out;
}

/** Every install command in a text (markdown, shell), continuation lines joined. */
function installLines(file: string, text: string): InstallLine[] {
    const lines = text.split("\n");
    const found: InstallLine[] = [];
    for (let i = 0; i < lines.length; i++) {
        let line = lines[i]!;
        const start = i;
        while (line.endsWith("\\") && i + 1 < lines.length) line = line.slice(0, -1) + " " + lines[++i]!;
        for (const m of line.matchAll(INSTALL)) {
            const tool = /pip|uv|poetry/.test(m[1]!) ? "pip" : "npm";
            found.push({ file, line: start + 1, tool, args: words(m[2]!) });
        }
    }
    return found;
}

/** `name @ url`, `name`, `name==1.0`, `name[extra]>=1`, a path or a URL, as pip reads one requirement. */
function checkPipRequirement(req: string): string | undefined {
    const direct = /^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?\s*@\s*(\S+)$/.exec(req.trim());
    const [name, url] = direct ? [direct[1]!, direct[2]!] : [undefined, req.trim()];
    const norm = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");
    const git = /^git\+https:\/\/github\.com\/([^/@#]+\/[^/@#]+?)(?:\.git)?(?:@[^#]+)?(?:#(.*))?$/.exec(url);
    if (git) {
        if (git[1] !== PROJECT.repo) return `installs from github.com/${git[1]}, not this project's repository (${PROJECT.repo})`;
        const sub = /(?:^|&)subdirectory=([^&]+)/.exec(git[2] ?? "")?.[1];
        if (sub === undefined) return `installs the repository's root, which is no Python package: add #subdirectory=runtime`;
        const pyproject = path.join(ROOT, sub, "pyproject.toml");
        if (!fs.existsSync(pyproject)) return `#subdirectory=${sub} holds no pyproject.toml in this repository`;
        const actual = /^name\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(pyproject, "utf8"))?.[1];
        if (name !== undefined && actual !== undefined && norm(name) !== norm(actual)) return `names ${name}, but ${sub}/ builds ${actual}`;
        return undefined;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return /github\.com|^git\+/.test(url) ? `installs from ${url}, not this project's repository` : undefined;
    if (/^[./~]/.test(url)) return undefined; // a local path
    const bare = /^([A-Za-z0-9._-]+)/.exec(url)?.[1];
    if (bare !== undefined && norm(bare) === norm(PROJECT.pythonName)) {
        return `installs ${bare} by name from a package index, where this project has not registered it: use "${PROJECT.pythonName} @ git+https://github.com/${PROJECT.repo}#subdirectory=runtime" or a local path`;
    }
    return undefined;
}

function checkNpmSpec(spec: string): string | undefined {
    const github = /^(?:github:|git\+https:\/\/github\.com\/|https:\/\/github\.com\/|git\+ssh:\/\/git@github\.com\/|(?=[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(?:#.*)?$))([^/#]+\/[^/#]+?)(?:\.git)?(?:#.*)?$/.exec(spec);
    if (github && !spec.startsWith("@")) {
        return github[1] === PROJECT.repo ? undefined : `installs from github.com/${github[1]}, not this project's repository (${PROJECT.repo})`;
    }
    if (/^(file:|\.|\/|~)/.test(spec)) return undefined;
    const name = /^(@[^/@]+\/[^@]+|[^@]+)/.exec(spec)?.[1];
    if (name === PROJECT.npmName) {
        return `installs ${name} by name from the npm registry, where this project has not registered it: use "github:${PROJECT.repo}" or a local path`;
    }
    return undefined;
}

/** What is wrong with one install line, if anything, as `file:line: message`. */
function checkInstallLine(l: InstallLine): string[] {
    const problems: string[] = [];
    const valueFlags = l.tool === "pip" ? PIP_VALUE_FLAGS : NPM_VALUE_FLAGS;
    for (let i = 0; i < l.args.length; i++) {
        const arg = l.args[i]!;
        if (valueFlags.has(arg)) {
            i++;
            continue;
        }
        if (arg === "-e" || arg === "--editable") continue; // its value is checked as a requirement next
        if (arg.startsWith("-")) continue;
        // `name @ url` unquoted is three words.
        const req = l.tool === "pip" && l.args[i + 1] === "@" && l.args[i + 2] ? `${arg} @ ${l.args[(i += 2)]}` : arg;
        const problem = l.tool === "pip" ? checkPipRequirement(req) : checkNpmSpec(req);
        if (problem) problems.push(`${l.file}:${l.line}: ${req}: ${problem}`);
    }
    return problems;
}

/** Requirement lines of a requirements file, as `file:line: message` problems. */
function checkRequirementsFile(file: string, text: string): string[] {
    const problems: string[] = [];
    text.split("\n").forEach((raw, i) => {
        const req = raw.replace(/(^|\s)#.*$/, "").replace(/\\$/, "").trim();
        if (req === "" || req.startsWith("-")) return;
        const problem = checkPipRequirement(req.split(/\s+--hash/)[0]!.replace(/\s*;.*$/, ""));
        if (problem) problems.push(`${file}:${i + 1}: ${req}: ${problem}`);
    });
    return problems;
}

/** README.md, runtime/README.md, docs/ and every text file of examples/ (not installs or builds). */
function installDocs(): string[] {
    const found: string[] = [];
    const walk = (rel: string): void => {
        for (const name of fs.readdirSync(path.join(ROOT, rel)).sort()) {
            const relPath = path.join(rel, name);
            if (fs.statSync(path.join(ROOT, relPath)).isDirectory()) {
                if (!["node_modules", "build", "__pycache__"].includes(name) && !name.startsWith(".")) walk(relPath);
            } else if (/\.(md|sh|txt|in)$/.test(name) && !name.endsWith("package-lock.json")) {
                found.push(relPath);
            }
        }
    };
    walk("examples");
    walk("docs");
    return ["README.md", path.join("runtime", "README.md"), ...found];
}

function installProblems(file: string, text: string): { lines: InstallLine[]; problems: string[] } {
    const lines = installLines(file, text);
    const problems = lines.flatMap(checkInstallLine);
    if (/requirements[^/]*\.(txt|in)$/.test(file)) problems.push(...checkRequirementsFile(file, text));
    return { lines, problems };
}

describe("install lines in the documentation and the examples", () => {
    const docs = installDocs();
    const results = docs.map((f) => installProblems(f, fs.readFileSync(path.join(ROOT, f), "utf8")));
    const all = results.flatMap((r) => r.lines);

    test("every one installs this project's packages from its repository or a local path, never by a bare registry name", () => {
        expect(results.flatMap((r) => r.problems)).toEqual([]);
    });

    test("there are lines to check, and the README installs both packages from this repository", () => {
        expect(all.length).toBeGreaterThanOrEqual(5);
        const readme = all.filter((l) => l.file === "README.md");
        expect(readme.some((l) => l.tool === "npm" && l.args.includes(`github:${PROJECT.repo}`))).toBe(true);
        expect(readme.some((l) => l.tool === "pip" && l.args.some((a) => a === `${PROJECT.pythonName} @ git+https://github.com/${PROJECT.repo}#subdirectory=runtime`))).toBe(true);
    });

    test("a bare name, another repository, a wrong subdirectory or an unlocked requirement is reported with its line", () => {
        const text = [
            "pip install mangum-warmup",
            "`pip install Mangum_Warmup==0.1.0` in prose",
            "npm install pulumi-mangum @pulumi/aws",
            "npm i github:someone-else/pulumi-mangum",
            'pip install "mangum-warmup @ git+https://github.com/pulumi-mangum/pulumi-mangum#subdirectory=src"',
            "pip install git+https://github.com/pulumi-mangum/pulumi-mangum.git",
            "python -m pip install -r requirements.txt mangum-warmup \\",
            "  --target build/",
            // These are fine: a third-party package, this repository, local paths, flags with values.
            "npm install github:pulumi-mangum/pulumi-mangum#v0.1.0 @pulumi/pulumi && npm ci",
            'pip install --target build "mangum-warmup @ git+https://github.com/pulumi-mangum/pulumi-mangum@abc123#subdirectory=runtime" fastapi==1.0 ./runtime',
            "pip install -e ./runtime  # pip install mangum-warmup in a comment is not a command",
        ].join("\n");
        expect(installProblems("canary.md", text).problems).toEqual([
            "canary.md:1: mangum-warmup: installs mangum-warmup by name from a package index, where this project has not registered it: use \"mangum-warmup @ git+https://github.com/pulumi-mangum/pulumi-mangum#subdirectory=runtime\" or a local path",
            "canary.md:2: Mangum_Warmup==0.1.0: installs Mangum_Warmup by name from a package index, where this project has not registered it: use \"mangum-warmup @ git+https://github.com/pulumi-mangum/pulumi-mangum#subdirectory=runtime\" or a local path",
            'canary.md:3: pulumi-mangum: installs pulumi-mangum by name from the npm registry, where this project has not registered it: use "github:pulumi-mangum/pulumi-mangum" or a local path',
            "canary.md:4: github:someone-else/pulumi-mangum: installs from github.com/someone-else/pulumi-mangum, not this project's repository (pulumi-mangum/pulumi-mangum)",
            "canary.md:5: mangum-warmup @ git+https://github.com/pulumi-mangum/pulumi-mangum#subdirectory=src: #subdirectory=src holds no pyproject.toml in this repository",
            "canary.md:6: git+https://github.com/pulumi-mangum/pulumi-mangum.git: installs the repository's root, which is no Python package: add #subdirectory=runtime",
            "canary.md:7: mangum-warmup: installs mangum-warmup by name from a package index, where this project has not registered it: use \"mangum-warmup @ git+https://github.com/pulumi-mangum/pulumi-mangum#subdirectory=runtime\" or a local path",
        ]);
        expect(installProblems("examples/x/requirements.txt", "fastapi==1.0 \\\n    --hash=sha256:00\nmangum-warmup==0.1.0 ; python_version >= '3.10'\n# mangum-warmup in a comment\n").problems).toEqual([
            "examples/x/requirements.txt:3: mangum-warmup==0.1.0 ; python_version >= '3.10': installs mangum-warmup by name from a package index, where this project has not registered it: use \"mangum-warmup @ git+https://github.com/pulumi-mangum/pulumi-mangum#subdirectory=runtime\" or a local path",
        ]);
    });
});
