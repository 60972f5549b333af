import { join } from "node:path";
import { ArtifactStore } from "./store.ts";
import { fakeManifest, publishFake } from "./store_fakes.ts";
import { assert_, assertEquals, assertIncludes, assertRejects } from "./test_assert.ts";
import { traceFigure } from "./trace.ts";
import { UserError } from "./errors.ts";
import { tempDir } from "./stage_testing.ts";

/** Publish a fake artifact for `stage` with the given upstream keys. */
const publish = (store: ArtifactStore, stage: string, key: string, inputs = {}) =>
  publishFake(store, stage, key, inputs);

Deno.test("trace follows a figure's provenance through the manifests to the data", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const [p, t, e] = ["a".repeat(64), "b".repeat(64), "c".repeat(64)];
  await publish(store, "prepare", p);
  await publish(store, "train", t, { prepare: p });
  const figure = join(root, "kl.svg");
  await Deno.writeTextFile(figure, "<svg/>");
  const spec = { usermeta: { provenance: { config: "configs/demo.yaml", stages: { train: t } } } };
  await Deno.writeTextFile(join(root, "kl.vl.json"), JSON.stringify(spec));

  const traced = await traceFigure(figure, store, ["prepare", "train", "evaluate"]);
  assertEquals(traced.intact, true);
  const text = traced.lines.join("\n");
  assertIncludes(text, `└ train    ${t}  in store`);
  assertIncludes(text, `  └ prepare  ${p}  in store`);
  assertIncludes(text, 'params {"p":"prepare"}');
  assertIncludes(text, "config configs/demo.yaml");

  // A key the store no longer holds is said so, not skipped.
  spec.usermeta.provenance.stages = { evaluate: e, train: t } as never;
  await Deno.writeTextFile(join(root, "kl.vl.json"), JSON.stringify(spec));
  const missing = await traceFigure(figure, store, ["prepare", "train", "evaluate"]);
  assertEquals(missing.intact, false, "a stage missing from the lineage is not intact");
  const again = missing.lines.join("\n");
  assertIncludes(again, `└ evaluate ${e}  NOT in the store`);
  assert_(again.indexOf("evaluate") < again.indexOf("└ train"), "downstream first");
});

Deno.test("trace on a file with no provenance says where it looked", async () => {
  const root = await tempDir();
  await Deno.writeTextFile(join(root, "x.png"), "");
  const store = new ArtifactStore(join(root, "artifacts"));
  const error = await assertRejects(() => traceFigure(join(root, "x.png"), store, []));
  assertIncludes(error.message, "no provenance found");
  assertEquals(error.message.includes("x.vl.json"), true);
});

Deno.test("trace starts at the report that holds the figure and checks the figure's bytes", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const [p, r] = ["a".repeat(64), "d".repeat(64)];
  await publish(store, "prepare", p);
  // A report artifact whose files include the figure; the user reads its copy elsewhere.
  const temp = await store.makeTempDir("report", r);
  await Deno.mkdir(join(temp, "figures"));
  await Deno.writeTextFile(join(temp, "figures/kl.svg"), "<svg/>");
  const spec = { usermeta: { provenance: { config: "demo", stages: { prepare: p } } } };
  await Deno.writeTextFile(join(temp, "figures/kl.vl.json"), JSON.stringify(spec));
  const manifest = await store.publish(temp, fakeManifest("report", r, { prepare: p }));
  const copy = join(root, "reports/demo");
  await Deno.mkdir(join(copy, "figures"), { recursive: true });
  for (const name of ["figures/kl.svg", "figures/kl.vl.json"]) {
    await Deno.copyFile(join(store.dir("report", r), name), join(copy, name));
  }
  await Deno.writeTextFile(join(copy, "manifest.json"), JSON.stringify(manifest));

  const order = ["prepare", "report"];
  const traced = await traceFigure(join(copy, "figures/kl.svg"), store, order);
  assertEquals(traced.intact, true);
  const text = traced.lines.join("\n");
  assertIncludes(text, "figures/kl.svg matches report dddddddd byte for byte");
  assertIncludes(text, `└ report   ${r}  in store`);
  assertIncludes(text, `  └ prepare  ${p}  in store`);

  await Deno.writeTextFile(join(copy, "figures/kl.svg"), "<svg>edited</svg>");
  const edited = await traceFigure(join(copy, "figures/kl.svg"), store, order);
  assertIncludes(edited.lines.join("\n"), "DIFFERS from what report dddddddd wrote");
  assertEquals(edited.intact, false, "an edited figure is not intact");

  // A report manifest with a bad key: said, not skipped, and not intact.
  await Deno.writeTextFile(join(copy, "figures/kl.svg"), "<svg/>");
  await Deno.writeTextFile(
    join(copy, "manifest.json"),
    JSON.stringify({ ...manifest, key: "not-a-key" }),
  );
  const badKey = await traceFigure(join(copy, "figures/kl.svg"), store, order);
  assertEquals(badKey.intact, false);
  assertIncludes(
    badKey.lines.join("\n"),
    "manifest.json cannot be read (manifest.json is malformed: key is not 64 hex digits); " +
      "the figure is NOT checked against its report",
  );
});

Deno.test("trace refuses a FIFO figure, a FIFO spec and a malformed spec in one line each", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const mkfifo = async (path: string) =>
    assert_((await new Deno.Command("mkfifo", { args: [path] }).output()).success, "mkfifo");
  const order = ["prepare", "train"];
  const spec = { usermeta: { provenance: { config: "demo", stages: { train: "b".repeat(64) } } } };

  await mkfifo(join(root, "a.svg"));
  await Deno.writeTextFile(join(root, "a.vl.json"), JSON.stringify(spec));
  const fifo = await assertRejects(() => traceFigure(join(root, "a.svg"), store, order));
  assert_(fifo instanceof UserError, String(fifo));
  assertIncludes(fifo.message, `${join(root, "a.svg")} is not a regular file (a FIFO)`);

  await Deno.writeTextFile(join(root, "b.svg"), "<svg/>");
  await mkfifo(join(root, "b.vl.json"));
  const fifoSpec = await assertRejects(() => traceFigure(join(root, "b.svg"), store, order));
  assert_(fifoSpec instanceof UserError, String(fifoSpec));
  assertIncludes(fifoSpec.message, "b.vl.json is not a regular file (a FIFO)");

  await Deno.writeTextFile(join(root, "c.svg"), "<svg/>");
  await Deno.writeTextFile(join(root, "c.vl.json"), "{ not json");
  const malformed = await assertRejects(() => traceFigure(join(root, "c.svg"), store, order));
  assert_(malformed instanceof UserError, String(malformed));
  assertEquals(
    malformed.message,
    `${join(root, "c.vl.json")} is not valid JSON, so its provenance cannot be read`,
  );

  const bad = { usermeta: { provenance: { config: "demo", stages: { train: null } } } };
  await Deno.writeTextFile(join(root, "c.vl.json"), JSON.stringify(bad));
  const badKey = await assertRejects(() => traceFigure(join(root, "c.svg"), store, order));
  assert_(badKey instanceof UserError, String(badKey));
  assertIncludes(badKey.message, "its provenance is malformed (stages.train is not a 64-hex");
});

Deno.test("trace through a report whose manifest is null or whose figure is a link to /dev/zero", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const p = "a".repeat(64);
  await publish(store, "prepare", p);
  const copy = join(root, "reports/demo");
  await Deno.mkdir(join(copy, "figures"), { recursive: true });
  const spec = { usermeta: { provenance: { config: "demo", stages: { prepare: p } } } };
  await Deno.writeTextFile(join(copy, "figures/kl.vl.json"), JSON.stringify(spec));
  await Deno.writeTextFile(join(copy, "figures/kl.svg"), "<svg/>");
  await Deno.writeTextFile(join(copy, "manifest.json"), "null");
  // A manifest that is not one is no report to hang the figure under: the data still trace,
  // and the figure is said to be unchecked.
  const traced = await traceFigure(join(copy, "figures/kl.svg"), store, ["prepare"]);
  const text = traced.lines.join("\n");
  assertIncludes(text, `└ prepare  ${p}  in store`);
  assertEquals(text.includes("file     "), false);
  assertIncludes(text, "is malformed: it is null, not an object); the figure is NOT checked");
  assertEquals(traced.intact, false);

  // The store entry's manifest with files null is corrupt, said so.
  await Deno.writeTextFile(
    join(store.dir("prepare", p), "manifest.json"),
    JSON.stringify({ ...fakeManifest("prepare", p), files: null }),
  );
  const corrupt = (await traceFigure(join(copy, "figures/kl.svg"), store, ["prepare"])).lines
    .join("\n");
  assertIncludes(corrupt, `CORRUPT (manifest.json is malformed: files is null)`);

  await Deno.remove(join(copy, "figures/kl.svg"));
  await Deno.symlink("/dev/zero", join(copy, "figures/kl.svg"));
  const zero = await assertRejects(() =>
    traceFigure(join(copy, "figures/kl.svg"), store, ["prepare"])
  );
  assert_(zero instanceof UserError, String(zero));
  assertIncludes(zero.message, "is not a regular file (a character device)");
});

Deno.test("trace prints a figure's config escaped and bounded, never raw", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const p = "a".repeat(64);
  await publish(store, "prepare", p);
  const hostile = "\x1b[2J\x1b]0;owned\x07configs/x.yaml" + "y".repeat(5000);
  const spec = { usermeta: { provenance: { config: hostile, stages: { prepare: p } } } };
  await Deno.writeTextFile(join(root, "kl.vl.json"), JSON.stringify(spec));
  await Deno.writeTextFile(join(root, "kl.svg"), "<svg/>");
  const { lines, intact } = await traceFigure(join(root, "kl.svg"), store, ["prepare"]);
  assertEquals(intact, true);
  const config = lines.find((l) => l.startsWith("config   "))!;
  // deno-lint-ignore no-control-regex
  assert_(!/[\x00-\x1f]/.test(lines.join("")), `a control character is printed: ${config}`);
  assertIncludes(config, "\\u001b[2J");
  assert_(config.length < 200, `${config.length} characters`);
});
