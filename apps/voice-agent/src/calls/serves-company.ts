import type { VoiceAgentEnv } from '../config';

/**
 * VOICE_AGENT_SERVE_COMPANIES (ids, `prefix*`): what this instance handles. Unset (production): everything,
 * including calls of no known company. Set (tests sharing one broker): only those companies.
 */
export function servesCompany(config: Pick<VoiceAgentEnv, 'VOICE_AGENT_SERVE_COMPANIES'>): (companyId: string | null) => boolean {
  const entries = (config.VOICE_AGENT_SERVE_COMPANIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return () => true;
  return (id) => !!id && entries.some((e) => (e.endsWith('*') ? id.startsWith(e.slice(0, -1)) : id === e));
}
