/**
 * What each command does and takes, in one place: the top-level usage, `deno task <command>
 * --help`, and the list of options an unknown flag is matched against all come from here.
 */

/** An option a command takes: its flag (with the value it wants) and what it does. */
interface OptionHelp {
  flag: string;
  says: string;
}

interface CommandHelp {
  /** The arguments after `deno task <command>`. */
  synopsis: string;
  /** One line, for the top-level usage. */
  summary: string;
  /** What a researcher needs to know beyond the summary. */
  details: string[];
  options: OptionHelp[];
  examples: string[];
}

const SEEDS: OptionHelp = {
  flag: "--seeds 0,1,2",
  says: "every config once per seed (runs named <config>-seed<N>)",
};
const JOBS: OptionHelp = {
  flag: "--jobs N",
  says: "N worker processes, each BLAS on 1/N of the cores (a key input: see above)",
};
const CPUS: OptionHelp = {
  flag: "--cpus N",
  says: "the cores each Slurm task had (run --executor slurm --cpus N): its BLAS threads",
};
/** Command-line overrides and sweeps, said the same way in every command's help. */
const OVERRIDES = [
  "Words like loss.beta=4 override the configs' keys (a YAML path, '=', a YAML value);",
  "loss.beta=1,2,4 sweeps one (a run per value). A config with a `sweep:` block (see",
  "configs/sweeps/) is a whole study: its cells run as ordinary runs named",
  "<sweep>/<variant>/<axis>=<value>/seed<N>; its report is <reports>/<sweep>/.",
  "--jobs N gives each worker's BLAS 1/N of the cores, and the thread count joins the keys:",
  "give status, report and compare the same --jobs as run to find those runs.",
];
const JSON_OUT: OptionHelp = {
  flag: "--json",
  says: "print JSON on stdout (progress and notes go to stderr), for jq",
};
const FORCE_ALL: OptionHelp = {
  flag: "--force [stage]",
  says: "re-run every stage, or only the one named, even when cached",
};

/** Options every command takes. */
export const COMMON_OPTIONS: OptionHelp[] = [
  { flag: "--artifacts <dir>", says: "the artifact store (default: artifacts/ in the project)" },
  {
    flag: "--reports <dir>",
    says: "where reports are published (default: reports/ in the project)",
  },
  { flag: "--help, -h", says: "this help" },
];

export const HELP = {
  run: {
    synopsis: "<config.yaml>... [key=value...] [--force [stage]] [--seeds 0,1,2] [--jobs N] " +
      "[--executor slurm]",
    summary: "run every stage of the configs, reusing cached ones; publish each report",
    details: [
      "Stages: prepare (the data split), classify (the classifier: CVAEs' sample accuracy,",
      "every model's Fréchet distance), train, evaluate, report. A stage whose key (params,",
      "inputs, code, runtime) is in the store is reused; the report is published to",
      "<reports>/<config name>/index.html. An interrupted run, run again, reuses every",
      "finished stage and resumes a training from its last whole epoch.",
      ...OVERRIDES,
      "--executor slurm plans here and submits the missing stages to Slurm as job arrays",
      "(the shared stages, then each run's own, then the sweep reports), then returns:",
      "`deno task status` says what each task is doing; run again to resubmit what failed.",
      "A config's `executor:` block can say the same (kind, partition, time, cpus).",
    ],
    options: [
      FORCE_ALL,
      SEEDS,
      JOBS,
      { flag: "--executor slurm", says: "submit to a Slurm cluster (default: local, run here)" },
      { flag: "--partition P", says: "the Slurm partition (default: the cluster's)" },
      { flag: "--time T", says: "each task's time limit (90, 2:00:00, 1-12)" },
      { flag: "--cpus N", says: "cores per task, its BLAS threads (default: the config's)" },
    ],
    examples: [
      "deno task run configs/cvae.yaml",
      "deno task run configs/vae.yaml train.epochs=5 loss.beta=1,2,4",
      "deno task run configs/sweeps/loss-balance.yaml --jobs 2",
      "deno task run configs/sweeps/loss-balance.yaml --executor slurm --time 1:00:00",
      "deno task run configs/vae.yaml --force evaluate",
    ],
  },
  report: {
    synopsis: "<config.yaml>... [key=value...] [--force] [--seeds 0,1,2] [--jobs N]",
    summary: "render reports from cached artifacts only (never trains)",
    details: [
      "Every stage before the report must be in the store; if one is not, the error names",
      "the command that makes it.",
      ...OVERRIDES,
    ],
    options: [
      { flag: "--force", says: "render the report again even if it is cached" },
      SEEDS,
      JOBS,
      CPUS,
    ],
    examples: ["deno task report configs/cvae.yaml"],
  },
  compare: {
    synopsis: "<config.yaml>... [key=value...] [--name <name>] [--force] [--seeds 0,1,2]",
    summary: "cached runs side by side: a table and figures in <reports>/<name>/",
    details: [
      "Reads the runs from the store (run them first). With --seeds, each config's row is",
      "its mean ± sd over the seeds. --json prints {key, report, columns, rows}: every",
      "column of the comparison (comparison.csv), each row's cells by column head, as text.",
      ...OVERRIDES,
    ],
    options: [
      { flag: "--name <name>", says: "the report folder's name (default: comparison)" },
      { flag: "--force", says: "render the comparison again even if it is cached" },
      SEEDS,
      JOBS,
      CPUS,
      JSON_OUT,
    ],
    examples: [
      "deno task compare configs/vae.yaml configs/cvae.yaml configs/ae.yaml --name defaults",
      "deno task compare configs/vae.yaml loss.beta=1,4 --seeds 0,1,2",
    ],
  },
  status: {
    synopsis: "<config.yaml>... [key=value...] [--seeds 0,1,2] [--jobs N] [--json]",
    summary: "each stage of the configs: cached, or stale and why",
    details: [
      "A sweep shows one line per cell (done, or its first stage that is missing or stale",
      "and why) and a count at the end. Exit status 1 when a stored entry is corrupt.",
      "--json prints one object per run: {name, config, seed, stages: [{stage, key, state,",
      "why}]}, state cached, stale or corrupt. A stage submitted to Slurm (run --executor",
      "slurm) also says what its task is doing: queued, running or failed, with its log",
      "(--json: slurm: {job, state, detail}).",
      ...OVERRIDES,
    ],
    options: [SEEDS, JOBS, CPUS, JSON_OUT],
    examples: [
      "deno task status configs/vae.yaml --json",
      "deno task status configs/sweeps/loss-balance.yaml --jobs 2",
    ],
  },
  runs: {
    synopsis: "[filter...] [--json]",
    summary: "every evaluated run in the store: name, overrides, seed, metrics, keys, when",
    details: [
      "One row per evaluate entry of the store, oldest first (the newest beside the prompt);",
      "corrupt entries are skipped with a note on stderr. A run is listed when every filter",
      "keeps it:",
      "  vae            its name contains vae",
      "  'beta-*'       its whole name matches the glob (* any characters, ? one)",
      "  loss.beta=4    its resolved config holds 4 at loss.beta (a YAML value, as overrides)",
      "  loss.beta=1,4  … holds one of the values",
      "--json prints an array of {name, config, overrides, seed, metrics, keys: {evaluate,",
      "train}, endedAt}: full keys, every metric by its metrics.json key (null: not applicable).",
    ],
    options: [JSON_OUT],
    examples: [
      "deno task runs",
      "deno task runs loss-balance/ loss.regularizer=separate-l2",
      "deno task runs --json | jq '.[] | {name, negElbo: .metrics.negElbo}'",
    ],
  },
  verify: {
    synopsis: "<config.yaml>... [stage] | --check-hashes [config.yaml...]",
    summary: "re-run stages and compare their bytes with the store",
    details: [
      "Without a stage, every stage of the configs is re-run in a scratch store and",
      "compared byte for byte. --check-hashes re-hashes stored entries, published reports",
      "and checkpoints without running anything (the whole store when no config is named).",
      ...OVERRIDES,
    ],
    options: [
      { flag: "--check-hashes", says: "rehash what is stored instead of re-running" },
      SEEDS,
      JOBS,
      CPUS,
    ],
    examples: ["deno task verify configs/vae.yaml train", "deno task verify --check-hashes"],
  },
  gc: {
    synopsis: "[--dry-run] [config.yaml...]",
    summary: "remove what no given config nor published report reaches",
    details: [
      "Keeps every entry the named configs' plans reach, everything a published report",
      "traces to, and whatever a live run holds.",
    ],
    options: [{ flag: "--dry-run", says: "list what would be removed, remove nothing" }, SEEDS],
    examples: ["deno task gc --dry-run configs/*.yaml"],
  },
  trace: {
    synopsis: "<figure file>",
    summary: "print a figure's lineage: report, evaluate, train, prepare, with keys",
    details: [
      "Accepts a figure's .svg, .png, .csv or .vl.json from a report folder. Exit status 1",
      "when the figure was edited or a stage of its lineage is missing or corrupt.",
    ],
    options: [],
    examples: ["deno task trace reports/cvae/figures/latent.svg"],
  },
} satisfies Record<string, CommandHelp>;

export type Command = keyof typeof HELP;
export const COMMANDS = Object.keys(HELP) as Command[];

/** The top-level usage: every command with one line, then the common options. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.length));
  return [
    "usage: deno task <command> [arguments] [options]",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.padEnd(width)}  ${HELP[c].summary}`),
    "",
    "options of every command:",
    ...optionLines(COMMON_OPTIONS),
    "",
    "`deno task <command> --help` says more; `deno task` lists every task.",
  ].join("\n");
}

/** `deno task <command> --help`. */
export function commandHelp(command: Command): string {
  const help: CommandHelp = HELP[command];
  return [
    `usage: deno task ${command} ${help.synopsis}`,
    "",
    help.summary[0].toUpperCase() + help.summary.slice(1) + ".",
    ...help.details,
    "",
    "options:",
    ...optionLines([...help.options, ...COMMON_OPTIONS]),
    "",
    "examples:",
    ...help.examples.map((e) => `  ${e}`),
  ].join("\n");
}

function optionLines(options: OptionHelp[]): string[] {
  const width = Math.max(...options.map((o) => o.flag.length));
  return options.map((o) => `  ${o.flag.padEnd(width)}  ${o.says}`);
}

/**
 * The help a command line asks for, or undefined: no command, `help [command]`, or `--help`
 * / `-h` anywhere (before `--`). An unknown command's help is the top-level usage.
 */
export function helpRequested(argv: string[]): string | undefined {
  const [first, ...rest] = argv;
  const end = rest.indexOf("--");
  const words = end < 0 ? rest : rest.slice(0, end);
  const asks = (w: string) => w === "--help" || w === "-h";
  const isCommand = (w: string | undefined): w is Command => COMMANDS.includes(w as Command);
  if (first === undefined || asks(first)) return usage();
  if (first === "help") return isCommand(rest[0]) ? commandHelp(rest[0]) : usage();
  if (!words.some(asks)) return undefined;
  return isCommand(first) ? commandHelp(first) : usage();
}
