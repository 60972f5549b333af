/**
 * The entry point of every `deno task` that runs the pipeline. It reads the command line
 * and the configs, works out what the command needs, and runs pipeline/cli.ts with exactly
 * those permissions (least privilege; the README's "Guarantees" says what each is for):
 *
 * - read: the project (code, configs, the embedded data), the store and the reports
 *   folder, every config of each `extends` chain and each config's data files (and, for
 *   a symbolic link, the file it points to);
 * - write: the store and the reports folder, nothing else (`runs` only reads the store);
 * - run: this Deno binary (`deno info` lists each stage's imports for its key), `cat`
 *   and `readlink` by absolute path, which read /proc for lock records (Deno asks for
 *   --allow-all before it reads /proc itself; see proc_files.ts), and git, which says the
 *   project's commit for the manifests (project_version.ts);
 * - run, for `run`, `status` and `gc`: Slurm's sbatch, squeue and scancel where PATH has
 *   them (a cluster submission, what became of it, and what its queued tasks still need;
 *   README "Running on a cluster");
 * - env: the two variables the `yaml` package reads, BLAS_LIBRARY (which BLAS to load) and
 *   PATH (where Slurm's commands are);
 *   sys: the host name (lock records),
 *   the memory size (the memory check of a config), and the CPU and network-interface
 *   lists that `@resvg/resvg-js` reads (through Node's process report) to pick its build;
 * - ffi: the project's pinned npm packages only (`node_modules/.deno`), where resvg's native
 *   library is (it turns figures into PNG), and the system BLAS the blas backend loads, when
 *   there is one (read too: its sha256 joins the keys);
 * - no network, and never a permission prompt.
 *
 * Relative paths on the command line are the user's: see fromUserFolder (INIT_CWD).
 *
 * Tests run pipeline/cli.ts directly with their own permissions.
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import { blasLibraryFile, STAGES } from "../stages/registry.ts";
import { helpRequested } from "./command_help.ts";
import { type CommandLine, CONFIG_FILE, parseCommandLine, PROJECT_ROOT } from "./command_line.ts";
import { PATH_KEYS } from "./config.ts";
import { isOverride } from "./overrides.ts";
import { expandTargets } from "./sweep.ts";
import { UserError } from "./errors.ts";
import { exitWith } from "./exit_with.ts";
import { PROC_READERS } from "./proc_files.ts";
import { GIT_PATHS } from "./project_version.ts";
import { findCommand, SLURM_COMMANDS } from "./slurm.ts";

/** Environment variables libraries read at import (`yaml`: LOG_TOKENS, LOG_STREAM). */
const ENV_READ = ["LOG_TOKENS", "LOG_STREAM", "BLAS_LIBRARY", "PATH"];
const SYS = ["hostname", "systemMemoryInfo", "cpus", "networkInterfaces"];
/** Where npm packages live (deno.json: nodeModulesDir auto); resvg's addon is in there. */
const NATIVE = join(PROJECT_ROOT, "node_modules", ".deno");

/** The paths a command reads and writes, and the programs it runs besides the usual ones. */
interface Permissions {
  read: string[];
  write: string[];
  run: string[];
}

/** The paths a command reads and writes, from its command line and configs. */
export async function permissionsFor(
  args: CommandLine,
): Promise<Permissions> {
  if (args.command === "runs") {
    return {
      read: unique([PROJECT_ROOT, args.artifacts].flatMap(withTarget)),
      write: [],
      run: [],
    };
  }
  const read = [PROJECT_ROOT, args.artifacts, args.reports];
  if (args.command === "trace") {
    // The figure, its siblings, and the report folder that may hold it.
    read.push(dirname(dirname(resolve(args.target))));
  } else {
    const { runs, files } = await expandTargets(args.targets, args.overrides, args.seeds);
    read.push(...files);
    for (const { config } of runs) {
      for (const stage of STAGES) {
        for (const ref of stage.externalFiles?.(config) ?? []) read.push(ref.path);
      }
    }
  }
  const blas = blasLibraryFile();
  if (blas) read.push(blas);
  const slurm = slurmCommands(args);
  return {
    read: unique([...read, ...slurm].flatMap(withTarget)),
    write: unique([args.artifacts, args.reports]),
    run: slurm,
  };
}

/** Slurm's commands where PATH has them, for the commands that submit or ask about jobs. */
function slurmCommands(args: CommandLine): string[] {
  if (!["run", "status", "gc"].includes(args.command)) return [];
  return SLURM_COMMANDS.flatMap((name) => findCommand(name) ?? []);
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

/** The /proc readers of proc_files.ts and git (the project's version) that exist here. */
function procReaders(): string[] {
  return [...PROC_READERS.cat, ...PROC_READERS.readlink, ...GIT_PATHS].filter((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
}

/** Deno's flags for these permissions. A path with a comma cannot be said in a flag list. */
export function permissionFlags(paths: Permissions): string[] {
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
    // An empty list would be an error to Deno: no flag grants no writes.
    ...(paths.write.length ? [`--allow-write=${paths.write.join(",")}`] : []),
    `--allow-run=${[Deno.execPath(), ...procReaders(), ...paths.run].join(",")}`,
    `--allow-env=${ENV_READ.join(",")}`,
    `--allow-sys=${SYS.join(",")}`,
    `--allow-ffi=${[NATIVE, ...blasFiles()].join(",")}`,
  ];
}

/** The BLAS library file, and the file it links to: what the blas backend opens. */
function blasFiles(): string[] {
  const blas = blasLibraryFile();
  return blas ? withTarget(blas) : [];
}

const unique = (paths: string[]) => [...new Set(paths.map((p) => resolve(p)))];

/** Options whose value is the next word (or follows `=`), and those of them that are paths. */
const VALUED = [
  "--artifacts",
  "--reports",
  "--name",
  "--seeds",
  "--jobs",
  "--executor",
  "--partition",
  "--time",
  "--cpus",
];
const FOLDERS = ["--artifacts", "--reports"];

/**
 * `deno task` runs its command in the project folder; the user's own folder is in INIT_CWD.
 * Paths on the command line are the user's, so they are made absolute against it: a config
 * (a word ending in .yaml/.yml) or trace's figure when that file is there (else it is left
 * as given: `configs/vae.yaml` from the project still means the project's), and a relative
 * --artifacts or --reports always. From the project folder itself nothing changes, so
 * messages keep their short relative paths.
 */
export function fromUserFolder(argv: string[], userFolder: string | undefined): string[] {
  if (!userFolder || !isAbsolute(userFolder) || sameFolder(userFolder, PROJECT_ROOT)) return argv;
  const [command, ...rest] = argv;
  const there = (path: string) => resolve(userFolder, path);
  const exists = (path: string) => {
    try {
      Deno.lstatSync(there(path));
      return true;
    } catch {
      return false;
    }
  };
  const out = [command];
  let positionals = 0, onlyPositionals = false;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (!onlyPositionals && word === "--") {
      onlyPositionals = true;
    } else if (!onlyPositionals && word.startsWith("-")) {
      const [flag, inline] = word.includes("=")
        ? [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]
        : [word, undefined];
      const takesValue = VALUED.includes(flag);
      const value = inline ?? (takesValue ? rest[i + 1] : undefined);
      const folder = FOLDERS.includes(flag) && value !== undefined && value !== "" &&
        !isAbsolute(value);
      if (inline !== undefined) {
        out.push(folder ? `${flag}=${there(value!)}` : word);
      } else {
        out.push(word);
        if (takesValue && value !== undefined) {
          out.push(folder ? there(value) : value);
          i++;
        }
      }
      continue;
    } else {
      const isFigure = command === "trace" && positionals === 0;
      positionals++;
      if (isOverride(word)) {
        out.push(userPathOverride(word, there));
        continue;
      }
      const isPath = isFigure || CONFIG_FILE.test(word);
      out.push(isPath && !isAbsolute(word) && exists(word) ? there(word) : word);
      continue;
    }
    out.push(word);
  }
  return out;
}

/** `data.csv.path=my.csv` with the file's path made the user's; any other override as given. */
function userPathOverride(word: string, there: (path: string) => string): string {
  const at = word.indexOf("=");
  const [key, value] = [word.slice(0, at), word.slice(at + 1)];
  const isFile = PATH_KEYS.some((path) => path.join(".") === key);
  const plain = value !== "" && !/^["'[{]/.test(value) && !isAbsolute(value);
  return isFile && plain ? `${key}=${there(value)}` : word;
}

/** Whether two paths name one folder (a symlinked path to the project counts). */
function sameFolder(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    return Deno.realPathSync(a) === Deno.realPathSync(b);
  } catch {
    return false;
  }
}

/** INIT_CWD, which `deno task` sets; undefined when it is not set or may not be read. */
function userFolder(): string | undefined {
  // Without --allow-env=INIT_CWD, paths stay as given (and Deno is never made to prompt).
  const allowed = Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" });
  return allowed.state === "granted" ? Deno.env.get("INIT_CWD") : undefined;
}

async function main(given: string[]): Promise<number> {
  const help = helpRequested(given);
  if (help !== undefined) {
    console.log(help);
    return 0;
  }
  const argv = fromUserFolder(given, userFolder());
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
      // Worker processes (`--jobs N`) and Slurm tasks get exactly these permissions.
      ...(args.command === "run" ? [`--granted=${JSON.stringify(flags)}`] : []),
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
