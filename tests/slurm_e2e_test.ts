/**
 * A sweep on a real Slurm cluster (tests/slurm/cluster.sh brings one up on this machine):
 * `run --executor slurm` submits, a task warned of its time limit is requeued and resumes
 * from its checkpoint, a cancelled task resumes when run again, every cell ends done with
 * each key computed once, and the store holds the same keys and bytes as a local run of the
 * same sweep. Skipped when no cluster answers, unless
 * REQUIRE_SLURM=1 (CI), which fails instead.
 */
import { join } from "node:path";
import { assert_, assertEquals, assertIncludes } from "../pipeline/test_assert.ts";
import { tempDir } from "../pipeline/stage_testing.ts";
import { cli } from "./cli_testing.ts";

const FIXTURE = join(Deno.cwd(), "tests/fixtures/synthetic.yaml");
/** Long enough a training to cancel one mid-way; a BLAS thread per task, as --cpus 1 says. */
const STUDY = `extends: ${FIXTURE}
train: { epochs: 40 }
sweep:
  baseline: kl
  variants:
    kl: {}
    sep:
      set: { loss.regularizer: separate-l2 }
      grid: { loss.wSigma: [0.25, 1] }
`;

/** Whether a Slurm cluster answers here (squeue runs and succeeds). */
async function clusterAnswers(): Promise<boolean> {
  try {
    const out = await new Deno.Command("squeue", { args: ["-h"], stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

const required = !["", "0"].includes(Deno.env.get("REQUIRE_SLURM") ?? "");
const available = await clusterAnswers();
if (!available && !required) {
  console.log("slurm e2e: skipped, no Slurm cluster answers (tests/slurm/cluster.sh start)");
}

/** Run a Slurm command, its stdout. */
async function slurm(command: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.success ? out.stdout : out.stderr);
  assert_(out.success, `${command} ${args.join(" ")}: ${text}`);
  return text;
}

/** Poll `check` every half second until it returns a value, for at most `seconds`. */
async function until<T>(what: string, seconds: number, check: () => Promise<T | undefined>) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const found = await check();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

/** The job ids a submission printed (`submitted cells  slurm job 17: …`). */
const jobIds = (stdout: string) =>
  [...stdout.matchAll(/^submitted \w+ +slurm job (\d+):/gm)].map((m) => m[1]);

/** Wait until none of `jobs` is pending or running. */
const settled = (jobs: string[]) =>
  until(`slurm jobs ${jobs} to end`, 240, async () => {
    const states = await slurm("squeue", "-h", "-r", "-j", jobs.join(","), "-o", "%T");
    return /PENDING|RUNNING|COMPLETING|CONFIGURING|REQUEUED/.test(states) ? undefined : true;
  });

/** The stage keys (`stage/key`) in a store. */
async function storeKeys(store: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const stage of Deno.readDir(store)) {
    if (stage.name.startsWith(".") || !stage.isDirectory) continue;
    for await (const key of Deno.readDir(join(store, stage.name))) {
      keys.push(`${stage.name}/${key.name}`);
    }
  }
  return keys.sort();
}

/** Every `<stage> <key8>  ran in` line of every task log of every submission. */
async function ranInLogs(store: string): Promise<string[]> {
  const ran: string[] = [];
  for await (const submission of Deno.readDir(join(store, ".runs"))) {
    const logs = join(store, ".runs", submission.name, "logs");
    for await (const log of Deno.readDir(logs)) {
      const text = await Deno.readTextFile(join(logs, log.name));
      for (const m of text.matchAll(/^(\w+) +([0-9a-f]{8}) {2}ran in /gm)) {
        ran.push(`${m[1]} ${m[2]}`);
      }
    }
  }
  return ran;
}

Deno.test({
  name:
    "slurm: a sweep submitted, a task requeued, one cancelled and resumed, the same keys and bytes as here",
  ignore: !available && !required,
  async fn() {
    assert_(available, "REQUIRE_SLURM is set but no Slurm cluster answers (squeue -h failed)");
    const dir = await tempDir("slurm-e2e-");
    const config = join(dir, "study.yaml");
    const [local, cluster] = [join(dir, "local"), join(dir, "cluster")];
    const folders = (
      root: string,
    ) => ["--artifacts", join(root, "a"), "--reports", join(root, "r")];
    const submitted: string[] = [];
    try {
      await Deno.writeTextFile(config, STUDY);
      const here = await cli("run", config, "--cpus", "1", ...folders(local));
      assertEquals(here.code, 0, here.stderr + here.stdout);

      const submit = () =>
        cli("run", config, "--executor", "slurm", "--cpus", "1", ...folders(cluster));
      const first = await submit();
      assertEquals(first.code, 0, first.stderr + first.stdout);
      const jobs = jobIds(first.stdout);
      submitted.push(...jobs);
      assertEquals(jobs.length, 3, first.stdout); // shared, cells, sweeps
      const [, cells] = jobs;

      // Two cells train at once (two cores, one each). Cell 0 is cancelled outright. The time
      // limit's warning (USR1 to the batch script) stops cell 1, which Slurm requeues; Slurm
      // holds a requeued task for two minutes, which `scontrol update` shortens.
      const runs = join(cluster, "a", ".runs");
      const [submission] = await Array.fromAsync(Deno.readDir(runs));
      const log = (task: number) => join(runs, submission.name, "logs", `cells-${task}.log`);
      const trained = (task: number) =>
        until(`cell ${task} to train 4 epochs`, 120, async () => {
          const text = await Deno.readTextFile(log(task)).catch(() => "");
          return /epoch 4\/40/.test(text) ? true : undefined;
        });
      await trained(0);
      await slurm("scancel", `${cells}_0`);
      await trained(1);
      await slurm("scancel", "--signal=USR1", "--batch", `${cells}_1`);
      await until("cell 1 to be requeued", 60, async () => {
        const state = await slurm("squeue", "-h", "-j", `${cells}_1`, "-o", "%T %r");
        return /PENDING BeginTime/.test(state) ? true : undefined;
      });
      // Not at once: slurmd refuses a job it killed moments ago ("credential revoked").
      await slurm("scontrol", "update", `JobId=${cells}_1`, "StartTime=now+10");
      await settled(jobs);
      const requeued = await Deno.readTextFile(log(1));
      assertIncludes(requeued, `slurm job ${cells}_1, attempt 1,`);
      assertIncludes(requeued, "train: resuming after epoch ");
      const status = await cli("status", config, "--cpus", "1", ...folders(cluster));
      assertIncludes(
        status.stdout,
        `study/kl  failed: train missing (and 2 later stages) (slurm job ${cells}_0 CANCELLED, exit code 143; log `,
      );
      assertIncludes(status.stdout, "study: 3 cells: 2 done, 0 stale, 0 missing, 1 failed");
      const json = await cli("status", config, "--cpus", "1", "--json", ...folders(cluster));
      const kl = JSON.parse(json.stdout).find((run: { name: string }) => run.name === "study/kl");
      const train = kl.stages.find((stage: { stage: string }) => stage.stage === "train");
      assertEquals([train.slurm.job, train.slurm.state], [`${cells}_0`, "failed"]);

      // Run again: only the cancelled cell and the sweep's report are submitted; it resumes.
      const second = await submit();
      assertEquals(second.code, 0, second.stderr + second.stdout);
      const again = jobIds(second.stdout);
      submitted.push(...again);
      assertIncludes(second.stdout, "submitted cells  slurm job");
      assertIncludes(second.stdout, ": 1 task, ");
      await settled(again);
      const resumed = join(
        runs,
        (await Array.fromAsync(Deno.readDir(runs)))
          .map((e) => e.name).sort().at(-1)!,
        "logs",
        "cells-0.log",
      );
      assertIncludes(await Deno.readTextFile(resumed), "train: resuming after epoch ");
      const done = await cli("status", config, "--cpus", "1", ...folders(cluster));
      assertIncludes(done.stdout, "study: 3 cells: 3 done, 0 stale, 0 missing\n");

      // Each key computed once, across every task of both submissions.
      const ran = await ranInLogs(join(cluster, "a"));
      assertEquals(ran.length, new Set(ran).size, `a key computed twice: ${ran}`);
      assertEquals(ran.filter((r) => r.startsWith("prepare ")).length, 1);
      // The same keys, and the same bytes, as the run here.
      const keys = await storeKeys(join(local, "a"));
      assertEquals(await storeKeys(join(cluster, "a")), keys);
      // Every file of every entry: the sweep's report aside, which copies each cell's report
      // with its manifest (its timings).
      for (const key of keys.filter((k) => !k.startsWith("sweep/"))) {
        await assertSameFilesBut(join(local, "a", key), join(cluster, "a", key));
      }

      // A task whose key is no longer the planned one (the config edited since) computes
      // nothing and says what changed.
      await Deno.writeTextFile(config, STUDY.replace("epochs: 40", "epochs: 41"));
      const latest = (await Array.fromAsync(Deno.readDir(runs))).map((e) => e.name).sort().at(-1)!;
      const task = `--task=${join(runs, latest)}:cells:0`;
      const edited = await cli(
        "run",
        config,
        "--executor",
        "slurm",
        "--cpus",
        "1",
        ...folders(cluster),
        task,
      );
      assertEquals(edited.code, 1, edited.stdout);
      assertIncludes(edited.stderr, "planned at submission (param train.epochs 40 → 41)");
    } finally {
      if (submitted.length) await slurm("scancel", ...submitted).catch(() => {});
      if (submitted.length) await settled(submitted).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The same files and bytes, but for the manifest (it holds timings and the run's host). */
async function assertSameFilesBut(a: string, b: string): Promise<void> {
  const manifest = (dir: string) => Deno.readTextFile(join(dir, "manifest.json")).then(JSON.parse);
  const [x, y] = await Promise.all([manifest(a), manifest(b)]);
  assertEquals(y.files, x.files, a);
}
