import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, data } from '../api/client';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { Alert, Field, Loaded, duration, useLoad } from '../ui';
import { useLive } from './live';
import { useConsole } from './session';
import type { CallRecord, CallSummary, Page } from './views';

const OUTCOMES = ['ongoing', 'not_connected', 'booked', 'voicemail', 'error', 'completed'] as const;

export function Calls() {
  const { api, companyId, live } = useConsole();
  const { t, dateTime, label } = useI18n();
  const [filters, setFilters] = useState({ outcome: '', number: '', fromDay: '', toDay: '' });
  const [applied, setApplied] = useState(filters);
  const [pages, setPages] = useState<CallSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  // whole local days: from the start of the first to the end of the last
  const range = {
    from: applied.fromDay ? new Date(`${applied.fromDay}T00:00:00`).toISOString() : undefined,
    to: applied.toDay ? new Date(new Date(`${applied.toDay}T00:00:00`).getTime() + 86_400_000).toISOString() : undefined,
  };
  const filterQuery = { outcome: OUTCOMES.find((o) => o === applied.outcome), number: applied.number || undefined, ...range };
  const first = useLoad(
    () => data<Page<CallSummary>>(api.GET('/api/v1/companies/{companyId}/calls', { params: { path: { companyId }, query: { ...filterQuery, limit: 25 } } })),
    [companyId, applied],
  );
  useLive(live, ['call.'], first.reload);
  useEffect(() => {
    if (first.value) {
      setPages(first.value.data);
      setCursor(first.value.next === null ? null : String(first.value.next));
    }
  }, [first.value]);
  const more = async () => {
    const page = await data<Page<CallSummary>>(api.GET('/api/v1/companies/{companyId}/calls', { params: { path: { companyId }, query: { ...filterQuery, limit: 25, cursor: cursor ?? undefined } } }));
    setPages((p) => [...p, ...page.data]);
    setCursor(page.next === null ? null : String(page.next));
  };
  const fieldErrors = first.error instanceof ApiError ? first.error.fields : {};

  return (
    <>
      <h1>{t('navCalls')}</h1>
      <form
        className="filters"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <div className="field">
          <label htmlFor="outcome">{t('outcome')}</label>
          <select id="outcome" value={filters.outcome} onChange={(e) => setFilters({ ...filters, outcome: e.target.value })}>
            <option value="">{t('allOutcomes')}</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {label('outcome', o)}
              </option>
            ))}
          </select>
        </div>
        <Field label={t('caller')} type="tel" value={filters.number} onChange={(e) => setFilters({ ...filters, number: e.target.value })} error={fieldErrors.number} />
        <Field label={t('from')} type="date" value={filters.fromDay} onChange={(e) => setFilters({ ...filters, fromDay: e.target.value })} error={fieldErrors.from} />
        <Field label={t('to')} type="date" value={filters.toDay} onChange={(e) => setFilters({ ...filters, toDay: e.target.value })} error={fieldErrors.to} />
        <button type="submit">{t('filter')}</button>
      </form>
      {first.error && !Object.keys(fieldErrors).length && <Alert>{first.error.message}</Alert>}
      {first.loading && <p aria-busy="true">{t('loading')}</p>}
      {!first.loading && pages.length === 0 && !first.error && <p>{t('noCalls')}</p>}
      {pages.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('started')}</th>
                <th scope="col">{t('caller')}</th>
                <th scope="col">{t('outcome')}</th>
                <th scope="col">{t('duration')}</th>
              </tr>
            </thead>
            <tbody>
              {pages.map((c) => (
                <tr key={c.callId}>
                  <td>
                    <Link to={`/console/calls/${encodeURIComponent(c.callId)}`}>{dateTime(c.startedAt)}</Link>
                  </td>
                  <td>{c.fromNumber ?? '–'}</td>
                  <td>
                    <span className={`badge badge-${c.outcome}`}>{label('outcome', c.outcome)}</span>
                  </td>
                  <td>{duration(c.durationSeconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" onClick={() => void more()}>
          {t('more')}
        </button>
      )}
    </>
  );
}

export function CallDetail({ callId }: { callId: string }) {
  const { api, companyId } = useConsole();
  const { t, dateTime, label } = useI18n();
  const path = { companyId, callId };
  const call = useLoad(() => data<CallRecord>(api.GET('/api/v1/companies/{companyId}/calls/{callId}', { params: { path } })), [companyId, callId]);
  return (
    <>
      <p>
        <Link to="/console/calls">← {t('backToCalls')}</Link>
      </p>
      <Loaded state={call}>
        {(c) => (
          <>
            <h1>
              {t('call')} {c.fromNumber ?? ''} · {dateTime(c.startedAt)}
            </h1>
            <dl className="facts">
              <dt>{t('outcome')}</dt>
              <dd>
                <span className={`badge badge-${c.outcome}`}>{label('outcome', c.outcome)}</span>
              </dd>
              <dt>{t('duration')}</dt>
              <dd>{duration(c.durationSeconds)}</dd>
              <dt>{t('sentiment')}</dt>
              <dd>{c.analysis?.sentiment ?? '–'}</dd>
            </dl>
            <section aria-labelledby="summary-h">
              <h2 id="summary-h">{t('summary')}</h2>
              <p>{c.analysis?.summary ?? '–'}</p>
            </section>
            <Recording callId={callId} />
            <FunctionsCalled call={c} />
            <section aria-labelledby="transcript-h">
              <h2 id="transcript-h">{t('transcript')}</h2>
              {c.turns?.length ? (
                <ol className="transcript">
                  {c.turns.map((turn, i) => (
                    <li key={i} className={`turn turn-${turn.role}`}>
                      <strong>{turn.role === 'agent' ? t('agent') : t('customer')}:</strong> {turn.content}
                    </li>
                  ))}
                </ol>
              ) : (
                <pre className="transcript-text">{c.transcript ?? '–'}</pre>
              )}
            </section>
          </>
        )}
      </Loaded>
    </>
  );
}

/** The recording plays from a short-lived link (an audio element cannot send the token); it seeks with Range. */
function Recording({ callId }: { callId: string }) {
  const { api, companyId } = useConsole();
  const { t } = useI18n();
  const link = useLoad(() => data<{ url: string }>(api.POST('/api/v1/companies/{companyId}/calls/{callId}/recording-link', { params: { path: { companyId, callId } } })), [companyId, callId]);
  return (
    <section aria-labelledby="recording-h">
      <h2 id="recording-h">{t('recording')}</h2>
      {link.value ? (
        <audio controls preload="metadata" src={link.value.url} aria-labelledby="recording-h" data-testid="recording" />
      ) : link.error ? (
        <p>{t('noRecording')}</p>
      ) : (
        <p aria-busy="true">{t('loading')}</p>
      )}
    </section>
  );
}

/** The functions the agent called during the call, whether each answered successfully, and how fast. */
function FunctionsCalled({ call }: { call: CallRecord }) {
  const { t, dateTime } = useI18n();
  const calls = call.functions ?? [];
  if (!calls.length) return null;
  return (
    <section aria-labelledby="functions-h">
      <h2 id="functions-h">{t('functionsCalled')}</h2>
      <ol className="functions" data-testid="functions">
        {calls.map((f, i) => (
          <li key={i}>
            <code>{f.name}</code> <span className={`badge badge-${f.success ? 'ok' : 'error'}`}>{f.success ? 'ok' : (f.code ?? 'error')}</span>{' '}
            <span className="muted">
              {dateTime(f.calledAt)} · {f.durationMs} ms
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
