import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { toE164 } from '@receptionist/contracts';
import { REDIS } from '@receptionist/service-runtime';
import { CompaniesRepository } from '../companies/companies.repository';
import type { CompanyEntity } from '../companies/entities';
import type { RetellInvocation } from './call-context';

export interface RoutedCall {
  company: Pick<CompanyEntity, 'id' | 'name' | 'timeZone' | 'language' | 'currency'>;
  branchId: string | null;
  callId: string | null;
  /** E.164 or null (withheld, unparseable). */
  fromNumber: string | null;
  toNumber: string | null;
}

/** A call's routing, remembered by exact call id so later tool calls without a call object still find it. */
const CALL_TTL_SECONDS = 4 * 60 * 60;

/**
 * Finds the company a call belongs to: by Retell agent id, else by the number called, else by the exact call id
 * seen earlier with one of those. Never a fallback company, never a guess across tenants.
 */
@Injectable()
export class CallRouter {
  constructor(
    private readonly companies: CompaniesRepository,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async route(inv: Pick<RetellInvocation, 'callId' | 'agentId' | 'fromNumber' | 'toNumber'>): Promise<RoutedCall | null> {
    const toNumber = toE164(inv.toNumber);
    const found =
      (inv.agentId ? await this.companies.findCompanyByAgentId(inv.agentId) : null) ??
      (toNumber ? await this.companies.findCompanyByNumber(toNumber) : null);
    if (found) {
      const routed: RoutedCall = {
        company: pick(found.company),
        branchId: found.branchId,
        callId: inv.callId,
        fromNumber: toE164(inv.fromNumber, { sameCountryAs: toNumber }),
        toNumber,
      };
      if (inv.callId) await this.remember(routed).catch(() => undefined);
      return routed;
    }
    if (!inv.callId || inv.agentId || toNumber) return null;
    const remembered = await this.redis.get(this.key(inv.callId)).catch(() => null);
    return remembered ? (JSON.parse(remembered) as RoutedCall) : null;
  }

  private key(callId: string) {
    return `gateway:retell:call:${callId}`;
  }

  private async remember(routed: RoutedCall): Promise<void> {
    await this.redis.set(this.key(routed.callId!), JSON.stringify(routed), 'EX', CALL_TTL_SECONDS, 'NX');
  }
}

const pick = (c: CompanyEntity): RoutedCall['company'] => ({ id: c.id, name: c.name, timeZone: c.timeZone, language: c.language, currency: c.currency });
