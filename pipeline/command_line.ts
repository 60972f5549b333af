/**
 * The command line of `deno task <command>`: the commands, their options, and the usage
 * text. Parsed once, by the CLI and by the launcher that sets up its permissions.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { closestWord } from "./did_you_mean.ts";
import { UserError } from "./errors.ts";
import { checkName } from "./names.ts";
import { parseSeeds } from "./seeds.ts";

export const PROJECT_ROOT = resolve(new URL("..", import.meta.url).pathname);

export const USAGE = `usage:
  deno task run <config.yaml>... [--force [stage]]  run every stage, reusing cached ones
  deno task report <config.yaml>...                 render reports from cached artifacts only
  deno task compare <config.yaml>... [--name n]     cached runs side by side: table and figures
  deno task status <config.yaml>...                 each stage: cached, or stale and why
  deno task verify <config.yaml>... [stage]         re-run stages and compare with the cache
  deno task verify --check-hashes [config.yaml...]  rehash stored entries, reports, checkpoints
  deno task gc [--dry-run] [config.yaml...]         remove what no config or report reaches
  deno task trace <figure file>                     print a figure's lineage
options:
  --artifacts <dir>   artifact store (default: artifacts/ in the project)
  --reports <dir>     where reports are copied (default: reports/ in the project)
  --name <name>       compare: the report folder's name (default: comparison)
  --dry-run           gc: list what would be removed, remove nothing
  --seeds 0,1,2       every config once per seed (runs named <config>-seed<N>); compare
                      then adds each config's mean ± sd over its seeds`;

export const COMMANDS = ["run", "report", "status", "verify", "trace", "compare", "gc"] as const;
type Command = (typeof COMMANDS)[number];

/** What a command line asks for, checked: every name safe, every path absolute. */
export type CommandLine = ReturnType<typeof parseCommandLine>;

/**
 * Parse `<command> [args]`. `stageNames` are the registry's, for `--force <stage>` and
 * `verify <config> <stage>`. Every problem is one UserError line with the fix.
 */
export function parseCommandLine(argv: string[], stageNames: string[]) {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as Command)) throw new UserError(USAGE);
  // `--force` alone means every stage; `--force train` means that stage.
  const forceAt = rest.indexOf("--force");
  let force: "all" | Set<string> = new Set();
  if (forceAt >= 0) {
    const next = rest[forceAt + 1];
    const named = next !== undefined && stageNames.includes(next);
    force = named ? new Set([next]) : "all";
    rest.splice(forceAt, named ? 2 : 1);
  }
  const { values, positionals } = parseOptions(rest);
  // gc and verify --check-hashes work on the whole store when no config is named.
  const wholeStore = command === "gc" || (command === "verify" && values["check-hashes"]);
  if (positionals.length === 0 && !wholeStore) {
    throw new UserError(`missing ${command === "trace" ? "figure" : "config"} file\n${USAGE}`);
  }
  // `verify <config>... [stage]`: a last positional that is not a YAML file names a stage.
  const last = positionals.at(-1)!;
  const namesStage = command === "verify" && positionals.length > 1 && !/\.ya?ml$/.test(last);
  const only = namesStage ? positionals.pop() : undefined;
  if (only !== undefined && !stageNames.includes(only)) {
    throw new UserError(`unknown stage "${only}": stages are ${stageNames.join(", ")}`);
  }
  return {
    command: command as Command,
    targets: positionals,
    target: positionals[0],
    force,
    only,
    name: values.name === undefined ? undefined : checkName(values.name, "--name"),
    seeds: values.seeds === undefined ? undefined : parseSeeds(values.seeds),
    checkHashes: values["check-hashes"] ?? false,
    dryRun: values["dry-run"] ?? false,
    artifacts: resolve(values.artifacts ?? join(PROJECT_ROOT, "artifacts")),
    reports: resolve(values.reports ?? join(PROJECT_ROOT, "reports")),
  };
}

const OPTIONS = {
  artifacts: { type: "string" },
  reports: { type: "string" },
  name: { type: "string" },
  seeds: { type: "string" },
  "check-hashes": { type: "boolean" },
  "dry-run": { type: "boolean" },
} as const;

/** node:util parseArgs, its TypeErrors turned into one line with a "did you mean". */
function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    const option = String((error as Error).message).match(/'(-{1,2}[^' ]+)/)?.[1];
    const known = Object.keys(OPTIONS).map((o) => `--${o}`).concat("--force");
    const guess = option ? closestWord(option, known) : undefined;
    const hint = guess ? `did you mean ${guess}?` : `options are ${known.join(", ")}`;
    const what = (error as Error).message.split("\n")[0].replace(/\. To specify.*$/, "");
    throw new UserError(`${what.replace(/\.$/, "")}; ${hint}`);
  }
}
