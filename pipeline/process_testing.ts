/**
 * Real processes for the lock and sweep tests: a live one, a zombie, a pid that is gone.
 * Every helper returns a `stop` that ends and reaps what it started.
 */
import { readProcStat } from "./process_identity.ts";

export interface TestProcess {
  pid: number;
  stop: () => Promise<void>;
}

/** A child `sleep` that runs until stopped. */
export function liveProcess(seconds = 30): TestProcess {
  const child = new Deno.Command("sleep", { args: [String(seconds)] }).spawn();
  return {
    pid: child.pid,
    stop: async () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

/**
 * A zombie: killed, not reaped. Deno reaps its own children at once, so the zombie is a
 * grandchild whose parent (perl, which never reaps on its own; perl-base is essential in
 * Debian) waits for it only when told to, by a line on its stdin, when stopped.
 */
export async function zombieProcess(): Promise<TestProcess> {
  const script = `$p = fork; if (!$p) { exec "sleep", "30" } $| = 1; print "$p\\n"; ` +
    `<STDIN>; waitpid($p, 0);`;
  const parent = new Deno.Command("perl", {
    args: ["-e", script],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = parent.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const pid = Number(text.trim());
  Deno.kill(pid, "SIGKILL");
  for (let i = 0; i < 50 && readProcStat(pid)?.state !== "Z"; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    pid,
    stop: async () => {
      const writer = parent.stdin.getWriter();
      await writer.write(new TextEncoder().encode("\n")).catch(() => {});
      await writer.close().catch(() => {});
      reader.releaseLock();
      await parent.stdout.cancel().catch(() => {});
      await parent.status;
    },
  };
}

/** The pid of a process that has exited and been reaped (until the kernel reuses it). */
export async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}
