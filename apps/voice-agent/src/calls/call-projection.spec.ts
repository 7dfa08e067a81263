import { callSeconds, compactCall, projectCall, type StoredWebhook } from './call-projection';

const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
const base = { call_id: 'call_1', agent_id: 'agent_1', from_number: '+491701234567', to_number: '+4930123456', direction: 'inbound' };
const at = (s: number) => new Date(T0 + s * 1000);
const words = (start: number) => [{ word: 'Hallo', start, end: start + 0.3 }];

const started: StoredWebhook = { event: 'call_started', receivedAt: at(0), call: { ...base, call_status: 'ongoing', start_timestamp: T0 } };
const partial: StoredWebhook = {
  event: 'transcript_updated',
  receivedAt: at(30),
  call: { ...base, call_status: 'ongoing', start_timestamp: T0, transcript: 'Agent: Hallo', transcript_object: [{ role: 'agent', content: 'Hallo', words: words(0) }] },
};
const endedCall = {
  ...base,
  call_status: 'ended',
  start_timestamp: T0,
  end_timestamp: T0 + 61_500,
  duration_ms: 61_500,
  disconnection_reason: 'user_hangup',
  transcript: 'Agent: Hallo\nUser: Termin bitte\n',
  transcript_object: [
    { role: 'agent', content: 'Hallo', words: words(0) },
    { role: 'user', content: 'Termin bitte', words: words(1.2) },
  ],
  recording_url: 'https://retell.example/rec/call_1.wav',
  call_cost: { combined_cost: 7.175, product_costs: [] },
};
const ended: StoredWebhook = { event: 'call_ended', receivedAt: at(62), call: endedCall };
const analyzed: StoredWebhook = {
  event: 'call_analyzed',
  receivedAt: at(70),
  call: { ...endedCall, call_analysis: { call_summary: 'Termin gebucht', user_sentiment: 'Positive', call_successful: true, in_voicemail: false, custom_analysis_data: { x: 1 } } },
};

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('call projection', () => {
  it('folds the events into the record whatever order they arrived in', () => {
    const results = permutations([started, partial, ended, analyzed]).map((order) => projectCall(order, 0));
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0]).toMatchObject({
      agentId: 'agent_1',
      fromNumber: '+491701234567',
      direction: 'inbound',
      status: 'analyzed',
      outcome: 'completed',
      startedAt: new Date(T0),
      endedAt: new Date(T0 + 61_500),
      durationMs: 61_500,
      disconnectionReason: 'user_hangup',
      transcript: endedCall.transcript,
      retellCostMinor: 7,
      recordingUrl: 'https://retell.example/rec/call_1.wav',
      analysis: { summary: 'Termin gebucht', sentiment: 'Positive', successful: true, inVoicemail: false, custom: { x: 1 } },
    });
    expect(results[0].turns).toEqual([
      { role: 'agent', content: 'Hallo', startSeconds: 0, endSeconds: 0.3 },
      { role: 'user', content: 'Termin bitte', startSeconds: 1.2, endSeconds: 1.5 },
    ]);
    expect(callSeconds(results[0])).toEqual({ durationSeconds: 62, billableSeconds: 62 });
  });

  it('never regresses: a late transcript_updated or call_started changes nothing after the end', () => {
    expect(projectCall([ended, analyzed, partial, started], 0)).toEqual(projectCall([started, partial, ended, analyzed], 0));
    const ongoing = projectCall([started, partial], 0);
    expect(ongoing).toMatchObject({ status: 'ongoing', outcome: 'ongoing', endedAt: null, transcript: 'Agent: Hallo' });
  });

  it('derives the outcome: booked, not connected (not billable), voicemail, error', () => {
    expect(projectCall([ended], 1).outcome).toBe('booked');
    const dial: StoredWebhook = { event: 'call_ended', receivedAt: at(5), call: { ...base, call_status: 'not_connected', disconnection_reason: 'dial_no_answer', end_timestamp: T0 + 5000 } };
    const p = projectCall([dial], 0);
    expect(p).toMatchObject({ outcome: 'not_connected', status: 'ended', startedAt: null, endedAt: new Date(T0 + 5000) });
    expect(callSeconds(p)).toEqual({ durationSeconds: 0, billableSeconds: 0 });
    expect(projectCall([{ ...ended, call: { ...endedCall, disconnection_reason: 'voicemail_reached' } }], 0).outcome).toBe('voicemail');
    expect(projectCall([{ ...ended, call: { ...endedCall, disconnection_reason: 'error_llm_websocket_open' } }], 0).outcome).toBe('error');
  });

  it('ignores what is malformed instead of storing it', () => {
    const odd: StoredWebhook = { event: 'call_ended', receivedAt: at(1), call: { call_id: 'x', start_timestamp: 'yesterday', end_timestamp: -5, from_number: 'anonymous', duration_ms: 'long', transcript_object: [{ role: 'tool', content: 'x' }, 7] } };
    const p = projectCall([odd], 0);
    expect(p).toMatchObject({ startedAt: null, fromNumber: null, durationMs: null, turns: [], status: 'ended', endedAt: at(1) });
  });
});

describe('compactCall (what voice-agent stores of a long call)', () => {
  it('keeps only the first and last word timing of each utterance and projects exactly as the full object', () => {
    const many = (start: number, n: number) => Array.from({ length: n }, (_, i) => ({ word: `w${i}`, start: start + i * 0.4, end: start + i * 0.4 + 0.3 }));
    const long = {
      ...endedCall,
      transcript_object: [
        { role: 'agent', content: 'lang', words: many(0, 500) },
        { role: 'user', content: 'kurz', words: many(210, 1) },
      ],
      transcript_with_tool_calls: [{ role: 'agent', content: 'lang', words: many(0, 500) }, { role: 'tool_call_invocation', name: 'x' }],
    };
    const compact = compactCall(long);
    expect((compact.transcript_object as { words: unknown[] }[]).map((u) => u.words.length)).toEqual([2, 1]);
    expect((compact.transcript_with_tool_calls as { words?: unknown[] }[])[0].words).toHaveLength(2);
    expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(long).length / 20);
    const full = projectCall([{ ...ended, call: long }], 0);
    expect(projectCall([{ ...ended, call: compact }], 0)).toEqual(full);
  });
});
