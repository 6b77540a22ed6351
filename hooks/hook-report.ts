/**
 * Reads the pre-traffic hook's verdict and warm-up report back from its logs.
 *
 * CodeDeploy carries only a hook's status (PutLifecycleEventHookExecutionStatus
 * takes nothing else), so the hook's reasons travel through the one
 * `pre-traffic.result` line it logs per execution. Reading it is best effort:
 * any failure yields `undefined` and a warning, never an error, so a missing
 * report can neither fail a good deployment nor hide the real failure.
 *
 * Provenance: a line is accepted only when it is provably the hook's own, as
 * far as CloudWatch Logs can prove it (docs/warmup-protocol.md, "Whose line
 * is it"): it is read from the hook's own log group, which only the hook's
 * role may write to (IAM, components/mangumFunction.ts); it sits in a log
 * stream named the way Lambda names its streams; CloudWatch ingested it
 * (a time the writer cannot choose, unlike the event's timestamp) after the
 * deployment was created and, when known, while its lifecycle event ran; it
 * carries the hook's fields and its verdict agrees with the status CodeDeploy
 * recorded for that lifecycle event. Its text is redacted again on reading.
 */
import { FilterLogEventsCommand, type CloudWatchLogsClient, type FilteredLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import type { Logger } from "./log";
import { safeText } from "./redact";
import type { Verdict, WarmupReport } from "./warm";

/** The `event` of the hook's result line (hooks/pre-traffic.ts). */
export const RESULT_EVENT = "pre-traffic.result";

/** Searched from this long before the deployment was created, for clock skew between CodeDeploy and the hook's environment. */
export const CLOCK_SKEW_MS = 60_000;

/** Waits between searches: CloudWatch Logs usually shows a line within seconds of its write, not at once. */
export const RETRY_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000];

/** A runaway page chain must not spin while the clock stands still (FilterLogEvents may return empty pages with a nextToken). */
const MAX_PAGES = 50;

/**
 * Lambda's own log stream names: `YYYY/MM/DD/[<version>]<environment id>`
 * ("How CloudWatch structures logs",
 * https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html),
 * the id being 32 hex digits. Anyone who may write to the group could choose
 * such a name too: this check rejects lines written elsewhere, the IAM grant
 * is what keeps others out.
 */
export const LAMBDA_LOG_STREAM = /^\d{4}\/\d{2}\/\d{2}\/\[(?:\$LATEST|\d+)\][0-9a-f]{32}$/;

/** Tolerance between CodeDeploy's clock and CloudWatch Logs' ingestion clock, both AWS's own. */
export const INGESTION_SKEW_MS = 5_000;
/** How long after its lifecycle event ended a line may still be ingested: the hook logs right after reporting, CloudWatch may lag. */
export const LATE_INGESTION_MS = 300_000;

export interface HookReport {
    verdict: Verdict;
    /** Null when the hook failed before warming (invalid settings, unknown target version, no time left). */
    report: WarmupReport | null;
}

export interface ReadHookReportOptions {
    /** Epoch ms at which the deployment was created. */
    createdAt: number;
    /** Epoch ms by which the read must be over, found or not. */
    deadline: number;
    now: () => number;
    sleep: (ms: number) => Promise<void>;
    log: Logger;
    /**
     * The status CodeDeploy recorded for the lifecycle event, as a verdict:
     * true for Succeeded, false for Failed. A line that contradicts it is not
     * the hook's answer to that event and is ignored.
     */
    expectPass?: boolean;
    /** When the lifecycle event ran (CodeDeploy's startTime and endTime), if known: the line must have been ingested meanwhile. */
    window?: { from: number; to?: number };
}

/** One parsed result line. */
export interface ResultLine extends HookReport {
    deploymentId: string;
    /** The same for Lambda's retries of one hook execution, different for each lifecycle event. */
    lifecycleEventHookExecutionId?: string;
    /** Only if the hook ever logs it; today it cannot know it (CodeDeploy sends only the two ids). */
    lifecycleEventName?: string;
    statusReported: boolean;
    /** The `hook` field the hooks' logger writes. */
    hook?: string;
}

/**
 * The result the hook logged for `deploymentId` (and `lifecycleEventName`),
 * searching again with short waits until it shows up or `deadline` comes.
 */
export async function readHookReport(
    logs: CloudWatchLogsClient,
    logGroupName: string,
    deploymentId: string,
    lifecycleEventName: string | undefined,
    options: ReadHookReportOptions,
): Promise<HookReport | undefined> {
    const fields = { logGroupName, deploymentId, lifecycleEventName };
    try {
        for (let attempt = 1; ; attempt++) {
            if (options.now() >= options.deadline) {
                options.log.warn("hook-report.no-time", { ...fields, attempts: attempt - 1 });
                return undefined;
            }
            const found = pickResult(await searchResultLines(logs, logGroupName, deploymentId, options), lifecycleEventName);
            if (found !== undefined && options.expectPass !== undefined && found.verdict.pass !== options.expectPass) {
                // Not the hook's answer to this event (CodeDeploy recorded the opposite): no report beats a wrong one.
                options.log.warn("hook-report.contradicts-codedeploy", { ...fields, attempts: attempt, pass: found.verdict.pass });
                return undefined;
            }
            if (found !== undefined) {
                options.log.info("hook-report.found", { ...fields, attempts: attempt, pass: found.verdict.pass });
                return found;
            }
            const delay = RETRY_DELAYS_MS[attempt - 1];
            if (delay === undefined || options.now() + delay >= options.deadline) {
                options.log.warn("hook-report.not-found", { ...fields, attempts: attempt });
                return undefined;
            }
            await options.sleep(delay);
        }
    } catch (err) {
        options.log.warn("hook-report.unreadable", { ...fields, error: err });
        return undefined;
    }
}

/** Every result line of the deployment in the group, oldest first; a page chain cut short by the deadline yields what it found. */
async function searchResultLines(
    logs: CloudWatchLogsClient,
    logGroupName: string,
    deploymentId: string,
    options: ReadHookReportOptions,
): Promise<ResultLine[]> {
    const found: Array<ResultLine & { at: number }> = [];
    const rejected = new Map<string, number>();
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
        const left = options.deadline - options.now();
        if (left <= 0) break;
        const output = await logs.send(
            new FilterLogEventsCommand({
                logGroupName,
                // Two quoted terms, both required: they match the raw line and Lambda's escaped wrapper alike.
                filterPattern: `"${RESULT_EVENT}" "${deploymentId.replace(/"/g, '\\"')}"`,
                startTime: options.createdAt - CLOCK_SKEW_MS,
                ...(nextToken === undefined ? {} : { nextToken }),
            }),
            { abortSignal: AbortSignal.timeout(left) },
        );
        for (const event of output.events ?? []) {
            const line = parseResultLine(event.message ?? "");
            if (line?.deploymentId !== deploymentId) continue;
            const problem = provenanceProblem(event, line, options);
            if (problem === undefined) found.push({ ...line, at: event.ingestionTime ?? event.timestamp ?? 0 });
            else rejected.set(problem, (rejected.get(problem) ?? 0) + 1);
        }
        nextToken = output.nextToken;
        if (nextToken === undefined) break;
    }
    if (rejected.size > 0) {
        // Counts and causes only: a rejected line's text is not the hook's and is not repeated.
        options.log.warn("hook-report.rejected", { logGroupName, deploymentId, rejected: Object.fromEntries(rejected) });
    }
    // Ordered by ingestion, which CloudWatch sets, not by the timestamp the writer chose.
    return found.sort((a, b) => a.at - b.at).map(({ at: _, ...line }) => line);
}

/** Why `event` is not provably the hook's own line, or undefined when it is. */
export function provenanceProblem(event: FilteredLogEvent, line: ResultLine, options: Pick<ReadHookReportOptions, "createdAt" | "window">): string | undefined {
    if (!LAMBDA_LOG_STREAM.test(event.logStreamName ?? "")) return "not in a log stream Lambda names";
    if (line.hook !== "pre-traffic") return "not written by the pre-traffic hook's logger";
    if (line.lifecycleEventHookExecutionId === undefined) return "no lifecycle event hook execution id";
    const ingested = event.ingestionTime;
    if (ingested === undefined) return "no ingestion time";
    if (ingested < options.createdAt - INGESTION_SKEW_MS) return "ingested before the deployment was created";
    if (options.window !== undefined) {
        if (ingested < options.window.from - INGESTION_SKEW_MS) return "ingested before its lifecycle event started";
        if (options.window.to !== undefined && ingested > options.window.to + LATE_INGESTION_MS) return "ingested long after its lifecycle event ended";
    }
    return undefined;
}

/**
 * Picks the line that answers for `lifecycleEventName`. Lines carrying the
 * name are matched by it. Otherwise executions (by hook execution id) are
 * ordered in time: BeforeAllowTraffic is a deployment's first, and the same
 * function run again as AfterAllowTraffic (the built-in smoke check) comes
 * later; with no name, the latest execution answers. Within an execution
 * (Lambda retries it when the status could not be sent), the line whose status
 * reached CodeDeploy wins, else the latest.
 */
export function pickResult(lines: ResultLine[], lifecycleEventName: string | undefined): HookReport | undefined {
    const named = lines.filter((l) => l.lifecycleEventName !== undefined);
    let chosen: ResultLine[] | undefined;
    if (lifecycleEventName !== undefined && named.length > 0) {
        chosen = named.filter((l) => l.lifecycleEventName === lifecycleEventName);
    } else {
        const executions = new Map<string, ResultLine[]>();
        lines.forEach((line, i) => {
            const key = line.lifecycleEventHookExecutionId ?? `line ${i}`;
            executions.set(key, [...(executions.get(key) ?? []), line]);
        });
        const ordered = [...executions.values()];
        if (lifecycleEventName === "BeforeAllowTraffic") chosen = ordered[0];
        else if (lifecycleEventName === "AfterAllowTraffic") chosen = ordered.length > 1 ? ordered[ordered.length - 1] : undefined;
        else chosen = ordered[ordered.length - 1];
    }
    if (chosen === undefined || chosen.length === 0) return undefined;
    const line = chosen.filter((l) => l.statusReported).pop() ?? chosen[chosen.length - 1]!;
    return { verdict: line.verdict, report: line.report };
}

// ----------------------------------------------------------------- parsing

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The hook writes its line straight to stdout (hooks/log.ts), which Lambda
 * stores as is. Should it ever go through `console`, Lambda's JSON log format
 * wraps it as `{"timestamp","level","requestId","message": <line>}` and the
 * text format prefixes it with `time<TAB>requestId<TAB>LEVEL<TAB>`: both are
 * read too. Anything else is not a result line.
 */
export function parseResultLine(message: string): ResultLine | undefined {
    const record = jsonObjectIn(message);
    if (record === undefined) return undefined;
    if (record.event === RESULT_EVENT) return toResultLine(record);
    const inner = typeof record.message === "string" ? jsonObjectIn(record.message) : record.message;
    return isRecord(inner) && inner.event === RESULT_EVENT ? toResultLine(inner) : undefined;
}

function jsonObjectIn(text: string): Record<string, unknown> | undefined {
    const start = text.indexOf("{");
    if (start < 0) return undefined;
    try {
        const value: unknown = JSON.parse(text.slice(start));
        return isRecord(value) ? value : undefined;
    } catch {
        return undefined;
    }
}

function toResultLine(record: Record<string, unknown>): ResultLine | undefined {
    const { deploymentId, pass, reasons } = record;
    if (typeof deploymentId !== "string" || typeof pass !== "boolean") return undefined;
    if (!Array.isArray(reasons) || !reasons.every((r): r is string => typeof r === "string")) return undefined;
    const line: ResultLine = {
        deploymentId,
        // Redacted again: an older hook, or a line not written by this code, may carry a secret.
        verdict: { pass, reasons: reasons.map((r) => safeText(r)) },
        report: isWarmupReport(record.report) ? record.report : null,
        statusReported: record.statusReported !== false,
    };
    if (typeof record.lifecycleEventHookExecutionId === "string") line.lifecycleEventHookExecutionId = record.lifecycleEventHookExecutionId;
    if (typeof record.lifecycleEventName === "string") line.lifecycleEventName = record.lifecycleEventName;
    if (typeof record.hook === "string") line.hook = record.hook;
    return line;
}

/** Enough of the shape that the deployer's summary and the `deployment` output can rely on it. */
function isWarmupReport(value: unknown): value is WarmupReport {
    if (!isRecord(value) || !isRecord(value.target) || !isRecord(value.checks)) return false;
    const numbers = ["requested", "succeeded", "wallMs"].every((k) => typeof value[k] === "number");
    const counts = ["distinctEnvironments", "coldStarts"].every((k) => value[k] === null || typeof value[k] === "number");
    const arrays = ["versions", "errors", "notes"].every((k) => Array.isArray(value[k]));
    return numbers && counts && arrays && typeof value.target.functionName === "string" && typeof value.target.qualifier === "string";
}
