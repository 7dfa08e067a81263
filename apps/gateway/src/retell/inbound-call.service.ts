import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import type { RetellInvocation } from './call-context';
import type { RoutedCall } from './call-router';
import { VoiceFunctionsService } from './voice-functions.service';
import { CallAcceptanceRepository } from '../call-acceptance/call-acceptance.repository';
import { inboundCallsRefused } from '../call-acceptance/call-acceptance.metrics';

const REFUSAL = {
  de: (company: string) =>
    `Guten Tag, Sie sind verbunden mit ${company}. Leider können wir Ihren Anruf im Moment nicht annehmen. Bitte versuchen Sie es später noch einmal. Auf Wiederhören.`,
  en: (company: string) => `Hello, you have reached ${company}. Unfortunately we cannot take your call right now. Please try again later. Goodbye.`,
};

/**
 * Retell's inbound call webhook, while the phone rings (10 s budget): the caller's context as
 * `dynamic_variables`. Unknown number → 404, so Retell falls back to the number's default agent.
 *
 * A company that must refuse calls (prepaid balance exhausted or plan unpaid, see call-acceptance) is answered with
 * `call_accepted: "false"` and `call_refusal_message` in its language, which the agent's prompt says and then
 * ends the call (Retell's answer cannot hang up by itself: without an agent it would fall back to the number's
 * own agent). voice-agent is not asked; the refused call never reaches a function. Calls already running go on.
 */
@Injectable()
export class InboundCallService {
  constructor(
    private readonly functions: VoiceFunctionsService,
    private readonly acceptance: CallAcceptanceRepository,
  ) {}

  async answer(invocation: RetellInvocation, routed: RoutedCall | null, rawBody: Buffer | undefined) {
    if (invocation.function !== 'initialize_call') throw new BadRequestException('event: must be call_inbound');
    if (!invocation.toNumber) throw new BadRequestException('call_inbound.to_number: is required');
    if (!routed) throw new NotFoundException('This phone number is not configured');
    const metadata = { company_id: routed.company.id, branch_id: routed.branchId };
    const local = localVariables(routed.company, routed.fromNumber);
    const acceptance = await this.acceptance.of(routed.company.id);
    if (acceptance.refusing) {
      const reason = acceptance.reason ?? 'refused';
      inboundCallsRefused().inc({ reason });
      // The company's own words when it chose some (an unpaid plan's refusal), else the platform's in its language.
      const message = acceptance.message ?? (routed.company.language.startsWith('en') ? REFUSAL.en : REFUSAL.de)(routed.company.name);
      return {
        call_inbound: {
          dynamic_variables: { ...local, call_accepted: 'false', call_refused_reason: reason, call_refusal_message: message },
          metadata: { ...metadata, call_refused: reason },
        },
      };
    }
    const reply = await this.functions.call('inbound', invocation, routed, rawBody);
    const variables = { ...local, ...stringMap(reply.data?.dynamicVariables), call_accepted: 'true' };
    return { call_inbound: { dynamic_variables: variables, metadata } };
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
