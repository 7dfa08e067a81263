import { useState } from 'react';
import { ApiError, data } from '../api/client';
import { useI18n } from '../i18n';
import { Alert, Loaded, useLoad } from '../ui';
import { useConsole } from './session';

interface Subscription {
  planCode: string;
  plan: { name: string; includedMinutes: number; includedBookings: number } | null;
  currency: string;
  status: string;
  currentPeriodEnd: string | null;
  trialEnd: string | null;
  cancelAtPeriodEnd: boolean;
  upcomingAmount: number | null;
  dunning: { state: 'ok' | 'grace' | 'refusing'; graceUntil: string | null; reminders: number; callsRefused: boolean };
  currentPeriod: { usedSeconds: number; usedBookings: number; overage: number } | null;
}

/** The company's plan: usage against its allowance, what the next renewal costs, and a failed payment's consequences. */
export function PlanCard() {
  const { api, companyId } = useConsole();
  const { t, money, dateTime } = useI18n();
  const path = { companyId };
  const sub = useLoad(() => data<{ subscription: Subscription | null }>(api.GET('/api/v1/companies/{companyId}/billing/subscription', { params: { path } })), [companyId]);
  const [error, setError] = useState<string | null>(null);

  // Cards and invoices (also paying an overdue one) are managed in Stripe's customer portal.
  const openPortal = async () => {
    setError(null);
    try {
      const portal = await data<{ url: string }>(api.POST('/api/v1/companies/{companyId}/billing/portal-session', { params: { path }, body: { returnUrl: `${location.origin}/console/billing` } }));
      location.assign(portal.url);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };

  return (
    <section className="card" aria-labelledby="plan-h">
      <h2 id="plan-h">{t('plan')}</h2>
      <Loaded state={sub}>
        {({ subscription: s }) =>
          !s ? (
            <p>{t('noPlan')}</p>
          ) : (
            <>
              {s.dunning.state !== 'ok' && (
                <Alert kind={s.dunning.callsRefused ? 'error' : 'warning'}>
                  {s.dunning.callsRefused ? t('planCallsRefused') : `${t('planPaymentFailed')} ${s.dunning.graceUntil ? dateTime(s.dunning.graceUntil) : ''}`}
                </Alert>
              )}
              <p className="figure" data-testid="plan">
                {s.plan?.name ?? s.planCode}
              </p>
              <p>
                {t('status')}: <span className="badge">{s.status}</span>
                {s.cancelAtPeriodEnd && ` · ${t('planEndsAt')} ${s.currentPeriodEnd ? dateTime(s.currentPeriodEnd) : ''}`}
              </p>
              {s.plan && (
                <p>
                  {t('planMinutesUsed')}: {Math.ceil((s.currentPeriod?.usedSeconds ?? 0) / 60)} / {s.plan.includedMinutes} · {t('planBookingsUsed')}: {s.currentPeriod?.usedBookings ?? 0} / {s.plan.includedBookings}
                  {(s.currentPeriod?.overage ?? 0) > 0 && ` · ${t('planOverage')}: ${money(s.currentPeriod!.overage, s.currency)}`}
                </p>
              )}
              {s.upcomingAmount !== null && (
                <p>
                  {t('planNextInvoice')}: {money(s.upcomingAmount, s.currency)}
                </p>
              )}
              {error && <Alert>{error}</Alert>}
              <button type="button" onClick={() => void openPortal()}>
                {t('planPortal')}
              </button>
            </>
          )
        }
      </Loaded>
    </section>
  );
}
