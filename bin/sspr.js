#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`, run by `npm start`).
// The long-running commands first replace this process with one holding the memory settings
// (src/cli/memory-tuning.ts), before the rest of the program is loaded.
import { applyMemoryTuning } from '../dist/cli/memory-tuning.js';

applyMemoryTuning();
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
