/**
 * The code a stage runs: the sha256 of every project file it imports (transitively) and
 * the exact npm packages it reaches. Editing a helper only the report imports leaves the
 * training fingerprint unchanged; bumping tfjs changes every stage that loads it.
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { hashValue, sha256 } from "./hash.ts";

/** The code a stage runs: its project files' sha256 and its npm packages. */
export interface CodeFingerprint {
  /** Project-relative path → sha256 of the file's bytes. */
  files: Record<string, string>;
  /** "name@version" of every npm package reachable from the stage, sorted. */
  npm: string[];
}

interface GraphModule {
  local?: string;
  npmPackage?: string;
  deps: string[];
}

/** The module graph Deno itself resolves, so the fingerprint sees what actually runs. */
export interface ModuleGraph {
  modules: Map<string, GraphModule>;
  redirects: Record<string, string>;
  npmPackages: Record<string, { name: string; version: string; dependencies: string[] }>;
}

/** Ask `deno info --json` for the graph under `entry` (one call covers every stage). */
export async function readModuleGraph(entry: URL): Promise<ModuleGraph> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", fileURLToPath(entry)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const message = new TextDecoder().decode(output.stderr).trim().split("\n").at(-1);
    throw new Error(`deno info failed on ${entry.pathname}: ${message}`);
  }
  const info = JSON.parse(new TextDecoder().decode(output.stdout));
  const modules = new Map<string, GraphModule>();
  for (const m of info.modules) {
    // Only code imports: `import type` is erased before running, so it cannot change a result.
    // deno-lint-ignore no-explicit-any
    const deps = (m.dependencies ?? []).flatMap((d: any) => d.code ? [d.code.specifier] : []);
    modules.set(m.specifier, { local: m.local, npmPackage: m.npmPackage, deps });
  }
  return { modules, redirects: info.redirects ?? {}, npmPackages: info.npmPackages ?? {} };
}

/** Fingerprint of everything reachable from `root` in the graph. */
export async function codeFingerprint(
  graph: ModuleGraph,
  root: URL,
  projectRoot: string,
): Promise<CodeFingerprint> {
  const files: Record<string, string> = {};
  const npmIds = new Set<string>();
  const seen = new Set<string>();
  const stack = [root.href];
  while (stack.length > 0) {
    const specifier = resolveRedirect(graph, stack.pop()!);
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    const module = graph.modules.get(specifier);
    if (!module) throw new Error(`module ${specifier} is missing from the module graph`);
    if (module.npmPackage) collectNpm(graph, module.npmPackage, npmIds);
    if (module.local && specifier.startsWith("file:")) {
      files[relative(projectRoot, module.local)] = sha256(await Deno.readFile(module.local));
    }
    stack.push(...module.deps);
  }
  const npm = [...npmIds].map((id) => {
    const pkg = graph.npmPackages[id];
    return `${pkg.name}@${pkg.version}`;
  });
  return { files, npm: [...new Set(npm)].sort() };
}

/** The digest that enters a stage key. */
export function fingerprintDigest(fingerprint: CodeFingerprint): string {
  return hashValue(fingerprint);
}

function resolveRedirect(graph: ModuleGraph, specifier: string): string {
  return graph.redirects[specifier] ?? specifier;
}

function collectNpm(graph: ModuleGraph, id: string, into: Set<string>): void {
  if (into.has(id) || !graph.npmPackages[id]) return;
  into.add(id);
  for (const dep of graph.npmPackages[id].dependencies) collectNpm(graph, dep, into);
}
