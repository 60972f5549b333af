import { join } from "node:path";
import { askGit, GIT_PATHS } from "./project_version.ts";
import { tempDir } from "./stage_testing.ts";
import { assert_, assertEquals } from "./test_assert.ts";

const git = GIT_PATHS.find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});

function run(dir: string, ...args: string[]) {
  const output = new Deno.Command(git!, {
    args: ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.org", ...args],
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  assert_(output.success, new TextDecoder().decode(output.stderr));
}

Deno.test({
  name: "the project version: the commit, and dirty once a file changes or appears",
  ignore: git === undefined, // git cloned this checkout; a tarball without git is the case below
  fn: async () => {
    const repo = await tempDir();
    await Deno.writeTextFile(join(repo, "a.txt"), "one\n");
    run(repo, "init", "-q");
    run(repo, "add", "a.txt");
    run(repo, "commit", "-q", "-m", "first");
    const clean = askGit(repo);
    assert_(clean.commit !== null && /^[0-9a-f]{40}$/.test(clean.commit), String(clean.commit));
    assertEquals(clean.dirty, false);
    await Deno.writeTextFile(join(repo, "a.txt"), "two\n");
    assertEquals(askGit(repo), { commit: clean.commit, dirty: true });
    run(repo, "commit", "-q", "-am", "second");
    await Deno.writeTextFile(join(repo, "new.txt"), "untracked\n");
    const untracked = askGit(repo);
    assert_(untracked.commit !== clean.commit, "a new commit is a new version");
    assertEquals(untracked.dirty, true);
  },
});

Deno.test("no repository, or no git: the version is unknown, never an error", async () => {
  const plain = await tempDir();
  assertEquals(askGit(plain), { commit: null, dirty: null });
  assertEquals(askGit(plain, ["/nonexistent/git"]), { commit: null, dirty: null });
});
