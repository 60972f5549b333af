/**
 * The command line as a newcomer meets it, through `deno task` itself: help for every
 * command, and every mistake one line on stderr with the fix, never a stack trace.
 */
import { COMMANDS } from "../pipeline/command_help.ts";
import { assert_, assertEquals, assertIncludes } from "../pipeline/test_assert.ts";
import { denoTask } from "./cli_testing.ts";

/** `deno task <args>` in the project folder. */
const task = (...args: string[]) => denoTask(args);

Deno.test("deno task <command> --help prints the command's usage and exits 0", async () => {
  for (const command of COMMANDS) {
    const result = await task(command, "--help");
    assertEquals(result.code, 0, `${command} --help: ${result.stderr}`);
    assert_(result.stdout.startsWith(`usage: deno task ${command} `), result.stdout);
    assertEquals(result.stderr, "");
  }
  const short = await task("run", "-h");
  assertEquals(short.code, 0);
  assertIncludes(short.stdout, "--force [stage]");
});

Deno.test("deno task help lists every command", async () => {
  const result = await task("help");
  assertEquals(result.code, 0);
  for (const command of COMMANDS) assertIncludes(result.stdout, `  ${command} `);
});

Deno.test("bad command lines are one line on stderr, with the fix", async () => {
  const cases: [string[], string][] = [
    [["run", "configs/vae.yaml", "--epochs", "5"], "run: unknown option --epochs;"],
    [["run", "configs/vae.yaml", "--seed", "3"], "did you mean --seeds?"],
    [["status", "configs/vae.yaml", "--force"], "status does not take --force"],
    [["run"], "run needs a config file; see `deno task run --help`"],
    [
      ["run", "configs/vea.yaml"],
      "configs/vea.yaml: file not found; did you mean configs/vae.yaml?",
    ],
    [
      ["run", "configs/sweep/loss-balance.yaml"],
      "did you mean configs/sweeps/loss-balance.yaml?",
    ],
    [
      ["run", "configs/vae.yaml", "--force", "trian"],
      `unknown stage "trian"; did you mean "train"?`,
    ],
  ];
  for (const [args, says] of cases) {
    const result = await task(...args);
    assertEquals(result.code, 1, args.join(" "));
    assertEquals(result.stdout, "");
    assert_(!result.stderr.includes("\n"), `one line: ${result.stderr}`);
    assert_(!/\bat .*:\d+:\d+/.test(result.stderr), `no stack trace: ${result.stderr}`);
    assertIncludes(result.stderr, says);
  }
});
