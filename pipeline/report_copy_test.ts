import { join } from "node:path";
import { checkPublishable, lockPath, publishReport } from "./report_copy.ts";
import { tempDir } from "./stage_testing.ts";
import { ArtifactStore } from "./store.ts";
import { fakeManifest } from "./store_fakes.ts";
import { assert_, assertEquals, assertIncludes, assertRejects } from "./test_assert.ts";
import { UserError } from "./errors.ts";

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

Deno.test("a .modified that is a file or a symlink is refused in one line, and nothing moves", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const reports = join(root, "reports");
  await publishReport(await reportArtifact(store, "a"), reports, "demo");
  await Deno.writeTextFile(join(reports, "demo", "index.html"), "my edit");
  const next = await reportArtifact(store, "b");
  const outside = join(root, "outside");
  await Deno.mkdir(outside);
  await Deno.symlink(outside, join(reports, ".modified"));
  const linked = await assertRejects(() => publishReport(next, reports, "demo"));
  assert_(linked instanceof UserError, String(linked));
  assertEquals(
    linked.message,
    `${join(reports, ".modified")} is not a folder (a symlink), so the edited report cannot ` +
      `be kept there; remove or rename ${join(reports, ".modified")} and run again ` +
      "(nothing was changed)",
  );
  assertEquals(await Array.fromAsync(Deno.readDir(outside)), []);
  assertEquals(await Deno.readTextFile(join(reports, "demo", "index.html")), "my edit");

  await Deno.remove(join(reports, ".modified"));
  await Deno.writeTextFile(join(reports, ".modified"), "a note");
  await assertRejects(() => publishReport(next, reports, "demo"), "is not a folder (a file)");
  assertEquals(await Deno.readTextFile(join(reports, "demo", "index.html")), "my edit");
  assertEquals(await Deno.readTextFile(join(reports, ".modified")), "a note");
});

Deno.test("--reports naming a file, or an artifact whose manifest is null, is one line", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const artifact = await reportArtifact(store, "a");
  await Deno.writeTextFile(join(root, "file"), "x");
  const error = await assertRejects(() => publishReport(artifact, join(root, "file"), "demo"));
  assert_(error instanceof UserError, String(error));
  assertIncludes(error.message, `the reports folder ${join(root, "file")} is not a folder`);
  const below = await assertRejects(() => publishReport(artifact, join(root, "file/x"), "demo"));
  assert_(below instanceof UserError, String(below));

  const reports = join(root, "reports");
  await Deno.mkdir(join(reports, "demo"), { recursive: true });
  await Deno.writeTextFile(
    join(reports, "demo", "manifest.json"),
    '{"stage":"report","files":null}',
  );
  await assertRejects(() => publishReport(artifact, reports, "demo"), "is not a report's");
  await Deno.writeTextFile(join(artifact, "manifest.json"), "null");
  const nullManifest = await assertRejects(() => publishReport(artifact, reports, "other"));
  assert_(nullManifest instanceof UserError, String(nullManifest));
  assertIncludes(nullManifest.message, "manifest.json is malformed: it is null");
});

/** Run a command quietly; whether it succeeded. */
function run(command: string, args: string[]): boolean {
  return new Deno.Command(command, { args, stdout: "null", stderr: "null" }).outputSync().success;
}

/** Make `dir` read-only for this process (chmod, or a read-only bind mount for root). */
function makeReadOnly(dir: string): (() => void) | undefined {
  if (Deno.uid() !== 0) {
    run("chmod", ["a-w", dir]);
    return () => run("chmod", ["u+w", dir]);
  }
  if (Deno.build.os !== "linux" || !run("mount", ["--bind", dir, dir])) return undefined;
  if (!run("mount", ["-o", "remount,ro,bind", dir])) {
    run("umount", [dir]);
    return undefined;
  }
  return () => run("umount", [dir]);
}

Deno.test("a read-only reports folder is one line naming it and the fix", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const reports = join(root, "reports");
  await Deno.mkdir(reports);
  const artifact = await reportArtifact(store, "a");
  const undo = makeReadOnly(reports);
  if (!undo) return console.log("cannot make a read-only folder here: skipped");
  try {
    const error = await assertRejects(() => publishReport(artifact, reports, "demo"));
    assert_(error instanceof UserError, String(error));
    assertEquals(
      error.message,
      `the reports folder ${reports} is read-only (needed to publish "demo"); make it ` +
        "writable or pass --reports <a writable folder> (the report stays in the store)",
    );
  } finally {
    undo();
  }
});

Deno.test("processes publishing one name at once take turns: none moves another's copy aside", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const reports = join(root, "reports");
  const artifacts = [];
  for (const text of ["a", "b", "c"]) artifacts.push(await reportArtifact(store, text));
  await publishReport(artifacts[0], reports, "demo");
  // Three processes each publish their own key, again and again, starting together: each
  // swaps a folder in while the others look at what is there.
  const go = Date.now() + 1500;
  const children = artifacts.map((artifact) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { publishReport } from "${new URL("./report_copy.ts", import.meta.url)}";
         await new Promise((r) => setTimeout(r, ${go} - Date.now()));
         for (let i = 0; i < 8; i++) {
           const { movedAside } = await publishReport(${JSON.stringify(artifact)},
             ${JSON.stringify(reports)}, "demo");
           if (movedAside) throw new Error("moved aside: " + movedAside.why);
         }`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output()
  );
  for (const output of await Promise.all(children)) {
    assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  }
  assertEquals(await exists(join(reports, ".modified")), false);
  const names = (await Array.fromAsync(Deno.readDir(reports))).map((e) => e.name);
  assertEquals(names, ["demo"], "no lock or half-built copy is left");
});

Deno.test("a publisher waits for the run that holds the name's lock, and says so", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const reports = join(root, "reports");
  const artifact = await reportArtifact(store, "a");
  await Deno.mkdir(reports);
  // A live process (our parent test runner's child) holds the lock for a moment.
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { withLock } from "${new URL("./lock.ts", import.meta.url)}";
       await withLock(${JSON.stringify(lockPath(reports, "demo"))}, async () => {
         console.log("held");
         await new Promise((r) => setTimeout(r, 1500));
       });`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  await reader.read(); // "held"
  const waits: string[] = [];
  const published = await publishReport(artifact, reports, "demo", {
    onWait: (line) => waits.push(line),
  });
  assertEquals(published.written, true);
  assertEquals(waits.length, 1, waits.join("\n"));
  assertIncludes(waits[0], `waiting for run ${holder.pid}`);
  assertIncludes(waits[0], `to publish ${join(reports, "demo")}`);
  reader.releaseLock();
  await holder.stdout.cancel();
  assertEquals((await holder.status).success, true);
});

Deno.test("checkPublishable refuses, changing nothing, what publishReport would refuse", async () => {
  const root = await tempDir();
  const store = new ArtifactStore(join(root, "artifacts"));
  const reports = join(root, "reports");
  // Absent, or a report this pipeline published (intact or edited): fine.
  await checkPublishable(reports, "demo");
  assertEquals(await exists(reports), false, "nothing is made");
  await publishReport(await reportArtifact(store, "a"), reports, "demo");
  await checkPublishable(reports, "demo");
  await Deno.writeTextFile(join(reports, "demo", "index.html"), "my edit");
  await checkPublishable(reports, "demo");

  await Deno.writeTextFile(join(reports, "file"), "x");
  await Deno.mkdir(join(reports, "notes"));
  await Deno.writeTextFile(join(reports, "notes", "todo.md"), "mine");
  for (const name of ["file", "notes"]) {
    const early = await assertRejects(() => checkPublishable(reports, name));
    const late = await assertRejects(async () =>
      publishReport(await reportArtifact(store, "b"), reports, name)
    );
    assert_(early instanceof UserError, String(early));
    assertEquals(early.message, late.message);
    assert_(!early.message.includes("\n"), early.message);
  }
  await assertRejects(() => checkPublishable(reports, "../x"), "may hold only");
  await Deno.writeTextFile(join(reports, ".modified"), "a note");
  await assertRejects(() => checkPublishable(reports, "demo"), "is not a folder (a file)");
  assertEquals(await Deno.readTextFile(join(reports, "notes", "todo.md")), "mine");
});

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);
