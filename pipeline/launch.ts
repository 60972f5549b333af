/**
 * The entry point of every `deno task` that runs the pipeline. It reads the command line
 * and the configs, works out what the command needs, and runs pipeline/cli.ts with exactly
 * those permissions (least privilege; the README's "Guarantees" says what each is for):
 *
 * - read: the project (code, configs, the embedded data), the store and the reports
 *   folder, every config of each `extends` chain and each config's data files (and, for
 *   a symbolic link, the file it points to);
 * - write: the store and the reports folder, nothing else;
 * - run: this Deno binary (`deno info` lists each stage's imports for its key), and `cat`
 *   and `readlink` by absolute path, which read /proc for lock records (Deno asks for
 *   --allow-all before it reads /proc itself; see proc_files.ts);
 * - env: the two variables the `yaml` package reads; sys: the host name (lock records),
 *   the memory size (the memory check of a config), and the CPU and network-interface
 *   lists that `@resvg/resvg-js` reads (through Node's process report) to pick its build;
 * - ffi: the project's pinned npm packages only (`node_modules/.deno`), where the one
 *   native library is: resvg's, which turns figures into PNG;
 * - no network, and never a permission prompt.
 *
 * Tests run pipeline/cli.ts directly with their own permissions.
 */
import { dirname, join, resolve } from "node:path";
import { STAGES } from "../stages/registry.ts";
import { type CommandLine, parseCommandLine, PROJECT_ROOT } from "./command_line.ts";
import { loadConfigWithFiles } from "./config.ts";
import { UserError } from "./errors.ts";
import { exitWith } from "./exit_with.ts";
import { PROC_READERS } from "./proc_files.ts";

/** Environment variables libraries read at import (`yaml`: LOG_TOKENS, LOG_STREAM). */
const ENV_READ = ["LOG_TOKENS", "LOG_STREAM"];
const SYS = ["hostname", "systemMemoryInfo", "cpus", "networkInterfaces"];
/** Where npm packages live (deno.json: nodeModulesDir auto); resvg's addon is in there. */
const NATIVE = join(PROJECT_ROOT, "node_modules", ".deno");

/** The paths a command reads and writes, from its command line and configs. */
export async function permissionsFor(
  args: CommandLine,
): Promise<{ read: string[]; write: string[] }> {
  const read = [PROJECT_ROOT, args.artifacts, args.reports];
  if (args.command === "trace") {
    // The figure, its siblings, and the report folder that may hold it.
    read.push(dirname(dirname(resolve(args.target))));
  } else {
    for (const path of args.targets) {
      const { config, files } = await loadConfigWithFiles(path);
      read.push(...files);
      for (const stage of STAGES) {
        for (const ref of stage.externalFiles?.(config) ?? []) read.push(ref.path);
      }
    }
  }
  return { read: unique(read.flatMap(withTarget)), write: unique([args.artifacts, args.reports]) };
}

/** A path, and where it leads when it is a symbolic link (both are opened on the way). */
function withTarget(path: string): string[] {
  try {
    const real = Deno.realPathSync(path);
    return real === resolve(path) ? [path] : [path, real];
  } catch {
    return [path]; // not there yet (a store to be made): nothing to follow
  }
}

/** The /proc readers of proc_files.ts that exist here, by absolute path. */
function procReaders(): string[] {
  return [...PROC_READERS.cat, ...PROC_READERS.readlink].filter((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
}

/** Deno's flags for these permissions. A path with a comma cannot be said in a flag list. */
export function permissionFlags(paths: { read: string[]; write: string[] }): string[] {
  for (const path of [...paths.read, ...paths.write]) {
    if (path.includes(",")) {
      throw new UserError(
        `${path}: a path with a comma cannot be granted to Deno's permission flags; ` +
          "rename it or move it to a path without commas",
      );
    }
  }
  return [
    "--no-prompt",
    `--allow-read=${paths.read.join(",")}`,
    `--allow-write=${paths.write.join(",")}`,
    `--allow-run=${[Deno.execPath(), ...procReaders()].join(",")}`,
    `--allow-env=${ENV_READ.join(",")}`,
    `--allow-sys=${SYS.join(",")}`,
    `--allow-ffi=${NATIVE}`,
  ];
}

const unique = (paths: string[]) => [...new Set(paths.map((p) => resolve(p)))];

async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv, STAGES.map((s) => s.name));
  const flags = permissionFlags(await permissionsFor(args));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      join(PROJECT_ROOT, "deno.json"),
      ...flags,
      join(PROJECT_ROOT, "pipeline", "cli.ts"),
      ...argv,
    ],
  }).spawn();
  // The child stops itself on SIGINT/SIGTERM and says where it can resume; we pass the
  // signal on (a terminal's Ctrl-C reaches it anyway: the child stops at the first one).
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => child.kill(signal));
  }
  return (await child.status).code;
}

if (import.meta.main) {
  await exitWith(() => main(Deno.args));
}
