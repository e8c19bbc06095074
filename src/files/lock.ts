/**
 * One writer per directory: a lock file created exclusively (`O_EXCL`) that holds the owner's pid. A lock
 * left by a process that no longer exists on this machine (a killed run) is taken over.
 *
 * Limits (what a cluster-wide lock must add): the pid check only sees processes of this host, and
 * exclusive create is atomic on local file systems and NFSv3+, not on every network file system.
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../errors.js';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock file `lockPath`; returns the function that releases it. While another live process
 * holds it: an InputError "<dir>: another <owner> (pid N) is writing into this <place> (lock <path>)".
 */
export function acquireLock(lockPath: string, owner: string, place: string): () => void {
  const dir = dirname(lockPath);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = NaN;
      let text: string | null = null;
      try {
        text = readFileSync(lockPath, 'utf8');
        pid = Number.parseInt(text, 10);
      } catch { /* vanished meanwhile: retry */ }
      // Empty: its holder has created it and not yet written its pid (taken over only if left so for a minute).
      const st = text === '' ? statSync(lockPath, { throwIfNoEntry: false }) : undefined;
      const writing = st !== undefined && Date.now() - st.mtimeMs < 60_000;
      if (writing || (Number.isInteger(pid) && pid > 0 && (pid === process.pid || pidAlive(pid)))) {
        throw new InputError(`${dir}: another ${owner} (pid ${pid}) is writing into this ${place} (lock ${lockPath})`);
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new InputError(`${dir}: cannot take the lock ${lockPath}`);
}
