import { useState } from 'react';
import { ApiError, data, type Api } from '../api/client';
import { useI18n } from '../i18n';
import { Alert, Loaded, useLoad } from '../ui';
import { SlotPicker } from './SlotPicker';

interface Service {
  serviceId: string;
  name: string;
  durationMinutes: number;
  priceMinor: number | null;
}

/** Book a new appointment: pick a service, then one of its free times in the next two weeks. */
export function BookNew({ api, onBooked }: { api: Api; onBooked: (message: string) => void }) {
  const { t, money } = useI18n();
  const services = useLoad(() => data<{ data: Service[] }>(api.GET('/api/portal/services')), []);
  const [serviceId, setServiceId] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const times = useLoad(() => {
    if (!serviceId) return Promise.resolve({ starts: [] as string[] });
    const from = new Date();
    const to = new Date(from.getTime() + 14 * 24 * 3600 * 1000);
    return data<{ starts: string[] }>(api.GET('/api/portal/free-times', { params: { query: { serviceId, from: from.toISOString(), to: to.toISOString() } } }));
  }, [serviceId]);

  const book = async (start: string) => {
    setError(null);
    try {
      await data(api.POST('/api/portal/appointments', { body: { serviceId, start }, headers: { 'Idempotency-Key': `${serviceId}:${start}` } }));
      setServiceId('');
      onBooked(t('booked'));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err), {}));
    }
  };

  return (
    <section aria-labelledby="book-h">
      <h2 id="book-h">{t('bookNew')}</h2>
      {error && <Alert>{error.message}</Alert>}
      <Loaded state={services}>
        {(v) => (
          <div className="field">
            <label htmlFor="book-service">{t('service')}</label>
            <select id="book-service" value={serviceId} onChange={(e) => setServiceId(e.target.value)}>
              <option value="">–</option>
              {v.data.map((s) => (
                <option key={s.serviceId} value={s.serviceId}>
                  {s.name} ({s.durationMinutes} min{s.priceMinor ? `, ${money(s.priceMinor)}` : ''})
                </option>
              ))}
            </select>
          </div>
        )}
      </Loaded>
      {serviceId && (
        <fieldset className="slots">
          <legend>{t('chooseTime')}</legend>
          <Loaded state={times}>
            {(v) => <SlotPicker starts={v.starts} onPick={(start) => void book(start)} />}
          </Loaded>
        </fieldset>
      )}
    </section>
  );
}
