/**
 * The deploy-under-load benchmark's results (rehearsal/scenarios/load.ts) and
 * their renderings: a Markdown section for docs/benchmarks.md and a
 * hand-written SVG chart, like bench-report.ts.
 */
import { ms } from "../support/stats";
import type { LoadRun, StepSummary, Strategy } from "./load";

export interface LoadResults {
    measuredAt: string;
    machine: { cpus: number; cpu: string; memoryGiB: number; node: string };
    config: {
        minuteMs: number;
        canary: { weight: number; minutes: number };
        idleTimeoutMs: number;
        serviceMs: number;
        thinkMs: [number, number];
        appConcurrency: number;
        keepWarmEveryMs: number;
        fixedConcurrency: number;
        traffic: { maximum: number; headroom: number; windowMinutes: number };
        /** warmup.yieldToUsersMs of both warm-up strategies (compressed like the minutes). */
        yieldToUsersMs?: number;
        /** Whether environments ran their init at the lowest CPU priority (the stand-in's model of per-environment CPU). */
        initIsolation?: string;
        /** Which idle environment an invocation got (LambdaOptions.placement): Lambda does not document it. */
        placement?: string;
    };
    /** p50 of requests served by warm environments before any deploy: the reference of the 2× target. */
    warmP50Ms: number;
    runs: Array<Omit<LoadRun, "requests" | "warmups">>;
    targets: { name: string; value: string; pass: boolean }[];
}

export const STRATEGY_LABEL: Record<Strategy, string> = { none: "no warm-up", fixed: "fixed N = 5", traffic: "traffic-aware" };
/** The steps of the deploy itself: "before" is steady traffic ahead of it. */
export const DEPLOY_STEPS = (r: Pick<LoadRun, "steps">): StepSummary[] => r.steps.filter((s) => s.step !== "before");
export const deployColdStarts = (r: Pick<LoadRun, "steps">): number => DEPLOY_STEPS(r).reduce((sum, s) => sum + s.coldStarts, 0);

export function renderLoadMarkdown(r: LoadResults): string {
    const c = r.config;
    const lines: string[] = [];
    lines.push(
        `Measured ${r.measuredAt.slice(0, 10)} on ${r.machine.cpus} × ${r.machine.cpu}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}. ` +
            `Canary ${Math.round(c.canary.weight * 100)} % for ${c.canary.minutes} min, one minute = ${c.minuteMs} ms; idle environments reaped after ${ms(c.idleTimeoutMs)}; ` +
            `each user sends GET /work?ms=${c.serviceMs} through the alias, then thinks ${c.thinkMs[0]}–${c.thinkMs[1]} ms; reserved concurrency ${c.appConcurrency}; ` +
            `keep-warm tick every ${ms(c.keepWarmEveryMs)} (fixed and traffic-aware)${c.yieldToUsersMs !== undefined ? `, yielding environments that served users in the last ${ms(c.yieldToUsersMs)}` : ""}; ` +
            `traffic-aware: headroom ${c.traffic.headroom}, maximum ${c.traffic.maximum}. ` +
            (c.initIsolation !== undefined ? `Init isolation (each environment's init at the lowest CPU priority): ${c.initIsolation}. ` : "") +
            (c.placement !== undefined ? `An invocation gets the ${c.placement} idle environment of its version. ` : "") +
            `Warm p50 before any deploy: ${ms(r.warmP50Ms)}.`,
        "",
    );
    lines.push("| target | measured | result |", "| --- | --- | --- |");
    for (const t of r.targets) lines.push(`| ${t.name} | ${t.value} | ${t.pass ? "pass" : "**FAIL**"} |`);
    lines.push("", "**User requests that met a cold start during the deploy**, per step (throttled requests counted apart):", "");
    lines.push("| users | strategy | warmed before traffic | step | requests | cold starts (on the new version) | throttled | p50 | p99 | max |", "| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const run of r.runs) {
        const warmed = run.strategy === "none" ? "nothing" : run.warmed ? `${run.warmed.requested} (${run.warmed.basis})` : "?";
        for (const s of run.steps) {
            lines.push(
                `| ${run.users} | ${STRATEGY_LABEL[run.strategy]} | ${warmed} | ${s.step} | ${s.requests} | ${s.coldStarts} (${s.coldOnNew}) | ${s.throttled} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`,
            );
        }
        if (!run.deployOk) lines.push(`| ${run.users} | ${STRATEGY_LABEL[run.strategy]} | deploy failed: ${run.deployError ?? "?"} | | | | | | | |`);
    }
    lines.push("", "Step `before` is steady traffic on the live version ahead of the deploy; `0%` is the pre-traffic warm-up; the cold-start counts of the targets cover `0%` to `100%`.");
    lines.push("", "![deploy under load](../bench/results/load.svg)");
    return lines.join("\n");
}

// ------------------------------------------------------------------- SVG

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const text = (x: number, y: number, s: string, anchor = "start", size = 11, fill = "#222"): string =>
    `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${size}" text-anchor="${anchor}" fill="${fill}">${esc(s)}</text>`;
const rect = (x: number, y: number, w: number, h: number, fill: string): string =>
    `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, w).toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${fill}"/>`;

const COLORS: Record<Strategy, string> = { none: "#d9534f", fixed: "#f0ad4e", traffic: "#2e8b57" };
const STRATEGIES: Strategy[] = ["none", "fixed", "traffic"];

/** Two panels: cold starts during the deploy, and p99 of the final step against 2 × warm p50, per users and strategy. */
export function renderLoadSvg(r: LoadResults): string {
    const users = [...new Set(r.runs.map((x) => x.users))].sort((a, b) => a - b);
    const W = 760;
    const H = 330;
    const panelW = 340;
    const top = 50;
    const plotH = 200;
    const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`, rect(0, 0, W, H, "#fff")];
    out.push(text(W / 2, 22, "Deploy under load: C users through the alias during a whole canary", "middle", 14));
    const panel = (x0: number, title: string, value: (run: Omit<LoadRun, "requests" | "warmups"> | undefined) => number, fmt: (v: number) => string, refLine?: { v: number; label: string }) => {
        const vals = r.runs.map((run) => value(run)).filter((v) => Number.isFinite(v));
        const top2 = Math.max(1, ...vals, refLine?.v ?? 0) * 1.15;
        out.push(text(x0 + panelW / 2, top - 12, title, "middle", 12));
        out.push(`<line x1="${x0}" y1="${top + plotH}" x2="${x0 + panelW}" y2="${top + plotH}" stroke="#999"/>`);
        const groupW = panelW / Math.max(1, users.length);
        users.forEach((u, gi) => {
            const gx = x0 + gi * groupW;
            STRATEGIES.forEach((s, si) => {
                const run = r.runs.find((x) => x.users === u && x.strategy === s);
                const v = value(run);
                const bw = (groupW - 20) / 3;
                const bx = gx + 10 + si * bw;
                const h = Number.isFinite(v) ? (v / top2) * plotH : 0;
                out.push(rect(bx + 1, top + plotH - h, bw - 2, h, COLORS[s]));
                out.push(text(bx + bw / 2, top + plotH - h - 3, Number.isFinite(v) ? fmt(v) : "–", "middle", 9));
            });
            out.push(text(gx + groupW / 2, top + plotH + 14, `${u} users`, "middle", 11));
        });
        if (refLine) {
            const y = top + plotH - (refLine.v / top2) * plotH;
            out.push(`<line x1="${x0}" y1="${y.toFixed(1)}" x2="${x0 + panelW}" y2="${y.toFixed(1)}" stroke="#555" stroke-dasharray="5 4"/>`);
            out.push(text(x0 + panelW, y - 4, refLine.label, "end", 9, "#555"));
        }
    };
    panel(20, "user requests that met a cold start (0% … 100%)", (run) => (run ? deployColdStarts(run) : Number.NaN), (v) => String(v));
    panel(
        400,
        "worst p99 over the deploy's steps (ms)",
        (run) => (run ? Math.max(...DEPLOY_STEPS(run).map((s) => s.p99).filter((v) => Number.isFinite(v))) : Number.NaN),
        (v) => v.toFixed(0),
        { v: 2 * r.warmP50Ms, label: `2 × warm p50 (${(2 * r.warmP50Ms).toFixed(0)} ms)` },
    );
    STRATEGIES.forEach((s, i) => {
        out.push(rect(220 + i * 120, H - 30, 12, 12, COLORS[s]));
        out.push(text(236 + i * 120, H - 20, STRATEGY_LABEL[s], "start", 11));
    });
    out.push("</svg>");
    return out.join("\n") + "\n";
}
