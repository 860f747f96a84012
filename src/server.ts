import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Portal } from './app/portal.js';
import { createApp } from './app/http-app.js';
import { pruneAudit } from './audit/audit-query.js';
import { WebSocketServer } from 'ws';
import { AGENT_PATH, MAX_FRAME } from './agent-protocol/index.js';
import { clientAddress } from './http/middleware/client-ip.js';
import { metricsListenerRoutes } from './ops/routes.js';

export interface RunningServer {
  url: string;
  port: number;
  /** The separate /metrics listener (`metrics.listen`), when there is one. */
  metricsUrl: string | null;
  /** Stops taking connections, lets requests in flight finish (up to the timeout), then ends the strength workers and closes the store. */
  stop(timeoutMs?: number): Promise<void>;
}

const HOUR = 3_600_000;

function listen(fetch: Parameters<typeof serve>[0]['fetch'], at: { host: string; port: number }): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const s = serve({ fetch, hostname: at.host, port: at.port }, () => resolve(s));
    s.once('error', reject);
  });
}

function urlOf(address: AddressInfo): string {
  return `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
}

export async function startServer(portal: Portal): Promise<RunningServer> {
  // Before listening: the first password check is then as fast as any later one.
  await portal.strength.start();
  const app = createApp(portal);
  const server = await listen(app.fetch, portal.config.listen).catch(async (err: unknown) => {
    // Port taken or not allowed: nothing listens, so the strength workers must not keep the process alive.
    await portal.strength.close();
    throw err;
  });
  const address = server.address() as AddressInfo;
  // /metrics on its own listener (e.g. loopback for a local Prometheus), never mixed with the public pages.
  const m = portal.config.metrics;
  const metricsServer = m.enabled && m.listen ? await listen(metricsListenerRoutes({ metrics: portal.metrics, settings: m }).fetch, m.listen).catch(async (err: unknown) => {
    await new Promise((r) => server.close(r));
    await portal.strength.close();
    throw err;
  }) : null;
  // Jobs other instances hand to the agents connected here (PostgreSQL LISTEN).
  await portal.agentHub.start();
  // The agents' endpoint: a WebSocket the on-premises agents open outbound to the portal.
  const agentSockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== AGENT_PATH) return socket.destroy();
    agentSockets.handleUpgrade(req, socket, head, (ws) => portal.agentHub.accept(ws, clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], portal.config.trustedProxies)));
  });
  // Housekeeping, hourly: expired sessions, flows and stale counters are deleted; audit events,
  // finished writeback jobs and sync runs past the audit retention (reads by agents after a day),
  // logos uploaded for a preview and never saved after a day.
  const housekeeping = setInterval(() => {
    const now = portal.clock.now();
    const days = portal.config.audit.retentionDays;
    void Promise.all([
      portal.sessions.pruneExpired(),
      portal.flows.pruneExpired(HOUR),
      portal.throttle.prune(48 * HOUR),
      pruneAudit(portal.store, now, days),
      portal.agentHub.prune(now, days),
      portal.sync.pruneRuns(now, days),
      portal.reportLinks.prune(),
      portal.resetLinks.prune(),
      portal.brand.pruneUnsavedLogos(),
    ]).catch((err: unknown) =>
      portal.logger.warn({ err }, 'housekeeping failed'),
    );
  }, HOUR);
  housekeeping.unref();

  // AD sync on its schedule, and runs asked for from the CLI or the console; reminders hourly.
  // The interval is a stored setting: read at each tick, so a change applies from the next one.
  let lastScheduled = Date.now();
  let syncing = false;
  const syncTick = setInterval(() => {
    if (syncing || portal.agentHub.connected().length === 0) return;
    syncing = true;
    void (async () => {
      const asked = await portal.sync.takeRequest();
      const syncEvery = (await portal.settings.current()).sync.values.intervalMinutes * 60_000;
      const due = syncEvery > 0 && Date.now() - lastScheduled >= syncEvery;
      if (asked || due) {
        if (due) lastScheduled = Date.now();
        await portal.syncCoordinator.run(asked ? 'cli' : 'schedule', { full: asked?.full ?? false });
      }
    })()
      .catch((err: unknown) => portal.logger.warn({ err }, 'sync failed'))
      .finally(() => {
        syncing = false;
      });
  }, 5_000);
  syncTick.unref();
  const remind = () => {
    void (async () => {
      if ((await portal.settings.current()).reminders.values.enabled) await portal.reminders.send();
    })().catch((err: unknown) => portal.logger.warn({ err }, 'reminders failed'));
  };
  const reminderTick = setInterval(remind, HOUR);
  reminderTick.unref();

  let stopping: Promise<void> | null = null;
  return {
    url: urlOf(address),
    port: address.port,
    metricsUrl: metricsServer ? urlOf(metricsServer.address() as AddressInfo) : null,
    stop(timeoutMs = 10_000) {
      stopping ??= (async () => {
        clearInterval(housekeeping);
        clearInterval(syncTick);
        clearInterval(reminderTick);
        portal.agentHub.close();
        agentSockets.close();
        metricsServer?.close();
        (metricsServer as unknown as { closeAllConnections?: () => void } | null)?.closeAllConnections?.();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            // Requests still running after the grace period are cut off.
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
            resolve();
          }, timeoutMs);
          timer.unref();
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        });
        await portal.agentHub.leave().catch((err: unknown) => portal.logger.warn({ err }, 'agent presence not removed'));
        await portal.strength.close();
        await portal.store.close();
      })();
      return stopping;
    },
  };
}
