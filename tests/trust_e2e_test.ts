/**
 * The promises of the README's "Guarantees", through the real command line: names are not
 * paths, an edited report is kept, tampering is found and named (`status`, `verify
 * --check-hashes`), `gc` frees only what nothing reaches, a bad flag is one line, SIGTERM
 * says where training resumes, and the tasks run with only the permissions they need.
 */
import { join } from "node:path";
import { assert_, assertEquals, assertIncludes } from "../pipeline/test_assert.ts";
import { currentProcess } from "../pipeline/process_identity.ts";
import { tempDir, tempFile } from "../pipeline/stage_testing.ts";
import { cli, runDeno } from "./cli_testing.ts";

const CONFIG = "tests/fixtures/synthetic.yaml";
/** The command `deno task run` runs: the launcher, with the task's own permissions. */
async function task(...args: string[]) {
  const tasks = JSON.parse(await Deno.readTextFile("deno.json")).tasks;
  const words = (tasks.run.command as string).split(" ").slice(2, -2); // flags, no "run" …
  return await runDeno(words, "pipeline/launch.ts", args);
}

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);
const oneLine = (text: string) => assert_(!text.trim().includes("\n"), text);

Deno.test("names, tampering, gc and bad flags through the command line", async (t) => {
  const root = await tempDir("trust-");
  const store = join(root, "artifacts"), reports = join(root, "reports");
  const where = ["--artifacts", store, "--reports", reports];
  const first = await task("run", CONFIG, ...where);
  assertEquals(first.code, 0, first.stderr);

  await t.step("a --name that is a path deletes nothing and says why", async () => {
    await Deno.mkdir(join(root, "bench"));
    await Deno.writeTextFile(join(root, "bench", "keep.ts"), "precious");
    const result = await cli("compare", CONFIG, "--name", "../bench", ...where);
    assertEquals(result.code, 1);
    oneLine(result.stderr);
    assertIncludes(result.stderr, `--name "../bench" may hold only letters`);
    assertEquals(await Deno.readTextFile(join(root, "bench", "keep.ts")), "precious");
  });

  await t.step("a config named .. is refused before anything runs", async () => {
    const config = await tempFile(".yaml");
    await Deno.writeTextFile(config, `extends: ${Deno.cwd()}/${CONFIG}\nname: ..\n`);
    const result = await cli("run", config, ...where);
    assertEquals(result.code, 1);
    oneLine(result.stderr);
    assertIncludes(result.stderr, `${config}:2: name must match`);
  });

  await t.step("under the task's own permissions, a dead owner's lock is taken over", async () => {
    const prepare = (await Array.fromAsync(Deno.readDir(join(store, "prepare"))))[0].name;
    const gone = new Deno.Command("true").spawn();
    const { pid } = gone;
    await gone.status;
    const owner = { ...currentProcess(), pid, startTime: 1, takenAt: new Date().toISOString() };
    await Deno.mkdir(join(store, ".locks"), { recursive: true });
    const lock = join(store, ".locks", `prepare-${prepare}.lock`);
    await Deno.writeTextFile(lock, JSON.stringify({ ...owner, token: "x" }));
    const result = await task("run", CONFIG, "--force", "prepare", ...where);
    assertEquals(result.code, 0, result.stderr);
    assertIncludes(result.stdout, `took over the lock of run ${pid}`);
    assertEquals(await exists(lock), false);
  });

  await t.step("options a command does not take are refused, not ignored", async () => {
    const cases: [string[], string][] = [
      [["run", CONFIG, "--dry-run"], "run does not take --dry-run"],
      [["status", CONFIG, "--name", "x"], "status does not take --name"],
      [["report", CONFIG, "--force", "train"], "report never trains"],
      [["run", CONFIG, "--force=bogus"], '--force: unknown stage "bogus"'],
    ];
    for (const [args, says] of cases) {
      const result = await cli(...args, ...where);
      assertEquals(result.code, 1, result.stdout);
      oneLine(result.stderr);
      assertIncludes(result.stderr, says);
    }
  });

  await t.step("an unknown flag is one line with a suggestion", async () => {
    const result = await cli("run", CONFIG, "--seed", "3");
    assertEquals(result.code, 1);
    oneLine(result.stderr);
    assertIncludes(result.stderr, "did you mean --seeds?");
  });

  await t.step("an edited report is moved aside, not overwritten", async () => {
    const page = join(reports, "synthetic", "index.html");
    await Deno.writeTextFile(page, (await Deno.readTextFile(page)) + "<!-- my note -->");
    const again = await cli("run", CONFIG, ...where);
    assertEquals(again.code, 0, again.stderr);
    assertIncludes(again.stdout, "had been edited (index.html has ");
    const aside = (await Array.fromAsync(Deno.readDir(join(reports, ".modified"))))[0].name;
    assertIncludes(
      await Deno.readTextFile(join(reports, ".modified", aside, "index.html")),
      "my note",
    );
  });

  await t.step("tampering: status exits 1 and verify --check-hashes names the file", async () => {
    const clean = await cli("verify", "--check-hashes", ...where);
    assertEquals(clean.code, 0, clean.stdout + clean.stderr);
    assertIncludes(clean.stdout, "every file matches its recorded sha256");
    const train = (await Array.fromAsync(Deno.readDir(join(store, "train"))))[0].name;
    const weights = join(store, "train", train, "weights.bin");
    const bytes = await Deno.readFile(weights);
    bytes[0] ^= 1;
    await Deno.writeFile(weights, bytes);
    const audit = await cli("verify", "--check-hashes", ...where);
    assertEquals(audit.code, 1);
    assertIncludes(audit.stdout, `BAD      train ${train.slice(0, 8)}: weights.bin does not match`);
    const status = await cli("status", CONFIG, ...where);
    assertEquals(status.code, 1, status.stdout);
    assertIncludes(status.stdout, "corrupt: weights.bin does not match its sha256");
  });

  await t.step("gc keeps what a config or report reaches and frees the rest", async () => {
    // The tampered train entry is redone by run; the corrupt one goes to .corrupt/.
    assertEquals((await cli("run", CONFIG, ...where)).code, 0);
    const other = await tempFile(".yaml");
    await Deno.writeTextFile(other, `extends: ${Deno.cwd()}/${CONFIG}\ntrain: {epochs: 1}\n`);
    assertEquals(
      (await cli("run", other, "--reports", join(root, "elsewhere"), "--artifacts", store)).code,
      0,
    );
    const dry = await cli("gc", "--dry-run", CONFIG, ...where);
    assertEquals(dry.code, 0, dry.stderr);
    assertIncludes(dry.stdout, "would remove");
    assertIncludes(dry.stdout, "corrupt train-");
    const trainEntries = () => Array.fromAsync(Deno.readDir(join(store, "train")));
    assertEquals((await trainEntries()).length, 2);
    const real = await cli("gc", CONFIG, ...where);
    assertEquals(real.code, 0, real.stderr);
    assertIncludes(real.stdout, "gc: removed");
    assertEquals((await trainEntries()).length, 1);
    assertEquals(await exists(join(store, ".corrupt")), true); // the folder stays, empty
    const status = await cli("status", CONFIG, ...where);
    assert_(status.stdout.trim().split("\n").every((l) => l.endsWith("cached")), status.stdout);
  });
});

Deno.test("SIGTERM during training stops it and says where it will resume", async () => {
  const root = await tempDir("sigterm-");
  const config = join(root, "long.yaml");
  await Deno.writeTextFile(
    config,
    `extends: ${Deno.cwd()}/${CONFIG}\ntrain: {epochs: 400}\ndata: {synthetic: {count: 2000}}\n`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "pipeline/cli.ts", "run", config, "--artifacts", join(root, "a")],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const work = join(root, "a", ".work");
  // Wait for a first checkpoint, then stop the run as a cluster's scheduler would.
  for (let i = 0; i < 600 && !(await hasCheckpoint(work)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGTERM");
  const output = await child.output();
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 143, stderr);
  assert_(
    /interrupted \(SIGTERM\): train [0-9a-f]{8} will resume after epoch \d+ of 400/.test(stderr),
    stderr,
  );
  assertEquals(await exists(join(root, "a", "train")), false, "nothing half-trained is published");
});

async function hasCheckpoint(work: string): Promise<boolean> {
  try {
    for await (const entry of Deno.readDir(work)) {
      if (await exists(join(work, entry.name, "checkpoint", "checkpoint.json"))) return true;
    }
  } catch { /* not yet made */ }
  return false;
}
