/**
 * Process-tree cleanup. The emulator starts its runtime in a process group of
 * its own (Setpgid), so killing the emulator's group leaves the runtime
 * behind; we walk /proc for every descendant instead. Synchronous on purpose:
 * it must also work inside a `process.on("exit")` handler.
 */
import * as fs from "node:fs";

function parentsByPid(): Map<number, number[]> {
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        let stat: string;
        try {
            stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        } catch {
            continue; // exited while we looked
        }
        // Field 4 is the parent pid; the command name (field 2) may contain spaces, so split after its ')'.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const ppid = Number(fields[1]);
        const list = children.get(ppid) ?? [];
        list.push(Number(entry));
        children.set(ppid, list);
    }
    return children;
}

/**
 * Direct children of `pid`, from /proc/PID/task/TID/children (Linux 3.5+ with CONFIG_PROC_CHILDREN): a few
 * small reads, where the whole process table is one read per process on the machine. Reading every process's
 * stat took about 100 ms with a few hundred processes, on the event loop that also serves the benchmark's
 * users, each time an environment was reaped (npm run bench, section 5). Null when the kernel has no such file.
 */
function childrenOf(pid: number): number[] | null {
    let tasks: string[];
    try {
        tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
        return [];
    }
    const out: number[] = [];
    for (const tid of tasks) {
        let text: string;
        try {
            text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8");
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code === "ENOENT" && fs.existsSync(`/proc/${pid}/task/${tid}`)) return null;
            continue; // the thread exited while we looked
        }
        for (const child of text.trim().split(/\s+/)) if (child !== "") out.push(Number(child));
    }
    return out;
}

/** The pid and all its descendants, parents first. */
export function processTree(pid: number): number[] {
    let table: Map<number, number[]> | undefined;
    const out: number[] = [];
    const queue = [pid];
    while (queue.length > 0) {
        const next = queue.shift() as number;
        out.push(next);
        const direct = table === undefined ? childrenOf(next) : null;
        if (direct !== null) {
            queue.push(...direct);
            continue;
        }
        table ??= parentsByPid();
        queue.push(...(table.get(next) ?? []));
    }
    return out;
}

/** SIGKILLs a process and every descendant; returns the pids signalled. Safe on a process that already exited. */
export function killTree(pid: number): number[] {
    const tree = processTree(pid);
    for (const p of tree) {
        try {
            process.kill(p, "SIGKILL");
        } catch {
            // already gone
        }
    }
    return tree;
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isRunning(pid: number): boolean {
    try {
        return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return false;
    }
}

/**
 * Waits until none of the pids runs any more. SIGKILL is delivered
 * asynchronously, and a grandchild re-parented to init dies on its own
 * schedule, so "signalled" is not yet "gone".
 */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (pids.some(isRunning) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
