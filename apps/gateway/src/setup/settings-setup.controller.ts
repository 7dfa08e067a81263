import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import Holidays from 'date-holidays';
import type { z } from 'zod';
import { BUILT_IN_TEMPLATES, BuiltInLanguage, baseLanguage, formatAppointment, isBuiltIn, render } from '@receptionist/contracts';
import { Actor, CurrentActor } from '../audit/actor';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { ZodBody } from '../common/zod-body';
import { agentSettingsSchema, ImportDocument, notificationSettingsSchema, policiesSchema } from '../onboarding/import-document';
import { DescribeHeaders } from '../openapi/describe';
import { OpeningHoursBody, openingHoursBodySchema, PreviewBody, previewSchema } from './dto';
import { etagOf, SetupEditService } from './setup-edit.service';
import { IF_MATCH } from './setup-views';

type Section<T> = { get: (doc: ImportDocument) => T; set: (doc: ImportDocument, value: T) => void; action: string };

const hours: Section<OpeningHoursBody> = {
  get: (doc) => ({ weekly: doc.openingHours, closures: doc.closures ?? [], holidays: doc.holidays ?? null }),
  set: (doc, v) => {
    doc.openingHours = v.weekly;
    // Left out when empty, so a set-up without them keeps the revision an import would give it.
    doc.closures = v.closures.length ? v.closures : undefined;
    doc.holidays = v.holidays ?? undefined;
  },
  action: 'setup.opening-hours.changed',
};
const policies: Section<ImportDocument['policies']> = { get: (doc) => doc.policies, set: (doc, v) => (doc.policies = v), action: 'setup.booking-policies.changed' };
const agent: Section<z.output<typeof agentSettingsSchema>> = {
  get: (doc) => doc.agent ?? agentSettingsSchema.parse({}),
  set: (doc, v) => (doc.agent = v),
  action: 'setup.agent-settings.changed',
};
const notifications: Section<ImportDocument['notifications']> = { get: (doc) => doc.notifications, set: (doc, v) => (doc.notifications = v), action: 'setup.notification-settings.changed' };

/** Public holidays of the region in the next 365 days (what closes the business), for the reader to check. */
function upcomingHolidays(region: OpeningHoursBody['holidays']): { date: string; name: string }[] {
  if (!region) return [];
  const now = new Date();
  const until = new Date(now.getTime() + 365 * 86_400_000);
  const hd = new Holidays(region.country, region.state);
  return [now.getFullYear(), now.getFullYear() + 1]
    .flatMap((y) => hd.getHolidays(y))
    .filter((h) => h.type === 'public' && h.start >= new Date(now.getTime() - 86_400_000) && h.start <= until)
    .map((h) => ({ date: h.date.slice(0, 10), name: h.name }));
}

/**
 * Opening hours (with closed days and public holidays), booking policies, the voice agent's settings and the
 * notification settings of a company, each one resource with an `ETag`, changed with `If-Match` through the
 * set-up document (docs/onboarding.md). Reading needs `companies.read`, changing `services.manage`.
 */
@Controller('api/v1/companies/:companyId')
export class SettingsSetupController {
  constructor(private readonly setup: SetupEditService) {}

  /** The week, closed days and holiday region, and the public holidays ahead that close the business. */
  @Get('opening-hours')
  @RequireAbility('companies.read')
  async getOpeningHours(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const value = await this.read(principal, companyId, hours, reply);
    return { ...value, upcomingHolidays: upcomingHolidays(value.holidays) };
  }

  /** Seen by booking (and so by the voice agent's next availability question) as soon as booking applied it. */
  @Put('opening-hours')
  @RequireAbility('services.manage')
  @DescribeHeaders(IF_MATCH)
  async putOpeningHours(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Headers('if-match') ifMatch: string | undefined, @Body(new ZodBody(openingHoursBodySchema)) dto: OpeningHoursBody, @Res({ passthrough: true }) reply: FastifyReply) {
    const value = await this.write(actor, companyId, hours, dto, ifMatch, reply);
    return { ...value, upcomingHolidays: upcomingHolidays(value.holidays) };
  }

  @Get('booking-policies')
  @RequireAbility('companies.read')
  getPolicies(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.read(principal, companyId, policies, reply);
  }

  @Put('booking-policies')
  @RequireAbility('services.manage')
  @DescribeHeaders(IF_MATCH)
  putPolicies(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Headers('if-match') ifMatch: string | undefined, @Body(new ZodBody(policiesSchema)) dto: ImportDocument['policies'], @Res({ passthrough: true }) reply: FastifyReply) {
    return this.write(actor, companyId, policies, dto, ifMatch, reply);
  }

  /** Greeting per language, the languages spoken, and the human the agent hands callers to (number and hours). */
  @Get('agent-settings')
  @RequireAbility('companies.read')
  getAgent(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.read(principal, companyId, agent, reply);
  }

  @Put('agent-settings')
  @RequireAbility('services.manage')
  @DescribeHeaders(IF_MATCH)
  putAgent(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Headers('if-match') ifMatch: string | undefined, @Body(new ZodBody(agentSettingsSchema)) dto: z.output<typeof agentSettingsSchema>, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.write(actor, companyId, agent, dto, ifMatch, reply);
  }

  /** Channels, confirmation, reminder times, quiet hours, sender, alert contacts and the company's own texts. */
  @Get('notification-settings')
  @RequireAbility('companies.read')
  getNotifications(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.read(principal, companyId, notifications, reply);
  }

  @Put('notification-settings')
  @RequireAbility('services.manage')
  @DescribeHeaders(IF_MATCH)
  putNotifications(
    @CurrentActor() actor: Actor,
    @Param('companyId') companyId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodBody(notificationSettingsSchema)) dto: ImportDocument['notifications'],
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.write(actor, companyId, notifications, dto, ifMatch, reply);
  }

  /**
   * A message as the customer would read it, rendered with sample data: the draft `body` if given, else the
   * company's own template for kind and language, else the built-in one (other languages are translated when sent).
   */
  @Post('notification-settings/preview')
  @HttpCode(200)
  @RequireAbility('companies.read')
  async preview(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Body(new ZodBody(previewSchema)) dto: PreviewBody) {
    const { company, doc } = await this.setup.read(principal, companyId);
    const own = doc.notifications.templates?.find((t) => t.kind === dto.kind && t.language === dto.language)?.body;
    const base = baseLanguage(dto.language);
    const companyBase = baseLanguage(company.language);
    const builtIn: BuiltInLanguage = isBuiltIn(base) ? base : isBuiltIn(companyBase) ? companyBase : 'de';
    const template = dto.body ?? own ?? BUILT_IN_TEMPLATES[builtIn][dto.kind];
    const source = dto.body ? 'draft' : own ? 'company' : 'built-in';
    // Sample appointment: the next day at 10:00 on the company's clock (about; the exact instant does not matter).
    const start = new Date(Date.now() + 86_400_000);
    start.setUTCHours(9, 0, 0, 0);
    const sample = { customer_name: base === 'de' ? 'Erika Mustermann' : 'Jane Doe', service_name: doc.services[0]?.name ?? (base === 'de' ? 'Beratung' : 'Consultation'), company_name: company.name };
    const text = render(template, { ...sample, ...formatAppointment(start, company.timeZone, dto.language) });
    return { kind: dto.kind, language: dto.body || own ? dto.language : builtIn, source, text, characters: text.length, sample };
  }

  private async read<T>(principal: Principal, companyId: string, section: Section<T>, reply: FastifyReply): Promise<T> {
    const { doc } = await this.setup.read(principal, companyId);
    const value = section.get(doc);
    reply.header('etag', etagOf(value));
    return value;
  }

  private async write<T>(actor: Actor, companyId: string, section: Section<T>, value: T, ifMatch: string | undefined, reply: FastifyReply): Promise<T> {
    const { body, etag } = await this.setup.change(
      actor,
      companyId,
      { current: section.get, apply: (doc) => section.set(doc, value), ifMatch, required: true, audit: { action: section.action, targetType: 'company', targetId: companyId } },
      section.get,
    );
    reply.header('etag', etag);
    return body;
  }
}
