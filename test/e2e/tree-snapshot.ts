/** What a folder holds, to tell whether a command wrote anything into it (the resume and refusal tests). */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file and directory under `root` (not `root` itself): size, modification time and SHA-256 of files. */
export function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) { out.set(relative(root, p) + '/', `dir ${st.mtimeMs}`); walk(p); continue; }
      out.set(relative(root, p), `${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}
