import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, data } from '../api/client';
import { useI18n } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import { Alert, Field, Loaded, SelectField, duration, useLoad } from '../ui';
import { useConsole } from './session';
import type { Customer, CustomerRecord, Page } from './views';

/** Search by name, phone (national or international) or e-mail; the search is kept in the address. */
export function Customers() {
  const { api, companyId } = useConsole();
  const { t } = useI18n();
  const { search } = useLocation();
  const q = search.get('q') ?? '';
  const [typed, setTyped] = useState(q);
  const [rows, setRows] = useState<Customer[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const first = useLoad(
    () => (q ? data<Page<Customer>>(api.GET('/api/v1/companies/{companyId}/customers', { params: { path: { companyId }, query: { q, limit: 25 } } })) : Promise.resolve({ data: [], next: null })),
    [companyId, q],
  );
  useEffect(() => {
    if (first.value) {
      setRows(first.value.data);
      setCursor(first.value.next === null ? null : String(first.value.next));
    }
  }, [first.value]);
  const more = async () => {
    const page = await data<Page<Customer>>(api.GET('/api/v1/companies/{companyId}/customers', { params: { path: { companyId }, query: { q, limit: 25, cursor: cursor ?? undefined } } }));
    setRows((r) => [...r, ...page.data]);
    setCursor(page.next === null ? null : String(page.next));
  };
  const fieldErrors = first.error instanceof ApiError ? first.error.fields : {};
  return (
    <>
      <h1>{t('navCustomers')}</h1>
      <form
        className="filters"
        role="search"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          navigate(`/console/customers?q=${encodeURIComponent(typed.trim())}`);
        }}
      >
        <Field label={t('searchCustomers')} type="search" value={typed} onChange={(e) => setTyped(e.target.value)} hint={t('searchHint')} error={fieldErrors.q} />
        <button type="submit">{t('search')}</button>
      </form>
      {first.error && !fieldErrors.q && <Alert>{first.error.message}</Alert>}
      {first.loading && <p aria-busy="true">{t('loading')}</p>}
      {q && !first.loading && !first.error && rows.length === 0 && <p>{t('noCustomers')}</p>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table data-testid="customers">
            <caption className="visually-hidden">{t('navCustomers')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('name')}</th>
                <th scope="col">{t('phone')}</th>
                <th scope="col">{t('email')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.customerId}>
                  <td>
                    <Link to={`/console/customers/${c.customerId}`}>{c.name}</Link>
                  </td>
                  <td>{c.phone ?? '–'}</td>
                  <td>{c.email ?? '–'}</td>
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
    </>
  );
}

/** One customer: details (editable), appointments and the calls from their number. */
export function CustomerDetail({ customerId }: { customerId: string }) {
  const { api, companyId } = useConsole();
  const { t, dateTime, label } = useI18n();
  const record = useLoad(() => data<CustomerRecord>(api.GET('/api/v1/companies/{companyId}/customers/{customerId}', { params: { path: { companyId, customerId } } })), [companyId, customerId]);
  return (
    <>
      <p>
        <Link to="/console/customers">← {t('backToCustomers')}</Link>
      </p>
      <Loaded state={record}>
        {(c) => (
          <>
            <h1>{c.name}</h1>
            {c.mergedInto && (
              <Alert kind="info">
                {t('mergedInto')} <Link to={`/console/customers/${c.mergedInto}`}>{c.mergedInto}</Link>
              </Alert>
            )}
            <EditCustomer customer={c} onSaved={record.reload} />
            <section aria-labelledby="customer-appointments-h">
              <h2 id="customer-appointments-h">{t('navAppointments')}</h2>
              {c.appointments.length ? (
                <ul className="plain" data-testid="customer-appointments">
                  {c.appointments.map((a) => (
                    <li key={a.appointmentId}>
                      <Link to={`/console/appointments/${a.appointmentId}`}>{dateTime(a.startsAt)}</Link> · {a.serviceName} · <span className={`badge badge-${a.status}`}>{label('status', a.status)}</span>
                    </li>
                  ))}
                </ul>
              ) : (
                <p>{t('noAppointments')}</p>
              )}
            </section>
            <section aria-labelledby="customer-calls-h">
              <h2 id="customer-calls-h">{t('navCalls')}</h2>
              {c.calls === null ? (
                <p>{t('callsUnavailable')}</p>
              ) : c.calls.length ? (
                <ul className="plain" data-testid="customer-calls">
                  {c.calls.map((call) => (
                    <li key={call.callId}>
                      <Link to={`/console/calls/${encodeURIComponent(call.callId)}`}>{dateTime(call.startedAt)}</Link> · {label('outcome', call.outcome)} · {duration(call.durationSeconds)}
                    </li>
                  ))}
                </ul>
              ) : (
                <p>{t('noCalls')}</p>
              )}
            </section>
          </>
        )}
      </Loaded>
    </>
  );
}

function EditCustomer({ customer, onSaved }: { customer: CustomerRecord; onSaved: () => void }) {
  const { api, companyId } = useConsole();
  const { t } = useI18n();
  const [form, setForm] = useState({ name: customer.name, phone: customer.phone ?? '', email: customer.email ?? '', language: customer.language ?? 'de' });
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const errs = error?.fields ?? {};
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await data(
        api.PATCH('/api/v1/companies/{companyId}/customers/{customerId}', {
          params: { path: { companyId, customerId: customer.customerId } },
          body: { name: form.name, phone: form.phone || null, email: form.email || null, language: form.language },
        }),
      );
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, (err as Error).message, {}));
    }
  };
  const atFields = Object.keys(errs).length > 0 && Object.keys(errs).every((k) => ['name', 'phone', 'email', 'language'].includes(k));
  return (
    <section aria-labelledby="edit-customer-h">
      <h2 id="edit-customer-h">{t('details')}</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field label={t('name')} value={form.name} onChange={(e) => set({ name: e.target.value })} error={errs.name} />
        <Field label={t('phone')} type="tel" value={form.phone} onChange={(e) => set({ phone: e.target.value })} error={errs.phone} />
        <Field label={t('email')} type="email" value={form.email} onChange={(e) => set({ email: e.target.value })} error={errs.email} />
        <SelectField label={t('language')} value={form.language} onChange={(e) => set({ language: e.target.value })} error={errs.language}>
          <option value="de">Deutsch</option>
          <option value="en">English</option>
        </SelectField>
        {error && <Alert>{atFields ? t('fixFields') : error.message}</Alert>}
        {saved && <Alert kind="success">{t('saved')}</Alert>}
        <button type="submit">{t('save')}</button>
      </form>
    </section>
  );
}
