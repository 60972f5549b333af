/**
 * Which browser the browser tests use, and what to do without one. A fresh machine with only
 * Node and npm has no Chromium: there the browser tests are skipped with one line saying how
 * to enable them, while CI sets REQUIRE_BROWSER=1 so a missing browser fails the run.
 * Pure functions: the PATH and the executable check are passed in, so the tests need no browser.
 */
import { delimiter, join } from "node:path";

/** Names a Chromium-based browser goes by on Linux, most specific first. */
export const BROWSER_NAMES = [
  "chromium",
  "chromium-browser",
  "google-chrome",
  "google-chrome-stable",
];

/** The search path when PATH is unset (what a login shell would give), so /usr/bin is looked at. */
export const DEFAULT_PATH = ["/usr/local/bin", "/usr/bin", "/bin"].join(delimiter);

export type BrowserLocation =
  /** A browser to launch. */
  | { kind: "found"; executable: string }
  /** Nothing on PATH: the browser tests are skipped, unless they are required. */
  | { kind: "absent"; searched: string }
  /** CHROMIUM names something that is not an executable: the user asked for it, so a failure. */
  | { kind: "unusable"; reason: string };

export type BrowserSearch = {
  /** The CHROMIUM environment variable: a path, or a bare name looked up on PATH. */
  chromium?: string;
  /** The PATH environment variable. */
  path?: string;
  isExecutable: (file: string) => boolean;
};

/** CHROMIUM if set (it must work), else the first of BROWSER_NAMES found on PATH. */
export function locateBrowser({ chromium, path, isExecutable }: BrowserSearch): BrowserLocation {
  const dirs = (path ?? DEFAULT_PATH).split(delimiter).filter((dir) => dir !== "");
  const onPath = (name: string) => dirs.map((dir) => join(dir, name)).find(isExecutable);
  if (chromium !== undefined && chromium !== "") {
    const executable = chromium.includes("/") ? chromium : onPath(chromium);
    if (executable !== undefined && isExecutable(executable)) return { kind: "found", executable };
    const where = chromium.includes("/") ? "" : " on PATH";
    return {
      kind: "unusable",
      reason: `CHROMIUM=${chromium} is not an executable file${where}: ` +
        "set it to a Chromium or Chrome binary, or unset it to look on PATH",
    };
  }
  for (const name of BROWSER_NAMES) {
    const executable = onPath(name);
    if (executable !== undefined) return { kind: "found", executable };
  }
  return { kind: "absent", searched: `no ${BROWSER_NAMES.join(", ")} on PATH` };
}

/** The one command that enables the browser tests, for the skip line and the failure. */
export const ENABLE_BROWSER_TESTS = "apt-get install chromium (or set CHROMIUM=/path/to/chrome)";

export type BrowserTestPlan =
  | { kind: "run"; executable: string }
  | { kind: "skip"; message: string }
  | { kind: "fail"; message: string };

/** Run with the browser found; without one, skip, or fail when `required` (REQUIRE_BROWSER). */
export function planBrowserTests(location: BrowserLocation, required: boolean): BrowserTestPlan {
  switch (location.kind) {
    case "found":
      return { kind: "run", executable: location.executable };
    case "unusable":
      return { kind: "fail", message: location.reason };
    case "absent":
      return required
        ? {
          kind: "fail",
          message: `REQUIRE_BROWSER is set but there is no browser (${location.searched}): ` +
            ENABLE_BROWSER_TESTS,
        }
        : {
          kind: "skip",
          message: `browser tests skipped (${location.searched}); to run them: ` +
            ENABLE_BROWSER_TESTS,
        };
  }
}

/** REQUIRE_BROWSER=1 (any value but empty or 0) makes a missing browser a failure. */
export function browserRequired(value: string | undefined): boolean {
  return value !== undefined && value !== "" && value !== "0";
}

/** A regular file (after links) with an execute bit; on Windows, where there are none, a file. */
export function isExecutableFile(file: string): boolean {
  try {
    const info = Deno.statSync(file);
    return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
  } catch (error) {
    // A PATH entry that is missing, not a folder or unreadable holds no browser.
    const unreachable = [
      Deno.errors.NotFound,
      Deno.errors.NotADirectory,
      Deno.errors.PermissionDenied,
    ];
    if (unreachable.some((kind) => error instanceof kind)) return false;
    throw error;
  }
}

/** The plan for this process: CHROMIUM, PATH and REQUIRE_BROWSER from the environment. */
export function browserTestPlanFromEnv(): BrowserTestPlan {
  const location = locateBrowser({
    chromium: Deno.env.get("CHROMIUM"),
    path: Deno.env.get("PATH"),
    isExecutable: isExecutableFile,
  });
  return planBrowserTests(location, browserRequired(Deno.env.get("REQUIRE_BROWSER")));
}
