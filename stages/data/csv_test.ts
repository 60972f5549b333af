import assert from "node:assert/strict";
import { join } from "node:path";
import { UserError } from "../../pipeline/errors.ts";
import { CSV_MAX_BYTES, loadCsv } from "./csv.ts";
import { decodeIdx, encodeIdx, IDX_IMAGES } from "./idx.ts";
import { tempDir } from "../../pipeline/stage_testing.ts";

async function withCsv(text: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  try {
    const path = join(dir, "data.csv");
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadCsv reads square images with the label in any column", async () => {
  const text = "p0,p1,digit,p2,p3\n0,255,7,51,102\n\n255,255,3,0,0\n";
  await withCsv(text, async (path) => {
    const source = await loadCsv({ path, labelColumn: "digit", pixelMax: 255 });
    assert.equal(source.name, path);
    assert.equal(source.test, null);
    assert.deepEqual([source.train.height, source.train.width], [2, 2]);
    assert.deepEqual(Array.from(source.train.labels), [7, 3]);
    assert.deepEqual(
      Array.from(source.train.images),
      [0, 1, 0.2, 0.4, 1, 1, 0, 0].map(Math.fround),
    );
    assert.equal(source.files[0].path, path);
  });
});

Deno.test("loadCsv rejects bad CSV with one line naming the file, the place and the fix", async () => {
  const cases: [string, RegExp][] = [
    ["label,a,b,c,d\n", /has a header but no data rows/],
    ["", /is empty/],
    [
      "y,a,b,c,d\n1,0,0,0,0\n",
      /has no column "label" \(columns: "y", "a", "b", "c", "d"\); set data\.csv\.labelColumn/,
    ],
    ["label,a,b,c,d\n1,0,0,0,0\n2,0,0\n", /line 3 has 3 fields but the header has 5/],
    ["label,a,b,c,d\n1,0,x,0,0\n", /line 2, column "b": "x" is not a number/],
    ["label,a,b,c,d\n1,0,,0,0\n", /line 2, column "b": "" is not a number/],
    [
      "label,a,b,c,d\n1,0,0,0,1.5\n",
      /line 2, column "d": 1\.5 is outside \[0, 1\]; set data\.csv\.pixelMax/,
    ],
    ["label,a,b,c,d\n1,0,-1,0,0\n", /-1 is outside \[0, 1\]/],
    ["label,a,b,c,d\n1.5,0,0,0,0\n", /label 1\.5 is not an integer in 0\.\.255/],
    ["label,a,b,c\n1,0,0,0\n", /has 3 pixel columns, which is not a square image/],
    ['label,a\n1,"0\n', /is not valid CSV/],
  ];
  for (const [text, pattern] of cases) {
    await withCsv(text, async (path) => {
      await assert.rejects(loadCsv({ path, labelColumn: "label", pixelMax: 1 }), (e: unknown) => {
        assert.ok(e instanceof UserError, `${JSON.stringify(text)}: ${e}`);
        assert.ok(e.message.startsWith(`${path}: `), e.message);
        assert.match(e.message, pattern);
        assert.ok(!e.message.includes("\n"), e.message);
        return true;
      });
    });
  }
});

Deno.test("loadCsv quotes at most a short escaped excerpt of a bad cell or header", async () => {
  const secret = "s3cr3t-".repeat(200);
  const cases: [string, RegExp][] = [
    [`label,a,b,c,d\n1,0,${secret},0,0\n`, /column "b": a cell of 1400 characters is not a number/],
    [`${secret},a,b,c,d\n1,0,0,0,0\n`, /first line does not look like a CSV header \(5 fields\)/],
  ];
  for (const [text, pattern] of cases) {
    await withCsv(text, async (path) => {
      await assert.rejects(loadCsv({ path, labelColumn: "label", pixelMax: 1 }), (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.match(e.message, pattern);
        assert.ok(e.message.length < 300, e.message);
        return true;
      });
    });
  }
});

Deno.test("loadCsv never prints the lines of a file that is not a CSV (a secrets file)", async () => {
  const secrets = [
    "AWS_SECRET=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "password=hunter2",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
  ];
  const leaks = ["wJalr", "AWS_SECRET", "hunter2", "password", "AKIA", "aws_access"];
  const cases: [string, string, RegExp][] = [
    // The header error the red team found: every first-line cell was quoted.
    [
      `${secrets[0]},${secrets[1]}\n`,
      "label",
      /has no column "label", and its first line does not look like a CSV header \(2 fields\); point data\.csv\.path at a CSV/,
    ],
    [secrets.join("\n") + "\n", "label", /first line does not look like a CSV header \(1 field\)/],
    // A config that names the first cell as the label column gets no cell quoted either.
    [
      `${secrets[0]},x\n${secrets[1]},${secrets[2]}\n`,
      secrets[0],
      /line 2, column 1 of 2: a cell of 16 characters is not a number; fix the cell/,
    ],
    [
      `AWS_SECRET,x\n1,${secrets[1]}\n`,
      "AWS_SECRET",
      /line 2, column "x": a cell of 16 characters is not a number/,
    ],
    // csv-parse quotes the field in its message ("value is …"): only its code and line remain.
    [
      `label,"a\n${secrets[1]}"x,0\n`,
      "label",
      /is not valid CSV \(invalid closing quote at line 2\)/,
    ],
    [`${secrets[1]}"x",y\n1,0\n`, "label", /is not valid CSV \(invalid opening quote at line 1\)/],
  ];
  for (const [text, labelColumn, pattern] of cases) {
    await withCsv(text, async (path) => {
      await assert.rejects(loadCsv({ path, labelColumn, pixelMax: 1 }), (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.match(e.message, pattern);
        const shown = e.message.replace(labelColumn, "");
        for (const leak of leaks) assert.ok(!shown.includes(leak), `leaks ${leak}: ${e.message}`);
        return true;
      });
    });
  }
});

Deno.test("decodeIdx does not show the first bytes of a file that is not IDX", () => {
  const key = new TextEncoder().encode("AWS_SECRET=wJalrXUtnFEMI");
  assert.throws(() => decodeIdx(key, IDX_IMAGES, "/k", "data.idx.trainImages"), (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.match(
      e.message,
      /^\/k: is not an IDX file \(it does not start with an IDX magic number\)/,
    );
    assert.ok(!/0x4157|AWS/.test(e.message), e.message);
    return true;
  });
  // An IDX file of the other kind still names both magic numbers.
  assert.throws(
    () => decodeIdx(encodeIdx(new Uint8Array(2), [2]), IDX_IMAGES, "/l", "data.idx.trainImages"),
    /magic number is 0x00000801, expected 0x00000803/,
  );
});

Deno.test("loadCsv refuses /dev/zero at once instead of reading it forever", async () => {
  const started = performance.now();
  await assert.rejects(
    loadCsv({ path: "/dev/zero", labelColumn: "label", pixelMax: 1 }),
    (e: unknown) =>
      e instanceof UserError &&
      e.message.startsWith("/dev/zero: is a character device, not a file (data.csv.path)"),
  );
  assert.ok(performance.now() - started < 3000);
  assert.equal(CSV_MAX_BYTES, 256 * 1024 * 1024);
});
