/**
 * Opens a report in headless Chromium, as a reader would, and checks it through the Chrome
 * DevTools protocol (Deno's own WebSocket, no puppeteer): every figure drawn at a real
 * size, every image decoded, no console error, and no request that is not a local file.
 * The report is built from fixtures, so this runs in seconds without a trained model.
 * The browser is CHROMIUM or the first Chromium/Chrome on PATH (tests/browser_locate.ts); with
 * none the tests are skipped with one line saying why, unless REQUIRE_BROWSER=1 (CI) fails them.
 * REPORT_SCREENSHOTS=<dir> saves a full-page screenshot of each page there (report.png,
 * comparison.png, sweep.png); REPORT_BROWSER_KEEP=1 keeps each page with its screenshot in the temp dir.
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { tempDir, testContext } from "../pipeline/stage_testing.ts";
import { assert_, assertEquals } from "../pipeline/test_assert.ts";
import { report } from "../stages/report.ts";
import { compare } from "../stages/compare.ts";
import { compareContext } from "../stages/compare/test_fixtures.ts";
import { sweep } from "../stages/sweep.ts";
import { sweepContext } from "../stages/sweep/test_fixtures.ts";
import { writeFixtures } from "../stages/render/test_fixtures.ts";
import { browserTestPlanFromEnv } from "./browser_locate.ts";

const BROWSER = browserTestPlanFromEnv();
// One line for the whole module, not one per test: why they are skipped and how to run them.
if (BROWSER.kind === "skip") console.log(BROWSER.message);
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--hide-scrollbars",
  "--remote-debugging-port=0",
];
const TIMEOUT_MS = 30_000;

// deno-lint-ignore no-explicit-any
type Json = any;

/** A minimal DevTools protocol client: numbered commands, and every event kept in order. */
class Cdp {
  readonly events: { method: string; params: Json }[] = [];
  #pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
  #waiters: { method: string; resolve: (params: Json) => void }[] = [];
  #next = 1;

  private constructor(private socket: WebSocket) {
    socket.onmessage = (event) => this.#receive(JSON.parse(event.data));
  }

  static connect(url: string): Promise<Cdp> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve(new Cdp(socket));
      socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  }

  send(method: string, params: Json = {}): Promise<Json> {
    const id = this.#next++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  /** The next `method` event (register before the command that causes it). */
  next(method: string): Promise<Json> {
    return new Promise((resolve) => this.#waiters.push({ method, resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.socket.onclose = () => resolve();
      this.socket.close();
    });
  }

  #receive(message: Json) {
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id)!;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(new Error(JSON.stringify(message.error)));
      else pending.resolve(message.result);
      return;
    }
    this.events.push(message);
    const waiter = this.#waiters.findIndex((w) => w.method === message.method);
    if (waiter >= 0) this.#waiters.splice(waiter, 1)[0].resolve(message.params);
  }
}

/** Chromium on a fresh profile; resolves with the DevTools port it printed on stderr. */
async function launch(
  browser: string,
  profile: string,
): Promise<{ process: Deno.ChildProcess; port: number }> {
  const process = new Deno.Command(browser, {
    args: [...FLAGS, `--user-data-dir=${profile}`, "about:blank"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = process.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`chromium exited before listening:\n${text}`);
    text += value;
    const port = text.match(/DevTools listening on ws:\/\/[^:]+:(\d+)\//)?.[1];
    if (port) {
      // Keep draining stderr, or Chromium blocks once the pipe is full.
      (async () => {
        while (!(await lines.read()).done);
      })();
      return { process, port: Number(port) };
    }
  }
}

/** What the page shows, measured in the page: one entry per <figure>. */
const MEASURE = `JSON.stringify([...document.querySelectorAll("figure")].map((figure) => {
  const svg = figure.querySelector(":scope > svg"), img = figure.querySelector(":scope > img");
  const box = (svg ?? img)?.getBoundingClientRect();
  return {
    id: figure.id,
    kind: svg ? "svg" : img ? "img" : "none",
    width: box?.width ?? 0,
    height: box?.height ?? 0,
    marks: svg ? svg.querySelectorAll("path, line, rect, text").length : 0,
    decoded: img ? img.complete && img.naturalWidth > 0 : null,
    caption: figure.querySelector("figcaption .provenance code")?.title ?? "",
  };
}))`;

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Open `page` in `browser` and return what the checks need, saving a full-page screenshot. */
async function inspect(browser: string, page: string, screenshot: string, profile: string) {
  const { process, port } = await withTimeout(launch(browser, profile), "chromium start");
  let cdp: Cdp | undefined;
  try {
    const targets: Json[] = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const target = targets.find((t) => t.type === "page");
    cdp = await Cdp.connect(target.webSocketDebuggerUrl);
    for (const domain of ["Page", "Network", "Runtime", "Log"]) await cdp.send(`${domain}.enable`);
    await cdp.send("Emulation.setDeviceMetricsOverride", {
      width: 1100,
      height: 900,
      deviceScaleFactor: 1,
      mobile: false,
    });
    const loaded = cdp.next("Page.loadEventFired");
    await cdp.send("Page.navigate", { url: pathToFileURL(page).href });
    await withTimeout(loaded, "page load");
    const { result } = await cdp.send("Runtime.evaluate", {
      expression: MEASURE,
      returnByValue: true,
    });
    const { cssContentSize: size } = await cdp.send("Page.getLayoutMetrics");
    const shot = await cdp.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: size.width, height: size.height, scale: 1 },
    });
    await Deno.writeFile(screenshot, Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0)));
    return { figures: JSON.parse(result.value), events: cdp.events };
  } finally {
    await cdp?.send("Browser.close").catch(() => {});
    await cdp?.close();
    const exited = await withTimeout(process.status, "chromium exit").catch(() => null);
    if (!exited) process.kill("SIGKILL");
  }
}

/** Keep a copy of the screenshot in REPORT_SCREENSHOTS, if set (CI shows each page this way). */
async function publishScreenshot(screenshot: string, name: string): Promise<void> {
  const dir = Deno.env.get("REPORT_SCREENSHOTS");
  if (!dir) return;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.copyFile(screenshot, resolve(dir, `${name}.png`));
}

/**
 * Open the page, check that every figure is drawn at a real size, with its full key on hover,
 * that no request left the file system and that nothing was logged as an error or warning.
 * The screenshot is published before the checks, so a failing page can be looked at too.
 */
async function checkPage(
  browser: string,
  name: string,
  page: string,
  root: string,
  ids: string[],
  caption: (id: string) => string,
): Promise<void> {
  const screenshot = join(root, `${name}.png`);
  const { figures, events } = await inspect(browser, page, screenshot, join(root, "profile"));
  await publishScreenshot(screenshot, name);
  assertEquals(figures.map((f: Json) => f.id), ids);
  for (const f of figures) {
    assert_(f.width > 100 && f.height > 100, `${f.id} is drawn ${f.width}×${f.height}`);
    if (f.kind === "svg") assert_(f.marks > 20, `${f.id} has only ${f.marks} marks`);
    else assert_(f.kind === "img" && f.decoded, `${f.id}: image not decoded`);
    assertEquals(f.caption, caption(f.id), `${f.id}: full key on hover`);
  }
  const requests = events.filter((e) => e.method === "Network.requestWillBeSent")
    .map((e) => e.params.request.url as string);
  assertEquals(requests.filter((url) => !url.startsWith("file://")), [], "non-file requests");
  // The page itself and every image grid, each a file:// load.
  const images = figures.filter((f: Json) => f.kind === "img").length;
  assert_(requests.length >= 1 + images, `only ${requests.length} requests seen`);
  const errors = events.filter((e) =>
    e.method === "Runtime.exceptionThrown" ||
    (e.method === "Runtime.consoleAPICalled" && ["error", "warning"].includes(e.params.type)) ||
    (e.method === "Log.entryAdded" && ["error", "warning"].includes(e.params.entry.level)) ||
    e.method === "Network.loadingFailed"
  );
  assertEquals(errors, [], "console errors or failed loads");
  assert_((await Deno.stat(screenshot)).size > 10_000, "screenshot is empty");
}

/** A temp dir kept (with its screenshot) when the test fails or REPORT_BROWSER_KEEP is set. */
async function inTempDir(prefix: string, fn: (root: string) => Promise<void>): Promise<void> {
  const root = await tempDir(prefix);
  let passed = false;
  try {
    await fn(root);
    passed = true;
  } finally {
    if (passed && !Deno.env.get("REPORT_BROWSER_KEEP")) {
      await Deno.remove(root, { recursive: true });
    } else console.log(`page and screenshot kept in ${root}`);
  }
}

/**
 * A browser test: run with the browser found, ignored when there is none (the module printed
 * why), or failing with the reason when REQUIRE_BROWSER is set or CHROMIUM is unusable.
 */
function browserTest(name: string, fn: (browser: string) => Promise<void>): void {
  Deno.test({
    name,
    ignore: BROWSER.kind === "skip",
    fn: () => {
      if (BROWSER.kind !== "run") throw new Error(BROWSER.message);
      return fn(BROWSER.executable);
    },
  });
}

/** The single-run report, built from fixtures, as a reader opens it. */
async function checkReport(browser: string): Promise<void> {
  await inTempDir("report-browser-", async (root) => {
    const fixture = await writeFixtures(join(root, "inputs"));
    const ctx = await testContext({ config: fixture.config }, { ...fixture, dir: root });
    await report(ctx);
    const ids = [
      "training_curves",
      "log_var_over_epochs",
      "kl_per_dimension",
      "latent_scatter",
      "iw_curve",
      "reconstructions",
      "prior_samples",
      "class_samples",
      "traversal",
    ];
    const page = join(ctx.outDir, "index.html");
    await checkPage(browser, "report", page, root, ids, () => fixture.inputKeys.prepare);
  });
}

/** The comparison page of three fixture runs. */
async function checkComparison(browser: string): Promise<void> {
  await inTempDir("compare-browser-", async (root) => {
    const ctx = await compareContext(root, { vae: { kind: "vae" }, cvae: {}, ae: { kind: "ae" } });
    await compare(ctx);
    const ids = [
      "rate_distortion",
      "elbo_curves",
      "log_var_curves",
      "kl_per_dimension",
      "prior_samples",
    ];
    // The caption's first key is the first run's, of the stage the figure's data came from.
    const first = (id: string) =>
      ctx.inputKeys[["elbo_curves", "log_var_curves"].includes(id) ? "train:vae" : "evaluate:vae"];
    await checkPage(browser, "comparison", join(ctx.outDir, "index.html"), root, ids, first);
  });
}

/** A sweep's report over fixture cells (2 variants × 2 grid points × 3 seeds). */
async function checkSweep(browser: string): Promise<void> {
  await inTempDir("sweep-browser-", async (root) => {
    const ctx = await sweepContext(root);
    await sweep(ctx);
    const ids = [
      "metrics_over_seeds",
      "against_epochs",
      "rate_distortion",
      "log_var_per_dimension",
      "kl_per_dimension",
      "prior_samples",
    ];
    // Every figure's data comes from the cells' evaluate artifacts: the first cell's key.
    const first = () => ctx.inputKeys[`evaluate:${ctx.params.cells[0].name}`];
    await checkPage(browser, "sweep", join(ctx.outDir, "index.html"), root, ids, first);
  });
}

browserTest("report in headless Chromium: every figure drawn, offline, no errors", checkReport);
browserTest(
  "comparison in headless Chromium: every figure drawn, offline, no errors",
  checkComparison,
);
browserTest(
  "sweep report in headless Chromium: every figure drawn, offline, no errors",
  checkSweep,
);
