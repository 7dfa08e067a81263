import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError, apiClient, data, type Api } from '../api/client';
import { LanguageSwitch, useI18n } from '../i18n';
import { BaseContext, navigate, useLocation } from '../router';
import { Alert, Field, NotFound } from '../ui';
import { Appointments } from './Appointments';

const BASE = '/portal';
const KEY = 'receptionist.portal.session';

export interface PortalSession {
  token: string;
  tokenId: string;
  expiresAt: string;
  customer: { id: string; companyId: string; name: string; phone: string | null; email: string | null };
}

function loadSession(): PortalSession | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as PortalSession | null;
    return s && new Date(s.expiresAt) > new Date() ? s : null;
  } catch {
    return null;
  }
}

/** The customers' portal: register from an invitation, sign in, see and change one's own appointments. */
export default function PortalApp() {
  const { t } = useI18n();
  const { path } = useLocation();
  const [session, setSession] = useState<PortalSession | null>(loadSession);
  const [expired, setExpired] = useState(false);
  const [registered, setRegistered] = useState(false);
  const ref = useRef(session);
  ref.current = session;
  const api = useMemo(
    () =>
      apiClient(
        () => ref.current?.token ?? null,
        () => {
          localStorage.removeItem(KEY);
          setSession(null);
          setExpired(true);
        },
      ),
    [],
  );
  useEffect(() => {
    document.title = t('appPortal');
  }, [t]);

  const signIn = (s: PortalSession) => {
    localStorage.setItem(KEY, JSON.stringify(s));
    setSession(s);
    setExpired(false);
    if (path !== `${BASE}/`) navigate(`${BASE}/`, true);
  };
  const signOut = async () => {
    await api.POST('/api/portal/logout', { body: { all: false } }).catch(() => undefined);
    localStorage.removeItem(KEY);
    setSession(null);
    navigate(`${BASE}/login`, true);
  };

  const sub = path.slice(BASE.length).replace(/\/+$/, '') || '/';
  useEffect(() => {
    // Stripe's default return address for a business's top-up (billing's BILLING_PORTAL_URL): the console's billing page
    if (sub === '/billing') location.replace(`/console/billing?topup=${new URLSearchParams(location.search).get('status') === 'success' ? 'done' : 'cancelled'}`);
  }, [sub]);
  let page;
  if (sub === '/register') {
    page = (
      <Register
        api={api}
        onRegistered={() => {
          setRegistered(true);
          navigate(`${BASE}/login`, true);
        }}
      />
    );
  } else if (!session || sub === '/login') page = <Login api={api} expired={expired} registered={registered} onSignedIn={signIn} />;
  else if (sub === '/' || sub === '/appointments') page = <Appointments api={api} />;
  else page = <NotFound />;

  return (
    <BaseContext.Provider value={BASE}>
      <a className="skip" href="#main">
        {t('skipToContent')}
      </a>
      <header className="topbar">
        <span className="brand">{t('appPortal')}</span>
        <div className="tools">
          <LanguageSwitch />
          {session && (
            <button type="button" onClick={() => void signOut()}>
              {t('signOut')}
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1} className="narrow">
        {session && sub === '/' && (
          <p className="muted">
            {t('welcome')}, {session.customer.name}
          </p>
        )}
        {page}
      </main>
    </BaseContext.Provider>
  );
}

function Register({ api, onRegistered }: { api: Api; onRegistered: () => void }) {
  const { t } = useI18n();
  // the token travels in the fragment, so it never reaches a server log or a Referer
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await data(api.POST('/api/portal/register', { body: { token: token ?? '', password } }));
      onRegistered();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err), {}));
    }
  };
  return (
    <section className="auth-box">
      <h1>{t('registerTitle')}</h1>
      {!token && <Alert>{t('invitationMissing')}</Alert>}
      {error && !error.fields.password && <Alert>{error.message}</Alert>}
      <form onSubmit={submit} noValidate>
        <Field label={t('password')} type="password" name="new-password" autoComplete="new-password" hint={t('passwordHint')} value={password} onChange={(e) => setPassword(e.target.value)} error={error?.fields.password} required />
        <button type="submit" className="primary" disabled={!token}>
          {t('register')}
        </button>
      </form>
    </section>
  );
}

function Login({ api, expired, registered, onSignedIn }: { api: Api; expired: boolean; registered: boolean; onSignedIn: (s: PortalSession) => void }) {
  const { t } = useI18n();
  const [id, setId] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const who = id.includes('@') ? { email: id.trim() } : { phone: id.trim() };
    try {
      onSignedIn(await data<PortalSession>(api.POST('/api/portal/login', { body: { ...who, password } })));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err), {}));
    }
  };
  return (
    <section className="auth-box">
      <h1>{t('signIn')}</h1>
      {registered && <Alert kind="success">{t('registered')}</Alert>}
      {expired && <Alert kind="warning">{t('sessionExpired')}</Alert>}
      {error && <Alert>{error.status === 401 ? t('signInFailed') : error.message}</Alert>}
      <form onSubmit={submit} noValidate>
        <Field label={`${t('email')} / ${t('phone')}`} name="username" autoComplete="username" value={id} onChange={(e) => setId(e.target.value)} required />
        <Field label={t('password')} type="password" name="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        <button type="submit" className="primary">
          {t('signIn')}
        </button>
      </form>
    </section>
  );
}
