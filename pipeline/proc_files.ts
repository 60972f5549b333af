/**
 * Reading /proc under least privilege. Deno asks for --allow-all before it reads anything
 * under /proc, and the pipeline's tasks never run with it (see pipeline/launch.ts). So when
 * a direct read is refused, the file is read by `cat` (or the link by `readlink`), which the
 * launcher allows by absolute path through --allow-run. Results say "missing" (no such file:
 * e.g. the process is gone) apart from "unreadable" (we cannot tell), so that an unreadable
 * /proc never makes a live process look dead.
 */

export type ProcResult = string | "missing" | "unreadable";

/** The helpers tried, in order; the launcher allows the ones that exist. */
export const PROC_READERS = {
  cat: ["/usr/bin/cat", "/bin/cat"],
  readlink: ["/usr/bin/readlink", "/bin/readlink"],
};

/** The text of a /proc file, "missing" if it does not exist, "unreadable" if we cannot say. */
export function readProcFile(path: string): ProcResult {
  return readProc(path, Deno.readTextFileSync, PROC_READERS.cat);
}

/** The target of a /proc link (e.g. /proc/self/ns/pid), or why not. */
export function readProcLink(path: string): ProcResult {
  const target = readProc(path, Deno.readLinkSync, PROC_READERS.readlink);
  return target === "missing" || target === "unreadable" ? target : target.trim();
}

/** Read directly; when Deno refuses (NotCapable), through the first helper allowed to run. */
function readProc(path: string, direct: (path: string) => string, helpers: string[]): ProcResult {
  try {
    return direct(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "missing";
    if (!(error instanceof Deno.errors.NotCapable)) return "unreadable";
  }
  // `/proc/self` would be the helper's own: name this process by its pid.
  const target = path.replace("/proc/self/", `/proc/${Deno.pid}/`);
  for (const helper of helpers) {
    let output: Deno.CommandOutput;
    try {
      output = new Deno.Command(helper, { args: [target], stdout: "piped", stderr: "piped" })
        .outputSync();
    } catch {
      continue; // not there, or not allowed: try the next
    }
    if (output.success) return new TextDecoder().decode(output.stdout);
    const said = new TextDecoder().decode(output.stderr);
    return said.includes("No such file") ? "missing" : "unreadable";
  }
  return "unreadable";
}
