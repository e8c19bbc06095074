import { Option, type Command } from 'commander';
import { action } from '../action.js';
import { wrapText } from '../help.js';
import { paint } from '../style.js';
import { InputError, UsageError } from '../../errors.js';
import { fileSettings, readConfigFile, RECONSTRUCTION_FILE, withReconstructionFiles } from '../../settings/file.js';
import { notARegularFile } from '../../files/regular.js';
import { parseStudySettings, settingsDefaults } from '../../settings/parse.js';
import { PRESET_NAMES, type PresetName, type StudySettings } from '../../settings/schema.js';
import { settingsDifferences } from '../../settings/fingerprint.js';
import { settingsTemplate } from '../../settings/template.js';
import { counted, printable } from '../../text.js';
import { optionWarnings } from '../../engine/options.js';
import { engineOptions } from '../../settings/engine-options.js';
import { checkSimulationFits } from '../../study/simulate/plan.js';
import { memoryLimit } from '../../data/memory.js';

interface Flags {
  printDefaults?: boolean;
  check?: string;
  preset?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('config')
    .summary('settings files: print a commented starting file, or check one')
    .description('Settings files hold any part of the settings schema — groups simulation, overlap, reconstruction (every ' +
      'LSQML option) and execution — in JSON or YAML (a .json file is read as JSON, any other as YAML; TOML is not read), and are given to run, generate, overlap, reconstruct and lsqml with ' +
      '--config FILE (flags override the file). A hub keeps its own settings in HUB/settings.json, which is such a file; ' +
      '`ptychostudy report --out DIR` writes a finished reconstruction\'s (an lsqml folder or a Phase F job\'s) as DIR/report/img/lsqml-settings.json, ' +
      'with the command that runs it again. A relative path in a file (simulation.baseNpz, reconstruction.initProbe/initObject file:PATH) is ' +
      'taken from the file\'s folder; a flag\'s from the working directory.')
    .option('--print-defaults', 'print a settings file (YAML) with every setting at its default, each with its documentation, unit and bounds as ' +
      'comments (the defaults name no preset: the simulation is the reference size, not the quick study a command makes without a file)')
    .addOption(new Option('--preset <name>', 'with --print-defaults: the values of this preset instead of the defaults').choices([...PRESET_NAMES]))
    .option('--json', 'with --print-defaults: JSON without comments instead of YAML')
    .option('--check <file>', 'check a settings file: every wrong or unknown setting on its own line (exit 2), or what it changes from the defaults')
    .addHelpText('after', () => '\n' + wrapText('Examples:\n' +
      '  ptychostudy config --print-defaults --preset quick > study.yaml\n' +
      '  ptychostudy config --check study.yaml\n' +
      '  ptychostudy run --config study.yaml --out runs/mine\n' +
      'Exit codes: 0 done (the file is valid); 2 bad usage or an invalid file.'))
    .action(action('config', async (f: Flags) => {
      if ((f.printDefaults ? 1 : 0) + (f.check !== undefined ? 1 : 0) !== 1) throw new UsageError('give one of --print-defaults or --check FILE');
      // --preset and --json shape the printed file; --check would not use them (they were ignored, silently)
      if (f.check !== undefined) {
        const extra = [f.preset !== undefined ? '--preset' : '', f.json ? '--json' : ''].filter(Boolean);
        if (extra.length > 0) throw new UsageError(`${extra.join(' and ')}: only with --print-defaults; --check reads the file as it is`);
      }
      if (f.printDefaults) {
        const preset = (f.preset ?? null) as PresetName | null;
        process.stdout.write(f.json ? JSON.stringify(parseStudySettings({ preset }), null, 2) + '\n' : settingsTemplate(preset));
        return 0;
      }
      const file = f.check!;
      // a start file may name a finished reconstruction's folder, for its reconstruction.npz, as every command that
      // reconstructs takes it (settingsFrom): shown as that file, the one that is read
      const input = withReconstructionFiles(readConfigFile(file));
      // the files it names must be there (a run would stop at them later, after other work)
      const missing = fileSettings(input).flatMap(({ setting, path }) => {
        const why = notARegularFile(path);
        const what = setting === 'simulation.baseNpz' ? 'a file' : `a file or a finished reconstruction's folder (holding ${RECONSTRUCTION_FILE})`;
        return why === null ? [] : [`${file}: ${setting}: expected ${what} (a relative path is taken from the folder of ${file}); found ${printable(path)}: ${why}`];
      });
      if (missing.length > 0) throw new InputError(missing.join('\n'));
      const settings = parseStudySettings(input);
      // the memory limit the size check below uses: a PTYCHOSTUDY_MEMORY_LIMIT that is no size is refused here, before
      // the file is said to be ok (it was caught with the check's own refusal and shown as a warning about the file)
      const limit = settings.simulation.baseNpz === null ? memoryLimit() : null;
      // crop and binSize have no value by default (absent: not written into a study's files); absent is a crop of null and
      // a bin size of 1, so they are compared as such: a file giving those values changes nothing, one giving 2 says "(default 1)"
      const unset = <T extends StudySettings>(v: T): T => ({ ...v, reconstruction: { ...v.reconstruction, crop: v.reconstruction.crop ?? null, binSize: v.reconstruction.binSize ?? 1, orientation: v.reconstruction.orientation ?? [], cxiEntry: v.reconstruction.cxiEntry ?? null } });
      const changed = settingsDifferences(unset(settingsDefaults()), unset(settings));
      const out = process.stdout;
      out.write(`${file}: ${paint('ok', 'good', out)}; ${changed.length === 0 ? 'every setting at its default'
        : `${counted(changed.length, 'setting')} differ${changed.length === 1 ? 's' : ''} from the defaults:`}\n`);
      // values as the file gave them: JSON, control characters escaped
      const json = (v: unknown): string => printable(JSON.stringify(v) ?? 'null', 1000);
      for (const d of changed) out.write(`  ${printable(d.setting)}: ${json(d.now)} (default ${json(d.was)})\n`);
      // what a reconstruction with these settings would warn of before its first epoch (plans that schedule none of
      // its epochs, settings of the noise model that does not run): said now, before any work
      const r = settings.reconstruction;
      for (const w of optionWarnings(engineOptions(r, 1), r.modes)) out.write(`${paint('warning', 'warn', out)}: reconstruction.${w}\n`);
      // a synthetic object too large for this machine's memory limit: generate and run refuse it here (a larger node may
      // take it, so a warning); with a base NPZ the sizes are the file's, which generate checks from its headers
      const sim = settings.simulation;
      if (limit !== null) {
        const setting = (name: 'nImages' | 'nPositions' | 'objectShape') => ({ setting: `simulation.${name}`, value: sim[name] });
        try {
          checkSimulationFits({ objectShape: sim.objectShape, N: sim.patchSize, nPositions: sim.nImages ?? sim.nPositions, doses: sim.doses.length },
            setting('objectShape'), setting(sim.nImages !== null ? 'nImages' : 'nPositions'), limit);
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
          out.write(`${paint('warning', 'warn', out)}: ${e.message}: generate and run refuse it on this machine\n`);
        }
      }
      return 0;
    }, { config: '--check' }));
}
