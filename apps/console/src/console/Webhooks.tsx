import { useState, type FormEvent } from 'react';
import { ApiError, data } from '../api/client';
import { useI18n } from '../i18n';
import { Alert, Field, Loaded, useLoad } from '../ui';
import { useConsole } from './session';
import type { Page } from './views';

/** The events a company's systems can subscribe to (libs/contracts callbackEventTypes). */
const EVENTS = ['booking.created', 'booking.rescheduled', 'booking.cancelled', 'booking.callback-requested', 'call.completed', 'call.analyzed', 'invoice.paid', 'payment.failed', 'balance.low', 'balance.exhausted'];

interface Subscription {
  subscriptionId: string;
  url: string;
  events: string[];
  description: string | null;
  status: string;
  disabledReason: string | null;
  createdAt: string;
}
interface Delivery {
  deliveryId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
}

/** Callback webhooks: subscribe a URL to events; its secret shown once; test, deliveries, retry, rotate, remove. */
export function Webhooks() {
  const { api, companyId } = useConsole();
  const { t } = useI18n();
  const path = { companyId };
  const list = useLoad(() => data<Page<Subscription>>(api.GET('/api/v1/companies/{companyId}/callback-subscriptions', { params: { path } })), [companyId]);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['booking.created']);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const fail = (err: unknown) => setError(err instanceof ApiError ? err : new ApiError(0, String(err), {}));

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const created = await data<{ secret: string }>(api.POST('/api/v1/companies/{companyId}/callback-subscriptions', { params: { path }, body: { url, events } as never }));
      setSecret(created.secret);
      setUrl('');
      list.reload();
    } catch (err) {
      fail(err);
    }
  };

  return (
    <section aria-labelledby="webhooks-h">
      <h2 id="webhooks-h">{t('webhooks')}</h2>
      {secret && (
        <Alert kind="success">
          {t('secretShownOnce')} <code className="secret">{secret}</code>
        </Alert>
      )}
      {error && !error.fields.url && !error.fields.events && <Alert>{error.message}</Alert>}
      <form onSubmit={create} noValidate>
        <Field label={t('webhookUrl')} type="url" inputMode="url" placeholder="https://" value={url} onChange={(e) => setUrl(e.target.value)} error={error?.fields.url} required />
        <fieldset className="checks" aria-describedby={error?.fields.events ? 'events-error' : undefined}>
          <legend>{t('events')}</legend>
          {EVENTS.map((ev) => (
            <label key={ev}>
              <input type="checkbox" checked={events.includes(ev)} onChange={(e) => setEvents((all) => (e.target.checked ? [...all, ev] : all.filter((x) => x !== ev)))} /> <code>{ev}</code>
            </label>
          ))}
          {error?.fields.events && (
            <p className="field-error" id="events-error">
              {error.fields.events}
            </p>
          )}
        </fieldset>
        <button type="submit">{t('addWebhook')}</button>
      </form>
      <Loaded state={list}>
        {(page) => (
          <ul className="rows">
            {page.data.map((s) => (
              <SubscriptionRow key={s.subscriptionId} subscription={s} onChanged={list.reload} onSecret={setSecret} onError={fail} />
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}

function SubscriptionRow({ subscription: s, onChanged, onSecret, onError }: { subscription: Subscription; onChanged: () => void; onSecret: (secret: string) => void; onError: (err: unknown) => void }) {
  const { api, companyId } = useConsole();
  const { t, dateTime } = useI18n();
  const [open, setOpen] = useState(false);
  const path = { companyId, subscriptionId: s.subscriptionId };
  const deliveries = useLoad(
    () => (open ? data<Page<Delivery>>(api.GET('/api/v1/companies/{companyId}/callback-subscriptions/{subscriptionId}/deliveries', { params: { path, query: { limit: 10 } } })) : Promise.resolve({ data: [], next: null })),
    [open, s.subscriptionId],
  );
  const act = (run: () => Promise<unknown>) => () => void run().then(() => (deliveries.reload(), onChanged()), onError);

  return (
    <li>
      <div>
        <strong className="secret">{s.url}</strong> <span className={`badge badge-${s.status === 'active' ? 'ok' : 'error'}`}>{s.status}</span>
      </div>
      <div className="muted">{s.events.join(', ')}</div>
      <div className="actions">
        <button type="button" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {t('deliveries')}
        </button>
        <button type="button" onClick={act(() => data(api.POST('/api/v1/companies/{companyId}/callback-subscriptions/{subscriptionId}/test', { params: { path } })))}>
          {t('sendTest')}
        </button>
        <button
          type="button"
          onClick={act(async () => onSecret((await data<{ secret: string }>(api.POST('/api/v1/companies/{companyId}/callback-subscriptions/{subscriptionId}/rotate-secret', { params: { path }, body: {} as never }))).secret))}
        >
          {t('rotateSecret')}
        </button>
        <button type="button" className="danger" onClick={act(() => data(api.DELETE('/api/v1/companies/{companyId}/callback-subscriptions/{subscriptionId}', { params: { path } })))}>
          {t('remove')}
        </button>
      </div>
      {open && (
        <Loaded state={deliveries}>
          {(page) =>
            page.data.length === 0 ? (
              <p>{t('noDeliveries')}</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('when')}</th>
                      <th scope="col">{t('events')}</th>
                      <th scope="col">{t('status')}</th>
                      <th scope="col">{t('attempts')}</th>
                      <th scope="col">
                        <span className="visually-hidden">{t('retry')}</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.map((d) => (
                      <tr key={d.deliveryId}>
                        <td>{dateTime(d.createdAt)}</td>
                        <td>
                          <code>{d.eventType}</code>
                        </td>
                        <td>
                          {d.status}
                          {d.lastStatusCode ? ` (${d.lastStatusCode})` : ''}
                        </td>
                        <td>{d.attempts}</td>
                        <td>
                          {d.status !== 'delivered' && (
                            <button type="button" onClick={act(() => data(api.POST('/api/v1/companies/{companyId}/callback-subscriptions/{subscriptionId}/deliveries/{deliveryId}/retry', { params: { path: { ...path, deliveryId: d.deliveryId } } })))}>
                              {t('retry')}
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      )}
    </li>
  );
}
