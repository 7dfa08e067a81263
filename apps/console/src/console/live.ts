import { useEffect } from 'react';
import type { Api } from '../api/client';

/** A fact the gateway streams as it happens (no data: pages ask the API for what changed). */
export interface LiveEvent {
  type: string;
  subject: string | null;
  time: string;
}
type Listener = (event: LiveEvent) => void;

/**
 * The company's live events (`GET …/live`, server-sent events read with fetch so the token goes in the header);
 * reconnects after a pause when the stream ends. Returns the function that stops it.
 */
export function connectLive(api: Api, companyId: string, emit: Listener): () => void {
  let stopped = false;
  let controller: AbortController | null = null;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const { response } = await api.GET('/api/v1/companies/{companyId}/live', { params: { path: { companyId } }, parseAs: 'stream', signal: controller.signal });
        if (!response.ok || !response.body) throw new Error(`live: HTTP ${response.status}`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const data = /^data: (.+)$/m.exec(buffer.slice(0, end))?.[1];
            buffer = buffer.slice(end + 2);
            if (data) emit(JSON.parse(data) as LiveEvent);
          }
        }
      } catch {
        // stopped, offline or signed out: try again shortly unless stopped
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 5000));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

/** A tiny fan-out so every page can react to the one stream. */
export class LiveBus {
  private readonly listeners = new Set<Listener>();
  emit = (event: LiveEvent) => this.listeners.forEach((l) => l(event));
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}

/** Calls `onEvent` for live events whose type starts with one of `prefixes` (e.g. `call.`, `balance.`). */
export function useLive(bus: LiveBus, prefixes: string[], onEvent: (event: LiveEvent) => void): void {
  const key = prefixes.join(',');
  useEffect(() => bus.subscribe((e) => key.split(',').some((p) => e.type.startsWith(p)) && onEvent(e)), [bus, key, onEvent]);
}
