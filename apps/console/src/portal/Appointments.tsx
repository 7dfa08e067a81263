import { useState } from 'react';
import { ApiError, data, type Api } from '../api/client';
import { useI18n } from '../i18n';
import { Alert, Loaded, useLoad } from '../ui';
import { SlotPicker } from './SlotPicker';
import { BookNew } from './BookNew';

interface Appointment {
  appointmentId: string;
  serviceId: string;
  serviceName: string;
  staffName: string | null;
  startsAt: string;
  endsAt: string;
  status: string;
}

/** Upcoming and past appointments; an upcoming one can be cancelled or moved to a free time. */
export function Appointments({ api }: { api: Api }) {
  const { t, dateTime, label } = useI18n();
  const list = useLoad(() => data<{ data: Appointment[] }>(api.GET('/api/portal/appointments', { params: { query: { includePast: 'true' } } })), []);
  const [notice, setNotice] = useState<string | null>(null);
  const now = Date.now();
  return (
    <>
      <h1>{t('appointments')}</h1>
      {notice && <Alert kind="success">{notice}</Alert>}
      <Loaded state={list}>
        {(v) => {
          const upcoming = v.data.filter((a) => a.status === 'booked' && new Date(a.startsAt).getTime() > now).sort((a, b) => a.startsAt.localeCompare(b.startsAt));
          const past = v.data.filter((a) => !upcoming.includes(a));
          return (
            <>
              <section aria-labelledby="up-h">
                <h2 id="up-h">{t('upcoming')}</h2>
                <p className="muted">{t('policyNote')}</p>
                {upcoming.length === 0 ? (
                  <p>{t('noAppointments')}</p>
                ) : (
                  <ul className="appointments" data-testid="upcoming">
                    {upcoming.map((a) => (
                      <UpcomingAppointment
                        key={a.appointmentId}
                        api={api}
                        appointment={a}
                        onChanged={(msg) => {
                          setNotice(msg);
                          list.reload();
                        }}
                      />
                    ))}
                  </ul>
                )}
              </section>
              <BookNew
                api={api}
                onBooked={(msg) => {
                  setNotice(msg);
                  list.reload();
                }}
              />
              <section aria-labelledby="past-h">
                <h2 id="past-h">{t('past')}</h2>
                {past.length === 0 ? (
                  <p>{t('noAppointments')}</p>
                ) : (
                  <ul className="rows">
                    {past.map((a) => (
                      <li key={a.appointmentId}>
                        {dateTime(a.startsAt)} · {a.serviceName} <span className={`badge badge-${a.status}`}>{label('status', a.status)}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            </>
          );
        }}
      </Loaded>
    </>
  );
}

function UpcomingAppointment({ api, appointment: a, onChanged }: { api: Api; appointment: Appointment; onChanged: (message: string) => void }) {
  const { t, dateTime } = useI18n();
  const [moving, setMoving] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const path = { appointmentId: a.appointmentId };
  const fail = (err: unknown) => setError(err instanceof ApiError ? err : new ApiError(0, String(err), {}));

  const cancel = async () => {
    if (!window.confirm(t('confirmCancel'))) return;
    try {
      await data(api.POST('/api/portal/appointments/{appointmentId}/cancel', { params: { path }, body: {} }));
      onChanged(t('cancelled'));
    } catch (err) {
      fail(err);
    }
  };
  const move = async (start: string) => {
    try {
      await data(api.POST('/api/portal/appointments/{appointmentId}/reschedule', { params: { path }, body: { start }, headers: { 'Idempotency-Key': `${a.appointmentId}:${start}` } }));
      setMoving(false);
      onChanged(t('moved'));
    } catch (err) {
      fail(err);
    }
  };

  return (
    <li className="appointment">
      <div>
        <strong>{dateTime(a.startsAt)}</strong> · {a.serviceName}
        {a.staffName ? ` · ${a.staffName}` : ''}
      </div>
      {error && <Alert>{error.message}</Alert>}
      <div className="actions">
        <button type="button" onClick={() => setMoving((m) => !m)} aria-expanded={moving}>
          {t('move')}
        </button>
        <button type="button" className="danger" onClick={() => void cancel()}>
          {t('cancel')}
        </button>
      </div>
      {moving && <FreeTimes api={api} appointmentId={a.appointmentId} onPick={(start) => void move(start)} />}
    </li>
  );
}

function FreeTimes({ api, appointmentId, onPick }: { api: Api; appointmentId: string; onPick: (start: string) => void }) {
  const { t } = useI18n();
  const times = useLoad(
    () => {
      const from = new Date();
      const to = new Date(from.getTime() + 14 * 24 * 3600 * 1000);
      return data<{ starts: string[] }>(api.GET('/api/portal/appointments/{appointmentId}/free-times', { params: { path: { appointmentId }, query: { from: from.toISOString(), to: to.toISOString() } } }));
    },
    [appointmentId],
  );
  return (
    <fieldset className="slots">
      <legend>{t('chooseTime')}</legend>
      <Loaded state={times}>
        {(v) => <SlotPicker starts={v.starts} onPick={onPick} />}
      </Loaded>
    </fieldset>
  );
}
