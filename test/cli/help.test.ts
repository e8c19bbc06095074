import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const cli = 'dist/src/cli/main.js';

test('--help lists every command', () => {
  const r = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const c of ['run', 'generate', 'overlap', 'reconstruct', 'lsqml', 'compare', 'report', 'export', 'inspect']) {
    assert.match(r.stdout, new RegExp(`^\\s+${c}\\b`, 'm'), `command ${c} missing from --help`);
  }
});

test('--version prints the package version', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const r = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('an unknown option is a usage error with exit code 2', () => {
  const r = spawnSync(process.execPath, [cli, '--no-such-flag'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option/);
  // a misspelt command or flag: one line naming the command, what was wrong and what was meant
  const cmd = spawnSync(process.execPath, [cli, 'recontruct', '--out', 'x'], { encoding: 'utf8' });
  assert.equal(cmd.status, 2);
  assert.equal(cmd.stderr, "ptychostudy: unknown command 'recontruct'; did you mean reconstruct? (`ptychostudy --help` lists the commands)\n");
  const flag = spawnSync(process.execPath, [cli, 'run', '--epoch', '3'], { encoding: 'utf8' });
  assert.equal(flag.status, 2);
  assert.equal(flag.stderr, "ptychostudy run: unknown option '--epoch'; did you mean --epochs? (`ptychostudy run --help` lists the options)\n");
});

test('every command that runs jobs on SLURM says that any --slurm-* option implies --executor slurm', () => {
  for (const c of ['run', 'generate', 'overlap', 'reconstruct', 'compare']) {
    const r = spawnSync(process.execPath, [cli, c, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '200' } });
    assert.equal(r.status, 0);
    const executor = r.stdout.split('\n').find((l) => l.trimStart().startsWith('--executor'));
    assert.ok(executor, `${c} --help lists --executor`);
    assert.match(executor, /any --slurm-\* option implies it/, `${c}: ${executor}`);
    const partition = r.stdout.split('\n').find((l) => l.trimStart().startsWith('--slurm-partition'));
    assert.doesNotMatch(partition ?? '', /implies/, `${c}: the implication is not --slurm-partition's alone`);
  }
});

test('run --help names the exit code of an interrupted run', () => {
  const r = spawnSync(process.execPath, [cli, 'run', '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '200' } });
  assert.equal(r.status, 0);
  const text = r.stdout.replace(/\s+/g, ' '); // as wrapped at any width
  assert.match(text, /Exit codes: .*130 interrupted/);
  // a report written with broken hub files is exit 1 (and rebuilt by the next run), as README says
  assert.match(text, /Exit codes: 0 success, 1 .*the report was written but a hub file it reads is there and broken.*, 2 bad usage/);
});

test('status --help: exit 1 also for a finished submission whose report named broken hub files (the finish job records exit 1)', () => {
  const r = spawnSync(process.execPath, [cli, 'status', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout.replace(/\s+/g, ' '), /Exit codes: 0 no job failed \(so far\); 1 some job failed, .*the report was written but named broken hub files/);
});

test('reconstruct --help names every file a job leaves in its directory', async () => {
  const { JOB_OUTPUT_FILES } = await import('../../src/study/hub/layout.js');
  const r = spawnSync(process.execPath, [cli, 'reconstruct', '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '400' } });
  assert.equal(r.status, 0);
  const listed = /Each job writes <out>\/dose_<D>\/<view>\/<split>\/\{([^}]*)\}/.exec(r.stdout.replace(/\s+/g, ' '));
  assert.ok(listed, r.stdout);
  assert.deepEqual(listed[1]!.split(', ').sort(), [...JOB_OUTPUT_FILES].sort());
});

test('every command\'s --help names its exit codes', () => {
  for (const c of ['run', 'generate', 'overlap', 'reconstruct', 'lsqml', 'compare', 'report', 'export', 'inspect', 'config', 'status', 'cancel', 'worker']) {
    const r = spawnSync(process.execPath, [cli, c, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '200' } });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Exit codes: 0 .*[;,] 2 /s, `${c} --help`);
  }
});

test('reconstruct and lsqml --help name the same kinds of --init-probe file (both read it with readProbeFile)', () => {
  for (const c of ['reconstruct', 'lsqml']) {
    const r = spawnSync(process.execPath, [cli, c, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '400' } });
    assert.equal(r.status, 0);
    const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith('--init-probe')) ?? '';
    for (const kind of ['NPZ', 'CXI', 'ptychodus .h5', 'PtyPy .ptyr']) assert.ok(line.includes(kind), `${c}: ${line}`);
  }
});

test('lsqml, reconstruct and inspect --help give --init-probe and --probe-model one text (addProbeOptions), each command\'s opening before it', () => {
  const text = (c: string, flag: string): string => {
    const r = spawnSync(process.execPath, [cli, c, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '400' } });
    assert.equal(r.status, 0);
    // the option's lines: its first, then those that carry on its text (indented further, no flag of their own)
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.trimStart().startsWith(flag));
    assert.ok(at >= 0, `${c} --help: ${flag}`);
    const rest = lines.slice(at + 1);
    const end = rest.findIndex((l) => !/^ {6,}\S/.test(l) || l.trimStart().startsWith('-'));
    return [lines[at]!, ...rest.slice(0, end < 0 ? rest.length : end)].map((l) => l.trim()).join(' ').slice(flag.length).trim();
  };
  for (const flag of ['--init-probe <how>', '--probe-model <spec>']) {
    const lsqml = text('lsqml', flag);
    assert.match(lsqml, /^(guess|model probe) /);
    for (const c of ['reconstruct', 'inspect']) assert.ok(text(c, flag).endsWith(`: ${lsqml}`), `${c} ${flag}: ${text(c, flag)}`);
  }
});

test('reconstruct and lsqml --help name the same kinds of --init-object file (both read it with readObjectFile)', () => {
  for (const c of ['reconstruct', 'lsqml']) {
    const r = spawnSync(process.execPath, [cli, c, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '400' } });
    assert.equal(r.status, 0);
    const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith('--init-object')) ?? '';
    for (const kind of ['NPZ', 'ptychodus .h5', 'PtyPy .ptyr', 'CXI image']) assert.ok(line.includes(kind), `${c}: ${line}`);
  }
});

test('inspect --help: --config names every setting of the file inspect --check reads the files with, one for each such flag', () => {
  const r = spawnSync(process.execPath, [cli, 'inspect', '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '400' } });
  assert.equal(r.status, 0);
  const lines = r.stdout.split('\n');
  const config = lines.find((l) => l.trimStart().startsWith('--config <file>')) ?? '';
  const settings: Record<string, string> = {
    '--crop-center': 'reconstruction.crop', '--bin-size': 'reconstruction.binSize', '--orientation': 'reconstruction.orientation',
    '--cxi-entry': 'reconstruction.cxiEntry', '--radiation': 'reconstruction.radiation', '--probe-model': 'reconstruction.probeModel',
    '--init-probe': 'reconstruction.initProbe', '--init-object': 'reconstruction.initObject',
  };
  for (const [flag, setting] of Object.entries(settings)) {
    assert.ok(lines.some((l) => l.trimStart().startsWith(`${flag} `)), `inspect --help lists ${flag}`);
    assert.match(config, new RegExp(`\\b${setting.replace('.', '\\.')}\\b`), `--config names ${setting} (${flag}): ${config}`);
  }
});
