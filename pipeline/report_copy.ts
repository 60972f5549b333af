import { join } from "node:path";

/**
 * Put a published report artifact at `reports/<name>/`, where people look for it. The copy
 * is built beside the target and swapped in, so the folder is never half old, half new.
 */
export async function publishReport(
  artifactDir: string,
  reportsRoot: string,
  name: string,
): Promise<string> {
  const target = join(reportsRoot, name);
  const fresh = join(reportsRoot, `.${name}.new-${Deno.pid}`);
  const old = join(reportsRoot, `.${name}.old-${Deno.pid}`);
  await Deno.mkdir(reportsRoot, { recursive: true });
  await Deno.remove(fresh, { recursive: true }).catch(() => {});
  await copy(artifactDir, fresh);
  const hadOld = await Deno.rename(target, old).then(() => true, () => false);
  await Deno.rename(fresh, target);
  if (hadOld) await Deno.remove(old, { recursive: true });
  return target;
}

async function copy(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const [src, dst] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory) await copy(src, dst);
    else await Deno.copyFile(src, dst);
  }
}
