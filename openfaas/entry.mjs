// Entry of a function image: turns mounted secret files into environment variables, then starts the bundle.
// The bundle itself (lib/runtime/main.ts) serves HTTP on PORT, joins its NATS queue group and drains on SIGTERM.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where OpenFaaS (faas-netes, faasd) and Compose mount secrets, in that order; `ARC_SECRETS_DIRS` overrides. */
const DEFAULT_SECRETS_DIRS = ['/var/openfaas/secrets', '/run/secrets'];

/** `database-url` → `DATABASE_URL`: the secret's file name is the variable's name in kebab (or snake) case. */
export function secretEnvName(fileName) {
  return /^[a-z][a-z0-9_-]*$/i.test(fileName) ? fileName.toUpperCase().replaceAll('-', '_') : undefined;
}

/**
 * Reads every secret file in `dirs` into `env` as its variable (trailing newline dropped), never overriding a
 * variable that is already set: an operator's explicit environment wins. Returns the names it set.
 */
export function loadSecrets(dirs, env) {
  const set = [];
  for (const dir of dirs) {
    let names;
    try {
      names = readdirSync(dir);
    } catch {
      continue; // no such mount here
    }
    for (const file of names.sort()) {
      const name = secretEnvName(file);
      const path = join(dir, file);
      if (!name || env[name] !== undefined || !statSync(path).isFile()) continue;
      env[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      set.push(name);
    }
  }
  return set;
}

async function main() {
  const dirs = process.env.ARC_SECRETS_DIRS?.split(':').filter(Boolean) ?? DEFAULT_SECRETS_DIRS;
  loadSecrets(dirs, process.env);
  const bundle = process.env.ARC_BUNDLE;
  if (!bundle) {
    process.stderr.write('ARC_BUNDLE is not set: the image sets it to /app/dist/functions/<name>.js\n');
    process.exit(78);
  }
  // Stack traces point at the TypeScript sources through the .map next to the bundle.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(resolve(bundle)).href);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await main();
}
