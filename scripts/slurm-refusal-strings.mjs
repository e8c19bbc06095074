#!/usr/bin/env node
// The wording of sbatch's refusals across SLURM releases, read from a SLURM git repository (SchedMD/slurm), so that the
// claim "every release's wording is classified" (src/study/slurm/scheduler.ts, refusesJobOptions) can be checked again.
//
//   node scripts/slurm-refusal-strings.mjs SLURM_GIT_DIR [--write]
//
// SLURM_GIT_DIR: a clone of https://github.com/SchedMD/slurm (a bare one will do) holding the release tags below. For each
// release it reads, at the tag, without a work tree (`git show TAG:PATH`):
//   - src/common/slurm_errno.c: the text of each error of ERRORS in `slurm_errtab` (`{ NAME, "text" }`, or
//     `{ ERRTAB_ENTRY(NAME), "text" }` from 23.02 on; adjacent string literals joined), which sbatch prints after
//     `Batch job submission failed: ` when slurmctld refuses a job;
//   - src/sbatch/sbatch.c: that prefix (`error("Batch job submission failed: %m")`);
//   - src/common/slurm_opt.c: the client's own refusals of an option's value (`error("Invalid --time specification")`, …)
//     of the options CLIENT names.
// It prints the table as JSON, or writes it to test/fixtures/slurm/sbatch-refusals.json (--write). A release whose files
// lack one of these is an error: the table is whole or not written.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RELEASES = {
  '20.11': 'slurm-20-11-0-1', '21.08': 'slurm-21-08-0-1', '22.05': 'slurm-22-05-0-1', '23.02': 'slurm-23-02-0-1',
  '23.11': 'slurm-23-11-0-1', '24.05': 'slurm-24-05-0-1', '24.11': 'slurm-24-11-0-1',
};

/**
 * slurmctld's refusals, each with what it refuses: an option the job asked (`option`: exit code 2) or the cluster's
 * state (`cluster`: exit code 1).
 */
const ERRORS = {
  ESLURM_INVALID_PARTITION_NAME: 'option',
  ESLURM_INVALID_ACCOUNT: 'option',
  ESLURM_INVALID_QOS: 'option',
  ESLURM_INVALID_TIME_LIMIT: 'option',
  ESLURM_INVALID_TASK_MEMORY: 'option',
  ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE: 'option',
  ESLURM_TOO_MANY_REQUESTED_CPUS: 'option',
  ESLURM_INVALID_NODE_COUNT: 'option',
  ESLURM_INVALID_CPU_COUNT: 'option',
  ESLURM_INVALID_FEATURE: 'option',
  ESLURM_INVALID_GRES: 'option',
  ESLURM_INVALID_NODE_NAME: 'option',
  ESLURM_ACCOUNTING_POLICY: 'cluster',
  SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT: 'cluster',
  SLURM_COMMUNICATIONS_CONNECTION_ERROR: 'cluster',
};

/** The client's refusals of an option's value (slurm_opt.c), by option. */
const CLIENT = ['--time', '--mem', '--time-min', '--begin', '--signal', '--mail-type', '--distribution'];

function show(git, tag, path) {
  return execFileSync('git', ['--git-dir', git, 'show', `${tag}:${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** `slurm_errtab`'s texts by error name. */
function errtab(source) {
  const start = source.indexOf('slurm_errtab[]');
  if (start < 0) throw new Error('no slurm_errtab[] in slurm_errno.c');
  const body = source.slice(start);
  const out = {};
  const entry = /\{\s*(?:ERRTAB_ENTRY\(\s*)?([A-Z][A-Z0-9_]*)\s*\)?\s*,\s*((?:"(?:[^"\\]|\\.)*"\s*)+)/g;
  for (const m of body.matchAll(entry)) {
    const text = [...m[2].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((s) => JSON.parse(`"${s[1]}"`)).join('');
    if (!(m[1] in out)) out[m[1]] = text;
  }
  return out;
}

export function extract(git) {
  const releases = {};
  for (const [release, tag] of Object.entries(RELEASES)) {
    const table = errtab(show(git, tag, 'src/common/slurm_errno.c'));
    const errors = {};
    for (const name of Object.keys(ERRORS)) {
      if (!(name in table)) throw new Error(`${tag}: no ${name} in slurm_errtab`);
      errors[name] = table[name];
    }
    const sbatch = show(git, tag, 'src/sbatch/sbatch.c');
    const prefix = /error\("(Batch job submission failed: )%m"\)/.exec(sbatch);
    if (prefix === null) throw new Error(`${tag}: no "Batch job submission failed: %m" in src/sbatch/sbatch.c`);
    const opt = show(git, tag, 'src/common/slurm_opt.c');
    const client = {};
    for (const flag of CLIENT) {
      const m = new RegExp(`error\\("(Invalid ${flag} specification[^"]*)"`).exec(opt);
      if (m === null) throw new Error(`${tag}: no "Invalid ${flag} specification" in src/common/slurm_opt.c`);
      client[flag] = m[1];
    }
    const commit = execFileSync('git', ['--git-dir', git, 'rev-list', '-n', '1', tag], { encoding: 'utf8' }).trim();
    releases[release] = { tag, commit, submission_failed_prefix: prefix[1], errors, client };
  }
  return {
    source: 'https://github.com/SchedMD/slurm: src/common/slurm_errno.c (slurm_errtab), src/sbatch/sbatch.c, src/common/slurm_opt.c',
    made_by: 'node scripts/slurm-refusal-strings.mjs SLURM_GIT_DIR --write',
    refuses: ERRORS,
    releases,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [git, ...rest] = process.argv.slice(2);
  if (git === undefined) {
    process.stderr.write('usage: node scripts/slurm-refusal-strings.mjs SLURM_GIT_DIR [--write]\n');
    process.exit(2);
  }
  const text = JSON.stringify(extract(git), null, 2) + '\n';
  if (rest.includes('--write')) {
    const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'slurm', 'sbatch-refusals.json');
    writeFileSync(out, text);
    process.stderr.write(`wrote ${out}\n`);
  } else {
    process.stdout.write(text);
  }
}
