import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, data } from '../api/client';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { Alert, Field, SelectField, dayRange, localDay, newKey, useLoad } from '../ui';
import { useLive } from './live';
import { useConsole } from './session';
import type { AppointmentSummary, Catalogue, FreeTimes, Page } from './views';

/** The booking form's fields that show their own error (anything else is shown above the button). */
const SHOWN_AT_FIELDS = ['customer', 'customer.name', 'customer.phone', 'customer.email', 'serviceId', 'staffId', 'start', 'notes'];
/** The API's field names each form field answers for. */
const FIELD_ERRORS: Record<string, string[]> = { name: ['customer.name', 'customer'], phone: ['customer.phone'], email: ['customer.email'], serviceId: ['serviceId', 'start'], staffId: ['staffId', 'start'], day: ['start'], start: ['start'], notes: ['notes'] };
const STATUSES = ['booked', 'cancelled', 'no_show', 'completed'] as const;

/** The company's services and staff (for filters and booking), loaded once per page. */
export function useCatalogue() {
  const { api, companyId } = useConsole();
  return useLoad(() => data<Catalogue>(api.GET('/api/v1/companies/{companyId}/catalogue', { params: { path: { companyId } } })), [companyId]);
}

/** A day's free starts of a service (and staff member) as a labelled select; empty until a service and a day are chosen. */
export function FreeTimeSelect({ serviceId, staffId, day, value, onChange, error }: { serviceId: string; staffId: string; day: string; value: string; onChange: (start: string) => void; error?: string }) {
  const { api, companyId } = useConsole();
  const { t, time } = useI18n();
  const asked = `${serviceId}|${staffId}|${day}`;
  const times = useLoad(
    async () => ({
      asked,
      starts:
        serviceId && day
          ? (await data<FreeTimes>(api.GET('/api/v1/companies/{companyId}/free-times', { params: { path: { companyId }, query: { serviceId, staffId: staffId || undefined, ...dayRange(day) } } }))).starts
          : [],
    }),
    [companyId, asked],
  );
  // never the times of the previous choice while the new ones load
  const current = times.value?.asked === asked;
  const starts = current ? times.value!.starts : [];
  return (
    <SelectField label={t('time')} value={value} onChange={(e) => onChange(e.target.value)} error={error ?? (times.error ? times.error.message : undefined)} aria-busy={!current} data-day={current ? day : undefined}>
      <option value="">{!current ? t('loading') : starts.length ? t('chooseTime') : t('noFreeTimesDay')}</option>
      {starts.map((s) => (
        <option key={s} value={s}>
          {time(s)}
        </option>
      ))}
    </SelectField>
  );
}

export function Appointments() {
  const { api, companyId, live } = useConsole();
  const { t, day: dayLabel, time, label } = useI18n();
  const catalogue = useCatalogue();
  const [filters, setFilters] = useState({ day: localDay(), span: 'day', staffId: '', serviceId: '', status: '' });
  const [applied, setApplied] = useState(filters);
  const [rows, setRows] = useState<AppointmentSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const listQuery = (extra: { cursor?: string } = {}) => ({
    ...(applied.day ? dayRange(applied.day, applied.span === 'week' ? 7 : 1) : {}),
    staffId: applied.staffId || undefined,
    serviceId: applied.serviceId || undefined,
    status: applied.status || undefined,
    limit: 100,
    ...extra,
  });
  const first = useLoad(() => data<Page<AppointmentSummary>>(api.GET('/api/v1/companies/{companyId}/appointments', { params: { path: { companyId }, query: listQuery() } })), [companyId, applied]);
  useLive(live, ['booking.'], first.reload);
  useEffect(() => {
    if (first.value) {
      setRows(first.value.data);
      setCursor(first.value.next === null ? null : String(first.value.next));
    }
  }, [first.value]);
  const more = async () => {
    const page = await data<Page<AppointmentSummary>>(api.GET('/api/v1/companies/{companyId}/appointments', { params: { path: { companyId }, query: listQuery({ cursor: cursor ?? undefined }) } }));
    setRows((r) => [...r, ...page.data]);
    setCursor(page.next === null ? null : String(page.next));
  };
  const fieldErrors = first.error instanceof ApiError ? first.error.fields : {};
  const services = catalogue.value?.services ?? [];
  const staff = catalogue.value?.staff ?? [];

  return (
    <>
      <h1>{t('navAppointments')}</h1>
      <form
        className="filters"
        aria-label={t('filter')}
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <Field label={t('day')} type="date" value={filters.day} onChange={(e) => setFilters({ ...filters, day: e.target.value })} error={fieldErrors.from} />
        <SelectField label={t('span')} value={filters.span} onChange={(e) => setFilters({ ...filters, span: e.target.value })}>
          <option value="day">{t('spanDay')}</option>
          <option value="week">{t('spanWeek')}</option>
        </SelectField>
        <SelectField label={t('staff')} value={filters.staffId} onChange={(e) => setFilters({ ...filters, staffId: e.target.value })} error={fieldErrors.staffId}>
          <option value="">{t('allStaff')}</option>
          {staff.map((s) => (
            <option key={s.staffId} value={s.staffId}>
              {s.name}
            </option>
          ))}
        </SelectField>
        <SelectField label={t('service')} value={filters.serviceId} onChange={(e) => setFilters({ ...filters, serviceId: e.target.value })} error={fieldErrors.serviceId}>
          <option value="">{t('allServices')}</option>
          {services.map((s) => (
            <option key={s.serviceId} value={s.serviceId}>
              {s.name}
            </option>
          ))}
        </SelectField>
        <SelectField label={t('status')} value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value })} error={fieldErrors.status}>
          <option value="">{t('allStatuses')}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {label('status', s)}
            </option>
          ))}
        </SelectField>
        <button type="submit">{t('filter')}</button>
      </form>
      {first.error && !Object.keys(fieldErrors).length && <Alert>{first.error.message}</Alert>}
      {first.loading && <p aria-busy="true">{t('loading')}</p>}
      {!first.loading && rows.length === 0 && !first.error && <p>{t('noAppointments')}</p>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table data-testid="appointments">
            <caption className="visually-hidden">{t('navAppointments')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('when')}</th>
                <th scope="col">{t('theCustomer')}</th>
                <th scope="col">{t('service')}</th>
                <th scope="col">{t('staff')}</th>
                <th scope="col">{t('status')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.appointmentId}>
                  <td>
                    <Link to={`/console/appointments/${a.appointmentId}`}>
                      {dayLabel(a.startsAt)} {time(a.startsAt)}–{time(a.endsAt)}
                    </Link>
                  </td>
                  <td>{a.customer ? <Link to={`/console/customers/${a.customer.customerId}`}>{a.customer.name}</Link> : '–'}</td>
                  <td>{a.serviceName}</td>
                  <td>{a.staffName ?? '–'}</td>
                  <td>
                    <span className={`badge badge-${a.status}`}>{label('status', a.status)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" onClick={() => void more()}>
          {t('more')}
        </button>
      )}
      <NewAppointment catalogue={catalogue.value} onBooked={first.reload} />
    </>
  );
}

/** A receptionist books for a customer: who, which service (and staff), a free time. Nothing typed is lost on an error. */
function NewAppointment({ catalogue, onBooked }: { catalogue?: Catalogue; onBooked: () => void }) {
  const { api, companyId } = useConsole();
  const { t, dateTime } = useI18n();
  const empty = { name: '', phone: '', email: '', serviceId: '', staffId: '', day: localDay(), start: '', notes: '' };
  const [form, setForm] = useState(empty);
  const [key, setKey] = useState(newKey);
  const [error, setError] = useState<ApiError | null>(null);
  const [booked, setBooked] = useState<AppointmentSummary | null>(null);
  const [busy, setBusy] = useState(false);
  const services = catalogue?.services ?? [];
  const service = services.find((s) => s.serviceId === form.serviceId);
  const staff = (catalogue?.staff ?? []).filter((s) => !service || service.staffIds.includes(s.staffId));
  const set = (patch: Partial<typeof form>) => {
    setForm((f) => ({ ...f, ...patch }));
    // a field's error goes once it is changed; the others stay until the next submit
    setError((e) => {
      if (!e) return e;
      const changed = Object.keys(patch).flatMap((k) => FIELD_ERRORS[k] ?? []);
      const left = Object.entries(e.fields).filter(([name]) => !changed.includes(name));
      if (left.length === Object.keys(e.fields).length) return e;
      return left.length ? new ApiError(e.status, e.message, Object.fromEntries(left)) : null;
    });
  };
  const errs = error?.fields ?? {};
  const atFields = Object.keys(errs).length > 0 && Object.keys(errs).every((k) => SHOWN_AT_FIELDS.includes(k));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setBooked(null);
    try {
      const result = await data<{ appointment: AppointmentSummary }>(
        api.POST('/api/v1/companies/{companyId}/appointments', {
          params: { path: { companyId }, header: { 'Idempotency-Key': key } },
          body: {
            serviceId: form.serviceId,
            staffId: form.staffId || null,
            start: form.start,
            customer: { name: form.name, ...(form.phone ? { phone: form.phone } : {}), ...(form.email ? { email: form.email } : {}) },
            notes: form.notes || null,
          },
        }),
      );
      setBooked(result.appointment);
      setForm({ ...empty, serviceId: form.serviceId, day: form.day });
      setKey(newKey());
      onBooked();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, (err as Error).message, {}));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="new-appointment-h">
      <h2 id="new-appointment-h">{t('newAppointment')}</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <fieldset>
          <legend>{t('theCustomer')}</legend>
          <Field label={t('name')} value={form.name} onChange={(e) => set({ name: e.target.value })} error={errs['customer.name'] ?? errs.customer} autoComplete="off" />
          <Field label={t('phone')} type="tel" value={form.phone} onChange={(e) => set({ phone: e.target.value })} error={errs['customer.phone']} autoComplete="off" />
          <Field label={t('email')} type="email" value={form.email} onChange={(e) => set({ email: e.target.value })} error={errs['customer.email']} autoComplete="off" />
        </fieldset>
        <fieldset>
          <legend>{t('appointment')}</legend>
          <SelectField label={t('service')} value={form.serviceId} onChange={(e) => set({ serviceId: e.target.value, staffId: '', start: '' })} error={errs.serviceId}>
            <option value="">{t('chooseService')}</option>
            {services.map((s) => (
              <option key={s.serviceId} value={s.serviceId}>
                {s.name} ({s.durationMinutes} min)
              </option>
            ))}
          </SelectField>
          <SelectField label={t('staff')} value={form.staffId} onChange={(e) => set({ staffId: e.target.value, start: '' })} error={errs.staffId}>
            <option value="">{t('anyStaff')}</option>
            {staff.map((s) => (
              <option key={s.staffId} value={s.staffId}>
                {s.name}
              </option>
            ))}
          </SelectField>
          <Field label={t('day')} type="date" value={form.day} onChange={(e) => set({ day: e.target.value, start: '' })} />
          <FreeTimeSelect serviceId={form.serviceId} staffId={form.staffId} day={form.day} value={form.start} onChange={(start) => set({ start })} error={errs.start} />
          <Field label={t('notes')} value={form.notes} onChange={(e) => set({ notes: e.target.value })} error={errs.notes} />
        </fieldset>
        {error && <Alert>{atFields ? t('fixFields') : error.message}</Alert>}
        {booked && (
          <Alert kind="success">
            {t('bookedFor')} <Link to={`/console/appointments/${booked.appointmentId}`}>{dateTime(booked.startsAt)}</Link>
          </Alert>
        )}
        <button type="submit" disabled={busy}>
          {t('book')}
        </button>
      </form>
    </section>
  );
}
