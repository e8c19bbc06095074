#!/usr/bin/env node
// The start-up signal handlers first, with nothing else loaded: a static import of the program would have Node.js
// load and link every module it imports (commander, every command, the engine) before any of them runs, and a
// signal in that time (a tenth of a second or more) would end the process silently by the signal, not with
// 130 / 143 / 129 and one line (interrupt.ts).
import './start-up.js';

await import('./program.js');
