/**
 * Running the PyTorch reference (bench/*.py) as a child process, on a fair footing.
 *
 * This environment sets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which pin OpenBLAS to an
 * older, slower kernel. PyTorch's products go through that OpenBLAS, so the child runs with
 * both removed: it gets the kernel OpenBLAS picks for this CPU on its own. Only the child's
 * environment changes; this process (and the blas backend measured in it) keeps its own, and
 * the output names the kernel each side ran.
 */

/** The variables that pin OpenBLAS's kernel, removed for the PyTorch child. */
export const PINNING_VARIABLES = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

/** A copy of `parent` without the pinning variables; `parent` itself is left as it is. */
export function torchEnv(parent: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(parent).filter(([name]) => !PINNING_VARIABLES.includes(name)),
  );
}

/**
 * The first python that imports torch and numpy, or undefined. PyTorch is Debian's, in
 * /usr/bin/python3; the python3 first on PATH (pyenv's) may lack it.
 */
export async function pythonWithTorch(): Promise<string | undefined> {
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      const probe = new Deno.Command(python, {
        args: ["-c", "import torch, numpy"],
        stdout: "null",
        stderr: "null",
      });
      if ((await probe.output()).success) return python;
    } catch {
      // not installed under this name: try the next
    }
  }
  return undefined;
}

/** Run bench/<script> with `args` in the fair environment; its one line of JSON, parsed. */
export async function runTorch(
  python: string,
  script: string,
  args: string[],
): Promise<Record<string, unknown>> {
  const path = new URL(`./${script}`, import.meta.url).pathname;
  const out = await new Deno.Command(python, {
    args: ["-B", path, ...args], // -B: no __pycache__ of torch_vae.py left in bench/
    clearEnv: true,
    env: torchEnv(Deno.env.toObject()),
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`${python} ${script} ${args.join(" ")} failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
