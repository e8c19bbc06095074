// Compiles the AssemblyScript kernels (assembly/*.ts) to WebAssembly with SIMD, into dist/wasm/.
// Each top-level file is one module; assembly/shared/ holds code they import (compiled into each).
// The compiler is the npm package `assemblyscript`; nothing is downloaded.
//
// Kernels import one shared memory ('env.memory', shared, up to 65536 pages = 4 GiB) so that the main
// thread and worker threads run the same kernel on the same buffers (src/math/fft-wasm.ts creates it).
// They keep no state in linear memory of their own (runtime stub, no allocations), so several
// instances may share that memory.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const srcDir = 'assembly';
const outDir = join('dist', 'wasm');
if (!existsSync(srcDir)) process.exit(0);
mkdirSync(outDir, { recursive: true });
const asc = join('node_modules', 'assemblyscript', 'bin', 'asc.js');
for (const name of readdirSync(srcDir).sort()) {
  if (!name.endsWith('.ts') || name.endsWith('.d.ts')) continue;
  const base = name.slice(0, -3);
  const r = spawnSync(process.execPath, [asc, join(srcDir, name), '-o', join(outDir, `${base}.wasm`),
    '-O3', '--enable', 'simd', '--enable', 'threads', '--runtime', 'stub', '--noAssert',
    '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536'], { stdio: 'inherit' });
  if (r.status !== 0) { console.error(`build-wasm: asc failed on ${name}`); process.exit(1); }
}
