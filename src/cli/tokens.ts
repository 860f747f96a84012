import type { Command } from 'commander';
import type { CliIO } from './context.js';

/** `sspr token create|list|revoke`. */
export function registerTokenCommands(_program: Command, _io: CliIO, _setExit: (code: number) => void, _cfg: (cmd: Command) => string | undefined): void {}
