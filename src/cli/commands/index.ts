import type { Command } from 'commander';
import { register as run } from './run.js';
import { register as generate } from './generate.js';
import { register as overlap } from './overlap.js';
import { register as reconstruct } from './reconstruct.js';
import { register as lsqml } from './lsqml.js';
import { register as compare } from './compare.js';
import { register as report } from './report.js';
import { register as exportProduct } from './export.js';
import { register as inspect } from './inspect.js';
import { register as config } from './config.js';
import { register as status } from './status.js';
import { register as cancel } from './cancel.js';
import { register as worker } from './worker.js';

/** Every subcommand, in the order `--help` lists them. Each file registers one command. */
export const commands: Array<(program: Command) => void> = [run, generate, overlap, reconstruct, lsqml, compare, report, exportProduct, inspect, config, status, cancel, worker];
