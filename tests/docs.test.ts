/**
 * The documentation a user copies from must work: every ```ts block in the
 * README, docs/ and the examples' READMEs type-checks against this package
 * (imported as "pulumi-mangum", the way a user's program imports it), and
 * every relative link points at a file, and heading, that exists.
 *
 * A block that is deliberately partial can be preceded by `<!-- not-compiled -->`.
 * Blocks are compiled in memory, as files under the repository root that are
 * never written, so they resolve node_modules like a program in the repository.
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
