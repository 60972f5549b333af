import { commandHelp, COMMANDS, helpRequested, usage } from "./command_help.ts";
import { assert_, assertEquals, assertIncludes } from "./test_assert.ts";

Deno.test("the top-level usage lists every command on one line each", () => {
  const text = usage();
  for (const command of COMMANDS) {
    const lines = text.split("\n").filter((l) => l.startsWith(`  ${command} `));
    assertEquals(lines.length, 1, `${command} has one line`);
  }
  assertIncludes(text, "--artifacts <dir>");
});

Deno.test("--help, -h and help <command> ask for the command's help; other lines ask none", () => {
  for (const command of COMMANDS) {
    const help = commandHelp(command);
    assert_(help.startsWith(`usage: deno task ${command} `), help);
    assertEquals(helpRequested([command, "--help"]), help);
    assertEquals(helpRequested([command, "configs/vae.yaml", "-h"]), help);
    assertEquals(helpRequested(["help", command]), help);
  }
  assertEquals(helpRequested([]), usage());
  assertEquals(helpRequested(["--help"]), usage());
  assertEquals(helpRequested(["help"]), usage());
  assertEquals(helpRequested(["rnu", "--help"]), usage());
  assertEquals(helpRequested(["run", "configs/vae.yaml"]), undefined);
  // After `--` every word is a positional, even one spelled like a flag.
  assertEquals(helpRequested(["run", "--", "-h"]), undefined);
});

Deno.test("every option a command accepts is in its help", async () => {
  const { parseCommandLine } = await import("./command_line.ts");
  const flags: Record<string, string[]> = {
    run: ["--force", "--seeds"],
    report: ["--force", "--seeds"],
    compare: ["--name", "--force", "--seeds"],
    status: ["--seeds"],
    verify: ["--check-hashes", "--seeds"],
    gc: ["--dry-run", "--seeds"],
    trace: [],
  };
  for (const command of COMMANDS) {
    for (const flag of flags[command]) assertIncludes(commandHelp(command), flag);
    // A flag the help does not list is refused by the parser (and the reverse holds above).
    for (const flag of ["--name", "--dry-run", "--check-hashes"]) {
      if (flags[command].includes(flag)) continue;
      const argv = [command, flag, ...(flag === "--name" ? ["x"] : []), "c.yaml"];
      let refused = false;
      try {
        parseCommandLine(argv, ["train"]);
      } catch {
        refused = true;
      }
      assert_(refused, `${argv.join(" ")} must be refused`);
    }
  }
});
