import { data } from '../api/client';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { Alert, Loaded, duration, useLoad } from '../ui';
import { useLive } from './live';
import { useConsole } from './session';
import type { Balance, CallSummary, Page } from './views';

function startOfToday(): string {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

export function Dashboard() {
  const { api, companyId, live } = useConsole();
  const { t, money, dateTime, label } = useI18n();
  const path = { companyId };
  const calls = useLoad(() => data<Page<CallSummary>>(api.GET('/api/v1/companies/{companyId}/calls', { params: { path, query: { from: startOfToday(), limit: 100 } } })), [companyId]);
  const balance = useLoad(() => data<Balance>(api.GET('/api/v1/companies/{companyId}/billing/balance', { params: { path } })), [companyId]);
  // without a reload: a call starts or ends, a booking is made, the balance moves
  const { reload: reloadCalls } = calls;
  const { reload: reloadBalance } = balance;
  useLive(live, ['call.'], reloadCalls);
  useLive(live, ['call.completed', 'payment.', 'balance.'], reloadBalance);

  return (
    <>
      <h1>{t('navDashboard')}</h1>
      <Loaded state={balance}>
        {(b) => (
          <>
            {b.state === 'low' && <Alert kind="warning">{t('lowBalanceAlert')}</Alert>}
            {b.state === 'exhausted' && <Alert>{t('exhaustedAlert')}</Alert>}
          </>
        )}
      </Loaded>
      <div className="cards">
        <section className="card" aria-labelledby="balance-h">
          <h2 id="balance-h">{t('balance')}</h2>
          <Loaded state={balance}>
            {(b) => (
              <>
                <p className="figure" data-testid="balance">
                  {money(b.balance, b.currency)}
                </p>
                <p>
                  {t('balanceState')}: <span className={`badge badge-${b.state}`}>{t(`state_${b.state}`)}</span>
                </p>
                <Link to="/console/billing">{t('topUp')}</Link>
              </>
            )}
          </Loaded>
        </section>
        <section className="card" aria-labelledby="calls-h">
          <h2 id="calls-h">{t('callsToday')}</h2>
          <Loaded state={calls}>
            {(page) => {
              const byOutcome = new Map<string, number>();
              for (const c of page.data) byOutcome.set(c.outcome, (byOutcome.get(c.outcome) ?? 0) + 1);
              return (
                <>
                  <p className="figure">{page.data.length}</p>
                  <ul className="outcomes">
                    {[...byOutcome].map(([o, n]) => (
                      <li key={o}>
                        <span className={`badge badge-${o}`}>{label('outcome', o)}</span> {n}
                      </li>
                    ))}
                  </ul>
                </>
              );
            }}
          </Loaded>
        </section>
      </div>
      <section aria-labelledby="today-h">
        <h2 id="today-h">{t('callsToday')}</h2>
        <Loaded state={calls}>
          {(page) =>
            page.data.length === 0 ? (
              <p>{t('noCallsToday')}</p>
            ) : (
              <ul className="rows" data-testid="calls-today">
                {page.data.map((c) => (
                  <li key={c.callId}>
                    <Link to={`/console/calls/${encodeURIComponent(c.callId)}`}>
                      {c.fromNumber ?? '–'} · {dateTime(c.startedAt)}
                    </Link>{' '}
                    <span className={`badge badge-${c.outcome}`}>{label('outcome', c.outcome)}</span> <span className="muted">{duration(c.durationSeconds)}</span>
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
      </section>
    </>
  );
}
