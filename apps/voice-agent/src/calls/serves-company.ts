import { companyScope } from '@receptionist/service-runtime';
import type { VoiceAgentEnv } from '../config';

/** VOICE_AGENT_SERVE_COMPANIES: what this instance handles (see companyScope). */
export function servesCompany(config: Pick<VoiceAgentEnv, 'VOICE_AGENT_SERVE_COMPANIES'>): (companyId: string | null) => boolean {
  return companyScope(config.VOICE_AGENT_SERVE_COMPANIES);
}
