import type { LoadedConfig, SettingSource } from './load.js';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

function where(setting: string, env: string, source: SettingSource, file: string | null): string {
  if (source === 'env') return `set by ${env}`;
  if (source === 'file') return `set in ${file ?? 'sspr.yaml'}`;
  return setting === 'publicUrl' ? 'the default, which follows listen.port' : 'the default';
}

/**
 * A publicUrl on this machine (localhost, 127.x, [::1]) whose port is not the one the portal
 * listens on: every link the portal prints or mails (the setup link first) would lead nowhere.
 * Not a problem with port 0 (a port chosen at start) or behind a reverse proxy (trustedProxies
 * set: the proxy may listen on the public port and forward to listen.port).
 * Returns what is wrong and how to fix it, or null when the two agree.
 */
export function publicUrlPortProblem(loaded: LoadedConfig): { problem: string; fix: string } | null {
  const { config, sources, file } = loaded;
  const url = new URL(config.publicUrl);
  if (!LOOPBACK.test(url.hostname) || config.listen.port === 0 || config.trustedProxies.length > 0) return null;
  const urlPort = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (urlPort === config.listen.port) return null;
  const fixed = `${url.protocol}//${url.hostname}:${config.listen.port}`;
  return {
    problem:
      `publicUrl ${config.publicUrl} (${where('publicUrl', 'SSPR_PUBLIC_URL', sources.publicUrl, file)}) points at port ${urlPort}, ` +
      `but listen.port is ${config.listen.port} (${where('listen.port', 'SSPR_LISTEN__PORT', sources.listenPort, file)}): ` +
      'the setup link and every link in messages would lead nowhere',
    fix: `use one port for both, e.g. publicUrl: ${fixed} (or SSPR_PUBLIC_URL=${fixed}), or leave publicUrl out so it follows listen.port; behind a reverse proxy, list the proxy in trustedProxies`,
  };
}

/** The sentence for a port another program holds, with a command that works (the portal's port, or the metrics listener's). */
export function portInUseMessage(loaded: LoadedConfig, port: number): string {
  const next = port >= 65535 ? 8181 : port + 1;
  const { config } = loaded;
  if (port !== config.listen.port && config.metrics.listen?.port === port) {
    return `Port ${port} (metrics.listen) is already in use by another program. Stop it, or choose another port: SSPR_METRICS__LISTEN__PORT=${next} npm start`;
  }
  const url = new URL(config.publicUrl);
  // An explicit publicUrl on this machine has to move with the port (see publicUrlPortProblem).
  const moveUrl = loaded.sources.publicUrl !== 'default' && LOOPBACK.test(url.hostname) && config.trustedProxies.length === 0;
  const extra = moveUrl ? ` SSPR_PUBLIC_URL=${url.protocol}//${url.hostname}:${next}` : '';
  return `Port ${port} is already in use by another program. Stop it, or choose another port: SSPR_LISTEN__PORT=${next}${extra} npm start`;
}
