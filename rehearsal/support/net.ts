/**
 * Small networking helpers shared by the stand-ins: loopback ports, a JSON
 * HTTP server skeleton and a raw POST. Everything binds 127.0.0.1 only.
 */
import * as http from "node:http";
import * as net from "node:net";

export const LOOPBACK = "127.0.0.1";

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Ports handed out by this process and not yet released. The kernel does not
 * hand the same ephemeral port out twice in a row, but two environments
 * starting at once could still race between `close` and the emulator's bind.
 */
const reserved = new Set<number>();

/** A loopback port that was free a moment ago; release it when its user stops. */
export async function freePort(): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
        const port = await new Promise<number>((resolve, reject) => {
            const server = net.createServer();
            server.once("error", reject);
            server.listen(0, LOOPBACK, () => {
                const address = server.address() as net.AddressInfo;
                server.close(() => resolve(address.port));
            });
        });
        if (!reserved.has(port)) {
            reserved.add(port);
            return port;
        }
    }
    throw new Error("could not find a free loopback port");
}

export function releasePort(port: number): void {
    reserved.delete(port);
}

/** Resolves once something accepts TCP connections on the port, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let delay = 5;
    while (Date.now() < deadline) {
        if (!isAlive()) throw new Error(`the process meant to listen on ${LOOPBACK}:${port} exited`);
        const ok = await new Promise<boolean>((resolve) => {
            const socket = net.connect(port, LOOPBACK);
            socket.once("connect", () => {
                socket.destroy();
                resolve(true);
            });
            socket.once("error", () => resolve(false));
        });
        if (ok) return;
        // 5 ms, doubling to 40: prompt for a process that is quick to listen, and cheap for the 30 a warm-up
        // starts at once at the lowest priority (a connect every 10 ms each was a visible share of the stand-in).
        await sleep(delay);
        delay = Math.min(40, delay * 2);
    }
    throw new Error(`nothing listened on ${LOOPBACK}:${port} within ${timeoutMs} ms`);
}

export interface RawResponse {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
}

/** POST a body and collect the whole answer. A connection failure rejects. */
export function post(port: number, path: string, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            { host: LOOPBACK, port, path, method: "POST", headers: { ...headers, "content-length": String(body.length) }, agent: false },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (chunk: Buffer) => chunks.push(chunk));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
                res.on("error", reject);
            },
        );
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${LOOPBACK}:${port}${path} within ${timeoutMs} ms`)));
        req.on("error", reject);
        req.end(body);
    });
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
    });
}

/** An HTTP server on an ephemeral loopback port; returns it once listening. */
export function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
    return new Promise((resolve, reject) => {
        const server = http.createServer(handler);
        // The SDK keeps connections alive; without this `close()` would wait for them.
        server.keepAliveTimeout = 1000;
        server.once("error", reject);
        server.listen(0, LOOPBACK, () => resolve({ server, port: (server.address() as net.AddressInfo).port }));
    });
}

export function closeServer(server: http.Server): Promise<void> {
    return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
    });
}

/**
 * The HTTP side every stand-in shares: a server on a free loopback port whose
 * requests all go to `handle`. Subclasses add their own start and stop work
 * around `listen` and `close`.
 */
export abstract class LoopbackApi {
    private server?: http.Server;
    port = 0;

    get endpoint(): string {
        return `http://${LOOPBACK}:${this.port}`;
    }

    protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;

    protected async listen(): Promise<void> {
        const { server, port } = await listen((req, res) => void this.handle(req, res));
        this.server = server;
        this.port = port;
    }

    protected async close(): Promise<void> {
        if (this.server) await closeServer(this.server);
    }

    /** Starts serving on a free loopback port; a stand-in with more to start overrides it. */
    async start(): Promise<void> {
        await this.listen();
    }

    /** Stops serving; a stand-in with work in flight overrides it. */
    async stop(): Promise<void> {
        await this.close();
    }
}
