import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, data, type Api } from '../api/client';
import { LanguageSwitch, useI18n } from '../i18n';
import { Link } from '../router';
import { Alert, Field } from '../ui';

/**
 * Public pages reached from links the gateway sends (team invitation, password reset) and the
 * "forgot your password" form. Nothing typed is cleared on an error; errors are shown at their field.
 */

type T = ReturnType<typeof useI18n>['t'];

/** The link's secret travels in the fragment, so it never reaches a server log or a Referer. */
const tokenFromFragment = () => new URLSearchParams(location.hash.slice(1)).get('token');

const asApiError = (err: unknown) => (err instanceof ApiError ? err : new ApiError(0, String(err), {}));

/** The server's rules (gateway auth/password.ts), checked here too so the message is in the user's language. */
function passwordProblem(t: T, password: string): string | undefined {
  if (password.length < 12) return t('passwordTooShort');
  if (new Set(password).size < 5) return t('passwordTooSimple');
  return undefined;
}

function AuthShell({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <main id="main" className="auth">
      <div className="auth-box">
        <div className="auth-head">
          <p className="brand">{t('appConsole')}</p>
          <LanguageSwitch />
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

/** Always in the page, so screen readers announce what is put into it (a success, the neutral answer; role=status inside). */
function LiveStatus({ children }: { children: ReactNode }) {
  return (
    <div aria-live="polite" aria-atomic="true">
      {children}
    </div>
  );
}

/** A new password typed twice, with the rules shown and each problem at its own field. */
function NewPasswordFields({ password, repeat, setPassword, setRepeat, errors }: { password: string; repeat: string; setPassword: (v: string) => void; setRepeat: (v: string) => void; errors: Record<string, string | undefined> }) {
  const { t } = useI18n();
  return (
    <>
      <Field label={t('newPassword')} type="password" name="new-password" autoComplete="new-password" required hint={t('newPasswordRules')} value={password} onChange={(e) => setPassword(e.target.value)} error={errors.password} />
      <Field label={t('repeatPassword')} type="password" name="repeat-password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} error={errors.repeat} />
    </>
  );
}

function localPasswordErrors(t: T, password: string, repeat: string): Record<string, string> {
  const errors: Record<string, string> = {};
  const problem = passwordProblem(t, password);
  if (problem) errors.password = problem;
  else if (password !== repeat) errors.repeat = t('passwordsDiffer');
  return errors;
}

/** `/console/accept-invitation#token=rti_…`: sets the password (and the e-mail for an SMS invitation). */
export function AcceptInvitationPage({ api }: { api: Api }) {
  const { t } = useI18n();
  const [token] = useState(tokenFromFragment);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  // shown once the API says the invitation came by SMS, or when the user already typed one
  const [askEmail, setAskEmail] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    const local = localPasswordErrors(t, password, repeat);
    setErrors(local);
    if (Object.keys(local).length) return focusInvalid(form.current);
    setBusy(true);
    try {
      await data(api.POST('/api/v1/team/invitations/accept', { body: { token: token ?? '', password, ...(email.trim() ? { email: email.trim() } : {}) } }));
      setDone(true);
    } catch (err) {
      const error = asApiError(err);
      const fields: Record<string, string> = {};
      if (error.status === 409 && error.fields.email) fields.email = t('emailTaken');
      else if (error.fields.email) {
        setAskEmail(true);
        fields.email = email.trim() ? error.fields.email : t('acceptEmailRequired');
      }
      if (error.fields.password) fields.password = error.fields.password;
      setErrors(fields);
      if (Object.keys(fields).length) {
        setProblem(t('fixFields'));
        // the e-mail field may only now be in the page
        setTimeout(() => focusInvalid(form.current));
      } else if (error.status === 404) setProblem(t('invitationUnknown'));
      else if (error.status === 409) setProblem(t('invitationUsed'));
      else if (error.status === 410) setProblem(t('invitationGone'));
      else setProblem(error.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthShell title={t('acceptTitle')}>
      <LiveStatus>
        {done && (
          <Alert kind="success">
            {t('accountReady')} <Link to="/console/login">{t('signIn')}</Link>
          </Alert>
        )}
      </LiveStatus>
      {!done && (
        <>
          <p>{t('acceptIntro')}</p>
          {!token && <Alert>{t('invitationMissing')}</Alert>}
          {problem && <Alert>{problem}</Alert>}
          <form ref={form} onSubmit={submit} noValidate>
            {askEmail && <Field label={t('email')} type="email" name="email" autoComplete="username" required hint={t('acceptEmailHint')} value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} />}
            <NewPasswordFields password={password} repeat={repeat} setPassword={setPassword} setRepeat={setRepeat} errors={errors} />
            <button type="submit" className="primary" disabled={busy || !token}>
              {busy ? t('acceptBusy') : t('acceptSubmit')}
            </button>
          </form>
          <p>
            <Link to="/console/login">{t('backToSignIn')}</Link>
          </p>
        </>
      )}
    </AuthShell>
  );
}

/** `/console/reset-password#token=rpr_…`: a new password, then sign-in. */
export function ResetPasswordPage({ api }: { api: Api }) {
  const { t } = useI18n();
  const [token] = useState(tokenFromFragment);
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<ReactNode>(null);
  const [done, setDone] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    const local = localPasswordErrors(t, password, repeat);
    setErrors(local);
    if (Object.keys(local).length) return focusInvalid(form.current);
    setBusy(true);
    try {
      await data(api.POST('/api/v1/auth/password-reset/confirm', { body: { token: token ?? '', password } }));
      setDone(true);
    } catch (err) {
      const error = asApiError(err);
      if (error.fields.password) {
        setErrors({ password: error.fields.password });
        setTimeout(() => focusInvalid(form.current));
      } else if (error.fields.token) {
        setProblem(
          <>
            {t('resetLinkInvalid')} <Link to="/console/forgot-password">{t('requestNewLink')}</Link>
          </>,
        );
      } else setProblem(error.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthShell title={t('resetTitle')}>
      <LiveStatus>
        {done && (
          <Alert kind="success">
            {t('passwordChanged')} <Link to="/console/login">{t('signIn')}</Link>
          </Alert>
        )}
      </LiveStatus>
      {!done && (
        <>
          {!token && (
            <Alert>
              {t('resetLinkMissing')} <Link to="/console/forgot-password">{t('requestNewLink')}</Link>
            </Alert>
          )}
          {problem && <Alert>{problem}</Alert>}
          <form ref={form} onSubmit={submit} noValidate>
            <NewPasswordFields password={password} repeat={repeat} setPassword={setPassword} setRepeat={setRepeat} errors={errors} />
            <button type="submit" className="primary" disabled={busy || !token}>
              {busy ? t('savingPassword') : t('savePassword')}
            </button>
          </form>
          <p>
            <Link to="/console/login">{t('backToSignIn')}</Link>
          </p>
        </>
      )}
    </AuthShell>
  );
}

/** `/console/forgot-password`: always the same neutral answer, so it does not tell who has an account. */
export function ForgotPasswordPage({ api }: { api: Api }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [sent, setSent] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await data(api.POST('/api/v1/auth/password-reset', { body: { email: email.trim() } }));
      setSent(true);
    } catch (err) {
      // only a malformed address (400) or the rate limit gets here; the address itself stays in the field
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthShell title={t('forgotTitle')}>
      <LiveStatus>{sent && <Alert kind="success">{t('resetRequested')}</Alert>}</LiveStatus>
      {!sent && (
        <>
          <p>{t('forgotIntro')}</p>
          {error && !error.fields.email && <Alert>{error.message}</Alert>}
          <form onSubmit={submit} noValidate>
            <Field label={t('email')} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={error?.fields.email} />
            <button type="submit" className="primary" disabled={busy}>
              {busy ? t('sending') : t('sendResetLink')}
            </button>
          </form>
        </>
      )}
      <p>
        <Link to="/console/login">{t('backToSignIn')}</Link>
      </p>
    </AuthShell>
  );
}

/** Keyboard and screen-reader users land on the first field that needs a change. */
function focusInvalid(form: HTMLFormElement | null) {
  form?.querySelector<HTMLInputElement>('[aria-invalid="true"]')?.focus();
}
