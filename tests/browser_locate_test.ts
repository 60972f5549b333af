import { join } from "node:path";
import { tempDir, tempFile } from "../pipeline/stage_testing.ts";
import { assert_, assertEquals } from "../pipeline/test_assert.ts";
import {
  browserRequired,
  ENABLE_BROWSER_TESTS,
  isExecutableFile,
  locateBrowser,
  planBrowserTests,
} from "./browser_locate.ts";

/** A file system holding exactly these executables. */
const only = (...files: string[]) => (file: string) => files.includes(file);

Deno.test("locateBrowser: CHROMIUM wins over PATH, and a bare name is looked up on PATH", () => {
  const isExecutable = only("/opt/chrome/chrome", "/usr/bin/chromium", "/usr/bin/google-chrome");
  assertEquals(
    locateBrowser({ chromium: "/opt/chrome/chrome", path: "/usr/bin", isExecutable }),
    { kind: "found", executable: "/opt/chrome/chrome" },
  );
  assertEquals(
    locateBrowser({ chromium: "google-chrome", path: "/usr/bin", isExecutable }),
    { kind: "found", executable: "/usr/bin/google-chrome" },
  );
});

Deno.test("locateBrowser: a CHROMIUM that is not an executable is a failure, not a skip", () => {
  const isExecutable = only("/usr/bin/chromium");
  const missing = locateBrowser({ chromium: "/nope/chrome", path: "/usr/bin", isExecutable });
  assertEquals(missing.kind, "unusable");
  assert_(
    missing.kind === "unusable" && missing.reason.startsWith("CHROMIUM=/nope/chrome is not an"),
    JSON.stringify(missing),
  );
  const bare = locateBrowser({ chromium: "chrome", path: "/usr/bin", isExecutable });
  assert_(bare.kind === "unusable" && bare.reason.includes("on PATH"), JSON.stringify(bare));
  const plan = planBrowserTests(missing, false);
  assertEquals(plan.kind, "fail");
});

Deno.test("locateBrowser: on PATH, a name in any folder beats a later name; empty entries skipped", () => {
  const isExecutable = only("/b/google-chrome", "/c/chromium", "chromium");
  assertEquals(
    locateBrowser({ path: "/a::/b:/c", isExecutable }),
    { kind: "found", executable: "/c/chromium" },
  );
  assertEquals(
    locateBrowser({ path: "/a:/b", isExecutable }),
    { kind: "found", executable: "/b/google-chrome" },
  );
  // An empty CHROMIUM is as if unset.
  assertEquals(
    locateBrowser({ chromium: "", path: "/c", isExecutable }),
    { kind: "found", executable: "/c/chromium" },
  );
});

Deno.test("locateBrowser: PATH unset means the usual folders, so /usr/bin/chromium is found", () => {
  assertEquals(
    locateBrowser({ isExecutable: only("/usr/bin/chromium") }),
    { kind: "found", executable: "/usr/bin/chromium" },
  );
});

Deno.test("planBrowserTests: no browser is a skip with the enabling command, or a failure when required", () => {
  const absent = locateBrowser({ path: "/usr/local/bin", isExecutable: only() });
  assertEquals(absent.kind, "absent");
  const skip = planBrowserTests(absent, false);
  assertEquals(skip, {
    kind: "skip",
    message: "browser tests skipped (no chromium, chromium-browser, google-chrome, " +
      `google-chrome-stable on PATH); to run them: ${ENABLE_BROWSER_TESTS}`,
  });
  const fail = planBrowserTests(absent, true);
  assert_(
    fail.kind === "fail" && fail.message.startsWith("REQUIRE_BROWSER is set but there is no"),
    JSON.stringify(fail),
  );
  const found = locateBrowser({ path: "/x", isExecutable: only("/x/chromium") });
  assertEquals(planBrowserTests(found, true), { kind: "run", executable: "/x/chromium" });
});

Deno.test("browserRequired: REQUIRE_BROWSER=1 requires, unset, empty or 0 do not", () => {
  assertEquals([undefined, "", "0", "1", "yes"].map(browserRequired), [
    false,
    false,
    false,
    true,
    true,
  ]);
});

Deno.test("isExecutableFile: a file with an execute bit, not a plain file, folder or missing path", async () => {
  const file = await tempFile();
  assertEquals(isExecutableFile(file), false);
  await Deno.chmod(file, 0o755);
  assertEquals(isExecutableFile(file), true);
  const dir = await tempDir();
  await Deno.chmod(dir, 0o755);
  assertEquals(isExecutableFile(dir), false);
  assertEquals(isExecutableFile(join(dir, "missing")), false);
  assertEquals(isExecutableFile(join(file, "under-a-file")), false);
});
