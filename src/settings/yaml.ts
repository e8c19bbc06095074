/**
 * The `yaml` package, loaded the first time a settings file is read or written rather than when a module that may read
 * one is imported: its ≈ 30 ms of loading were part of every command's start (and of every Phase F worker thread's,
 * which imports the settings modules) though most never read YAML. `createRequire` loads the package's CommonJS build,
 * the one `import 'yaml'` gives under Node, synchronously, so the readers stay synchronous.
 */
import { createRequire } from 'node:module';

type YamlPackage = typeof import('yaml');
let loaded: YamlPackage | undefined;

/** The `yaml` package (loaded on the first call). */
export function yaml(): YamlPackage {
  return (loaded ??= createRequire(import.meta.url)('yaml') as YamlPackage);
}
