/**
 * What a stage is to the engine: the function it runs (StageFn), what it is handed
 * (StageContext), and the registry's row that keys and loads it (StageSpec).
 */
import type { ResumePoint } from "./interrupt.ts";
import type { StartProgress } from "./progress.ts";

/** What the runner hands a stage: everything it may read, and the one place it may write. */
export interface StageContext<P = unknown> {
  /** The slice of the resolved config this stage is keyed on (see the registry). */
  params: P;
  /** Upstream stage name → that stage's published artifact directory (read only). */
  inputs: Record<string, string>;
  /** Upstream stage name → its artifact key (for provenance in figures and reports). */
  inputKeys: Record<string, string>;
  /** Write every output here: a fresh temp dir, published atomically when the stage returns. */
  outDir: string;
  /**
   * Scratch space that survives a crash, private to this stage key: a stage keeps resumable
   * checkpoints here. It is deleted once the artifact is published.
   */
  workDir: string;
  /** The config seed; every random draw in the stage derives from it. */
  seed: number;
  /** One line of human-readable log (the CLI decides where it goes). */
  log: (line: string) => void;
  /**
   * Note a fact about this run that is not a result (timings, throughput): it goes into
   * the manifest's `runInfo`, so the artifact's files stay byte-identical across runs.
   */
  record: (name: string, value: unknown) => void;
  /**
   * Start a progress indicator for `total` steps of a long loop, or of a stage's few named
   * phases (`{ phases: true }`). It only shows: nothing it is told reaches the artifact.
   */
  progress: StartProgress;
  /**
   * Say where this stage would resume if interrupted now (`after epoch 3 of 30`), or give a
   * function that reads it from the checkpoint in `workDir` when asked; the CLI prints it on
   * Ctrl-C or SIGTERM. Absent where resuming means nothing (a verifying re-run, a context
   * built by hand in a test).
   */
  resumePoint?: (where: ResumePoint) => void;
}

/** A stage is one async function that turns its inputs into files in `outDir`. */
export type StageFn<P = unknown> = (ctx: StageContext<P>) => Promise<void>;

/** One row of the stage table: how to key a stage and how to load it (lazily). */
/**
 * What a run is of, as far as the engine reads it: its name (for messages and report
 * folders) and seed (for manifests). Everything else in a config is the stages' business:
 * they declare its schema, and the engine hands the whole value to their spec's functions
 * and records it in manifests as the resolved config. (For `compare`, a set of configs.)
 */
export interface RunConfig {
  name: string;
  seed: number;
}

export interface StageSpec<C extends RunConfig = RunConfig> {
  name: string;
  /** The stage's module; its transitive project imports form its code fingerprint. */
  module: URL;
  /**
   * Upstream stages whose artifact keys feed this one. An upstream stage that does not run
   * for the config (see `when`) is left out, so it joins neither the inputs nor the key.
   */
  after: string[];
  /** Whether the stage runs for this config at all (default: always). */
  when?: (config: C) => boolean;
  /** When it runs, for a message naming it where it does not: "it runs only for …". */
  whenSays?: string;
  /** The part of the config this stage's results depend on, and nothing else. */
  params: (config: C) => unknown;
  /** Files outside the project the stage reads (data sets); their bytes join the key. */
  externalFiles?: (config: C) => { path: string; yamlPath: string }[];
  /**
   * Its artifact is a report, published as a folder under reports/ (`report` for one config,
   * `compare` for several): `trace` follows figures from it, publishing copies it.
   */
  publishes?: boolean;
  /**
   * What a terminal shows of the stage's artifact `dir` once it ran, laid out to `columns`
   * (compare's tables); undefined where the stage has nothing of the kind.
   */
  terminalSummary?: (dir: string, columns: number) => Promise<string | undefined>;
  /** Import the stage only when it runs, so cached runs never load tfjs. */
  load: () => Promise<StageFn>;
  /**
   * What is wrong with a resume point the stage left in its work dir (empty when intact),
   * for `verify --check-hashes`; only stages that checkpoint have one.
   */
  checkWork?: (workDir: string) => Promise<string[]>;
}
