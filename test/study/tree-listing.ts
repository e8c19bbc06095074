/** Every entry under a directory with size and mtime: what the tests' "nothing was written or moved" compares. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function treeListing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) { out.push(`${p}/`); walk(p); } else { const s = statSync(p); out.push(`${p} ${s.size} ${s.mtimeMs}`); }
    }
  };
  walk(dir);
  return out.sort();
}
