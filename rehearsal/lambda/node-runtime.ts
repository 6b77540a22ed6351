/**
 * A minimal Lambda Runtime API client for Node.js, so the bundled hooks
 * (dist/hooks/*.js) run under the official Runtime Interface Emulator exactly
 * as the nodejs24.x runtime runs them: load `file.export` from the task root,
 * then loop on /invocation/next, call the async handler with a Lambda-like
 * context, and post its result or its error.
 *
 * Run by the emulator as: node node-runtime.js <file.export>
 * Only async handlers are supported, as in nodejs24.x (callbacks are gone).
 */
import * as http from "node:http";
import * as path from "node:path";

type Handler = (event: unknown, context: RuntimeContext) => Promise<unknown>;

export interface RuntimeContext {
    awsRequestId: string;
    functionName: string;
    functionVersion: string;
    invokedFunctionArn: string;
    memoryLimitInMB: string;
    logGroupName: string;
    logStreamName: string;
    callbackWaitsForEmptyEventLoop: boolean;
    getRemainingTimeInMillis(): number;
}

const API_PREFIX = "/2018-06-01/runtime";
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

interface ApiResponse {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

function call(method: "GET" | "POST", route: string, body?: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const [host, port] = (process.env.AWS_LAMBDA_RUNTIME_API ?? "").split(":");
    return new Promise((resolve, reject) => {
        // No timeout: /invocation/next blocks until the next event, however long that is.
        const req = http.request({ host, port: Number(port), path: API_PREFIX + route, method, agent, headers }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (text += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
    });
}

/** The error document Lambda runtimes post: what callers see as the invocation's payload. */
export function errorDocument(err: unknown): { errorType: string; errorMessage: string; stackTrace: string[] } {
    if (err instanceof Error) {
        return { errorType: err.name, errorMessage: err.message, stackTrace: (err.stack ?? "").split("\n").slice(1).map((l) => l.trim()) };
    }
    return { errorType: "Error", errorMessage: String(err), stackTrace: [] };
}

function postError(route: string, err: unknown): Promise<ApiResponse> {
    const doc = errorDocument(err);
    return call("POST", route, JSON.stringify(doc), { "content-type": "application/json", "Lambda-Runtime-Function-Error-Type": doc.errorType });
}

/** `file.export` → the exported function, resolved like the Node.js runtime does (.js, .mjs, .cjs in the task root). */
export function loadHandler(spec: string, taskRoot: string): Handler {
    const dot = spec.lastIndexOf(".");
    if (dot <= 0) throw Object.assign(new Error(`Bad handler ${spec}: expected file.export`), { name: "Runtime.MalformedHandlerName" });
    const file = path.resolve(taskRoot, spec.slice(0, dot));
    const exportName = spec.slice(dot + 1);
    let mod: Record<string, unknown> | undefined;
    let lastError: unknown;
    for (const ext of [".js", ".mjs", ".cjs"]) {
        try {
            // Node >= 22.12 can require() ES modules too, so one loader serves every bundle format.
            mod = require(file + ext) as Record<string, unknown>;
            break;
        } catch (err) {
            lastError = err;
            if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") break;
        }
    }
    if (mod === undefined) {
        throw Object.assign(new Error(`Cannot load ${file}: ${(lastError as Error | undefined)?.message ?? "not found"}`), { name: "Runtime.ImportModuleError" });
    }
    const fn = mod[exportName];
    if (typeof fn !== "function") throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
    return fn as Handler;
}

function contextFor(headers: http.IncomingHttpHeaders): RuntimeContext {
    const deadline = Number(headers["lambda-runtime-deadline-ms"]);
    const env = process.env;
    return {
        awsRequestId: String(headers["lambda-runtime-aws-request-id"] ?? ""),
        functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? "",
        functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST",
        invokedFunctionArn: String(headers["lambda-runtime-invoked-function-arn"] ?? ""),
        memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "128",
        logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? "",
        logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? "",
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
}

async function main(): Promise<void> {
    const spec = process.argv[2] ?? process.env._HANDLER ?? "";
    let handler: Handler;
    try {
        handler = loadHandler(spec, process.env.LAMBDA_TASK_ROOT ?? process.cwd());
    } catch (err) {
        await postError("/init/error", err);
        process.exit(1);
    }
    for (;;) {
        const next = await call("GET", "/invocation/next");
        const requestId = String(next.headers["lambda-runtime-aws-request-id"] ?? "");
        try {
            const result = await handler(JSON.parse(next.body || "null") as unknown, contextFor(next.headers));
            await call("POST", `/invocation/${requestId}/response`, JSON.stringify(result ?? null), { "content-type": "application/json" });
        } catch (err) {
            console.error(JSON.stringify({ level: "error", event: "runtime.handler-error", requestId, ...errorDocument(err) }));
            await postError(`/invocation/${requestId}/error`, err);
        }
    }
}

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(JSON.stringify({ level: "error", event: "runtime.crashed", ...errorDocument(err) }));
        process.exit(1);
    });
}
