import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { companyCalcomWebhookSecret } from '@receptionist/config';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BookingEnv } from '../config';
import { ServiceEntity } from '../catalogue/catalogue.entities';
import { CalcomClient } from './calcom.client';
import { CalcomApiError, CalcomUnavailableError } from './calcom.errors';
import { CalendarConnectionEntity } from './calendar-connection.entity';
import { CalendarProviders } from './calendar-provider';

/** A refusal the requester turns into 400/404/503 (`detail` names the field). */
export class CalendarFailure extends Error {
  constructor(
    readonly code: 'invalid_request' | 'not_found' | 'calendar_refused' | 'calendar_unavailable' | 'not_configured',
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

const WEBHOOK_TRIGGERS = ['BOOKING_CREATED', 'BOOKING_RESCHEDULED', 'BOOKING_CANCELLED', 'BOOKING_REJECTED', 'BOOKING_REQUESTED'];

/** Health as the admin API shows it: `error` while the last error is newer than the last success. */
export function connectionView(row: CalendarConnectionEntity | null) {
  if (!row) return { provider: 'platform', teamSlug: null, webhook: { status: 'platform' }, health: { status: 'platform', lastSuccessAt: null, lastErrorAt: null, lastError: null } };
  const failing = !!row.lastErrorAt && (!row.lastSuccessAt || row.lastErrorAt > row.lastSuccessAt);
  return {
    provider: row.provider,
    teamSlug: row.teamSlug,
    webhook: { status: row.webhookStatus },
    health: {
      status: failing ? 'error' : row.lastSuccessAt ? 'ok' : 'unchecked',
      lastSuccessAt: row.lastSuccessAt?.toISOString() ?? null,
      lastErrorAt: row.lastErrorAt?.toISOString() ?? null,
      lastError: row.lastError,
    },
    connectedAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Companies' own calendar accounts: checked against the calendar before they are stored (sealed), with the webhook
 * subscription made on the company's account (`POST /v2/webhooks`, a per-company secret the gateway recomputes), and
 * the set-up check that the company's services' event types are that account's.
 */
@Injectable()
export class CalendarConnectionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: CalendarProviders,
    @Inject(SERVICE_CONFIG) private readonly config: BookingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private get rows() {
    return this.dataSource.getRepository(CalendarConnectionEntity);
  }

  async get(companyId: string) {
    return { connection: connectionView(await this.rows.findOneBy({ companyId })) };
  }

  async put(companyId: string, input: { provider: 'calcom'; apiKey: string; teamSlug: string | null }) {
    const box = this.providers.secrets;
    if (!box) throw new CalendarFailure('not_configured', 'CALENDAR_SECRETS_KEY is not set on booking: own calendars cannot be connected');
    const client = this.providers.calcomClient(input.apiKey, input.teamSlug);
    let eventTypes;
    try {
      eventTypes = await client.listEventTypes();
    } catch (error) {
      if (error instanceof CalcomApiError && (error.statusCode === 401 || error.statusCode === 403)) throw new CalendarFailure('invalid_request', `apiKey: Cal.com refused the key (${error.statusCode})`);
      if (error instanceof CalcomApiError) throw new CalendarFailure('calendar_refused', `apiKey: Cal.com answered ${error.statusCode}: ${error.message}`);
      if (error instanceof CalcomUnavailableError) throw new CalendarFailure('calendar_unavailable', `Cal.com could not be reached (${error.reason})`);
      throw error;
    }
    if (input.teamSlug && !eventTypes.some((t) => t.team?.slug === input.teamSlug)) {
      throw new CalendarFailure('invalid_request', `teamSlug: the key's account has no event types of team ${input.teamSlug}`);
    }
    const previous = await this.rows.findOneBy({ companyId });
    if (previous?.webhookId) await this.removeWebhook(previous);
    const webhook = await this.subscribe(companyId, client);
    const now = new Date();
    const row: CalendarConnectionEntity = {
      companyId,
      provider: 'calcom',
      credentialsSealed: box.seal(JSON.stringify({ apiKey: input.apiKey })),
      teamSlug: input.teamSlug,
      accountRef: null,
      webhookId: webhook.id,
      webhookStatus: webhook.status,
      lastSuccessAt: now,
      lastErrorAt: null,
      lastError: null,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
    };
    await this.rows.save(row);
    this.providers.forget(companyId);
    const ids = new Set(eventTypes.map((t) => t.id));
    const services = await this.dataSource.getRepository(ServiceEntity).findBy({ companyId, active: true });
    return {
      connection: connectionView(row),
      eventTypes: eventTypes.map((t) => ({ id: t.id, slug: t.slug, title: t.title, lengthInMinutes: t.lengthInMinutes, teamSlug: t.team?.slug ?? null })),
      /** Services whose event type this account does not have: callers cannot book them until they are remapped. */
      servicesNotInCalendar: services.filter((s) => !ids.has(s.calcomEventTypeId)).map((s) => ({ serviceId: s.id, name: s.name, calcomEventTypeId: s.calcomEventTypeId })),
    };
  }

  async remove(companyId: string) {
    const row = await this.rows.findOneBy({ companyId });
    if (!row) throw new CalendarFailure('not_found', 'companyId: no calendar connection of its own');
    if (row.webhookId) await this.removeWebhook(row);
    await this.rows.delete({ companyId });
    this.providers.forget(companyId);
    return { connection: connectionView(null) };
  }

  /**
   * Set-up check: which of these event types the company may use. With its own account: those of that account (and
   * team). On the platform account: those no other company's service uses.
   */
  async checkEventTypes(companyId: string, eventTypeIds: number[]): Promise<{ eventTypeId: number; problem: string }[]> {
    const problems: { eventTypeId: number; problem: string }[] = [];
    const row = await this.rows.findOneBy({ companyId });
    if (row) {
      const { provider } = await this.providers.resolve(companyId);
      let own: Set<number>;
      try {
        own = new Set((await provider.listEventTypes()).map((t) => t.id));
      } catch (error) {
        throw new CalendarFailure('calendar_unavailable', `the company's calendar could not be asked for its event types (${(error as Error).message})`);
      }
      for (const id of eventTypeIds) if (!own.has(id)) problems.push({ eventTypeId: id, problem: `event type ${id} is not in the company's Cal.com account${row.teamSlug ? ` (team ${row.teamSlug})` : ''}` });
      return problems;
    }
    if (!eventTypeIds.length) return problems;
    const others = await this.dataSource
      .getRepository(ServiceEntity)
      .createQueryBuilder('s')
      .where('s.calcom_event_type_id IN (:...ids)', { ids: eventTypeIds })
      .andWhere('s.company_id <> :companyId', { companyId })
      .getMany();
    for (const id of new Set(others.map((s) => s.calcomEventTypeId))) problems.push({ eventTypeId: id, problem: `event type ${id} is another company's calendar` });
    return problems;
  }

  /** The subscription on the company's account, signed with its own secret; replaces one of ours left there before. */
  private async subscribe(companyId: string, client: CalcomClient): Promise<{ id: string | null; status: string }> {
    const platformSecret = this.config.CALCOM_WEBHOOK_SECRET?.split(',')[0]?.trim();
    if (!platformSecret || !this.config.CALCOM_WEBHOOK_URL) return { id: null, status: 'not_configured' };
    const subscriberUrl = `${this.config.CALCOM_WEBHOOK_URL.replace(/\/+$/, '')}/${encodeURIComponent(companyId)}`;
    try {
      for (const hook of await client.listWebhooks()) if (hook.subscriberUrl === subscriberUrl) await client.deleteWebhook(hook.id);
      const made = await client.createWebhook({ subscriberUrl, triggers: WEBHOOK_TRIGGERS, secret: companyCalcomWebhookSecret(platformSecret, companyId) });
      return { id: made.id, status: 'active' };
    } catch (error) {
      this.logger.warn({ err: error, companyId }, "webhook subscription on the company's Cal.com not made; reconciliation still catches its changes");
      return { id: null, status: 'failed' };
    }
  }

  private async removeWebhook(row: CalendarConnectionEntity): Promise<void> {
    try {
      const { provider } = await this.providers.resolve(row.companyId);
      if (provider instanceof CalcomClient) await provider.deleteWebhook(row.webhookId!);
    } catch (error) {
      this.logger.warn({ err: error, companyId: row.companyId }, "old webhook subscription on the company's Cal.com not removed");
    }
  }
}
