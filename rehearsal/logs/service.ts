/**
 * The CloudWatch Logs stand-in: FilterLogEvents (JSON 1.1, `X-Amz-Target:
 * Logs_20140328.FilterLogEvents`) over the output lines of the Lambda
 * stand-in's environments, in the log group each function sends its output
 * to (its loggingConfig.logGroup, by default `/aws/lambda/<name>`) and one log
 * stream per environment. The deployer reads the pre-traffic hook's verdict
 * this way. With an IAM gate, each request is authorized as the role session
 * that signed it (logs:FilterLogEvents on `log-group:NAME:log-stream:`, see
 * rehearsal/iam/table.ts), and a refusal is answered as CloudWatch Logs
 * answers it: HTTP 400 with `__type: AccessDeniedException` (JSON 1.1
 * protocol errors, as the SDK parses them).
 *
 * Filter patterns: plain and "quoted" terms, all of which must occur in a
 * line (CloudWatch's AND of terms). JSON and space-delimited patterns, `?`
 * and `-` terms are refused rather than misread.
 */
import type * as http from "node:http";
import { IamDenied, type IamGate } from "../iam/gate";
import type { LogEvent } from "../lambda/service";
import { LoopbackApi, readBody } from "../support/net";

const TARGET = "Logs_20140328.FilterLogEvents";

class LogsApiError extends Error {
    constructor(
        readonly type: string,
        message: string,
    ) {
        super(message);
    }
}

/** The terms of a filter pattern, or an error for the syntax this stand-in does not read. */
export function parseFilterPattern(pattern: string): string[] {
    const terms: string[] = [];
    const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
    for (let m = re.exec(pattern); m !== null; m = re.exec(pattern)) {
        if (m[1] !== undefined) {
            terms.push(m[1].replace(/\\(.)/g, "$1"));
        } else {
            const bare = m[2] as string;
            if (/^[{[?-]/.test(bare)) throw new LogsApiError("InvalidParameterException", `the Logs stand-in reads plain and quoted terms only, not ${bare}`);
            terms.push(bare);
        }
    }
    return terms;
}

export class LogsStandIn extends LoopbackApi {

    constructor(
        private readonly events: () => readonly LogEvent[],
        private readonly iam?: IamGate,
    ) {
        super();
    }

    filterLogEvents(input: Record<string, unknown>): object {
        const group = String(input.logGroupName ?? "");
        const all = this.events();
        if (!all.some((e) => e.logGroupName === group) && !/^\/aws\/lambda\/./.test(group)) {
            throw new LogsApiError("ResourceNotFoundException", "The specified log group does not exist.");
        }
        const terms = parseFilterPattern(String(input.filterPattern ?? ""));
        const start = typeof input.startTime === "number" ? input.startTime : 0;
        const end = typeof input.endTime === "number" ? input.endTime : Number.POSITIVE_INFINITY;
        const limit = typeof input.limit === "number" ? input.limit : 10_000;
        const mine = all.filter((e) => e.logGroupName === group);
        const matching = mine.filter((e) => e.timestamp >= start && e.timestamp <= end && terms.every((t) => e.message.includes(t))).slice(0, limit);
        return {
            events: matching.map((e, i) => ({ logStreamName: e.logStreamName, timestamp: e.timestamp, message: e.message, ingestionTime: e.timestamp, eventId: `${e.timestamp}-${i}` })),
            searchedLogStreams: [...new Set(mine.map((e) => e.logStreamName))].map((logStreamName) => ({ logStreamName, searchedCompletely: true })),
        };
    }

    protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        let status = 200;
        let out: object;
        try {
            if (req.headers["x-amz-target"] !== TARGET) throw new LogsApiError("UnknownOperationException", `the Logs stand-in implements ${TARGET} only`);
            const input = JSON.parse((await readBody(req)).toString("utf8") || "{}") as Record<string, unknown>;
            await this.iam?.enforce(req.headers, "logs", "FilterLogEvents", input);
            out = this.filterLogEvents(input);
        } catch (err) {
            status = 400;
            const e =
                err instanceof IamDenied ? new LogsApiError(err.code, err.message) : err instanceof LogsApiError ? err : new LogsApiError("InvalidParameterException", (err as Error).message);
            out = { __type: e.type, message: e.message };
        }
        const text = JSON.stringify(out);
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "content-length": String(Buffer.byteLength(text)) });
        res.end(text);
    }
}
