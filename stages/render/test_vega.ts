/**
 * Test helpers shared by the figure, spec and report tests: Vega-Lite schema validation
 * and a capture of the warnings vega and vega-lite print.
 */
import { Ajv } from "ajv";
import schema from "vega-lite/vega-lite-schema.json" with { type: "json" };

// The schema declares draft-07, Ajv's default draft. Formats (uri, color-hex) are not
// bundled with Ajv and say nothing about chart structure, so they are not checked.
const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false })
  .compile(schema);

/** Why `spec` is not valid Vega-Lite (the first few schema errors), or null if it is. */
export function vegaLiteErrors(spec: unknown): string | null {
  return validate(spec) ? null : JSON.stringify(validate.errors?.slice(0, 3), null, 2);
}

/** Runs `fn` and returns what it logged through console.warn (vega and vega-lite warnings). */
export async function warningsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
  try {
    await fn();
  } finally {
    console.warn = original;
  }
  return warnings;
}
