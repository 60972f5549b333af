/**
 * The command line of `deno task <command>`: the commands, their options, and the usage
 * text. Parsed once, by the CLI and by the launcher that sets up its permissions.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Command, COMMANDS, usage } from "./command_help.ts";
import { closestWord } from "./did_you_mean.ts";
import { UserError } from "./errors.ts";
import { checkName } from "./names.ts";
import { isOverride, parseOverride } from "./overrides.ts";
import { parseSeeds } from "./seeds.ts";
import {
  type ExecutorFlags,
  parseCpus,
  parseExecutor,
  parsePartition,
  parseTime,
} from "./executor.ts";
import { type Phase, PHASES } from "./submission.ts";

export const PROJECT_ROOT = resolve(new URL("..", import.meta.url).pathname);
/** The store when no --artifacts is given. */
export const DEFAULT_ARTIFACTS = join(PROJECT_ROOT, "artifacts");
/** Where reports go when no --reports is given. */
export const DEFAULT_REPORTS = join(PROJECT_ROOT, "reports");
/** A config file's name: `.yaml` or `.yml`, in any case (`X.YAML` is a config, not a stage). */
export const CONFIG_FILE = /\.ya?ml$/i;

const OPTIONS = {
  artifacts: { type: "string" },
  reports: { type: "string" },
  name: { type: "string" },
  seeds: { type: "string" },
  "check-hashes": { type: "boolean" },
  "dry-run": { type: "boolean" },
  jobs: { type: "string" },
  executor: { type: "string" },
  partition: { type: "string" },
  time: { type: "string" },
  cpus: { type: "string" },
  // Not for users: what `run --jobs N` tells its worker processes (see jobs.ts), and
  // `run --executor slurm` its Slurm tasks (submission.ts).
  worker: { type: "string" },
  task: { type: "string" },
  granted: { type: "string" },
  json: { type: "boolean" },
} as const;
type Option = keyof typeof OPTIONS | "force";
/** Options only `run --jobs` gives its own worker processes: never listed, never suggested. */
const INTERNAL: Option[] = ["worker", "task", "granted"];
/** The most worker processes `--jobs` starts: more than any machine here has cores. */
export const MAX_JOBS = 64;

/** The options each command takes besides --artifacts and --reports (which all take). */
export const COMMAND_OPTIONS: Record<Command, Option[]> = {
  run: ["seeds", "force", "jobs", "executor", "partition", "time", "cpus"],
  report: ["seeds", "force", "jobs", "cpus"],
  compare: ["seeds", "name", "force", "json", "jobs", "cpus"],
  status: ["seeds", "json", "jobs", "cpus"],
  runs: ["json"],
  verify: ["seeds", "check-hashes", "jobs", "cpus"],
  gc: ["seeds", "dry-run"],
  trace: [],
};

/** What a command line asks for, checked: every name safe, every path absolute. */
export type CommandLine = ReturnType<typeof parseCommandLine>;

/**
 * Parse `<command> [args]`. `stageNames` are the registry's, for `--force <stage>` and
 * `verify <config> <stage>`. Every problem is one UserError line with the fix.
 */
export function parseCommandLine(argv: string[], stageNames: string[]) {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as Command)) {
    const guess = command ? closestWord(command, [...COMMANDS]) : undefined;
    if (guess) throw new UserError(`unknown command "${command}": did you mean "${guess}"?`);
    throw new UserError(usage());
  }
  const force = takeForce(command as Command, rest, stageNames);
  const { values, positionals: words } = parseOptions(command as Command, rest);
  // `a.b=value` words are overrides of every config named (trace takes none; to runs they
  // are filters).
  const configured = command !== "trace" && command !== "runs";
  const overrides = configured ? words.filter(isOverride).map(parseOverride) : [];
  const positionals = configured ? words.filter((word) => !isOverride(word)) : words;
  for (const given of Object.keys(values) as Option[]) {
    const internal = INTERNAL.includes(given) && command === "run";
    if (
      given !== "artifacts" && given !== "reports" && !internal &&
      !COMMAND_OPTIONS[command as Command].includes(given)
    ) {
      throw new UserError(`${command} does not take --${given}${optionsOf(command as Command)}`);
    }
  }
  // gc, runs and verify --check-hashes work on the whole store when no config is named.
  const wholeStore = command === "gc" || command === "runs" ||
    (command === "verify" && values["check-hashes"]);
  if (positionals.length === 0 && !wholeStore) {
    const what = command === "trace" ? "a figure file" : "a config file";
    throw new UserError(`${command} needs ${what}; see \`deno task ${command} --help\``);
  }
  // `verify <config>... [stage]`: a last positional that is not a YAML file names a stage.
  const last = positionals.at(-1)!;
  const namesStage = command === "verify" && positionals.length > 1 && !CONFIG_FILE.test(last);
  const only = namesStage ? positionals.pop() : undefined;
  if (only !== undefined && !stageNames.includes(only)) {
    throw new UserError(`unknown stage "${only}": stages are ${stageNames.join(", ")}`);
  }
  const artifacts = resolve(values.artifacts ?? DEFAULT_ARTIFACTS);
  const reports = resolve(values.reports ?? DEFAULT_REPORTS);
  checkFolders(artifacts, reports);
  return {
    command: command as Command,
    targets: positionals,
    target: positionals[0],
    overrides,
    force,
    only,
    name: values.name === undefined ? undefined : checkName(values.name, "--name"),
    seeds: values.seeds === undefined ? undefined : parseSeeds(values.seeds),
    jobs: values.jobs === undefined ? 1 : parseJobs(values.jobs),
    executor: executorFlags(values),
    worker: values.worker,
    task: values.task === undefined ? undefined : parseTask(values.task),
    granted: values.granted,
    checkHashes: values["check-hashes"] ?? false,
    dryRun: values["dry-run"] ?? false,
    json: values.json ?? false,
    artifacts,
    reports,
  };
}

/**
 * Take `--force`, `--force <stage>` or `--force=<stage>` out of `args`: every stage, or the
 * named ones. `report` renders from the store, so it can force only the report; `compare`
 * only re-renders the comparison.
 */
function takeForce(command: Command, args: string[], stageNames: string[]): "all" | Set<string> {
  const at = args.findIndex((a) => a === "--force" || a.startsWith("--force="));
  if (at < 0) return new Set();
  if (!COMMAND_OPTIONS[command].includes("force")) {
    throw new UserError(`${command} does not take --force${optionsOf(command)}`);
  }
  const inline = args[at].startsWith("--force=") ? args[at].slice("--force=".length) : undefined;
  const next = inline ?? args[at + 1];
  const isStage = next !== undefined && stageNames.includes(next);
  const looksLikeStage = next !== undefined && !next.startsWith("-") && !CONFIG_FILE.test(next);
  if (inline !== undefined || (looksLikeStage && !isStage)) {
    if (!isStage) {
      const guess = closestWord(next!, stageNames);
      const hint = guess ? `did you mean "${guess}"?` : `stages are ${stageNames.join(", ")}`;
      throw new UserError(`--force: unknown stage "${next}"; ${hint}`);
    }
  }
  args.splice(at, isStage && inline === undefined ? 2 : 1);
  const stages = isStage ? new Set([next!]) : "all";
  if (command === "report" && !(stages === "all" || stages.has("report"))) {
    throw new UserError(
      `report never trains: it can force only the report (--force or --force report); ` +
        `to re-run ${next}, use \`deno task run <config> --force ${next}\``,
    );
  }
  if (command === "compare" && stages !== "all") {
    throw new UserError("compare --force re-renders the comparison and takes no stage name");
  }
  return command === "report" ? new Set(["report"]) : stages;
}

/** `--jobs 2` → 2: a whole number of worker processes, 1 to MAX_JOBS. */
function parseJobs(text: string): number {
  if (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_JOBS) return Number(text);
  throw new UserError(
    `--jobs must be a whole number of worker processes from 1 to ${MAX_JOBS} (e.g. --jobs 2, ` +
      `one per core), got ${JSON.stringify(text)}`,
  );
}

/** `--executor`, `--partition`, `--time`, `--cpus`, each checked; --jobs runs here only. */
function executorFlags(values: Partial<Record<Option, string | boolean>>): ExecutorFlags {
  const text = (option: Option) => values[option] as string | undefined;
  const flags: ExecutorFlags = {};
  if (text("executor") !== undefined) flags.executor = parseExecutor(text("executor")!);
  if (text("partition") !== undefined) flags.partition = parsePartition(text("partition")!);
  if (text("time") !== undefined) flags.time = parseTime(text("time")!);
  if (text("cpus") !== undefined) flags.cpus = parseCpus(text("cpus")!);
  if (flags.executor === "slurm" && values.jobs !== undefined) {
    throw new UserError(
      "--jobs runs worker processes here, --executor slurm runs on the cluster: give one",
    );
  }
  return flags;
}

/** `--task=<submission dir>:<phase>:<index>` (a Slurm task's own option). */
function parseTask(text: string): { dir: string; phase: Phase; index: number } {
  const [index, phase, ...dir] = text.split(":").reverse();
  if (!/^\d+$/.test(index) || !PHASES.includes(phase as Phase) || dir.length === 0) {
    throw new Error(`internal: --task=${text} is not <dir>:<phase>:<index>`);
  }
  return { dir: dir.reverse().join(":"), phase: phase as Phase, index: Number(index) };
}

/** The store and the reports folder: folders (when they exist), and not one inside the other. */
function checkFolders(artifacts: string, reports: string): void {
  for (const [flag, path] of [["--artifacts", artifacts], ["--reports", reports]]) {
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(path);
    } catch { /* made when first needed */ }
    if (info && !info.isDirectory) {
      throw new UserError(`${flag} ${path} is a file, not a folder; name a folder`);
    }
  }
  const inside = (a: string, b: string) => a === b || a.startsWith(b + "/");
  if (inside(artifacts, reports) || inside(reports, artifacts)) {
    throw new UserError(
      `--artifacts ${artifacts} and --reports ${reports} overlap; give them separate folders`,
    );
  }
}

const optionsOf = (command: Command) => {
  const own = COMMAND_OPTIONS[command].map((o) => `--${o}`);
  return `; it takes ${[...own, "--artifacts", "--reports"].join(", ")}`;
};

/** node:util parseArgs, its TypeErrors turned into one line with a "did you mean". */
function parseOptions(command: Command, args: string[]) {
  try {
    return parseArgs({ args, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    const message = String((error as Error).message);
    const option = message.match(/'(-{1,2}[^' ]+)/)?.[1];
    if (/^Unknown option/.test(message)) {
      const own = [...COMMAND_OPTIONS[command], "artifacts", "reports"].map((o) => `--${o}`);
      const guess = option ? closestWord(option, own) : undefined;
      const hint = guess
        ? `did you mean ${guess}?`
        : `${command} takes ${own.join(", ")}; see \`deno task ${command} --help\``;
      throw new UserError(`${command}: unknown option ${option}; ${hint}`);
    }
    // A missing value, or one that starts with "-" (`--seeds -1`).
    const name = message.match(/'(--[a-z-]+)/)?.[1] ?? option ?? "an option";
    throw new UserError(
      `${name} needs a value after it (a value that starts with "-" goes as ${name}=<value>)`,
    );
  }
}
