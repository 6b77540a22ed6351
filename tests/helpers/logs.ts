/** A logger whose JSON lines are kept in memory, parsed, for assertions. */
import { createLogger, type Logger } from "../../hooks/log";

export interface CapturedLogs {
    log: Logger;
    lines: Array<Record<string, unknown>>;
    /** Lines whose `event` field equals `event`. */
    events(event: string): Array<Record<string, unknown>>;
}

export function captureLogs(): CapturedLogs {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({}, (line) => lines.push(JSON.parse(line) as Record<string, unknown>), "debug");
    return { log, lines, events: (event) => lines.filter((l) => l.event === event) };
}
