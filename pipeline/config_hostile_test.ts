import { join } from "node:path";
import { loadConfig } from "./config.ts";
import { UserError } from "./errors.ts";
import { assert_, assertEquals, assertIncludes } from "./test_assert.ts";
import { tempDir } from "./stage_testing.ts";

/**
 * Configs that are wrong on purpose or by accident in ways that used to hang, eat memory,
 * print a stack trace or leak a file: each must fail fast with one line that names the file
 * and quotes at most a short escaped excerpt.
 */

/** Fail the test (instead of hanging the suite) when a load takes longer than this. */
const TIME_LIMIT_MS = 5000;

async function withConfigs(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await tempDir("config-hostile-");
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(join(dir, name), text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Load `path`, expecting a one-line UserError within TIME_LIMIT_MS; returns its message. */
async function loadError(path: string): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const started = performance.now();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${TIME_LIMIT_MS} ms`)), TIME_LIMIT_MS);
  });
  let error: unknown;
  try {
    await Promise.race([loadConfig(path), timeout]);
  } catch (e) {
    error = e;
  } finally {
    clearTimeout(timer);
  }
  assert_(error !== undefined, `${path} loaded, but it should have failed`);
  assert_(error instanceof UserError, `expected a UserError, got ${String(error)}`);
  const message = error.message;
  assert_(!message.includes("\n"), `not one line: ${message}`);
  assert_(message.length <= 400, `too long (${message.length} chars): ${message.slice(0, 400)}`);
  const took = performance.now() - started;
  assert_(took < TIME_LIMIT_MS, `took ${took} ms`);
  return message;
}

/** Each case: the files, the one that is loaded, what the message must and must not say. */
interface Case {
  files: Record<string, string>;
  load?: string;
  says: string[];
  never?: string[];
}

const bomb = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
  "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
  "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
  "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
  "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
].join("\n") + "\n";

const CASES: Record<string, Case> = {
  "extends: /dev/zero is refused unread (it is not a .yaml file)": {
    files: { "c.yaml": "extends: /dev/zero\n" },
    says: ["c.yaml:1: extends must name a config", '"/dev/zero"', ".yaml or .yml"],
  },
  "extends: /etc/passwd is refused unread": {
    files: { "c.yaml": "extends: /etc/passwd\n" },
    says: ["c.yaml:1: extends must name a config"],
    never: ["root:"],
  },
  "extends: /proc/self/environ is refused unread": {
    files: { "c.yaml": "extends: /proc/self/environ\n" },
    says: ["c.yaml:1: extends must name a config"],
  },
  "a YAML alias bomb": {
    files: { "c.yaml": bomb },
    says: ["c.yaml:2:8: invalid YAML: aliases expand too much"],
  },
  "a !!js/function tag": {
    files: { "c.yaml": "model: !!js/function 'function () { return 1 }'\n" },
    says: ["c.yaml:1:8: invalid YAML: tags", "not allowed"],
    never: ["return 1"],
  },
  "a !!binary tag and a custom tag": {
    files: { "c.yaml": "seed: !foo 3\nname: !!binary aGVsbG8=\n" },
    says: ["c.yaml:1:7: invalid YAML: tags"],
  },
  "nesting deeper than 32 levels": {
    files: { "c.yaml": "model:\n  hidden: " + "[".repeat(40) + "]".repeat(40) + "\n" },
    says: ["c.yaml:2:", "nests deeper than 32 levels"],
  },
  "200,000 open brackets (the yaml parser would take seconds)": {
    files: { "c.yaml": "model: " + "[".repeat(200_000) + "\n" },
    says: ["c.yaml:1:", "nests deeper than 32 levels"],
  },
  "deep block nesting": {
    files: {
      "c.yaml": Array.from({ length: 40 }, (_, i) => " ".repeat(i) + "k:").join("\n") + " 1\n",
    },
    says: ["c.yaml:", "nests deeper than 32 levels"],
  },
  "a file over the size limit": {
    files: { "c.yaml": "seed: 1\n" + `# ${"x".repeat(100)}\n`.repeat(3000) },
    says: ["c.yaml: is 302 KiB, over the 256 KiB limit for a config"],
  },
  "10,000+ values": {
    files: { "c.yaml": "model:\n  hidden: [" + "1, ".repeat(12_000) + "1]\n" },
    says: ["c.yaml:2:", "holds more than 10,000 values"],
  },
  "hidden: [1e9]": {
    files: { "c.yaml": "model:\n  hidden: [1e9]\n" },
    says: ["c.yaml:2: model.hidden[0] must be ≤ 16384, got 1000000000"],
  },
  "nine hidden layers": {
    files: { "c.yaml": "model:\n  hidden: [8, 8, 8, 8, 8, 8, 8, 8, 8]\n" },
    says: ["c.yaml:2: model.hidden must have ≤ 8 items"],
  },
  "latentDim: 1e9": {
    files: { "c.yaml": "model:\n  latentDim: 1e9\n" },
    says: ["c.yaml:2: model.latentDim must be ≤ 1024, got 1000000000"],
  },
  "epochs: 1e12": {
    files: { "c.yaml": "train:\n  epochs: 1e12\n" },
    says: ["c.yaml:2: train.epochs must be ≤ 100000, got 1000000000000"],
  },
  "iwK: [1e9]": {
    files: { "c.yaml": "evaluate:\n  iwK: [1, 1e9]\n" },
    says: ["c.yaml:2: evaluate.iwK[1] must be ≤ 100000, got 1000000000"],
  },
  "synthetic.count: 1e7": {
    files: { "c.yaml": "data:\n  source: synthetic\n  synthetic:\n    count: 1e7\n" },
    says: ["c.yaml:4: data.synthetic.count must be ≤ 1000000"],
  },
  "gridSize: 1000": {
    files: { "c.yaml": "evaluate:\n  gridSize: 1000\n" },
    says: ["c.yaml:2: evaluate.gridSize must be ≤ 100, got 1000"],
  },
  "wide layers that fit the per-key limits but not the memory budget": {
    files: { "c.yaml": "model:\n  hidden: [16384, 16384, 16384, 16384, 16384, 16384]\n" },
    says: ["c.yaml:2: model.hidden makes the run need about", "memory budget", "narrower"],
  },
  "an evaluation batch that does not fit the memory budget": {
    files: { "c.yaml": "model:\n  hidden: [4096, 4096]\nevaluate:\n  batchSize: 1000000\n" },
    says: ["c.yaml:4: evaluate.batchSize makes the run need about", "memory budget"],
  },
  "an empty file": {
    files: { "c.yaml": "" },
    says: ["c.yaml: the config is empty", "extends: base.yaml"],
  },
  "a file of comments only": {
    files: { "c.yaml": "# nothing here\n\n# or here\n" },
    says: ["c.yaml: the config is empty"],
  },
  ".nan": {
    files: { "c.yaml": "train:\n  learningRate: .nan\n" },
    says: ["c.yaml:2: train.learningRate must be a finite number, got .nan"],
  },
  ".inf": {
    files: { "c.yaml": "loss:\n  beta: -.inf\n" },
    says: ["c.yaml:2: loss.beta must be a finite number, got -.inf"],
  },
  "1e400": {
    files: { "c.yaml": "train:\n  learningRate: 1e400\n" },
    says: ["c.yaml:2: train.learningRate must be a finite number, got 1e400"],
  },
  "one class": {
    files: { "c.yaml": "data:\n  classes: [3]\n" },
    says: ["c.yaml:2: data.classes must list at least 2 distinct classes", "got [3]"],
  },
  "a repeated class": {
    files: { "c.yaml": "data:\n  classes: [3, 4, 3]\n" },
    says: ["c.yaml:2: data.classes[2] repeats a class", "got 3"],
  },
  "a class mnist does not have": {
    files: { "c.yaml": "data:\n  classes: [3, 11]\n" },
    says: ["c.yaml:2: data.classes[1] is not a class of data.source mnist (it has 0–9)"],
  },
  "a class the synthetic data does not have": {
    files: {
      "c.yaml": "data:\n  source: synthetic\n  synthetic:\n    classes: 4\n  classes: [0, 4]\n",
    },
    says: ["c.yaml:5: data.classes[1] is not a class of data.source synthetic (it has 0–3)"],
  },
  "a limit below the number of classes": {
    files: { "c.yaml": "data:\n  classes: [1, 2, 3]\n  limit:\n    train: 2\n" },
    says: ["c.yaml:4: data.limit.train must be ≥ 3 to keep one example of each of the 3 classes"],
  },
  "one Fréchet sample": {
    files: { "c.yaml": "evaluate:\n  frechetSamples: 1\n" },
    says: ["c.yaml:2: evaluate.frechetSamples must be 0 (off) or at least 2", "got 1"],
  },
  "a Fréchet distance without a hidden layer to take features from": {
    files: { "c.yaml": "classifier:\n  hidden: []\n" },
    says: ["c.yaml:2: classifier.hidden must have a hidden layer", "evaluate.frechetSamples: 0"],
  },
  "Fréchet features too wide to decompose": {
    files: { "c.yaml": "classifier:\n  hidden: [64, 1024]\n" },
    says: ["c.yaml:2: classifier.hidden[1] must be ≤ 512 in its last layer", "got 1024"],
  },
  "a __proto__ key": {
    files: { "c.yaml": "__proto__:\n  seed: 5\n" },
    says: ["c.yaml:1:1: unknown key __proto__"],
  },
  "a NUL byte in a data path": {
    files: { "c.yaml": 'data:\n  source: csv\n  csv:\n    path: "a\\0b.csv"\n' },
    says: ["c.yaml:4: data.csv.path must be a file path without control characters", "\\u0000"],
  },
  "a NUL byte in extends": {
    files: { "c.yaml": 'extends: "a\\0b.yaml"\n' },
    says: ["c.yaml:1: extends must be a file path without control characters", "\\u0000"],
  },
  "a long value is quoted as a short excerpt": {
    files: { "c.yaml": `data:\n  source: "${"secret".repeat(1000)}"\n` },
    says: ["c.yaml:2: data.source must be one of", "…"],
  },
  "a long unknown key is shortened": {
    files: { "c.yaml": `model:\n  ${"k".repeat(900)}: 1\n` },
    says: ["c.yaml:2: unknown key model.", "…"],
  },
  "a list at the top does not dump the document": {
    files: { "c.yaml": "- secret-one\n- secret-two\n" },
    says: ["c.yaml: a config must be a mapping", "got a list"],
    never: ["secret"],
  },
  "a scalar document does not dump the document": {
    files: { "c.yaml": "root:x:0:0:root:/root:/bin/bash\n" },
    says: ["c.yaml: a config must be a mapping", "got a single value"],
    never: ["root:"],
  },
  "two documents": {
    files: { "c.yaml": "seed: 1\n---\nseed: 2\n" },
    says: ["c.yaml:2:1: invalid YAML: more than one document"],
  },
  "binary content": {
    files: { "c.yaml": "seed: 1\nname: a\u0001b\n" },
    says: ["c.yaml:2:8: holds the control character 0x01"],
  },
  "a directory named like a config": {
    files: { "c.yaml": "extends: d.yaml\n" },
    says: ["d.yaml: is a directory, not a file (extends in ", "c.yaml:1)"],
  },
  "a config that is not .yaml": {
    files: { "c.txt": "seed: 1\n" },
    load: "c.txt",
    says: ["c.txt: not a .yaml or .yml file"],
  },
};

for (const [what, { files, load = "c.yaml", says, never = [] }] of Object.entries(CASES)) {
  Deno.test(`hostile config: ${what}`, async () => {
    await withConfigs(files, async (dir) => {
      if (what.startsWith("a directory")) await Deno.mkdir(join(dir, "d.yaml"));
      const message = await loadError(join(dir, load));
      for (const part of says) assertIncludes(message, part);
      for (const part of never) assert_(!message.includes(part), `leaks ${part}: ${message}`);
    });
  });
}

Deno.test("a config with nothing but extends is fine", async () => {
  await withConfigs({ "base.yaml": "seed: 4\n", "c.yaml": "extends: base.yaml\n" }, async (dir) => {
    assertEquals((await loadConfig(join(dir, "c.yaml"))).seed, 4);
  });
});

Deno.test("a NUL byte in the config path itself is one line, not a TypeError", async () => {
  const message = await loadError("configs/a\0b.yaml");
  assertIncludes(message, "the path contains a NUL byte");
  assertIncludes(message, "\\u0000");
});

Deno.test("a .yaml link to a device is stat'ed, never opened", async () => {
  await withConfigs({ "c.yaml": "extends: zero.yaml\n" }, async (dir) => {
    await Deno.symlink("/dev/zero", join(dir, "zero.yaml"));
    const message = await loadError(join(dir, "c.yaml"));
    assertIncludes(message, "zero.yaml: is a character device, not a file (extends in ");
    assertIncludes(message, "point extends at a regular file");
  });
});

Deno.test("a .yaml link to /proc/self/environ leaks no environment value", async () => {
  await withConfigs({ "c.yaml": "extends: env.yaml\n" }, async (dir) => {
    await Deno.symlink("/proc/self/environ", join(dir, "env.yaml"));
    Deno.env.set("CONFIG_HOSTILE_TEST_SECRET", "do-not-print-this-value");
    try {
      for (const path of [join(dir, "c.yaml"), join(dir, "env.yaml")]) {
        const message = await loadError(path);
        assertIncludes(message, "env.yaml");
        assert_(!message.includes("do-not-print-this-value"), `leaks the secret: ${message}`);
        // Paths (TMPDIR, PWD) may appear as the file's own location; other values may not.
        for (const value of Object.values(Deno.env.toObject())) {
          if (value.length > 8 && !value.includes("/")) {
            assert_(!message.includes(value), `leaks an env value: ${message}`);
          }
        }
      }
    } finally {
      Deno.env.delete("CONFIG_HOSTILE_TEST_SECRET");
    }
  });
});

Deno.test("a .yaml link to /etc/passwd does not print the file", async () => {
  await withConfigs({ "c.yaml": "extends: passwd.yaml\n" }, async (dir) => {
    await Deno.symlink("/etc/passwd", join(dir, "passwd.yaml"));
    const message = await loadError(join(dir, "c.yaml"));
    assertIncludes(message, "passwd.yaml");
    assert_(!message.includes("root:"), message);
  });
});

Deno.test("a FIFO named like a config is refused without opening it (no hang)", async () => {
  await withConfigs({ "c.yaml": "extends: pipe.yaml\n" }, async (dir) => {
    const made = await new Deno.Command("mkfifo", { args: [join(dir, "pipe.yaml")] }).output()
      .catch(() => null);
    if (!made?.success) {
      console.log("skipped: mkfifo is not available");
      return;
    }
    const message = await loadError(join(dir, "c.yaml"));
    assertIncludes(message, "pipe.yaml: is a FIFO (named pipe), not a file (extends in ");
  });
});
