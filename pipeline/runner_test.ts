import { join } from "node:path";
import { pathToFileURL as toFileUrl } from "node:url";
import { configSchema, type ResolvedConfig } from "../stages/registry.ts";
import { readModuleGraph } from "./fingerprint.ts";
import { silentProgress } from "./progress.ts";
import { planStages } from "./plan.ts";
import { type RunEnv, runPlan } from "./runner.ts";
import { explainChange, previousRun } from "./staleness.ts";
import type { StageFn, StageSpec } from "./stage.ts";
import { ArtifactStore } from "./store.ts";
import { listFiles } from "./folders.ts";
import {
  assert_,
  assertEquals,
  assertIncludes,
  assertNotEquals,
  assertRejects,
} from "./test_assert.ts";
import { tempDir } from "./stage_testing.ts";
import { UserError } from "./errors.ts";
import { sha256 } from "./hash.ts";
import { projectVersion } from "./project_version.ts";

/**
 * A throwaway project with two stages: `first` imports helper_first.ts, `second` imports
 * helper_second.ts and consumes `first`'s output; unrelated.ts is imported by neither.
 */
async function makeProject() {
  const root = await tempDir("runner-test-");
  const files: Record<string, string> = {
    "helper_first.ts": "export const scale = 2;\n",
    "helper_second.ts": "export const suffix = '!';\n",
    "unrelated.ts": "export const nothing = 0;\n",
    "types.ts": "export interface Shape { side: number }\n",
    "first.ts": `import { scale } from "./helper_first.ts";
import type { Shape } from "./types.ts";
export const unit: Shape = { side: 1 };
export async function first(ctx: { params: { value: number }; outDir: string }) {
  await Deno.writeTextFile(ctx.outDir + "/value.txt", String(ctx.params.value * scale));
  if (ctx.params.value < 0) throw new Error("injected failure after a partial write");
}
`,
    "second.ts": `import { suffix } from "./helper_second.ts";
export async function second(ctx: { inputs: Record<string, string>; outDir: string }) {
  const value = await Deno.readTextFile(ctx.inputs.first + "/value.txt");
  await Deno.mkdir(ctx.outDir + "/nested");
  await Deno.writeTextFile(ctx.outDir + "/nested/out.txt", value + suffix);
}
`,
    "registry.ts":
      `export const load = [() => import("./first.ts"), () => import("./second.ts")];\n`,
  };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(root, name), text);
  }
  const url = (name: string) => toFileUrl(join(root, name));
  let runs: string[] = [];
  const counting = (name: string): () => Promise<StageFn> => async () => {
    const module = await import(`${url(`${name}.ts`).href}?v=${Date.now()}`);
    return async (ctx) => {
      runs.push(name);
      await module[name](ctx);
    };
  };
  const stages: StageSpec<ResolvedConfig>[] = [
    {
      name: "first",
      module: url("first.ts"),
      after: [],
      params: (c) => ({ value: c.seed }),
      load: counting("first"),
    },
    {
      name: "second",
      module: url("second.ts"),
      after: ["first"],
      params: (c) => ({ model: c.model, backend: c.backend }),
      load: counting("second"),
    },
  ];
  const lines: string[] = [];
  const makeEnv = async (): Promise<RunEnv> => ({
    store: new ArtifactStore(join(root, "artifacts")),
    graph: await readModuleGraph(url("registry.ts")),
    projectRoot: root,
    configPath: "test.yaml",
    status: (line) => lines.push(line),
    log: () => {},
    progress: silentProgress,
  });
  return {
    root,
    stages,
    lines,
    makeEnv,
    takeRuns: () => [runs, runs = []][0],
    edit: (name: string, text: string) => Deno.writeTextFile(join(root, name), text),
  };
}

function config(overrides: Record<string, unknown> = {}): ResolvedConfig {
  return { ...configSchema.parse(overrides), name: "test" };
}

async function keys(project: Awaited<ReturnType<typeof makeProject>>, c = config()) {
  const plan = await planStages(c, project.stages, await project.makeEnv());
  return plan.map((p) => p.key);
}

Deno.test("keys change exactly when a param, an input, imported code or a version changes", async () => {
  const project = await makeProject();
  const [first, second] = await keys(project);
  assertEquals(await keys(project), [first, second], "planning twice gives the same keys");

  // A param of `first` changes `first`, and `second` through its input key.
  const [first2, second2] = await keys(project, config({ seed: 5 }));
  assertNotEquals(first2, first);
  assertNotEquals(second2, second);

  // A param only `second` reads leaves `first` alone.
  const [first3, second3] = await keys(project, config({ model: { latentDim: 9 } }));
  assertEquals(first3, first);
  assertNotEquals(second3, second);

  // The config's name and anything outside a stage's params are not part of any key.
  const renamed = { ...config({ train: { epochs: 99 } }), name: "other" };
  assertEquals(await keys(project, renamed), [first, second]);

  // The backend enters only the key of a stage whose params hold it.
  const [first4, second4] = await keys(project, config({ backend: "cpu" }));
  assertEquals(first4, first);
  assertNotEquals(second4, second);

  // Editing a file nobody imports changes nothing; editing second's helper changes only second.
  await project.edit("unrelated.ts", "export const nothing = 1;\n");
  assertEquals(await keys(project), [first, second]);
  // A type-only import is erased before running: editing it cannot change a result.
  await project.edit("types.ts", "export interface Shape { side: number; name?: string }\n");
  assertEquals(await keys(project), [first, second]);
  await project.edit("helper_second.ts", "export const suffix = '?';\n");
  const [first5, second5] = await keys(project);
  assertEquals(first5, first);
  assertNotEquals(second5, second);

  // A different Deno version changes every key.
  const env = { ...await project.makeEnv(), denoVersion: "0.0.0-test" };
  const plan = await planStages(config(), project.stages, env);
  assertNotEquals(plan[0].key, first5);
});

Deno.test("a data file joins the key by its config key and bytes, not by where it lies", async () => {
  const project = await makeProject();
  const [a, b] = [join(project.root, "a"), join(project.root, "b")];
  for (const dir of [a, b]) {
    await Deno.mkdir(dir);
    await Deno.writeTextFile(join(dir, "data.csv"), "x\n1\n");
  }
  const reading = (dir: string) =>
    project.stages.map((s, i) =>
      i === 0
        ? {
          ...s,
          externalFiles: () => [{ path: join(dir, "data.csv"), yamlPath: "data.csv.path" }],
        }
        : s
    );
  const env = await project.makeEnv();
  const key = async (dir: string) => (await planStages(config(), reading(dir), env))[0].key;
  const [inA, inB] = [await key(a), await key(b)];
  assertEquals(inA, inB, "the same bytes elsewhere (another checkout) keep the key");
  await Deno.writeTextFile(join(b, "data.csv"), "x\n2\n");
  assertNotEquals(await key(b), inA, "new bytes change the key");
});

Deno.test("a data file swapped while the stage reads it publishes nothing under the old key", async () => {
  const project = await makeProject();
  const env = await project.makeEnv();
  const data = join(project.root, "x.csv");
  await Deno.writeTextFile(data, "x\nA\n");
  // A stage that reads its data file, and (the first time) swaps it for other bytes mid-run.
  let swap = true;
  const reading: StageSpec<ResolvedConfig> = {
    ...project.stages[0],
    externalFiles: () => [{ path: data, yamlPath: "data.csv.path" }],
    load: () =>
      Promise.resolve(async (ctx) => {
        const read = await Deno.readTextFile(data);
        if (swap) await Deno.writeTextFile(data, "x\nB\n");
        await Deno.writeTextFile(join(ctx.outDir, "value.txt"), read);
        await Deno.writeTextFile(join(ctx.workDir, "checkpoint.txt"), read);
      }),
  };
  const plan = await planStages(config(), [reading], env);
  assertEquals(plan[0].externalFiles, [{
    path: data,
    yamlPath: "data.csv.path",
    name: "data.csv.path",
  }]);
  const planned = plan[0].keyInputs.files!["data.csv.path"];
  const error = await runPlan(config(), plan, env).catch((e) => e);
  assert_(error instanceof UserError, `expected a UserError, got ${error}`);
  const swapped = sha256(new TextEncoder().encode("x\nB\n"));
  assertEquals(
    error.message,
    `test.yaml: data.csv.path: ${data} changed while first was reading it ` +
      `(sha256 ${planned.slice(0, 12)}… at planning, ${swapped.slice(0, 12)}… now); run again`,
  );
  // Nothing is stored under the key of A, no temp dir is left, and no checkpoint of it.
  assertEquals((await env.store.lookup("first", plan[0].key)).state, "miss");
  assertEquals(await listFiles(join(env.store.root, ".tmp")), []);
  const work = env.store.workDir("first", plan[0].key);
  assertEquals(await Deno.stat(work).then(() => "kept", () => "removed"), "removed");

  // Run again: the plan hashes B, and the stage that reads B publishes it under B's key.
  swap = false;
  const again = await planStages(config(), [reading], env);
  assertNotEquals(again[0].key, plan[0].key);
  const [result] = await runPlan(config(), again, env);
  assertEquals(await Deno.readTextFile(join(result.dir, "value.txt")), "x\nB\n");

  // A file that disappears while being read is a mismatch too.
  await Deno.writeTextFile(data, "x\nC\n");
  const third = await planStages(config(), [reading], env);
  const gone: StageSpec<ResolvedConfig> = {
    ...reading,
    load: () => Promise.resolve(() => Deno.remove(data)),
  };
  const missing = await runPlan(config(), [{ ...third[0], spec: gone }], env).catch((e) => e);
  assertIncludes(String(missing.message), "changed while first was reading it");
  assertIncludes(String(missing.message), "unreadable now); run again");
  assertEquals((await env.store.lookup("first", third[0].key)).state, "miss");
});

Deno.test("a stage that does not run for a config leaves the plan and its dependents' keys", async () => {
  const project = await makeProject();
  const env = await project.makeEnv();
  const [first, second] = project.stages;
  const onlyForSeedSeven = { ...first, when: (c: ResolvedConfig) => c.seed === 7 };
  const plan = await planStages(config(), [onlyForSeedSeven, second], env);
  assertEquals(plan.map((p) => p.spec.name), ["second"]);
  assertEquals(plan[0].keyInputs.inputs, {});
  const withFirst = await planStages(config({ seed: 7 }), [onlyForSeedSeven, second], env);
  assertEquals(withFirst.map((p) => p.spec.name), ["first", "second"]);
  assertEquals(Object.keys(withFirst[1].keyInputs.inputs), ["first"]);
});

Deno.test("a second run is all cache hits and writes nothing", async () => {
  const project = await makeProject();
  const env = await project.makeEnv();
  const plan = await planStages(config({ seed: 3 }), project.stages, env);
  const results = await runPlan(config({ seed: 3 }), plan, env);
  assertEquals(project.takeRuns(), ["first", "second"]);
  assertEquals(await Deno.readTextFile(join(results[1].dir, "nested/out.txt")), "6!");
  const manifest = JSON.parse(await Deno.readTextFile(join(results[1].dir, "manifest.json")));
  assertEquals(Object.keys(manifest.files), ["nested/out.txt"]);
  assertEquals(manifest.keyInputs.inputs, { first: plan[0].key });
  // The project's version is recorded for readers, and is not a key input.
  assertEquals(manifest.project, projectVersion());
  assert_(!("project" in manifest.keyInputs), "the commit must not re-key anything");

  const before = await snapshot(env.store.root);
  project.lines.length = 0;
  const again = await runPlan(config({ seed: 3 }), plan, env);
  assertEquals(project.takeRuns(), []);
  assert_(again.every((r) => r.cached));
  assert_(project.lines.every((l) => l.includes("  cached  ")), project.lines.join("\n"));
  assertEquals(await snapshot(env.store.root), before);
});

Deno.test("--force re-runs the named stage only and replaces its entry", async () => {
  const project = await makeProject();
  const env = await project.makeEnv();
  const plan = await planStages(config({ seed: 1 }), project.stages, env);
  await runPlan(config({ seed: 1 }), plan, env);
  project.takeRuns();
  await runPlan(config({ seed: 1 }), plan, env, { force: new Set(["second"]) });
  assertEquals(project.takeRuns(), ["second"]);
  assertEquals((await env.store.lookup("second", plan[1].key)).state, "hit");
  await runPlan(config({ seed: 1 }), plan, env, { force: "all" });
  assertEquals(project.takeRuns(), ["first", "second"]);
});

Deno.test("cached-only stages are never run: a miss names the stage, why, and the fix", async () => {
  const project = await makeProject();
  const env = await project.makeEnv();
  const plan = await planStages(config({ seed: 6 }), project.stages, env);
  const cachedOnly = new Set(["first"]);
  const error = await runPlan(config(), plan, env, { cachedOnly }).catch((e) => e);
  assertIncludes(
    error.message,
    `first ${plan[0].key.slice(0, 8)} is not in the store (stale: never run)`,
  );
  assertIncludes(error.message, "deno task run test.yaml");
  assertEquals(project.takeRuns(), []);
  await runPlan(config(), plan, env);
  project.takeRuns();
  await runPlan(config(), plan, env, { cachedOnly, force: new Set(["second"]) });
  assertEquals(project.takeRuns(), ["second"]);
});

Deno.test("a stage that fails after writing publishes nothing and leaves no temp dir", async () => {
  const project = await makeProject();
  const env = await project.makeEnv();
  const plan = await planStages(config({ seed: 0 }), project.stages, env);
  // seed → value; a negative value makes `first` throw after writing value.txt.
  plan[0].keyInputs.params = { value: -1 };
  let failed = false;
  await runPlan(config(), plan, env).catch(() => failed = true);
  assert_(failed, "the injected failure must propagate");
  assertEquals((await env.store.lookup("first", plan[0].key)).state, "miss");
  assertEquals(await listFiles(join(env.store.root, ".tmp")), []);
});

Deno.test("an input changed while a stage runs fails the stage, publishing nothing", async () => {
  const project = await makeProject();
  const env = await project.makeEnv();
  const plan = await planStages(config({ seed: 4 }), project.stages, env);
  const [first] = await runPlan(config({ seed: 4 }), plan.slice(0, 1), env);
  // A `second` that finds its input rewritten under it (by hand, or a disk fault).
  plan[1].spec = {
    ...plan[1].spec,
    load: () =>
      Promise.resolve(async (ctx) => {
        await Deno.writeTextFile(join(ctx.inputs.first, "value.txt"), "99");
        await Deno.writeTextFile(join(ctx.outDir, "out.txt"), "from other data");
      }),
  };
  await assertRejects(
    () => runPlan(config({ seed: 4 }), plan, env),
    `its input first ${first.key.slice(0, 8)} changed while it ran (value.txt has 2 bytes`,
  );
  assertEquals((await env.store.lookup("second", plan[1].key)).state, "miss");
  assertEquals((await env.store.lookup("first", plan[0].key)).state, "corrupt");
});

Deno.test("a stage's one-line error names the config it came from", async () => {
  const project = await makeProject();
  const env = await project.makeEnv();
  const plan = await planStages(config({ seed: 5 }), project.stages, env);
  plan[0].spec = {
    ...plan[0].spec,
    load: () =>
      Promise.resolve(() => {
        throw new UserError("/data/x.csv: has no examples of class 7; fix data.classes");
      }),
  };
  await assertRejects(
    () => runPlan(config({ seed: 5 }), plan.slice(0, 1), env),
    `test.yaml: first ${plan[0].key.slice(0, 8)}: /data/x.csv: has no examples of class 7`,
  );
});

Deno.test("an entry whose files do not match the manifest is reported, moved aside and redone", async () => {
  const project = await makeProject();
  const env = await project.makeEnv();
  const plan = await planStages(config({ seed: 2 }), project.stages, env);
  const [, second] = await runPlan(config({ seed: 2 }), plan, env);
  project.takeRuns();
  await Deno.writeTextFile(join(second.dir, "nested/out.txt"), "tampered");
  const found = await env.store.lookup("second", plan[1].key);
  assertEquals(found.state, "corrupt");
  assert_(found.state === "corrupt" && found.reason.includes("nested/out.txt"));

  project.lines.length = 0;
  await runPlan(config({ seed: 2 }), plan, env);
  assertEquals(project.takeRuns(), ["second"]);
  assertIncludes(project.lines.join("\n"), "corrupt (nested/out.txt");
  assertEquals(await Deno.readTextFile(join(second.dir, "nested/out.txt")), "4!");

  // Extra files and a missing manifest are corruption too.
  await Deno.writeTextFile(join(second.dir, "extra.txt"), "x");
  assertEquals((await env.store.lookup("second", plan[1].key)).state, "corrupt");
  await Deno.remove(join(second.dir, "extra.txt"));
  await Deno.remove(join(second.dir, "manifest.json"));
  assertEquals((await env.store.lookup("second", plan[1].key)).state, "corrupt");
});

Deno.test("two runs asking for the same key at once run the stage once", async () => {
  const project = await makeProject();
  const env = await project.makeEnv();
  const plan = await planStages(config({ seed: 4 }), project.stages, env);
  await Promise.all([runPlan(config(), plan, env), runPlan(config(), plan, env)]);
  assertEquals(project.takeRuns(), ["first", "second"]);
});

Deno.test("status explains staleness by the param, input and source that changed", async () => {
  const project = await makeProject();
  const env = await project.makeEnv();
  const oldPlan = await planStages(config({ seed: 2 }), project.stages, env);
  await runPlan(config({ seed: 2 }), oldPlan, env);
  await project.edit("helper_second.ts", "export const suffix = '?';\n");
  const plan = await planStages(config({ seed: 3 }), project.stages, await project.makeEnv());
  const why = async (i: number) => {
    const previous = previousRun(await env.store.manifests(plan[i].spec.name), "test");
    return explainChange(plan[i], previous!).join("; ");
  };
  assertEquals(await why(0), "param value 2 → 3");
  const second = await why(1);
  assertIncludes(second, `input first changed ${oldPlan[0].key.slice(0, 8)} → `);
  assertIncludes(second, "source helper_second.ts changed");
  assert_(!second.includes("helper_first"), second);
});

Deno.test("a run killed with SIGKILL mid-stage leaves nothing the next run trusts", async () => {
  const project = await makeProject();
  await project.edit(
    "slow.ts",
    `export async function slow(ctx: { outDir: string }) {
  await Deno.writeTextFile(ctx.outDir + "/partial.txt", "half");
  console.log("WROTE");
  await new Promise((r) => setTimeout(r, 60_000));
}
`,
  );
  const store = join(project.root, "artifacts");
  const script = join(project.root, "run_slow.ts");
  await project.edit(
    "run_slow.ts",
    `import { configSchema } from "${toFileUrl(join(Deno.cwd(), "stages/registry.ts"))}";
import { readModuleGraph } from "${toFileUrl(join(Deno.cwd(), "pipeline/fingerprint.ts"))}";
import { planStages } from "${toFileUrl(join(Deno.cwd(), "pipeline/plan.ts"))}";
import { runPlan } from "${toFileUrl(join(Deno.cwd(), "pipeline/runner.ts"))}";
import { ArtifactStore } from "${toFileUrl(join(Deno.cwd(), "pipeline/store.ts"))}";
const module = new URL("./slow.ts", import.meta.url);
const stages = [{ name: "slow", module, after: [], params: () => ({}),
  load: () => import("./slow.ts").then((m) => m.slow) }];
const env = { store: new ArtifactStore(${
      JSON.stringify(store)
    }), graph: await readModuleGraph(module),
  projectRoot: ${JSON.stringify(project.root)}, configPath: "x.yaml", status: () => {},
  log: () => {}, progress: () => ({ tick() {}, done() {} }) };
const config = { ...configSchema.parse({}), name: "x" };
console.log("KEY " + (await planStages(config, stages, env))[0].key);
await runPlan(config, await planStages(config, stages, env), env);
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", join(Deno.cwd(), "deno.json"), script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let key = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  for (let text = ""; !text.includes("WROTE");) {
    const { value, done } = await reader.read();
    if (done) throw new Error("child exited early");
    text += value;
    key = text.match(/KEY (\w+)/)?.[1] ?? key;
  }
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});

  const artifacts = new ArtifactStore(store);
  assertEquals((await artifacts.lookup("slow", key)).state, "miss");
  assertEquals((await listFiles(join(store, ".tmp"))).length, 1, "the dead run's temp dir");
  await artifacts.sweepTemp();
  assertEquals(await listFiles(join(store, ".tmp")), [], "swept because its owner is dead");
});

/** Every file under a directory with its size and mtime: "nothing new was written". */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await listFiles(dir)) {
    const info = await Deno.stat(join(dir, name));
    out.push(`${name} ${info.size} ${info.mtime?.getTime()}`);
  }
  return out;
}
