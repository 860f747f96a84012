import { json, op, pick, readOp, ref, writeOp, type Json } from './openapi-parts.js';

const limit = (max: number) => ({ name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: max, default: 20 } });

/** /agents, /sync, /reports and /delivery (src/api/ops-routes.ts). */
export function opsPaths(): Record<string, Json> {
  return {
    '/agents': {
      get: op(readOp(), { summary: 'The registered on-premises agents, with whether each is connected now', operationId: 'listAgents', tags: ['agents'], responses: { 200: { description: 'The agents.', ...json(ref('AgentList')) } } }),
    },
    '/agents/registration-tokens': {
      post: op({ scope: 'write', errors: pick(401, 403) }, {
        summary: 'A one-time token to register a new agent',
        description: 'Shown once; it registers one agent and expires after writeback.registrationTokenMinutes. Audited as agent_token_created.',
        operationId: 'createAgentToken',
        tags: ['agents'],
        responses: { 201: { description: 'The token and the command to run on the agent\'s machine.', ...json(ref('RegistrationToken')) } },
      }),
    },
    '/agents/{agent}/test': {
      post: op({ scope: 'write', errors: pick(401, 403, 404) }, {
        summary: 'Test an agent\'s connection to Active Directory',
        description: 'A connection check through the same path as a password job: the agent reaches a domain controller as its service account and reads the domain and its password policy; nothing is changed. 200 whatever the outcome: `ok`, and otherwise `reason` with `message` in words. Audited as agent_tested.',
        operationId: 'testAgent',
        tags: ['agents'],
        parameters: [{ name: 'agent', in: 'path', required: true, description: 'The agent\'s id or name.', schema: { type: 'string', maxLength: 200 } }],
        responses: { 200: { description: 'The outcome.', ...json(ref('AgentTest')) } },
      }),
    },
    '/agents/{agent}': {
      delete: op({ scope: 'write', errors: pick(401, 403, 404) }, {
        summary: 'Revoke an agent',
        description: 'Its open connection ends at the next heartbeat; it can no longer take jobs. Audited as agent_revoked.',
        operationId: 'revokeAgent',
        tags: ['agents'],
        parameters: [{ name: 'agent', in: 'path', required: true, description: 'The agent\'s id or name.', schema: { type: 'string', maxLength: 200 } }],
        responses: { 200: { description: 'Revoked (or already so).', ...json(ref('Agent')) } },
      }),
    },
    '/sync': {
      get: op(readOp(), { summary: 'AD sync: the last run, the interval, the agents connected', operationId: 'getSyncStatus', tags: ['sync'], responses: { 200: { description: 'The status.', ...json(ref('SyncStatus')) } } }),
    },
    '/sync/runs': {
      get: op(readOp([400]), { summary: 'The sync runs, newest first', operationId: 'listSyncRuns', tags: ['sync'], parameters: [limit(200)], responses: { 200: { description: 'The runs.', ...json(ref('SyncRunList')) } } }),
    },
    '/sync/run': {
      post: op(writeOp(), {
        summary: 'Ask for a sync now (a delta, or a full import)',
        description: 'The portal instance an agent is connected to starts it within a few seconds; follow it with GET /sync/runs.',
        operationId: 'requestSync',
        tags: ['sync'],
        requestBody: { required: true, ...json(ref('SyncRequest')) },
        responses: { 202: { description: 'Asked for.', ...json(ref('SyncRequested')) } },
      }),
    },
    '/reports/coverage': {
      get: op(readOp(), { summary: 'Registration coverage: users in scope, registered, by method', operationId: 'getCoverageReport', tags: ['reports'], responses: { 200: { description: 'The coverage.', ...json(ref('Coverage')) } } }),
    },
    '/reports/activity': {
      get: op(readOp([400]), {
        summary: 'Resets, unlocks and changes per day, by outcome, method and failure reason',
        operationId: 'getActivityReport',
        tags: ['reports'],
        parameters: [
          { name: 'days', in: 'query', required: false, schema: { type: 'integer', enum: [7, 30, 90], default: 30 } },
          { name: 'format', in: 'query', required: false, description: 'csv: the table per day, as the console\'s download.', schema: { type: 'string', enum: ['json', 'csv'], default: 'json' } },
        ],
        responses: { 200: { description: 'The report.', content: { 'application/json': { schema: ref('Activity') }, 'text/csv': { schema: { type: 'string' } } } } },
      }),
    },
    '/delivery/attempts': {
      get: op(readOp([400]), {
        summary: 'The delivery log: every email, text and call, newest first (destinations masked, never a body)',
        operationId: 'listDeliveryAttempts',
        tags: ['delivery'],
        parameters: [
          { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: ['sent', 'failed', 'rate_limited', 'not_sent'] } },
          { name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 1, default: 1 } },
          { name: 'pageSize', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
        ],
        responses: { 200: { description: 'One page.', ...json(ref('DeliveryPage')) } },
      }),
    },
  };
}
