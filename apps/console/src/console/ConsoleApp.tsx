import { useEffect, useMemo, useRef, useState } from 'react';
import { connectLive, LiveBus } from './live';
import { apiClient, data } from '../api/client';
import { LanguageSwitch, useI18n } from '../i18n';
import { BaseContext, Link, navigate, useLocation } from '../router';
import { Alert, NotFound, useLoad } from '../ui';
import { AcceptInvitationPage, ForgotPasswordPage, ResetPasswordPage } from './AccountLinks';
import { AppointmentDetail } from './AppointmentDetail';
import { Appointments } from './Appointments';
import { Billing } from './Billing';
import { CallDetail, Calls } from './Calls';
import { CustomerDetail, Customers } from './Customers';
import { Dashboard } from './Dashboard';
import { LoginPage } from './LoginPage';
import { ConsoleContext, loadSession, saveSession, type Session } from './session';
import { Settings } from './Settings';
import { Setup } from './Setup';

const BASE = '/console';

/** The business console: signs in, then routes `/console/...` to its pages. */
export default function ConsoleApp() {
  const { t } = useI18n();
  const [session, setSession] = useState<Session | null>(loadSession);
  const [expired, setExpired] = useState(false);
  const sessionRef = useRef(session);
  sessionRef.current = session;
  const api = useMemo(
    () =>
      apiClient(
        () => sessionRef.current?.token ?? null,
        () => {
          saveSession(null);
          setSession(null);
          setExpired(true);
        },
      ),
    [],
  );
  const { path } = useLocation();

  useEffect(() => {
    document.title = t('appConsole');
  }, [t]);

  // Pages of links sent by e-mail or SMS: open with or without a session (a colleague's browser may be signed in).
  const publicPage = { [`${BASE}/accept-invitation`]: AcceptInvitationPage, [`${BASE}/reset-password`]: ResetPasswordPage, [`${BASE}/forgot-password`]: ForgotPasswordPage }[path.replace(/\/+$/, '')];
  if (publicPage) {
    const Page = publicPage;
    return (
      <BaseContext.Provider value={BASE}>
        <Page api={api} />
      </BaseContext.Provider>
    );
  }
  if (!session || path === `${BASE}/login`) {
    return (
      <BaseContext.Provider value={BASE}>
        <LoginPage
          api={api}
          expired={expired}
          onSignedIn={(s) => {
            saveSession(s);
            setSession(s);
            setExpired(false);
            // an expired session comes back to the page it was on
            const next = new URLSearchParams(location.search).get('next');
            if (path === `${BASE}/login`) navigate(next && next.startsWith(`${BASE}/`) ? next : `${BASE}/`, true);
          }}
        />
      </BaseContext.Provider>
    );
  }
  return (
    <BaseContext.Provider value={BASE}>
      <SignedIn api={api} session={session} onSignOut={() => setSession(null)} />
    </BaseContext.Provider>
  );
}

function SignedIn({ api, session, onSignOut }: { api: ReturnType<typeof apiClient>; session: Session; onSignOut: () => void }) {
  const { t } = useI18n();
  const { path } = useLocation();
  // A platform admin belongs to no company: the console shows the first one it may act on.
  const companies = useLoad(
    () =>
      session.user.companyId
        ? Promise.resolve([{ id: session.user.companyId, name: '' }])
        : data<{ data: { id: string; name: string }[] } | { id: string; name: string }[]>(api.GET('/api/v1/companies')).then((r) => (Array.isArray(r) ? r : r.data)),
    [session.user.companyId],
  );
  const [picked, setPicked] = useState<string | null>(null);
  const companyId = picked ?? companies.value?.[0]?.id ?? null;
  const live = useMemo(() => new LiveBus(), []);
  useEffect(() => (companyId ? connectLive(api, companyId, live.emit) : undefined), [api, companyId, live]);

  const signOut = async () => {
    await api.DELETE('/api/v1/tokens/{tokenId}', { params: { path: { tokenId: session.tokenId } } }).catch(() => undefined);
    saveSession(null);
    onSignOut();
    navigate(`${BASE}/login`, true);
  };

  const nav: [string, string][] = [
    [`${BASE}/`, t('navDashboard')],
    [`${BASE}/calls`, t('navCalls')],
    [`${BASE}/appointments`, t('navAppointments')],
    [`${BASE}/customers`, t('navCustomers')],
    [`${BASE}/billing`, t('navBilling')],
    [`${BASE}/setup`, t('navSetup')],
    [`${BASE}/settings`, t('navSettings')],
  ];
  const sub = path.slice(BASE.length).replace(/\/+$/, '') || '/';
  let page;
  if (!companyId) page = companies.error ? <Alert>{companies.error.message}</Alert> : <p aria-busy="true">{t('loading')}</p>;
  else if (sub === '/') page = <Dashboard />;
  else if (sub === '/calls') page = <Calls />;
  else if (sub.startsWith('/calls/')) page = <CallDetail callId={decodeURIComponent(sub.slice('/calls/'.length))} />;
  else if (sub === '/appointments') page = <Appointments />;
  else if (sub.startsWith('/appointments/')) page = <AppointmentDetail appointmentId={decodeURIComponent(sub.slice('/appointments/'.length))} />;
  else if (sub === '/customers') page = <Customers />;
  else if (sub.startsWith('/customers/')) page = <CustomerDetail customerId={decodeURIComponent(sub.slice('/customers/'.length))} />;
  else if (sub === '/billing') page = <Billing />;
  else if (sub === '/settings') page = <Settings />;
  else if (sub === '/setup') page = <Setup />;
  else page = <NotFound />;

  return (
    <ConsoleContext.Provider value={companyId ? { api, session, companyId, signOut, live } : null}>
      <a className="skip" href="#main">
        {t('skipToContent')}
      </a>
      <header className="topbar">
        <span className="brand">{t('appConsole')}</span>
        <nav aria-label={t('mainNavigation')}>
          <ul>
            {nav.map(([to, label]) => (
              <li key={to}>
                <Link to={to}>{label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="tools">
          {(companies.value?.length ?? 0) > 1 && (
            <label className="lang">
              <span>{t('company')}</span>
              <select value={companyId ?? ''} onChange={(e) => setPicked(e.target.value)}>
                {companies.value!.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name || c.id}
                  </option>
                ))}
              </select>
            </label>
          )}
          <LanguageSwitch />
          <button type="button" onClick={() => void signOut()}>
            {t('signOut')}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {companyId ? <div key={companyId}>{page}</div> : page}
      </main>
    </ConsoleContext.Provider>
  );
}
