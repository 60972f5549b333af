import { join } from "node:path";
import { publishReport } from "./report_copy.ts";
import { tempDir } from "./stage_testing.ts";
import { ArtifactStore } from "./store.ts";
import { fakeManifest } from "./store_fakes.ts";
import { assert_, assertEquals, assertRejects } from "./test_assert.ts";

/** A published fake report artifact whose index.html says `text`. */
async function reportArtifact(store: ArtifactStore, text: string): Promise<string> {
  const key = text.padEnd(64, "0");
  const temp = await store.makeTempDir("report", key);
  await Deno.writeTextFile(join(temp, "index.html"), text);
  await Deno.mkdir(join(temp, "figures"));
  await Deno.writeTextFile(join(temp, "figures", "a.svg"), `<svg>${text}</svg>`);
  await store.publish(temp, fakeManifest("report", key));
  return store.dir("report", key);
}

Deno.test("publishReport refuses names that are paths, and deletes nothing", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const artifact = await reportArtifact(store, "a");
  const reports = join(root, "reports");
  await Deno.mkdir(join(root, "bench"));
  await Deno.writeTextFile(join(root, "bench", "keep.ts"), "precious");
  for (const name of ["../bench", "..", ".", "a/b"]) {
    await assertRejects(() => publishReport(artifact, reports, name), "may hold only");
  }
  assertEquals(await Deno.readTextFile(join(root, "bench", "keep.ts")), "precious");
});

Deno.test("publishReport swaps in a complete copy; an intact copy of the same key is left", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const reports = join(root, "reports");
  const first = await publishReport(await reportArtifact(store, "a"), reports, "demo");
  assertEquals(first.written, true);
  const again = await publishReport(await reportArtifact(store, "a"), reports, "demo");
  assertEquals(again.written, false);
  const next = await publishReport(await reportArtifact(store, "b"), reports, "demo");
  assertEquals(next.written, true);
  assertEquals(await Deno.readTextFile(join(reports, "demo", "index.html")), "b");
  // Nothing half-built is left beside it.
  const names = (await Array.fromAsync(Deno.readDir(reports))).map((e) => e.name);
  assertEquals(names, ["demo"]);
});

Deno.test("an edited report is moved aside, never overwritten; a foreign folder is refused", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const reports = join(root, "reports");
  await publishReport(await reportArtifact(store, "a"), reports, "demo");
  await Deno.writeTextFile(join(reports, "demo", "figures", "a.svg"), "<svg>b</svg>");
  const result = await publishReport(await reportArtifact(store, "b"), reports, "demo");
  assert_(result.movedAside, "the edited copy must be kept");
  assertEquals(result.movedAside.why, "figures/a.svg does not match its sha256");
  assertEquals(
    await Deno.readTextFile(join(result.movedAside.to, "figures", "a.svg")),
    "<svg>b</svg>",
  );
  assertEquals(await Deno.readTextFile(join(reports, "demo", "index.html")), "b");

  await Deno.mkdir(join(reports, "notes"));
  await Deno.writeTextFile(join(reports, "notes", "todo.md"), "mine");
  await assertRejects(
    () => reportArtifact(store, "c").then((a) => publishReport(a, reports, "notes")),
    "has no readable manifest.json, so it was not published by this pipeline",
  );
  assertEquals(await Deno.readTextFile(join(reports, "notes", "todo.md")), "mine");
});
