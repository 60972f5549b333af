/**
 * Fuzzing the two ways input reaches the pipeline: configs and data files. Hundreds of
 * seeded mutations of the shipped configs (truncations, flipped bytes, swapped types, huge
 * numbers, alias bombs, devices, paths outside the project, NULs) and of small IDX and CSV
 * files (truncated, flipped, lying headers). Each must be accepted, or rejected with one
 * line naming the file at fault — never another kind of error, a hang, a leaked file, or
 * (for data) a half-written output.
 */
import { basename, join } from "node:path";
import { STAGES } from "../stages/registry.ts";
import { prepare } from "../stages/prepare.ts";
import { encodeIdx } from "../stages/data/idx.ts";
import { loadConfig } from "../pipeline/config.ts";
import { dataSchema } from "../stages/config_schema.ts";
import { UserError } from "../pipeline/errors.ts";
import { readModuleGraph } from "../pipeline/fingerprint.ts";
import { silentProgress } from "../pipeline/progress.ts";
import { Rng } from "../lib/rng.ts";
import { planStages } from "../pipeline/plan.ts";
import type { RunEnv } from "../pipeline/runner.ts";
import { tempDir, testContext } from "../pipeline/stage_testing.ts";
import { ArtifactStore } from "../pipeline/store.ts";
import { assert_, assertEquals } from "../pipeline/test_assert.ts";

const CONFIG_CASES = 300;
const DATA_CASES = 120;
const TIME_LIMIT_MS = 5000;

/** Values no message may print: a leaked environment or /etc/passwd. */
const SECRETS = [
  ...Object.values(Deno.env.toObject()).filter((v) => v.length > 12 && !v.includes("/")),
  "root:x:0:0",
];

type Outcome = { ok: true } | { ok: false; message: string };

/** Run `fn` under a time limit; a UserError is an outcome, anything else fails the test. */
async function outcome(fn: () => Promise<unknown>, what: string): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer in ${TIME_LIMIT_MS} ms`)),
      TIME_LIMIT_MS,
    );
  });
  try {
    await Promise.race([fn(), limit]);
    return { ok: true };
  } catch (error) {
    if (!(error instanceof UserError)) {
      throw new Error(`${what}: ${(error as Error)?.stack ?? error}`);
    }
    return { ok: false, message: error.message };
  } finally {
    clearTimeout(timer);
  }
}

function checkMessage(message: string, names: string[], what: string): void {
  assert_(!message.includes("\n"), `${what}: more than one line: ${message}`);
  assert_(message.length < 600, `${what}: ${message.length} characters: ${message.slice(0, 200)}…`);
  assert_(names.some((n) => message.includes(n)), `${what}: names none of ${names}: ${message}`);
  for (const secret of SECRETS) {
    assert_(!message.includes(secret), `${what}: leaks ${secret.slice(0, 4)}…: ${message}`);
  }
}

// ---------------------------------------------------------------- config mutations

const HOSTILE_LINES = [
  "extends: /dev/zero",
  "extends: /etc/passwd",
  "extends: /proc/self/environ",
  "extends: ../../../../../../etc/shadow.yaml",
  "extends: .",
  'extends: "a\\0b.yaml"',
  "data: {source: csv, csv: {path: /dev/urandom}}",
  "data: {source: csv, csv: {path: /etc/passwd}}",
  "data: {source: idx, idx: {trainImages: /dev/zero, trainLabels: /dev/zero}}",
  "data: {source: idx, idx: {trainImages: /, trainLabels: /tmp}}",
  "model: {hidden: [1000000000]}",
  "model: {latentDim: 1e9}",
  "train: {epochs: 1e12}",
  "evaluate: {iwK: [1e9]}",
  "train: {learningRate: .nan}",
  "loss: {beta: .inf}",
  "loss: {beta: 1e400}",
  "data: {classes: [3]}",
  "data: {classes: [11, 12]}",
  "name: ..",
  "name: ../bench",
  "seed: -1",
  "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
  "x: " + "[".repeat(500) + "]".repeat(500),
  "model: !!js/function 'function () {}'",
  "model: {kind: vae}\nmodel: {kind: ae}",
];

const SWAPS = [
  "[1, 2]",
  "{a: 1}",
  '"text"',
  "true",
  "null",
  "-1",
  "0",
  "1e400",
  ".nan",
  "1e9",
  "~",
];

/** One mutation of a config's text, chosen by `rng`. */
function mutateConfig(text: string, rng: Rng): string {
  switch (rng.int(6)) {
    case 0: // truncate
      return text.slice(0, rng.int(text.length + 1));
    case 1: { // flip a byte
      const at = rng.int(text.length + 1);
      return text.slice(0, at) + String.fromCharCode(rng.int(256)) + text.slice(at + 1);
    }
    case 2: { // swap the type of a scalar value
      const values = [...text.matchAll(/: ([^\n{[]+)$/gm)];
      if (values.length === 0) return text + "\nseed: [1]";
      const m = values[rng.int(values.length)];
      const at = m.index! + 2;
      return text.slice(0, at) + SWAPS[rng.int(SWAPS.length)] + text.slice(at + m[1].length);
    }
    case 3: // a hostile key appended
      return text + "\n" + HOSTILE_LINES[rng.int(HOSTILE_LINES.length)] + "\n";
    case 4: // a hostile key alone
      return HOSTILE_LINES[rng.int(HOSTILE_LINES.length)] + "\n";
    default: // nothing, or only a comment
      return rng.int(2) ? "" : "# only a comment\n";
  }
}

Deno.test(`fuzz: ${CONFIG_CASES} mutated configs are accepted or refused in one line`, async () => {
  const dir = await tempDir("fuzz-configs-");
  const configs = join(Deno.cwd(), "configs");
  const bases: string[] = [];
  for await (const entry of Deno.readDir(configs)) {
    if (!entry.name.endsWith(".yaml")) continue;
    const text = await Deno.readTextFile(join(configs, entry.name));
    bases.push(text.replace(/^extends: (.*)$/m, (_, p) => `extends: ${join(configs, p)}`));
  }
  const graph = await readModuleGraph(new URL("../stages/registry.ts", import.meta.url));
  const rng = new Rng(20261130);
  const counts = { accepted: 0, refused: 0 };
  for (let i = 0; i < CONFIG_CASES; i++) {
    let text = bases[rng.int(bases.length)];
    for (let k = 1 + rng.int(2); k > 0; k--) text = mutateConfig(text, rng);
    const path = join(dir, `case${i}.yaml`);
    await Deno.writeTextFile(path, text);
    const what = `case ${i} (${JSON.stringify(text.slice(0, 80))})`;
    const result = await outcome(async () => {
      const config = await loadConfig(path);
      // Planning hashes the data files a config names: bounded too.
      const env: RunEnv = {
        store: new ArtifactStore(join(dir, "never-written")),
        graph,
        projectRoot: Deno.cwd(),
        configPath: path,
        status: () => {},
        log: () => {},
        progress: silentProgress,
      };
      await planStages(config, STAGES, env);
    }, what);
    if (result.ok) counts.accepted++;
    else {
      counts.refused++;
      const named = [basename(path), "/dev/", "/etc/", "/proc/", "shadow.yaml", "a\\u0000b"];
      checkMessage(result.message, named, what);
    }
  }
  assert_(counts.accepted > 10 && counts.refused > 100, JSON.stringify(counts));
  const written = await Deno.lstat(join(dir, "never-written")).then(() => true, () => false);
  assertEquals(written, false, "planning must not write to the store");
});

// ---------------------------------------------------------------- data mutations

/** A small valid IDX pair and CSV: 40 images of 4×4, labels 0–3. */
function validData(rng: Rng) {
  const n = 40, side = 4;
  const pixels = Uint8Array.from({ length: n * side * side }, () => rng.int(256));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 4);
  const header = ["label", ...Array.from({ length: side * side }, (_, j) => `p${j}`)].join(",");
  const rows = Array.from(
    { length: n },
    (_, i) => [labels[i], ...pixels.subarray(i * 16, (i + 1) * 16)].join(","),
  );
  return {
    images: encodeIdx(pixels, [n, side, side]),
    labels: encodeIdx(labels, [n]),
    csv: new TextEncoder().encode([header, ...rows].join("\n") + "\n"),
  };
}

function mutateBytes(bytes: Uint8Array, rng: Rng): Uint8Array {
  const out = bytes.slice();
  switch (rng.int(4)) {
    case 0:
      return out.slice(0, rng.int(out.length + 1));
    case 1:
      if (out.length === 0) return out;
      for (let k = 1 + rng.int(4); k > 0; k--) out[rng.int(out.length)] = rng.int(256);
      return out;
    case 2: // a header that lies about the sizes (IDX) or the first line (CSV)
      out.set([0xff, 0xff, 0xff, 0x7f].slice(0, Math.min(4, out.length)), 4 + 4 * rng.int(2));
      return out;
    default: // many copies: valid-looking but inconsistent
      return new Uint8Array([...out, ...out.slice(rng.int(out.length + 1))]);
  }
}

Deno.test(`fuzz: ${DATA_CASES} mutated IDX and CSV files prepare or fail in one line, writing nothing`, async () => {
  const dir = await tempDir("fuzz-data-");
  const rng = new Rng(7);
  const counts = { accepted: 0, refused: 0 };
  for (let i = 0; i < DATA_CASES; i++) {
    const valid = validData(rng.fork(`data-${i}`));
    const csv = rng.int(2) === 0;
    const files: Record<string, Uint8Array> = csv ? { "d.csv": mutateBytes(valid.csv, rng) } : {
      "images.idx": rng.int(3) ? mutateBytes(valid.images, rng) : valid.images,
      "labels.idx": rng.int(3) ? mutateBytes(valid.labels, rng) : valid.labels,
    };
    const caseDir = join(dir, `case${i}`);
    await Deno.mkdir(caseDir);
    for (const [name, bytes] of Object.entries(files)) {
      await Deno.writeFile(join(caseDir, name), bytes);
    }
    const data = dataSchema.parse(
      csv ? { source: "csv", csv: { path: join(caseDir, "d.csv"), pixelMax: 255 } } : {
        source: "idx",
        idx: { trainImages: join(caseDir, "images.idx"), trainLabels: join(caseDir, "labels.idx") },
      },
    );
    const ctx = await testContext({ seed: 0, data }, { dir: caseDir });
    const what = `data case ${i} (${Object.keys(files).join(", ")})`;
    const result = await outcome(() => prepare(ctx), what);
    if (result.ok) counts.accepted++;
    else {
      counts.refused++;
      checkMessage(result.message, Object.keys(files), what);
      const written = await Array.fromAsync(Deno.readDir(ctx.outDir));
      assertEquals(written.map((e) => e.name), [], `${what}: a refused input wrote files`);
    }
  }
  assert_(counts.accepted > 5 && counts.refused > 30, JSON.stringify(counts));
});
