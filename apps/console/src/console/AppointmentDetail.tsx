import { useState, type FormEvent } from 'react';
import { ApiError, data } from '../api/client';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { Alert, Field, Loaded, localDay, useLoad } from '../ui';
import { FreeTimeSelect } from './Appointments';
import { useConsole } from './session';
import type { AppointmentRecord, HistoryEntry } from './views';

/** One appointment: what, when, who, its history; cancel, move, and after its start the outcome. */
export function AppointmentDetail({ appointmentId }: { appointmentId: string }) {
  const { api, companyId } = useConsole();
  const { t, dateTime, label } = useI18n();
  const path = { companyId, appointmentId };
  const record = useLoad(() => data<AppointmentRecord>(api.GET('/api/v1/companies/{companyId}/appointments/{appointmentId}', { params: { path } })), [companyId, appointmentId]);
  const [done, setDone] = useState<string | null>(null);
  const changed = (what: string) => {
    setDone(what);
    record.reload();
  };
  return (
    <>
      <p>
        <Link to="/console/appointments">← {t('backToAppointments')}</Link>
      </p>
      <Loaded state={record}>
        {(a) => (
          <>
            <h1>
              {a.serviceName} · {dateTime(a.startsAt)}
            </h1>
            {done && <Alert kind="success">{done}</Alert>}
            <dl className="facts" data-testid="appointment">
              <dt>{t('status')}</dt>
              <dd>
                <span className={`badge badge-${a.status}`}>{label('status', a.status)}</span>
              </dd>
              <dt>{t('theCustomer')}</dt>
              <dd>{a.customer ? <Link to={`/console/customers/${a.customer.customerId}`}>{a.customer.name}</Link> : '–'}</dd>
              <dt>{t('phone')}</dt>
              <dd>{a.customer?.phone ?? '–'}</dd>
              <dt>{t('staff')}</dt>
              <dd>{a.staffName ?? '–'}</dd>
              <dt>{t('until')}</dt>
              <dd>{dateTime(a.endsAt)}</dd>
              {a.notes && (
                <>
                  <dt>{t('notes')}</dt>
                  <dd>{a.notes}</dd>
                </>
              )}
            </dl>
            {a.status === 'booked' && <Move a={a} onMoved={() => changed(t('moved'))} />}
            {a.status === 'booked' && <Cancel a={a} onCancelled={() => changed(t('cancelled'))} />}
            {a.status !== 'cancelled' && new Date(a.startsAt) <= new Date() && <Outcome a={a} onRecorded={() => changed(t('outcomeRecorded'))} />}
            <History entries={a.history ?? []} />
          </>
        )}
      </Loaded>
    </>
  );
}

function Move({ a, onMoved }: { a: AppointmentRecord; onMoved: () => void }) {
  const { api, companyId } = useConsole();
  const { t } = useI18n();
  const [day, setDay] = useState(localDay(new Date(a.startsAt)));
  const [start, setStart] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await data(api.POST('/api/v1/companies/{companyId}/appointments/{appointmentId}/move', { params: { path: { companyId, appointmentId: a.appointmentId } }, body: { start } }));
      setStart('');
      onMoved();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, (err as Error).message, {}));
    }
  };
  return (
    <section aria-labelledby="move-h">
      <h2 id="move-h">{t('move')}</h2>
      <form onSubmit={(e) => void submit(e)} noValidate className="inline-form">
        <Field label={t('day')} type="date" value={day} onChange={(e) => setDay(e.target.value)} />
        <FreeTimeSelect serviceId={a.serviceId} staffId={a.staffId ?? ''} day={day} value={start} onChange={setStart} error={error?.fields.start} />
        {error && !error.fields.start && <Alert>{error.message}</Alert>}
        <button type="submit">{t('move')}</button>
      </form>
    </section>
  );
}

function Cancel({ a, onCancelled }: { a: AppointmentRecord; onCancelled: () => void }) {
  const { api, companyId } = useConsole();
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await data(api.POST('/api/v1/companies/{companyId}/appointments/{appointmentId}/cancel', { params: { path: { companyId, appointmentId: a.appointmentId } }, body: { reason: reason || null } }));
      onCancelled();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, (err as Error).message, {}));
    }
  };
  return (
    <section aria-labelledby="cancel-h">
      <h2 id="cancel-h">{t('cancelAppointment')}</h2>
      <form onSubmit={(e) => void submit(e)} noValidate className="inline-form">
        <Field label={t('reason')} value={reason} onChange={(e) => setReason(e.target.value)} error={error?.fields.reason} />
        {error && !error.fields.reason && <Alert>{error.message}</Alert>}
        <button type="submit" className="danger">
          {t('cancelAppointment')}
        </button>
      </form>
    </section>
  );
}

function Outcome({ a, onRecorded }: { a: AppointmentRecord; onRecorded: () => void }) {
  const { api, companyId } = useConsole();
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const record = async (outcome: 'no_show' | 'completed') => {
    setError(null);
    try {
      await data(api.POST('/api/v1/companies/{companyId}/appointments/{appointmentId}/outcome', { params: { path: { companyId, appointmentId: a.appointmentId } }, body: { outcome } }));
      onRecorded();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section aria-labelledby="outcome-h">
      <h2 id="outcome-h">{t('outcome')}</h2>
      {error && <Alert>{error}</Alert>}
      <div className="actions">
        <button type="button" onClick={() => void record('completed')} disabled={a.status === 'completed'}>
          {t('markCompleted')}
        </button>
        <button type="button" onClick={() => void record('no_show')} disabled={a.status === 'no_show'}>
          {t('markNoShow')}
        </button>
      </div>
    </section>
  );
}

function History({ entries }: { entries: HistoryEntry[] }) {
  const { t, dateTime, label } = useI18n();
  return (
    <section aria-labelledby="history-h">
      <h2 id="history-h">{t('history')}</h2>
      <ol className="history" data-testid="history">
        {entries.map((h, i) => (
          <li key={i}>
            <span className="muted">{dateTime(h.at)}</span> {label('history', h.kind)}
            {h.kind === 'created' && h.source ? ` (${label('source', h.source)})` : ''}
            {h.kind === 'moved' && h.from ? `: ${dateTime(h.from)} → ${dateTime(h.to ?? null)}` : ''}
            {h.kind === 'cancelled' && h.reason ? `: ${h.reason}` : ''}
            {h.kind === 'policy' ? `: ${h.action ?? ''} ${h.allowed ? '✓' : '✗'} ${h.rule ?? ''}` : ''}
          </li>
        ))}
      </ol>
    </section>
  );
}
