import { join } from "node:path";
import { parseCommandLine, PROJECT_ROOT } from "./command_line.ts";
import { fromUserFolder, permissionFlags, permissionsFor } from "./launch.ts";
import { tempDir } from "./stage_testing.ts";
import { assertEquals } from "./test_assert.ts";

Deno.test("paths on the command line are the user's: resolved against INIT_CWD", async () => {
  const user = await tempDir();
  await Deno.writeTextFile(join(user, "mine.yaml"), "{}\n");
  await Deno.writeTextFile(join(user, "UPPER.YML"), "{}\n");
  await Deno.mkdir(join(user, "figures"));
  await Deno.writeTextFile(join(user, "figures", "kl.svg"), "<svg/>");
  assertEquals(
    fromUserFolder(
      ["run", "mine.yaml", "configs/vae.yaml", "UPPER.YML", "--artifacts", "a", "--reports=r"],
      user,
    ),
    [
      "run",
      join(user, "mine.yaml"), // there: the user's
      "configs/vae.yaml", // not there: the project's, as given
      join(user, "UPPER.YML"),
      "--artifacts",
      join(user, "a"), // folders: always the user's
      `--reports=${join(user, "r")}`,
    ],
  );
  // Absolute paths, option values that are not paths, and stage names stay as they are.
  assertEquals(
    fromUserFolder(
      [
        "verify",
        "/abs/x.yaml",
        "--seeds",
        "mine.yaml",
        "--name",
        "a",
        "train",
        "--artifacts",
        "/s",
      ],
      user,
    ),
    ["verify", "/abs/x.yaml", "--seeds", "mine.yaml", "--name", "a", "train", "--artifacts", "/s"],
  );
  assertEquals(
    fromUserFolder(["run", "--force", "mine.yaml"], user),
    ["run", "--force", join(user, "mine.yaml")],
  );
  // trace's figure, whatever its extension.
  assertEquals(
    fromUserFolder(["trace", "figures/kl.svg"], user),
    ["trace", join(user, "figures", "kl.svg")],
  );
  // From the project folder, or with no INIT_CWD, nothing changes.
  const args = ["status", "configs/vae.yaml", "--artifacts", "a"];
  assertEquals(fromUserFolder(args, PROJECT_ROOT), args);
  assertEquals(fromUserFolder(args, undefined), args);
});

Deno.test("runs only reads: the project and the store, and no write flag at all", async () => {
  const store = await tempDir();
  const args = parseCommandLine(["runs", "loss.beta=4", "--artifacts", store], ["train"]);
  const paths = await permissionsFor(args);
  assertEquals(paths, { read: [PROJECT_ROOT, store], write: [], run: [] });
  const flags = permissionFlags(paths);
  assertEquals(flags.filter((f) => f.startsWith("--allow-write")), []);
  assertEquals(flags.filter((f) => f.startsWith("--allow-read")), [
    `--allow-read=${PROJECT_ROOT},${store}`,
  ]);
});
