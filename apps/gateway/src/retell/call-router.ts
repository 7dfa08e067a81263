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
 * Agent id / number → company, kept in this process for 30 s: every tool call of every call needs it and it
 * changes only on onboarding (a removed agent keeps answering for at most that long). Misses are not cached,
 * so a newly imported agent works at once.
 */
const ROUTING_CACHE_MS = 30_000;
const ROUTING_CACHE_MAX = 10_000;
type Found = { company: CompanyEntity; branchId: string | null };

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

  private readonly routing = new Map<string, { at: number; found: Found }>();
  /** Call ids already remembered in Redis by this process (saves a write per tool call). */
  private readonly remembered = new Map<string, number>();

  private async cached(key: string, load: () => Promise<Found | null>): Promise<Found | null> {
    const hit = this.routing.get(key);
    if (hit && Date.now() - hit.at < ROUTING_CACHE_MS) return hit.found;
    const found = await load();
    if (found) {
      if (this.routing.size >= ROUTING_CACHE_MAX) this.routing.clear();
      this.routing.set(key, { at: Date.now(), found });
    }
    return found;
  }

  /**
   * `remember: false` for requests whose body nobody signed (the legacy bearer secret): their call id must not be
   * bound to a company for later tool calls, or one company's secret could claim another company's call.
   */
  async route(inv: Pick<RetellInvocation, 'callId' | 'agentId' | 'fromNumber' | 'toNumber'>, options: { remember?: boolean } = {}): Promise<RoutedCall | null> {
    const toNumber = toE164(inv.toNumber);
    const byNumber = () => (toNumber ? this.cached(`number:${toNumber}`, () => this.companies.findCompanyByNumber(toNumber)) : Promise.resolve(null));
    const byAgent = inv.agentId ? await this.cached(`agent:${inv.agentId}`, () => this.companies.findCompanyByAgentId(inv.agentId!)) : null;
    const found = byAgent ?? (await byNumber());
    if (found) {
      // One agent for all branches: the branch is the number's that was called (the same company's only).
      let branchId = found.branchId;
      if (byAgent && !branchId) {
        const number = await byNumber();
        if (number?.company.id === found.company.id) branchId = number.branchId;
      }
      const routed: RoutedCall = {
        company: pick(found.company),
        branchId,
        callId: inv.callId,
        fromNumber: toE164(inv.fromNumber, { sameCountryAs: toNumber }),
        toNumber,
      };
      if (inv.callId && options.remember !== false) await this.remember(routed).catch(() => undefined);
      return routed;
    }
    if (!inv.callId || inv.agentId || toNumber) return null;
    const remembered = await this.redis.get(this.key(inv.callId)).catch(() => null);
    return remembered ? (JSON.parse(remembered) as RoutedCall) : null;
  }

  /** A call of one known company (the legacy function secret's), for a body that names no company itself. */
  async routeTo(companyId: string, inv: Pick<RetellInvocation, 'callId' | 'fromNumber' | 'toNumber'>): Promise<RoutedCall | null> {
    const found = await this.cached(`company:${companyId}`, () => this.companies.findCompanyById(companyId));
    if (!found) return null;
    const toNumber = toE164(inv.toNumber);
    return { company: pick(found.company), branchId: null, callId: inv.callId, fromNumber: toE164(inv.fromNumber, { sameCountryAs: toNumber }), toNumber };
  }

  private key(callId: string) {
    return `gateway:retell:call:${callId}`;
  }

  private async remember(routed: RoutedCall): Promise<void> {
    const callId = routed.callId!;
    const at = this.remembered.get(callId);
    if (at && Date.now() - at < ROUTING_CACHE_MS) return;
    await this.redis.set(this.key(callId), JSON.stringify(routed), 'EX', CALL_TTL_SECONDS, 'NX');
    if (this.remembered.size >= ROUTING_CACHE_MAX) this.remembered.clear();
    this.remembered.set(callId, Date.now());
  }
}

const pick = (c: CompanyEntity): RoutedCall['company'] => ({ id: c.id, name: c.name, timeZone: c.timeZone, language: c.language, currency: c.currency });
