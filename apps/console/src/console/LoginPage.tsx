import { useState, type FormEvent } from 'react';
import { ApiError, data, type Api } from '../api/client';
import { LanguageSwitch, useI18n } from '../i18n';
import { Link } from '../router';
import { Alert, Field } from '../ui';
import type { Session } from './session';

export function LoginPage({ api, expired, onSignedIn }: { api: Api; expired: boolean; onSignedIn: (s: Session) => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await data<Session>(api.POST('/api/v1/auth/login', { body: { email, password } })));
    } catch (err) {
      // what was typed stays in the form
      setError(err instanceof ApiError ? err : new ApiError(0, String(err), {}));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="auth">
      <div className="auth-box">
        <div className="auth-head">
          <h1>{t('appConsole')}</h1>
          <LanguageSwitch />
        </div>
        {expired && <Alert kind="warning">{t('sessionExpired')}</Alert>}
        {error && <Alert>{error.status === 401 ? t('signInFailed') : error.message}</Alert>}
        <form onSubmit={submit} noValidate>
          <Field label={t('email')} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={error?.fields.email} />
          <Field label={t('password')} type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={error?.fields.password} />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? t('signingIn') : t('signIn')}
          </button>
        </form>
        <p>
          <Link to="/console/forgot-password">{t('forgotPassword')}</Link>
        </p>
      </div>
    </main>
  );
}
