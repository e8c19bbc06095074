/**
 * The only module main.ts imports before it loads the program (program.ts, imported dynamically once this has run):
 * a signal during start-up — loading the program, parsing the command line, a command checking its inputs — ends the process with
 * 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP) and one line, as later in a command (interrupt.ts). And whenever the
 * process ends, a terminal that hung up under it does not turn its exit status into a crash (`exitCleanlyAfterHangUp`).
 */
import { exitCleanlyAfterHangUp, stopDuringStartUp } from './interrupt.js';

stopDuringStartUp();
exitCleanlyAfterHangUp();
