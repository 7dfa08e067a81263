import { ALL_TOPICS, Topics, createEnvelope, envelopeSchema, dlqTopicName, topicByName } from './index';

describe('envelope', () => {
  it('creates a valid envelope with a uuid id and ISO time', () => {
    const env = createEnvelope({ type: 'call.started', source: 'voice-agent', companyId: 'c1', subject: 'call_1', data: {} });
    expect(envelopeSchema.parse(env)).toEqual(env);
    expect(env.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(env.schemaVersion).toBe(1);
  });

  it('rejects a malformed envelope naming the field', () => {
    const env = { ...createEnvelope({ type: 'x.y', source: 's', companyId: null, subject: null, data: 1 }), id: 'nope' };
    const r = envelopeSchema.safeParse(env);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['id']);
  });
});

describe('topic catalogue', () => {
  it('has unique names in domain.event form and a schema for each', () => {
    const names = ALL_TOPICS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const t of ALL_TOPICS) {
      expect(t.name).toMatch(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/);
      expect(typeof t.schema.safeParse).toBe('function');
    }
  });

  it('validates a call.completed payload and rejects a float duration', () => {
    const good = {
      callId: 'call_1', agentId: 'agent_1', fromNumber: '+4930123456', toNumber: '+4930999999', direction: 'inbound',
      startedAt: '2026-11-24T10:00:00.000Z', endedAt: '2026-11-24T10:02:37.000Z', durationSeconds: 157,
      billableSeconds: 157, disconnectionReason: 'user_hangup', bookingIds: [],
    };
    expect(Topics.callCompleted.schema.safeParse(good).success).toBe(true);
    expect(Topics.callCompleted.schema.safeParse({ ...good, durationSeconds: 1.5 }).success).toBe(false);
  });

  it('looks topics up by name and names their dead-letter topic', () => {
    expect(topicByName('booking.created')).toBe(Topics.bookingCreated);
    expect(dlqTopicName('booking.created')).toBe('booking.created.dlq');
  });
});
