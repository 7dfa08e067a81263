import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONTROL_PREFIX, Simulator, SimulatorState } from '../simulator';

/**
 * Slack incoming webhooks: `POST /services/{team}/{bot}/{secret}` with JSON `{ text, blocks?, … }`. Like Slack it
 * answers `200 ok` as text/plain, and errors as short plain-text reasons: 400 `invalid_payload` (not JSON),
 * 400 `no_text` (neither text nor blocks), 404 `no_service` (unknown path), 410 `channel_is_archived` for a webhook
 * marked archived.
 *
 * Test controls (besides the shared /__sim ones):
 *   GET  /__sim/slack/messages         every accepted post: { webhook, text, payload, at }
 *   POST /__sim/slack/archived         { webhook: '/services/…' } that webhook now answers 410
 */
export interface SlackPost {
  /** The webhook path, `/services/T…/B…/…`. */
  webhook: string;
  text: string | null;
  payload: Record<string, unknown>;
  at: string;
}

export interface SlackState extends SimulatorState {
  posts: SlackPost[];
  archived: Set<string>;
}

function createState(): SlackState {
  const state: SlackState = {
    posts: [],
    archived: new Set(),
    reset() {
      state.posts = [];
      state.archived.clear();
    },
  };
  return state;
}

const plain = (reply: FastifyReply, status: number, text: string) => reply.code(status).type('text/plain; charset=utf-8').send(text);

export const slackSimulator: Simulator<SlackState> = {
  name: 'slack',
  defaultPort: 4080,
  createState,
  register(app: FastifyInstance, state: SlackState) {
    app.post<{ Params: { team: string; bot: string; secret: string } }>('/services/:team/:bot/:secret', async (request, reply) => {
      const webhook = request.url.split('?')[0];
      if (state.archived.has(webhook)) return plain(reply, 410, 'channel_is_archived');
      let payload: unknown = request.body;
      if (typeof payload === 'string') {
        try {
          payload = JSON.parse(payload);
        } catch {
          return plain(reply, 400, 'invalid_payload');
        }
      }
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return plain(reply, 400, 'invalid_payload');
      const body = payload as Record<string, unknown>;
      const text = typeof body.text === 'string' && body.text.trim() ? body.text : null;
      if (!text && !Array.isArray(body.blocks)) return plain(reply, 400, 'no_text');
      state.posts.push({ webhook, text, payload: body, at: new Date().toISOString() });
      return plain(reply, 200, 'ok');
    });

    app.get(`${CONTROL_PREFIX}/slack/messages`, async () => ({ messages: state.posts }));
    app.post(`${CONTROL_PREFIX}/slack/archived`, async (request: FastifyRequest, reply: FastifyReply) => {
      const webhook = (request.body as { webhook?: unknown } | null)?.webhook;
      if (typeof webhook !== 'string' || !webhook.startsWith('/services/')) return reply.code(400).send({ error: 'webhook: must be a /services/… path' });
      state.archived.add(webhook);
      return { archived: webhook };
    });
  },
  error(statusCode: number, message: string) {
    // Slack's webhook errors are bare reason strings; an unknown path is `no_service`.
    const reasons: Record<number, string> = { 404: 'no_service', 503: 'service_unavailable' };
    return { statusCode, body: reasons[statusCode] ?? message };
  },
};
