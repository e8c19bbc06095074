import type { Command } from 'commander';
import { action } from '../action.js';
import { onStop, stoppedWord } from '../interrupt.js';
import { numberFlag } from '../flags.js';
import { UsageError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('export')
    .summary('a finished reconstruction as a ptychodus product file (.h5), to open in ptychodus or continue from')
    .description(
      'Writes the reconstruction an `lsqml --out` folder or a Phase F job folder holds (its reconstruction.npz) as a ' +
      'ptychodus product file (HDF5, the layout of ptychodus\'s H5ProductFileIO): probe modes, object (one layer), probe ' +
      'positions in metres, pixel sizes, probe energy and detector distance where the data states them (0 where it does ' +
      'not; for electron data the probe energy is the photon energy of the electron\'s wavelength, since ptychodus takes ' +
      'λ = hc/E, and the comments name the electron energy), and the loss per epoch. ptychodus opens it as one of its own products; `lsqml --init-probe file:OUT ' +
      '--init-object file:OUT` continues from it. A command of its own, not an `lsqml` or `report` flag: it reads a ' +
      'finished result and writes one file in another program\'s format, and it runs on any result, however old, without ' +
      'reconstructing or touching the folder.\n\n' +
      'Positions: the object pixel coordinates of reconstruction.npz\'s `positions` turned back into metres with the data\'s ' +
      'object pixel size and frame origin (measured data: the metres its file gave); the object\'s centre is set so that ' +
      'ptychodus maps each position onto the same object pixel. Synthetic data states no pixel size: give it with --pixel-size. ' +
      'The same reconstruction gives the same bytes, whenever it is exported: the times HDF5 records in its object headers are ' +
      'a fixed 0 (1970-01-01), not the time of writing.\n\n' +
      'Exit codes: 0 written; 2 bad usage (--out exists without --force, or its folder cannot be written) or a broken reconstruction ' +
      '(named), nothing written; 1 the write failed midway (a full disk: the reason in one line), nothing left behind; ' +
      '130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP): nothing written (a signal that comes while the ' +
      'file is being written waits until it is whole: the export then ends as written, exit 0).')
    .option('--input <path>', 'the reconstruction: an `lsqml --out` folder, a Phase F job folder, or its reconstruction.npz (required)')
    .option('--out <file>', 'the product file to write, e.g. scan.h5 (required); written under a temporary name and renamed into place')
    .option('--pixel-size <m>', 'object pixel size in metres, for a reconstruction of data that states none (synthetic data)')
    .option('--force', 'replace --out when it exists; a file of other bytes moves to history/replaced-<time>/ in its folder (without --force an existing file is kept and the command exits 2)')
    .action(action('export', async (f: { input?: string; out?: string; pixelSize?: string; force?: boolean }) => {
      if (!f.input) throw new UsageError('--input is required (an `lsqml --out` folder, a Phase F job folder or its reconstruction.npz)');
      if (!f.out) throw new UsageError('--out is required (the .h5 file to write)');
      const pixelSizeM = numberFlag('--pixel-size', f.pixelSize);
      // A signal is handled here, between the steps: the product is written (temporary file, HDF5, link or rename) in one
      // synchronous stretch, which a signal with a listener cannot cut, so it is never left half written.
      const removeStopHandlers = onStop((signal) => {
        process.stderr.write(`ptychostudy export: ${stoppedWord(signal)}; nothing written\n`);
      });
      let r;
      try {
        const { exportPtychodusProduct } = await import('../../study/export/ptychodus.js');
        r = await exportPtychodusProduct({ input: f.input, out: f.out, force: f.force === true, ...(pixelSizeM !== undefined ? { pixelSizeM } : {}) });
      } finally {
        removeStopHandlers();
      }
      process.stdout.write(`export: ${r.out} (ptychodus product: object [${r.objectShape.join(', ')}], ${r.probeModes} probe mode${r.probeModes === 1 ? '' : 's'}, ` +
        `${r.positions} position${r.positions === 1 ? '' : 's'}, pixel [${r.pixelM.map((v) => v.toPrecision(6)).join(', ')}] m from ${r.pixelKey ?? '--pixel-size'})\n`);
      return 0;
    }, { input: '--input', out: '--out', pixelSizeM: '--pixel-size', force: '--force' }, 'own'));
}
