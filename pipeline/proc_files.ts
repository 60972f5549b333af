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
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "missing";
    if (!(error instanceof Deno.errors.NotCapable)) return "unreadable";
  }
  return viaHelper(PROC_READERS.cat, [path]);
}

/** The target of a /proc link (e.g. /proc/self/ns/pid), or why not. */
export function readProcLink(path: string): ProcResult {
  try {
    return Deno.readLinkSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "missing";
    if (!(error instanceof Deno.errors.NotCapable)) return "unreadable";
  }
  // `/proc/self` would be the helper's own: name this process by its pid.
  const args = [path.replace("/proc/self/", `/proc/${Deno.pid}/`)];
  const text = viaHelper(PROC_READERS.readlink, args);
  return text === "missing" || text === "unreadable" ? text : text.trim();
}

function viaHelper(candidates: string[], args: string[]): ProcResult {
  const target = args[0].replace("/proc/self/", `/proc/${Deno.pid}/`);
  for (const helper of candidates) {
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
