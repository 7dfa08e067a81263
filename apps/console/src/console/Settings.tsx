import { useState, type FormEvent } from 'react';
import { ApiError, data } from '../api/client';
import { useI18n } from '../i18n';
import { Alert, Field, Loaded, useLoad } from '../ui';
import { useConsole } from './session';
import type { ApiToken, Page } from './views';
import { Webhooks } from './Webhooks';

/** Settings: the signed-in user's API tokens and the company's callback webhooks (its own integrations). */
export function Settings() {
  const { api, session } = useConsole();
  const { t, dateTime } = useI18n();
  const tokens = useLoad(() => data<Page<ApiToken>>(api.GET('/api/v1/tokens')), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const token = await data<{ token: string }>(api.POST('/api/v1/tokens', { body: { name } as never }));
      setCreated(token.token);
      setName('');
      tokens.reload();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err), {}));
    }
  };
  const revoke = async (id: string) => {
    await data(api.DELETE('/api/v1/tokens/{tokenId}', { params: { path: { tokenId: id } } }));
    tokens.reload();
  };

  return (
    <>
      <h1>{t('settings')}</h1>
      <section aria-labelledby="tokens-h">
        <h2 id="tokens-h">{t('apiTokens')}</h2>
        {created && (
          <Alert kind="success">
            {t('tokenShownOnce')} <code className="secret">{created}</code>
          </Alert>
        )}
        {error && !error.fields.name && <Alert>{error.message}</Alert>}
        <form className="inline-form" onSubmit={create} noValidate>
          <Field label={t('tokenName')} value={name} onChange={(e) => setName(e.target.value)} error={error?.fields.name} required />
          <button type="submit">{t('createToken')}</button>
        </form>
        <Loaded state={tokens}>
          {(page) => (
            <ul className="rows">
              {page.data
                .filter((tok) => tok.id !== session.tokenId)
                .map((tok) => (
                  <li key={tok.id}>
                    <strong>{tok.name}</strong> <span className="muted">{dateTime(tok.expiresAt)}</span>{' '}
                    <button type="button" onClick={() => void revoke(tok.id)} aria-label={`${t('revoke')}: ${tok.name}`}>
                      {t('revoke')}
                    </button>
                  </li>
                ))}
            </ul>
          )}
        </Loaded>
      </section>
      <Webhooks />
    </>
  );
}
