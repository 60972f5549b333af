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
  return await taskIn(undefined, ...args);
}

/** `deno task …` as typed in `userFolder` (deno task sets INIT_CWD to it). */
async function taskIn(userFolder: string | undefined, ...args: string[]) {
  const tasks = JSON.parse(await Deno.readTextFile("deno.json")).tasks;
  const words = (tasks.run.command as string).split(" ").slice(2, -2); // flags, no "run" …
  const env: Record<string, string> = userFolder ? { INIT_CWD: userFolder } : {};
  return await runDeno(words, "pipeline/launch.ts", args, env);
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
    const verify = await cli("verify", CONFIG, "evaluate", ...where);
    assertEquals(verify.code, 1, verify.stdout);
    oneLine(verify.stderr);
    assertIncludes(
      verify.stderr,
      `train ${train.slice(0, 8)} is corrupt (weights.bin does not match`,
    );
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

  /** A config in `dir` extending the fixture, with `extra` lines. */
  const configIn = async (dir: string, file: string, extra = "") => {
    await Deno.mkdir(join(root, dir), { recursive: true });
    const path = join(root, dir, file);
    await Deno.writeTextFile(path, `extends: ${Deno.cwd()}/${CONFIG}\n${extra}`);
    return path;
  };

  await t.step("two runs of one name in one command are refused before anything runs", async () => {
    const [a, b] = [await configIn("a", "syn.yaml"), await configIn("b", "syn.yaml")];
    for (const command of ["run", "report"]) {
      const result = await cli(command, a, b, ...where);
      assertEquals(result.code, 1, result.stdout);
      assertEquals(result.stdout, "");
      oneLine(result.stderr);
      assertIncludes(result.stderr, `${b}: config name "syn" is also ${a}'s`);
      assertIncludes(result.stderr, "do not overwrite each other in reports/syn");
    }
    // The names --seeds derives are the ones checked.
    const seeded = await cli("run", a, b, "--seeds", "1", ...where);
    assertEquals(seeded.code, 1, seeded.stdout);
    assertEquals(seeded.stdout, "");
    assertIncludes(seeded.stderr, `${b}: run name "syn-seed1" is also ${a}'s`);
    assertEquals(await exists(join(reports, "syn")), false);
  });

  await t.step("a report folder in the way is found before anything runs", async () => {
    const fresh = await configIn("blocked", "blocked.yaml", "train: {epochs: 1}\n");
    await Deno.writeTextFile(join(reports, "blocked"), "a file of mine");
    const trainsBefore = (await Array.fromAsync(Deno.readDir(join(store, "train")))).length;
    const result = await cli("run", fresh, ...where);
    assertEquals(result.code, 1, result.stdout);
    assertEquals(result.stdout, "", "nothing ran");
    oneLine(result.stderr);
    assertIncludes(
      result.stderr,
      `${join(reports, "blocked")} exists and is not a folder, so it was not published by ` +
        `this pipeline; move it away or publish under another name than "blocked"`,
    );
    assertEquals((await Array.fromAsync(Deno.readDir(join(store, "train")))).length, trainsBefore);
    assertEquals(await Deno.readTextFile(join(reports, "blocked")), "a file of mine");

    await Deno.mkdir(join(reports, "notes"));
    const compared = await cli("compare", CONFIG, "--name", "notes", ...where);
    assertEquals(compared.code, 1, compared.stdout);
    assertEquals(compared.stdout, "");
    assertIncludes(compared.stderr, `${join(reports, "notes")} exists and has no readable`);
    await Deno.remove(join(reports, "notes"));
  });

  await t.step("the command a message suggests keeps --seeds and --artifacts", async () => {
    const makes = `deno task run ${CONFIG} --seeds 5 --artifacts ${store}`;
    for (const command of ["report", "compare", "verify"]) {
      const result = await cli(command, CONFIG, "--seeds", "5", ...where);
      assertEquals(result.code, 1, result.stdout);
      oneLine(result.stderr);
      assertIncludes(result.stderr, `\`${makes}\``);
    }
    // With the default store and no seeds, the plain command.
    const plain = await cli("verify", CONFIG, "--artifacts", store);
    assertEquals(plain.code, 0, plain.stderr);
  });

  await t.step("a stage that does not run for the config is refused, not ignored", async () => {
    // A vae without the Fréchet distance has no use for the classifier.
    const noFrechet = "evaluate:\n  frechetSamples: 0\n";
    const off = await configIn("off", "off.yaml", noFrechet);
    const says = `classify does not run for ${off} (it runs for conditional models and for ` +
      "the Fréchet distance (evaluate.frechetSamples > 0)); stages here: prepare, train, " +
      "evaluate, report";
    for (const args of [["verify", off, "classify"], ["run", off, "--force", "classify"]]) {
      const result = await cli(...args, ...where);
      assertEquals(result.code, 1, result.stdout);
      assertEquals(result.stdout, "");
      oneLine(result.stderr);
      assertIncludes(result.stderr, says);
    }
    // An upper-case extension is a config, not a stage name.
    const upper = await configIn("upper", "UP.YAML", noFrechet);
    const result = await cli("verify", upper, off, "classify", ...where);
    assertEquals(result.code, 1, result.stdout);
    assertIncludes(result.stderr, `classify does not run for any of ${upper}, ${off}`);
  });

  await t.step("paths are the user's: a task typed in another folder finds its files", async () => {
    const user = join(root, "user");
    await configIn("user", "mine.yaml", "name: synthetic\n");
    // Relative to the user's folder: the config, the store and the reports folder.
    const status = await taskIn(user, "status", "mine.yaml", "--artifacts", "../artifacts");
    assertEquals(status.code, 0, status.stderr);
    const lines = status.stdout.trim().split("\n");
    assertEquals(lines.length, 5, status.stdout); // prepare, classify, train, evaluate, report
    assert_(lines.every((l) => l.endsWith("cached")), status.stdout);
    const figures = join(reports, "synthetic", "figures");
    const svg = (await Array.fromAsync(Deno.readDir(figures))).find((e) =>
      e.name.endsWith(".svg")
    )!.name;
    const traced = await taskIn(
      user,
      "trace",
      `../reports/synthetic/figures/${svg}`,
      "--artifacts=../artifacts",
    );
    assertEquals(traced.code, 0, traced.stdout + traced.stderr);
    assertIncludes(traced.stdout, `figures/${svg} matches report`);
  });

  await t.step("trace exits 1 for an edited figure", async () => {
    const figures = join(reports, "synthetic", "figures");
    const svg = (await Array.fromAsync(Deno.readDir(figures))).find((e) =>
      e.name.endsWith(".svg")
    )!.name;
    const figure = join(figures, svg);
    const intact = await cli("trace", figure, "--artifacts", store);
    assertEquals(intact.code, 0, intact.stdout + intact.stderr);
    await Deno.writeTextFile(figure, (await Deno.readTextFile(figure)) + "<!-- edit -->");
    const edited = await cli("trace", figure, "--artifacts", store);
    assertEquals(edited.code, 1, edited.stdout);
    assertIncludes(edited.stdout, "DIFFERS from what report");
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
  // The handler exits at once, so it releases our locks and leases itself.
  const locks = await Array.fromAsync(Deno.readDir(join(root, "a", ".locks")));
  assertEquals(
    locks.map((e) => e.name).filter((n) => n.endsWith(".lock") || n.startsWith("run-")),
    [],
  );
});

async function hasCheckpoint(work: string): Promise<boolean> {
  try {
    for await (const entry of Deno.readDir(work)) {
      if (await exists(join(work, entry.name, "checkpoint", "checkpoint.json"))) return true;
    }
  } catch { /* not yet made */ }
  return false;
}
