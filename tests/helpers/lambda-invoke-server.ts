/**
 * A local stand-in for the Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`)
 * and GetFunctionConfiguration (`GET /2015-03-31/functions/{name}/configuration`,
 * which the hooks read before warming) on 127.0.0.1, so tests can drive the
 * real SDK LambdaClient. It counts the invocations in flight, so a test can
 * prove they really run in parallel.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedInvocation {
    functionName: string;
    qualifier: string | null;
    invocationType: string | null;
    payload: unknown;
}

/** What the stand-in answers: a Lambda reply, an API error (e.g. throttling), or nothing at all. */
export type InvokeAnswer =
    | { kind: "reply"; body: unknown; functionError?: string; executedVersion?: string }
    | { kind: "api-error"; status: number; errorType: string; message: string }
    | { kind: "hang" };

export type Responder = (invocation: ReceivedInvocation, index: number) => InvokeAnswer | Promise<InvokeAnswer>;

export interface LambdaInvokeServer {
    endpoint: string;
    received: ReceivedInvocation[];
    /** Qualifiers of the GetFunctionConfiguration calls, in order. */
    configurationReads: Array<string | null>;
    /** Highest number of invocations open at the same time. */
    maxInFlight(): number;
    close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const CONFIGURATION_PATH = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/;

/** The `State` the stand-in reports for the n-th read (0-based) of a qualifier; Active unless told otherwise. */
export type StateOf = (qualifier: string | null, read: number) => string;

export async function startLambdaInvokeServer(respond: Responder, stateOf: StateOf = () => "Active"): Promise<LambdaInvokeServer> {
    const received: ReceivedInvocation[] = [];
    const configurationReads: Array<string | null> = [];
    let inFlight = 0;
    let maxInFlight = 0;

    const server: Server = createServer((req, res) => {
        void handle(req, res);
    });

    async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const body = await readBody(req);
        const configuration = CONFIGURATION_PATH.exec(url.pathname);
        if (req.method === "GET" && configuration !== null) {
            const qualifier = url.searchParams.get("Qualifier");
            const read = configurationReads.filter((q) => q === qualifier).length;
            configurationReads.push(qualifier);
            sendJson(res, 200, { FunctionName: decodeURIComponent(configuration[1]!), Version: qualifier ?? "$LATEST", State: stateOf(qualifier, read), LastUpdateStatus: "Successful" }, {});
            return;
        }
        const match = INVOKE_PATH.exec(url.pathname);
        if (req.method !== "POST" || match === null) {
            sendJson(res, 404, { message: `no route for ${req.method} ${url.pathname}` }, { "x-amzn-errortype": "ResourceNotFoundException" });
            return;
        }
        const invocation: ReceivedInvocation = {
            functionName: decodeURIComponent(match[1]!),
            qualifier: url.searchParams.get("Qualifier"),
            invocationType: headerValue(req, "x-amz-invocation-type"),
            payload: body === "" ? null : (JSON.parse(body) as unknown),
        };
        const index = received.push(invocation) - 1;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        res.on("close", () => inFlight--);

        const answer = await respond(invocation, index);
        if (answer.kind === "hang") return; // closed by close(), or abandoned by the client
        if (answer.kind === "api-error") {
            sendJson(res, answer.status, { message: answer.message }, { "x-amzn-errortype": answer.errorType });
            return;
        }
        const headers: Record<string, string> = {};
        if (answer.functionError !== undefined) headers["x-amz-function-error"] = answer.functionError;
        if (answer.executedVersion !== undefined) headers["x-amz-executed-version"] = answer.executedVersion;
        sendJson(res, 200, answer.body, headers);
    }

    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        received,
        configurationReads,
        maxInFlight: () => maxInFlight,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

function headerValue(req: IncomingMessage, name: string): string | null {
    const v = req.headers[name];
    return typeof v === "string" ? v : null;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
    res.end(text);
}

/** Resolves once `count` callers are waiting: lets a server answer only when N invocations are open at once. */
export function barrier(count: number): () => Promise<void> {
    let arrived = 0;
    let release!: () => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    return () => {
        arrived++;
        if (arrived >= count) release();
        return open;
    };
}
