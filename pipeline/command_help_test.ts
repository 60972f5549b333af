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

Deno.test("the help and the parser agree on every command's options", async () => {
  const { COMMAND_OPTIONS, parseCommandLine } = await import("./command_line.ts");
  const everyOption = [...new Set(Object.values(COMMAND_OPTIONS).flat())];
  for (const command of COMMANDS) {
    const help = commandHelp(command);
    // The flags the help lists under "options:" (`  --seeds 0,1,2  …`, `  --help, -h  …`).
    const listed = help.split("\n").flatMap((line) => line.match(/^ {2}--([a-z-]+)/)?.[1] ?? []);
    const own = COMMAND_OPTIONS[command];
    assertEquals(
      listed.filter((o) => !["artifacts", "reports", "help"].includes(o)).sort(),
      [...own].sort(),
      `${command}: the options its help lists are the ones it takes`,
    );
    // Every option the command does not take is refused, not ignored.
    for (const option of everyOption.filter((o) => !own.includes(o))) {
      const value = option === "force" || option.endsWith("hashes") || option === "dry-run"
        ? []
        : ["x"];
      let refused = false;
      try {
        parseCommandLine([command, `--${option}`, ...value, "c.yaml"], ["train"]);
      } catch {
        refused = true;
      }
      assert_(refused, `${command} --${option} must be refused`);
    }
  }
});
