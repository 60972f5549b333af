import { join } from "node:path";
import { auditStore } from "./audit.ts";
import { tempDir } from "./stage_testing.ts";
import { ArtifactStore } from "./store.ts";
import { publishFake } from "./store_fakes.ts";
import { assertEquals } from "./test_assert.ts";

Deno.test("auditStore rehashes every entry and report, naming each bad file", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const [p, t] = ["a".repeat(64), "b".repeat(64)];
  await publishFake(store, "prepare", p);
  const train = await publishFake(store, "train", t, { prepare: p });
  const reports = join(root, "reports");
  await Deno.mkdir(reports);
  await Deno.copyFile(join(train, "out.txt"), join(reports, "stray.txt"));
  const clean = await auditStore(store, { reportsRoot: reports });
  assertEquals(clean, { counts: { entries: 2, reports: 0, checkpoints: 0 }, findings: [] });

  await Deno.writeTextFile(join(train, "out.txt"), "tampered!");
  await Deno.writeTextFile(join(train, "extra.bin"), "");
  const only = new Set([`train/${t}`]);
  const bad = await auditStore(store, { only });
  assertEquals(bad.counts.entries, 1);
  assertEquals(bad.findings, [
    { place: "train bbbbbbbb", problem: "unrecorded file extra.bin" },
    { place: "train bbbbbbbb", problem: "out.txt has 9 bytes, manifest says 70" },
  ]);
});

Deno.test("auditStore checks checkpoints with the checker it is given", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const key = "c".repeat(64);
  await Deno.mkdir(store.workDir("train", key), { recursive: true });
  const seen: string[] = [];
  const result = await auditStore(store, {
    checkWork: {
      train: (dir) => {
        seen.push(dir);
        return Promise.resolve(["model.bin does not match its sha256"]);
      },
    },
  });
  assertEquals(seen, [store.workDir("train", key)]);
  assertEquals(result.findings, [
    { place: "checkpoint train cccccccc", problem: "model.bin does not match its sha256" },
  ]);
});

Deno.test("auditStore names a FIFO, a link to /dev/zero and a null manifest without hanging", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const [a, b, c, d] = ["a", "b", "c", "d"].map((x) => x.repeat(64));
  for (const key of [a, b, c, d]) await publishFake(store, "train", key);
  await Deno.remove(join(store.dir("train", a), "out.txt"));
  const made = await new Deno.Command("mkfifo", { args: [join(store.dir("train", a), "out.txt")] })
    .output();
  assertEquals(made.success, true);
  await Deno.remove(join(store.dir("train", b), "out.txt"));
  await Deno.symlink("/dev/zero", join(store.dir("train", b), "out.txt"));
  await Deno.writeTextFile(join(store.dir("train", c), "manifest.json"), "null");
  const manifest = JSON.parse(
    await Deno.readTextFile(join(store.dir("train", d), "manifest.json")),
  );
  await Deno.writeTextFile(
    join(store.dir("train", d), "manifest.json"),
    JSON.stringify({ ...manifest, files: null }),
  );
  const { findings } = await auditStore(store);
  assertEquals(findings, [
    { place: "train aaaaaaaa", problem: "out.txt is not a regular file (a FIFO)" },
    { place: "train bbbbbbbb", problem: "out.txt is not a regular file (a symlink)" },
    { place: "train cccccccc", problem: "manifest.json is malformed: it is null, not an object" },
    { place: "train dddddddd", problem: "manifest.json is malformed: files is null" },
  ]);
});
