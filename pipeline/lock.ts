import { existsSync } from "node:fs";

/**
 * Run `fn` while holding an exclusive lock file, so two runs asking for the same artifact
 * at once do the work once: the second waits, then finds the first one's result. A lock
 * whose owner died (kill -9) is taken over, since a dead process cannot be mid-write.
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  onWait: (ownerPid: number) => void = () => {},
): Promise<T> {
  let warned = false;
  while (true) {
    try {
      const file = await Deno.open(path, { write: true, createNew: true });
      await file.write(new TextEncoder().encode(String(Deno.pid)));
      file.close();
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const owner = await readOwner(path);
    if (owner !== undefined && !processAlive(owner)) {
      await Deno.remove(path).catch(() => {});
      continue;
    }
    if (!warned && owner !== undefined) onWait(owner);
    warned = true;
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

async function readOwner(path: string): Promise<number | undefined> {
  try {
    const pid = Number(await Deno.readTextFile(path));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // removed between our open and read: just retry
  }
}

/** Whether a process with this pid exists (Linux: /proc). NaN or 0 means "no". */
export function processAlive(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`);
}
