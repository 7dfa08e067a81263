import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import type { RetellInvocation } from './call-context';
import type { RoutedCall } from './call-router';
import { VoiceFunctionsService } from './voice-functions.service';

/**
 * Retell's inbound call webhook, while the phone rings (10 s budget): the caller's context as
 * `dynamic_variables`. Unknown number → 404, so Retell falls back to the number's default agent.
 */
@Injectable()
export class InboundCallService {
  constructor(private readonly functions: VoiceFunctionsService) {}

  async answer(invocation: RetellInvocation, routed: RoutedCall | null, rawBody: Buffer | undefined) {
    if (invocation.function !== 'initialize_call') throw new BadRequestException('event: must be call_inbound');
    if (!invocation.toNumber) throw new BadRequestException('call_inbound.to_number: is required');
    if (!routed) throw new NotFoundException('This phone number is not configured');
    const reply = await this.functions.call('inbound', invocation, routed, rawBody);
    const variables = { ...localVariables(routed.company, routed.fromNumber), ...stringMap(reply.data?.dynamicVariables) };
    return { call_inbound: { dynamic_variables: variables, metadata: { company_id: routed.company.id, branch_id: routed.branchId } } };
  }
}

/** What the gateway knows itself, so the agent has its company and "now" even when voice-agent is late. */
function localVariables(company: { name: string; timeZone: string; language: string }, from: string | null): Record<string, string> {
  const now = new Date();
  const locale = company.language.startsWith('en') ? 'en-GB' : 'de-DE';
  const part = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(locale, { timeZone: company.timeZone, ...options }).format(now);
  return {
    company_name: company.name,
    company_language: company.language,
    time_zone: company.timeZone,
    current_date: part({ year: 'numeric', month: '2-digit', day: '2-digit' }),
    current_weekday: part({ weekday: 'long' }),
    current_time: part({ hour: '2-digit', minute: '2-digit', hour12: false }),
    customer_phone: from ?? '',
  };
}

function stringMap(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}
