import { useState, type FormEvent } from 'react';
import { ApiError, problemOf } from '../api/client';
import { useI18n } from '../i18n';
import { Alert, Field, Loaded, SelectField, useLoad } from '../ui';
import { useConsole } from './session';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const STATES = ['BW', 'BY', 'BE', 'BB', 'HB', 'HH', 'HE', 'MV', 'NI', 'NW', 'RP', 'SL', 'SN', 'ST', 'SH', 'TH'];

type Hours = Partial<Record<(typeof DAYS)[number], [string, string][]>>;
interface Service {
  key: string;
  name: string;
  aliases: string[];
  durationMinutes?: number;
  priceMinor: number | null;
  active: boolean;
  etag: string;
}
interface OpeningHours {
  weekly: Hours;
  closures: { from: string; to: string; reason: string | null }[];
  holidays: { country: 'DE'; state: string } | null;
  upcomingHolidays: { date: string; name: string }[];
}
interface Policies {
  minNoticeMinutes: number;
  cancellationNoticeHours: number;
  maxReschedules: number;
  bookingHorizonDays: number;
}
interface Agent {
  greeting: Record<string, string>;
  languages: string[];
  transfer: unknown;
}

/** A resource with the ETag its change must name (`If-Match`). */
interface Tagged<T> {
  value: T;
  etag: string;
}

/** `"09:00-12:00, 13:00-18:00"` ⇄ `[["09:00","12:00"],["13:00","18:00"]]`. */
const hoursText = (ranges: [string, string][] | undefined) => (ranges ?? []).map(([a, b]) => `${a}-${b}`).join(', ');
const parseHours = (text: string): [string, string][] =>
  text
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => r.split('-').map((x) => x.trim()) as [string, string]);

/**
 * Set-up: the company's services, opening hours (closed days, public holidays), booking policies and the agent's
 * greeting, each changed with the ETag it was read with (a change by someone else meanwhile is refused, not lost).
 * What the agent will say is previewed from the same data.
 */
export function Setup() {
  const { api, companyId } = useConsole();
  const { t } = useI18n();
  const path = { params: { path: { companyId } } };
  const tagged = async <T,>(answer: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<Tagged<T>> => {
    const { data, error, response } = await answer;
    if (!response.ok) throw problemOf(response.status, error);
    return { value: data as T, etag: response.headers.get('etag') ?? '' };
  };
  const services = useLoad(() => tagged<{ data: Service[] }>(api.GET('/api/v1/companies/{companyId}/services', { params: { path: { companyId }, query: { limit: 100 } } })), [companyId]);
  const hours = useLoad(() => tagged<OpeningHours>(api.GET('/api/v1/companies/{companyId}/opening-hours', path)), [companyId]);
  const policies = useLoad(() => tagged<Policies>(api.GET('/api/v1/companies/{companyId}/booking-policies', path)), [companyId]);
  const agent = useLoad(() => tagged<Agent>(api.GET('/api/v1/companies/{companyId}/agent-settings', path)), [companyId]);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  /** Sends one change; a refusal is shown in the API's words, and the page reloads what it changed. */
  const change = async (what: string, send: () => Promise<{ error?: unknown; response: Response }>, reload: () => void) => {
    setError(null);
    setSaved(null);
    const { error: body, response } = await send();
    if (!response.ok) setError(problemOf(response.status, body));
    else setSaved(what);
    reload();
  };

  return (
    <>
      <h1>{t('setup')}</h1>
      {error && <Alert>{error.message}</Alert>}
      {saved && <Alert kind="success">{`${saved}: ${t('setupSaved')}`}</Alert>}
      <Loaded state={services}>
        {(s) => (
          <ServicesSection
            services={s.value.data}
            error={error}
            onAdd={(body, name) => void change(name, () => api.POST('/api/v1/companies/{companyId}/services', { ...path, body: body as never }), services.reload)}
            onRemove={(sv) => void change(sv.name, () => api.DELETE('/api/v1/companies/{companyId}/services/{serviceKey}', { params: { path: { companyId, serviceKey: sv.key }, header: { 'If-Match': sv.etag } } }), services.reload)}
          />
        )}
      </Loaded>
      <Loaded state={hours}>
        {(h) => (
          <HoursSection
            hours={h}
            error={error}
            onSave={(body) => change(t('openingHours'), () => api.PUT('/api/v1/companies/{companyId}/opening-hours', { ...path, params: { ...path.params, header: { 'If-Match': h.etag } }, body: body as never }), hours.reload)}
          />
        )}
      </Loaded>
      <Loaded state={policies}>
        {(p) => (
          <PoliciesSection
            policies={p.value}
            error={error}
            onSave={(body) => change(t('bookingPolicies'), () => api.PUT('/api/v1/companies/{companyId}/booking-policies', { ...path, params: { ...path.params, header: { 'If-Match': p.etag } }, body: body as never }), policies.reload)}
          />
        )}
      </Loaded>
      <Loaded state={agent}>
        {(a) => (
          <AgentSection
            agent={a.value}
            services={services.value?.value.data ?? []}
            hours={hours.value?.value}
            error={error}
            onSave={(greeting) =>
              change(t('agentGreeting'), () => api.PUT('/api/v1/companies/{companyId}/agent-settings', { ...path, params: { ...path.params, header: { 'If-Match': a.etag } }, body: { ...a.value, greeting: { ...a.value.greeting, de: greeting } } as never }), agent.reload)
            }
          />
        )}
      </Loaded>
    </>
  );
}

function ServicesSection({ services: list, error, onAdd, onRemove }: { services: Service[]; error: ApiError | null; onAdd: (body: unknown, name: string) => void; onRemove: (s: Service) => void }) {
  const { t } = useI18n();
  const [form, setForm] = useState({ key: '', name: '', durationMinutes: '30', calcomEventTypeId: '', aliases: '' });
  const add = (e: FormEvent) => {
    e.preventDefault();
    const body = { key: form.key, name: form.name, durationMinutes: Number(form.durationMinutes), calcomEventTypeId: Number(form.calcomEventTypeId), aliases: form.aliases.split(',').map((a) => a.trim()).filter(Boolean) };
    onAdd(body, form.name);
  };
  const remove = onRemove;
  return (
    <section aria-labelledby="services-h">
      <h2 id="services-h">{t('services')}</h2>
      <ul className="rows">
        {list.map((s) => (
          <li key={s.key}>
            <strong>{s.name}</strong> <span className="muted">{`${s.durationMinutes ?? '–'} min${s.aliases.length ? ` · ${s.aliases.join(', ')}` : ''}${s.active ? '' : ` · ${t('inactive')}`}`}</span>{' '}
            <button type="button" onClick={() => remove(s)} aria-label={`${t('remove')}: ${s.name}`}>
              {t('remove')}
            </button>
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={add} noValidate>
        <Field label={t('serviceKey')} value={form.key} onChange={(e) => setForm({ ...form, key: e.target.value })} error={error?.fields.key} required />
        <Field label={t('serviceName')} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} error={error?.fields.name} required />
        <Field label={t('durationMinutes')} type="number" value={form.durationMinutes} onChange={(e) => setForm({ ...form, durationMinutes: e.target.value })} error={error?.fields.durationMinutes} />
        <Field label={t('calcomEventType')} type="number" value={form.calcomEventTypeId} onChange={(e) => setForm({ ...form, calcomEventTypeId: e.target.value })} error={error?.fields.calcomEventTypeId} />
        <Field label={t('serviceAliases')} value={form.aliases} onChange={(e) => setForm({ ...form, aliases: e.target.value })} />
        <button type="submit">{t('addService')}</button>
      </form>
    </section>
  );
}

function HoursSection({ hours: h, error, onSave }: { hours: Tagged<OpeningHours>; error: ApiError | null; onSave: (body: unknown) => void }) {
  const { t } = useI18n();
  const [week, setWeek] = useState(() => Object.fromEntries(DAYS.map((d) => [d, hoursText(h.value.weekly[d])])) as Record<(typeof DAYS)[number], string>);
  const [closures, setClosures] = useState(h.value.closures.map((c) => `${c.from}..${c.to}`).join('\n'));
  const [state, setState] = useState(h.value.holidays?.state ?? '');
  const save = (e: FormEvent) => {
    e.preventDefault();
    const weekly = Object.fromEntries(DAYS.filter((d) => week[d].trim()).map((d) => [d, parseHours(week[d])]));
    const closed = closures
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const [from, to] = l.split('..');
        return { from: from.trim(), to: (to ?? from).trim() };
      });
    onSave({ weekly, closures: closed, holidays: state ? { country: 'DE', state } : null });
  };
  return (
    <section aria-labelledby="hours-h">
      <h2 id="hours-h">{t('openingHours')}</h2>
      <form onSubmit={save} noValidate>
        {DAYS.map((d) => (
          <Field key={d} label={t(`day_${d}`)} value={week[d]} placeholder="09:00-18:00" onChange={(e) => setWeek({ ...week, [d]: e.target.value })} error={error?.fields[`weekly.${d}.0`] ?? error?.fields[`weekly.${d}`]} />
        ))}
        <label className="field">
          <span>{t('closedDays')}</span>
          <textarea value={closures} placeholder="2026-12-24..2026-12-31" onChange={(e) => setClosures(e.target.value)} />
        </label>
        <SelectField label={t('holidayState')} value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">{t('noHolidays')}</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </SelectField>
        {h.value.upcomingHolidays.length > 0 && <p className="muted">{h.value.upcomingHolidays.slice(0, 5).map((x) => `${x.date} ${x.name}`).join(' · ')}</p>}
        <button type="submit">{t('save')}</button>
      </form>
    </section>
  );
}

function PoliciesSection({ policies: p, error, onSave }: { policies: Policies; error: ApiError | null; onSave: (body: Policies) => void }) {
  const { t } = useI18n();
  const [form, setForm] = useState(p);
  const num = (k: keyof Policies, label: string) => <Field label={label} type="number" value={String(form[k])} onChange={(e) => setForm({ ...form, [k]: Number(e.target.value) })} error={error?.fields[k]} />;
  return (
    <section aria-labelledby="policies-h">
      <h2 id="policies-h">{t('bookingPolicies')}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSave(form);
        }}
        noValidate
      >
        {num('minNoticeMinutes', t('minNoticeMinutes'))}
        {num('cancellationNoticeHours', t('cancellationNoticeHours'))}
        {num('maxReschedules', t('maxReschedules'))}
        {num('bookingHorizonDays', t('bookingHorizonDays'))}
        <button type="submit">{t('save')}</button>
      </form>
    </section>
  );
}

function AgentSection({ agent: a, services: list, hours: h, error, onSave }: { agent: Agent; services: Service[]; hours?: OpeningHours; error: ApiError | null; onSave: (greeting: string) => void }) {
  const { t } = useI18n();
  const [greeting, setGreeting] = useState(a.greeting.de ?? '');
  const open = DAYS.filter((d) => h?.weekly[d]?.length).map((d) => `${t(`day_${d}`)} ${hoursText(h!.weekly[d])}`);
  // What a caller hears first, and what the agent knows to offer (the names and words it understands).
  const preview = [greeting || 'Guten Tag! Wie kann ich Ihnen helfen?', list.filter((s) => s.active).length ? `${t('agentOffers')}: ${list.filter((s) => s.active).map((s) => s.name).join(', ')}.` : '', open.length ? `${t('openingHours')}: ${open.join('; ')}.` : ''].filter(Boolean).join(' ');
  return (
    <section aria-labelledby="agent-h">
      <h2 id="agent-h">{t('agentGreeting')}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSave(greeting);
        }}
        noValidate
      >
        <Field label={t('agentGreeting')} value={greeting} onChange={(e) => setGreeting(e.target.value)} error={error?.fields['greeting.de']} />
        <button type="submit">{t('save')}</button>
      </form>
      <p>
        <strong>{t('agentPreview')}:</strong> <q>{preview}</q>
      </p>
    </section>
  );
}
