/**
 * Structured logging for the hooks: one JSON object per line, written straight
 * to stdout. Lambda's patched `console` would prefix text-format lines with a
 * timestamp and request id, which breaks parsing in CloudWatch Logs Insights;
 * stdout lines are stored verbatim. Every string is cut and redacted
 * (hooks/redact.ts) on its way out: replies and errors quoted in a line come
 * from the app function, which may echo a secret.
 */
import { redactDeep } from "./redact";

export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
    debug(event: string, fields?: LogFields): void;
    info(event: string, fields?: LogFields): void;
    warn(event: string, fields?: LogFields): void;
    error(event: string, fields?: LogFields): void;
    /** A logger that adds `fields` to every line (e.g. the deployment id). */
    child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

const stdoutSink: LogSink = (line) => {
    process.stdout.write(line + "\n");
};

/**
 * Lambda sets AWS_LAMBDA_LOG_LEVEL when the function has an application log
 * level configured; honour it so DEBUG can be switched on without a redeploy
 * of the hook code.
 */
function minimumLevel(): LogLevel {
    const wanted = (process.env.AWS_LAMBDA_LOG_LEVEL ?? "").toLowerCase();
    if (wanted === "trace" || wanted === "debug") return "debug";
    if (wanted === "warn" || wanted === "error") return wanted;
    return "info";
}

export function createLogger(base: LogFields = {}, sink: LogSink = stdoutSink, min: LogLevel = minimumLevel()): Logger {
    const write = (level: LogLevel, event: string, fields: LogFields = {}): void => {
        if (RANK[level] < RANK[min]) return;
        const record = { time: new Date().toISOString(), level, event, ...(redactDeep({ ...base, ...fields }) as LogFields) };
        sink(JSON.stringify(record, errorsAsText));
    };
    return {
        debug: (event, fields) => write("debug", event, fields),
        info: (event, fields) => write("info", event, fields),
        warn: (event, fields) => write("warn", event, fields),
        error: (event, fields) => write("error", event, fields),
        child: (fields) => createLogger({ ...base, ...fields }, sink, min),
    };
}

/** `JSON.stringify` renders an Error as `{}`; keep its name and message instead. */
function errorsAsText(_key: string, value: unknown): unknown {
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    return value;
}
