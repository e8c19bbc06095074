/**
 * The batch script of a step (every sbatch option as an #SBATCH line, the evidence header, the worker
 * command), the SLURM settings' bounds, and the executor flags of the commands.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { parseStudySettings, SettingsError } from '../../src/settings/parse.js';
import { checkScriptPath, jobName, slurmFilePattern, stepScript, type ScriptRequest } from '../../src/study/slurm/script.js';
import { addExecutorOptions, executorSettingsFromFlags, type ExecutorFlags } from '../../src/cli/executor-flags.js';
import { UsageError } from '../../src/errors.js';

function request(over: Partial<ScriptRequest> = {}): ScriptRequest {
  return {
    submission: 2, step: 'reconstruct', home: '/data/my hub', tasks: 18, jobs: 18, dependency: '1234',
    slurm: parseStudySettings({ execution: { slurm: { partition: 'gpu', account: 'beamline-7', time: '2:00:00', cpusPerTask: 4, mem: '8G', qos: 'normal',
      sbatchArgs: ['--constraint=haswell', '--comment=dose study'] } } }).execution.slurm,
    node: '/opt/node 20/bin/node', nodeVersion: 'v20.1.0', entry: '/opt/ptychostudy/dist/src/cli/worker-main.js', cwd: '/data',
    output: '/data/my hub/slurm/logs/reconstruct-%A_%a.out', argv: ['ptychostudy', 'run', '--out', '/data/my hub', '--executor', 'slurm'],
    version: '0.1.0', writtenAt: '2026-01-02T03:04:05Z', ...over,
  };
}

test('a step\'s script: every sbatch option as an #SBATCH line, the version, the Node.js and the exact command', () => {
  const s = stepScript(request());
  const lines = s.split('\n');
  assert.equal(lines[0], '#!/bin/bash');
  assert.ok(lines.includes('# ptychostudy 0.1.0: step "reconstruct" of submission 2 of /data/my hub'));
  assert.ok(lines.includes("# Written 2026-01-02T03:04:05Z by: ptychostudy run --out '/data/my hub' --executor slurm"));
  assert.ok(lines.includes('# Node.js: /opt/node 20/bin/node (v20.1.0); ptychostudy: /opt/ptychostudy/dist/src/cli/worker-main.js'));
  const directives = lines.filter((l) => l.startsWith('#SBATCH '));
  assert.deepEqual(directives, [
    '#SBATCH --job-name=reconstruct-my_hub', '#SBATCH --array=0-17', '#SBATCH --output="/data/my hub/slurm/logs/reconstruct-%A_%a.out"',
    '#SBATCH --open-mode=append', '#SBATCH --chdir=/data', '#SBATCH --dependency=afterany:1234', '#SBATCH --partition=gpu', '#SBATCH --account=beamline-7',
    '#SBATCH --qos=normal', '#SBATCH --time=2:00:00', '#SBATCH --cpus-per-task=4', '#SBATCH --mem=8G', '#SBATCH --constraint=haswell',
    '#SBATCH --comment="dose study"',
  ]);
  // #SBATCH lines must come before the first command, or sbatch ignores them
  assert.ok(lines.findIndex((l) => l.startsWith('#SBATCH')) < lines.findIndex((l) => !l.startsWith('#')));
  assert.equal(lines.at(-2), "exec '/opt/node 20/bin/node' --no-concurrent-recompilation /opt/ptychostudy/dist/src/cli/worker-main.js worker --hub '/data/my hub' --submission 2 --step reconstruct --task \"$SLURM_ARRAY_TASK_ID\"");
  assert.match(s, /if \[ ! -x '\/opt\/node 20\/bin\/node' \]; then\n  echo "ptychostudy: Node.js not found at \/opt\/node 20\/bin\/node on \$\(hostname\)" >&2\n  exit 127/);
});

test('the finish job is no array; an array of fewer tasks than jobs; no dependency for the first step', () => {
  const fin = stepScript(request({ step: 'finish', tasks: 0, dependency: '77', slurm: parseStudySettings().execution.slurm }));
  assert.ok(!fin.includes('--array'));
  assert.ok(fin.includes('#SBATCH --dependency=afterany:77'));
  assert.ok(fin.trimEnd().endsWith("worker --hub '/data/my hub' --submission 2 --finish"));
  // squeue shows a job name's first 8 characters: the step comes first, then the hub's name
  assert.ok(fin.includes('#SBATCH --job-name=finish-my_hub\n'));
  assert.equal(jobName('compare', '/shared/studies/fly64'), 'compare-fly64');
  assert.equal(jobName('generate', '/'), 'generate');
  assert.equal(jobName('overlap', '/data/dose "50%"\nb'), 'overlap-dose__50___b');
  const first = stepScript(request({ step: 'generate', tasks: 2, jobs: 5, dependency: null, slurm: parseStudySettings().execution.slurm }));
  assert.ok(first.includes('#SBATCH --array=0-1\n'));
  assert.ok(first.includes('# 2 task(s) taking the 5 job(s) of Phase C one at a time'));
  assert.ok(!first.includes('--dependency'));
  assert.ok(!/--partition|--account|--time|--mem|--qos|--cpus-per-task/.test(first), 'unset SLURM settings leave the cluster\'s defaults');
});

test('paths in the script: a % of the hub is kept from SLURM\'s file name patterns; a newline never ends a comment; #SBATCH-breaking paths refused', () => {
  // SLURM expands %a, %j, %u… in --output: a hub named "dose50%a" would send every log (and the task) elsewhere.
  assert.equal(slurmFilePattern('/data/dose50%a/slurm/logs', 'reconstruct-%A_%a.out'), '/data/dose50%%a/slurm/logs/reconstruct-%A_%a.out');
  assert.equal(slurmFilePattern('/data/my hub/slurm/logs', 'finish-%j.out'), '/data/my hub/slurm/logs/finish-%j.out');
  // A newline in the home or the command line, written into a comment, would start a command before the
  // #SBATCH lines (sbatch then ignores every one of them).
  const s = stepScript(request({ home: '/data/a\nb', argv: ['ptychostudy', 'run', '--out', 'a\nb', '--config', 'x\r\nrm -rf y'] }));
  const lines = s.split('\n');
  const setIndex = lines.indexOf('set -eu');
  assert.ok(setIndex > 0);
  for (const l of lines.slice(0, setIndex)) assert.ok(l.startsWith('#'), `not a comment or directive: ${JSON.stringify(l)}`);
  assert.ok(lines.includes('#SBATCH --array=0-17'));
  for (const bad of ['/data/a\nb', '/data/say "hi"', '/data/a\rb']) {
    assert.throws(() => checkScriptPath('--out', bad), (e: unknown) => e instanceof UsageError && /--out ".*": holds a newline or a double quote/.test(e.message));
  }
  for (const good of ["/data/it's #1 $HOME hub", '/data/dose50%a', '/data/my hub']) checkScriptPath('--out', good);
});

test('SLURM settings: defaults leave every choice to the cluster; bad values name the setting', () => {
  const d = parseStudySettings().execution;
  assert.equal(d.executor, 'local');
  assert.deepEqual(d.slurm, { partition: null, account: null, time: null, cpusPerTask: null, mem: null, qos: null, tasks: null, sbatchArgs: [] });
  for (const time of ['30', '30:00', '2:00:00', '1-00', '1-12:00', '2-00:00:00', 'UNLIMITED']) {
    assert.equal(parseStudySettings({ execution: { slurm: { time } } }).execution.slurm.time, time);
  }
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ time: '2h' }, /`execution\.slurm\.time` 2h: expected a SLURM time limit/],
    [{ mem: '8 GB' }, /`execution\.slurm\.mem` 8 GB: expected a memory size/],
    [{ partition: 'gpu debug' }, /`execution\.slurm\.partition` gpu debug: expected a partition name/],
    [{ cpusPerTask: 0 }, /`execution\.slurm\.cpusPerTask` 0: expected a positive integer/],
    [{ tasks: 0 }, /`execution\.slurm\.tasks` 0: expected a positive integer/],
    [{ sbatchArgs: ['constraint=x'] }, /`execution\.slurm\.sbatchArgs` \["constraint=x"\]: expected sbatch options, each starting with -/],
    [{ sbatchArgs: ['--comment="x"'] }, /expected sbatch options/],
    // options the scripts set themselves: a later #SBATCH line replaces the earlier (seen with sbatch 22.05), so a user's
    // --dependency=afterok:N would drop the chain's afterany and start a phase before the one it reads had ended
    ...['--dependency=afterok:1234', '--depend=afterok:1234', '-d afterok:1234', '--array=0-3', '-a0-3', '--output=/tmp/x.out', '-o /tmp/x', '--open-mode=truncate']
      .map((arg): [Record<string, unknown>, RegExp] => [{ sbatchArgs: ['--hold', arg] },
        /`execution\.slurm\.sbatchArgs` .*: expected sbatch options other than --array, --dependency, --output and --open-mode, which every job script sets itself/]),
    // --wait would hold each sbatch until its job ended: the chain submitted a phase at a time, a long phase unrecorded
    ...['--wait', '-W'].map((arg): [Record<string, unknown>, RegExp] => [{ sbatchArgs: [arg] },
      /`execution\.slurm\.sbatchArgs` .*: expected sbatch options other than --wait \(-W\), which would hold each sbatch until its job ended/]),
    [{ nodes: 2 }, /`execution\.slurm\.nodes`: expected no such setting/],
  ];
  // what a cluster user passes besides: kept as given
  const kept = ['--wait-all-nodes=1', '--hold', '--begin=now+60', '--exclusive', '--error=/tmp/e-%A_%a.err', '--job-name=mine', '--deadline=now+1day', '-N1', '--nodelist=n1', '--comment=x'];
  assert.deepEqual(parseStudySettings({ execution: { slurm: { sbatchArgs: kept } } }).execution.slurm.sbatchArgs, kept);
  for (const [slurm, re] of bad) {
    assert.throws(() => parseStudySettings({ execution: { slurm } as never }), (e: unknown) => e instanceof SettingsError && re.test(e.message), JSON.stringify(slurm));
  }
  assert.throws(() => parseStudySettings({ execution: { executor: 'pbs' as never } }), /`execution\.executor` pbs: expected local or slurm/);
});

test('executor flags: a SLURM option implies --executor slurm; with --executor local it is refused', () => {
  const cmd = addExecutorOptions(new Command('run').exitOverride());
  cmd.parse(['--slurm-partition', 'gpu', '--slurm-sbatch-arg=--exclusive', '--slurm-sbatch-arg', '--constraint=a100', '--slurm-cpus-per-task', '8', '--slurm-tasks', '3', '--detach'], { from: 'user' });
  const flags = cmd.opts<ExecutorFlags>();
  assert.equal(flags.detach, true);
  const s = parseStudySettings({ execution: executorSettingsFromFlags(flags) }).execution;
  assert.equal(s.executor, 'slurm');
  assert.equal(s.slurm.partition, 'gpu');
  assert.equal(s.slurm.cpusPerTask, 8);
  assert.equal(s.slurm.tasks, 3);
  assert.deepEqual(s.slurm.sbatchArgs, ['--exclusive', '--constraint=a100']);
  // a comma belongs to the sbatch option (a node list, mail types): one option, not two
  const comma = addExecutorOptions(new Command('run').exitOverride());
  comma.parse(['--slurm-sbatch-arg=--mail-type=END,FAIL', '--slurm-sbatch-arg', '--exclude=n1,n2'], { from: 'user' });
  assert.deepEqual(parseStudySettings({ execution: executorSettingsFromFlags(comma.opts<ExecutorFlags>()) }).execution.slurm.sbatchArgs,
    ['--mail-type=END,FAIL', '--exclude=n1,n2']);
  assert.equal(parseStudySettings({ execution: executorSettingsFromFlags({}) }).execution.executor, 'local');
  assert.throws(() => executorSettingsFromFlags({ executor: 'local', slurmQos: 'high' }),
    (e: unknown) => e instanceof UsageError && /^--slurm-qos: a SLURM option, but --executor local/.test(e.message));
  assert.throws(() => executorSettingsFromFlags({ slurmCpusPerTask: 'four' }), /--slurm-cpus-per-task four: expected an integer/);
  const bad = addExecutorOptions(new Command('run').exitOverride().configureOutput({ writeErr: () => {} }));
  assert.throws(() => bad.parse(['--executor', 'pbs'], { from: 'user' }), /Allowed choices are local, slurm/);
});
