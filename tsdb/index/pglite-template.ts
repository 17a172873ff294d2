/**
 * A new PGlite data directory starts as a copy of a template: the data
 * directory PGlite's initdb makes, made once by `npm run build` (part of
 * `npm ci`) and kept in dist/. PGlite's own initdb runs a second PostgreSQL
 * instance beside the first and more than doubles the process's memory while
 * it runs (about 750 MB at the peak, against 250 MB when the directory
 * exists); copied from the template, a new index costs what an existing one
 * does. Without a template (sources not built), PGlite's initdb runs as before.
 *
 *   node dist/tsdb/index/pglite-template.js     writes the template (the build does)
 */
import { cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

/** PGlite's version: a template serves only the PGlite that made it. */
function pgliteVersion(): string {
  const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
  for (let d = dirname(entry); dirname(d) !== d; d = dirname(d)) {
    const manifest = join(d, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (name === '@electric-sql/pglite' && version) return version;
    }
  }
  throw new Error('cannot find the version of @electric-sql/pglite');
}

/** Where the template of the installed PGlite lives: dist/ at the package's root. */
export function templatePath(): string {
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'package.json'))) {
    if (dirname(root) === root) throw new Error('no package.json above the index code');
    root = dirname(root);
  }
  return join(root, 'dist', `pglite-${pgliteVersion()}-datadir`);
}

/** Makes `dir` (missing or empty) a copy of the template; false when there is none (sources not built). */
export function copyTemplate(dir: string, template = templatePath()): boolean {
  if (!existsSync(join(template, 'PG_VERSION'))) return false;
  cpSync(template, dir, { recursive: true });
  return true;
}

/** Runs PGlite's initdb into a new directory and makes it the template. */
export async function writeTemplate(path = templatePath()): Promise<string> {
  const building = `${path}.new`;
  rmSync(building, { recursive: true, force: true });
  const db = await PGlite.create(building);
  await db.close();
  rmSync(path, { recursive: true, force: true });
  renameSync(building, path);
  return path;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`wrote ${await writeTemplate()}`);
}
