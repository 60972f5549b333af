/** Running the pipeline's CLI as a user would, for the end-to-end tests. */

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** `deno run <permissions> <script> <args>`, output captured, colours off, `env` added. */
export async function runDeno(
  permissions: string[],
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, script, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** pipeline/cli.ts with every permission (what tests of its behaviour need). */
export const cli = (...args: string[]): Promise<CliResult> =>
  runDeno(["-A"], "pipeline/cli.ts", args);

/**
 * `deno task <args>` in the project folder, as a user types it (so through the launcher and
 * its permissions), `env` added; deno's own "Task …" echo is dropped from stderr.
 */
export async function denoTask(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", ...args],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const stderr = decode(output.stderr).split("\n").filter((l) => !l.startsWith("Task "));
  return { code: output.code, stdout: decode(output.stdout), stderr: stderr.join("\n").trim() };
}
