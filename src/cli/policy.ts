import type { Command } from 'commander';
import type { CliIO } from './context.js';

/** `sspr policy show|set|history`. */
export function registerPolicyCommands(_program: Command, _io: CliIO, _setExit: (code: number) => void, _cfg: (cmd: Command) => string | undefined): void {}
