/**
 * The benchmark's results and their two renderings: a Markdown table for
 * docs/benchmarks.md and a hand-written SVG chart (no dependencies).
 */
import { max, median, ms } from "../support/stats";

export interface BurstTrial {
    rep: number;
    version: string;
    latencies: number[];
    coldStarts: number;
}

export interface HookTrial {
    rep: number;
    hookMs: number;
    slowestColdMs: number;
    holdMs: [number, number];
    boundMs: number;
    pass: boolean;
}

export interface BenchResults {
    measuredAt: string;
    machine: { cpus: number; cpu: string; memoryGiB: number; node: string; platform: string };
    concurrency: number;
    holdMs: [number, number];
    bursts: { with: BurstTrial[]; without: BurstTrial[]; warmSteadyLatencies: number[]; warmP50Ms: number };
    distinct: { trial: number; distinct: number; environments: number; wallMs: number }[];
    hooks: HookTrial[];
    bundles: { hook: string; bytes: number; gzipBytes: number; importMedianMs: number; source: string }[];
    targets: { name: string; value: string; pass: boolean }[];
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

export function renderMarkdown(r: BenchResults): string {
    const lines: string[] = [];
    const n = r.concurrency;
    lines.push(`Measured ${r.measuredAt.slice(0, 10)} on ${r.machine.cpus} × ${r.machine.cpu}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}.`, "");
    lines.push("| target | measured | result |", "| --- | --- | --- |");
    for (const t of r.targets) lines.push(`| ${t.name} | ${t.value} | ${t.pass ? "pass" : "**FAIL**"} |`);
    lines.push("", `**First burst of ${n} concurrent requests right after the shift** (GET /db through the alias):`, "");
    lines.push("| run | p50 | max | cold starts |", "| --- | ---: | ---: | ---: |");
    for (const [label, trials] of [["without warm-up", r.bursts.without], ["with warm-up", r.bursts.with]] as const) {
        for (const t of trials) lines.push(`| ${label} #${t.rep} | ${ms(median(t.latencies))} | ${ms(max(t.latencies))} | ${t.coldStarts} of ${n} |`);
    }
    lines.push(`| warm, steady state (${r.bursts.warmSteadyLatencies.length} requests) | ${ms(r.bursts.warmP50Ms)} | ${ms(max(r.bursts.warmSteadyLatencies))} | 0 |`);
    const d = r.distinct;
    const wall = d.map((x) => x.wallMs);
    lines.push("", `**Distinct environments per warm-up** (${d.length} trials, each on a freshly published version): ` +
        `${d.filter((x) => x.distinct === n).length} of ${d.length} reached ${n} of ${n}; warm-up wall time p50 ${ms(median(wall))}, max ${ms(max(wall))}.`);
    lines.push("", "**Pre-traffic hook wall time** against its slowest warm-up invocation (bound: slowest + max hold + 300 ms):", "");
    lines.push("| deploy | hook | slowest warm-up invocation | bound | result |", "| --- | ---: | ---: | ---: | --- |");
    for (const h of r.hooks) lines.push(`| #${h.rep} | ${ms(h.hookMs)} | ${ms(h.slowestColdMs)} | ${ms(h.boundMs)} | ${h.pass ? "pass" : "**FAIL**"} |`);
    lines.push("", "**Hook bundles** (size and cold `require` time in a fresh Node process):", "");
    lines.push("| hook | size | gzip | import p50 |", "| --- | ---: | ---: | ---: |");
    for (const b of r.bundles) lines.push(`| ${b.hook} | ${kb(b.bytes)} | ${kb(b.gzipBytes)} | ${ms(b.importMedianMs)} |`);
    lines.push("", "![benchmark chart](../bench/results/bench.svg)");
    return lines.join("\n");
}

// ------------------------------------------------------------------- SVG

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const text = (x: number, y: number, s: string, opts: { anchor?: "start" | "middle" | "end"; size?: number; weight?: string; fill?: string } = {}): string =>
    `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${opts.size ?? 11}" text-anchor="${opts.anchor ?? "start"}"${opts.weight ? ` font-weight="${opts.weight}"` : ""} fill="${opts.fill ?? "#222"}">${esc(s)}</text>`;
const rect = (x: number, y: number, w: number, h: number, fill: string): string =>
    `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, w).toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${fill}"/>`;
const line = (x1: number, y1: number, x2: number, y2: number, stroke: string, dash = false): string =>
    `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${stroke}" stroke-width="1.5"${dash ? ' stroke-dasharray="5 4"' : ""}/>`;

const COLD = "#d9534f";
const WARM = "#2e8b57";
const GREY = "#8a8f98";

interface Bar {
    label: string;
    value: number;
    fill: string;
    note?: string;
    /** Drawn as a dashed tick across the bar's slot (e.g. its own bound). */
    mark?: number;
}

interface Panel {
    title: string;
    subtitle: string;
    top: number;
    bars: Bar[];
    guides?: { value: number; label: string }[];
    /** Log scale keeps 20 ms and 2 s readable on one axis. */
    log?: boolean;
    unit: (v: number) => string;
}

/** Vertical bars inside a panel; returns the SVG parts. */
function barPanel(p: Panel): string[] {
    const left = 60;
    const width = 680;
    const height = 140;
    const base = p.top + 44 + height;
    const values = [...p.bars.flatMap((b) => [b.value, b.mark ?? 0]), ...(p.guides ?? []).map((g) => g.value)];
    const top = Math.max(1, ...values) * 1.15;
    const floor = p.log ? Math.max(1, Math.min(...values.filter((v) => v > 0)) / 2) : 0;
    const frac = (v: number): number => (p.log ? (Math.log10(Math.max(v, floor)) - Math.log10(floor)) / (Math.log10(top) - Math.log10(floor)) : v / top);
    const y = (v: number): number => base - frac(v) * height;
    const slot = width / Math.max(1, p.bars.length);
    const parts = [
        text(left, p.top + 14, p.title, { size: 13, weight: "bold" }),
        text(left, p.top + 30, p.subtitle, { size: 10, fill: "#555" }),
        line(left, base, left + width, base, GREY),
    ];
    p.bars.forEach((b, i) => {
        const x = left + i * slot + slot * 0.15;
        const w = slot * 0.7;
        parts.push(rect(x, y(b.value), w, base - y(b.value), b.fill));
        parts.push(text(x + w / 2, y(b.value) - 4, b.note ?? p.unit(b.value), { anchor: "middle", size: 10 }));
        parts.push(text(x + w / 2, base + 13, b.label, { anchor: "middle", size: 10, fill: "#444" }));
        if (b.mark !== undefined) parts.push(line(x - slot * 0.1, y(b.mark), x + w + slot * 0.1, y(b.mark), "#333", true));
    });
    for (const g of p.guides ?? []) {
        parts.push(line(left, y(g.value), left + width, y(g.value), "#333", true));
        parts.push(text(left - 4, y(g.value) + 3, g.label, { anchor: "end", size: 9, fill: "#333" }));
    }
    return parts;
}

export function renderSvg(r: BenchResults): string {
    const n = r.concurrency;
    const burstBar = (label: string, fill: string) => (t: BurstTrial): Bar => ({ label: `${label} #${t.rep}`, value: max(t.latencies), fill, note: `${ms(max(t.latencies))} · ${t.coldStarts} cold` });
    const parts: string[] = [];
    parts.push(...barPanel({
        title: `First ${n} concurrent requests after the shift: max latency`,
        subtitle: `red: alias moved with no warm-up; green: through the pre-traffic warm-up; dashes: target 2 × warm p50 (log scale)`,
        top: 10,
        bars: [...r.bursts.without.map(burstBar("without", COLD)), ...r.bursts.with.map(burstBar("with", WARM))],
        guides: [{ value: 2 * r.bursts.warmP50Ms, label: ms(2 * r.bursts.warmP50Ms) }],
        log: true,
        unit: ms,
    }));
    parts.push(...barPanel({
        title: "Distinct environments per warm-up",
        subtitle: `${r.distinct.length} trials, each on a freshly published version; target ${n} of ${n}`,
        top: 225,
        bars: r.distinct.map((d) => ({ label: String(d.trial), value: d.distinct, fill: d.distinct === n ? WARM : COLD, note: String(d.distinct) })),
        unit: String,
    }));
    parts.push(...barPanel({
        title: "Pre-traffic hook wall time",
        subtitle: "bars: the hook's invocation; dashes: its bound, slowest warm-up invocation + max hold + 300 ms",
        top: 440,
        bars: r.hooks.map((h) => ({ label: `deploy #${h.rep}`, value: h.hookMs, fill: h.pass ? WARM : COLD, note: ms(h.hookMs), mark: h.boundMs })),
        unit: ms,
    }));
    parts.push(text(60, 672, `pulumi-mangum · ${r.measuredAt.slice(0, 10)} · ${r.machine.cpus} × ${r.machine.cpu} · Node ${r.machine.node} · one run on one machine`, { size: 10, fill: "#666" }));
    return [
        `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="684" viewBox="0 0 760 684" font-family="Helvetica, Arial, sans-serif">`,
        rect(0, 0, 760, 684, "#ffffff"),
        ...parts,
        "</svg>",
        "",
    ].join("\n");
}
