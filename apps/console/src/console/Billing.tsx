import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, data } from '../api/client';
import { useI18n } from '../i18n';
import { useLocation } from '../router';
import { Alert, Field, Loaded, useLoad } from '../ui';
import { useLive } from './live';
import { PlanCard } from './Plan';
import { useConsole } from './session';
import type { Balance, Invoice, LedgerEntry, Page } from './views';

export function Billing() {
  const { api, companyId, live } = useConsole();
  const { t, money, dateTime } = useI18n();
  const { search } = useLocation();
  const returned = search.get('topup');
  const path = { companyId };
  const balance = useLoad(() => data<Balance>(api.GET('/api/v1/companies/{companyId}/billing/balance', { params: { path } })), [companyId]);
  const ledger = useLoad(() => data<Page<LedgerEntry>>(api.GET('/api/v1/companies/{companyId}/billing/ledger', { params: { path, query: { limit: 20 } } })), [companyId]);
  const invoices = useLoad(() => data<{ data: Invoice[] }>(api.GET('/api/v1/companies/{companyId}/billing/invoices', { params: { path } })), [companyId]);
  const [amount, setAmount] = useState('50');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  // Back from Stripe Checkout: the credit arrives with Stripe's webhook, moments later; look again until it is there.
  const { reload: reloadBalance } = balance;
  const { reload: reloadLedger } = ledger;
  const refresh = useCallback(() => (reloadBalance(), reloadLedger()), [reloadBalance, reloadLedger]);
  useLive(live, ['call.completed', 'payment.', 'balance.'], refresh);
  useEffect(() => {
    if (returned !== 'done') return;
    let n = 0;
    const timer = setInterval(() => {
      reloadBalance();
      reloadLedger();
      if (++n >= 10) clearInterval(timer);
    }, 2000);
    return () => clearInterval(timer);
  }, [returned, reloadBalance, reloadLedger]);

  const topUp = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const minor = Math.round(Number(amount.replace(',', '.')) * 100);
    if (!Number.isFinite(minor) || minor <= 0) {
      setError(new ApiError(400, 'amount', { amount: t('topUpAmount') }));
      return;
    }
    setBusy(true);
    try {
      const back = `${location.origin}/console/billing`;
      const session = await data<{ checkoutUrl: string | null }>(
        api.POST('/api/v1/companies/{companyId}/billing/top-ups', {
          params: { path },
          body: { amount: minor, currency: balance.value?.currency ?? 'EUR', successUrl: `${back}?topup=done`, cancelUrl: `${back}?topup=cancelled` } as never,
        }),
      );
      if (session.checkoutUrl) location.assign(session.checkoutUrl);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err), {}));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>{t('navBilling')}</h1>
      {returned === 'done' && <Alert kind="success">{t('topUpDone')}</Alert>}
      {returned === 'cancelled' && <Alert kind="info">{t('topUpCancelled')}</Alert>}
      <div className="cards">
        <section className="card" aria-labelledby="bal-h">
          <h2 id="bal-h">{t('balance')}</h2>
          <Loaded state={balance}>
            {(b) => (
              <>
                <p className="figure" data-testid="balance">
                  {money(b.balance, b.currency)}
                </p>
                <p>
                  {t('balanceState')}: <span className={`badge badge-${b.state}`}>{t(`state_${b.state}`)}</span>
                </p>
              </>
            )}
          </Loaded>
        </section>
        <PlanCard />
        <section className="card" aria-labelledby="topup-h">
          <h2 id="topup-h">{t('topUp')}</h2>
          {error && !error.fields.amount && <Alert>{error.message}</Alert>}
          <form onSubmit={topUp} noValidate>
            <Field label={t('topUpAmount')} inputMode="decimal" name="amount" value={amount} onChange={(e) => setAmount(e.target.value)} error={error?.fields.amount} />
            <button type="submit" className="primary" disabled={busy}>
              {t('topUpGo')}
            </button>
          </form>
        </section>
      </div>
      <section aria-labelledby="invoices-h">
        <h2 id="invoices-h">{t('invoices')}</h2>
        <Loaded state={invoices}>
          {(page) =>
            page.data.length === 0 ? (
              <p>{t('noInvoices')}</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('period')}</th>
                      <th scope="col">{t('invoiceNumber')}</th>
                      <th scope="col">{t('status')}</th>
                      <th scope="col" className="num">
                        {t('amount')}
                      </th>
                      <th scope="col">PDF</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.map((inv) => (
                      <tr key={inv.invoiceId}>
                        <td>{inv.period}</td>
                        <td>{inv.number ?? '–'}</td>
                        <td>{inv.status}</td>
                        <td className="num">{money(inv.total, inv.currency)}</td>
                        <td>
                          {inv.pdfUrl ? (
                            <a href={inv.pdfUrl} rel="noreferrer noopener" target="_blank">
                              PDF<span className="visually-hidden"> {inv.number ?? inv.period}</span>
                            </a>
                          ) : (
                            '–'
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
      </section>
      <section aria-labelledby="ledger-h">
        <h2 id="ledger-h">{t('ledger')}</h2>
        <Loaded state={ledger}>
          {(page) => (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('when')}</th>
                    <th scope="col">{t('what')}</th>
                    <th scope="col" className="num">
                      {t('amount')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((e) => (
                    <tr key={e.seq}>
                      <td>{dateTime(e.occurredAt)}</td>
                      <td>{e.description || e.kind}</td>
                      <td className="num">{money(e.amount, e.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Loaded>
      </section>
    </>
  );
}
