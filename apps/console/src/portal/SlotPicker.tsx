import { useI18n } from '../i18n';

/** Free start times grouped by day: one row of times per day, each button named with its full date and time. */
export function SlotPicker({ starts, onPick, days = 7 }: { starts: string[]; onPick: (start: string) => void; days?: number }) {
  const { t, day, time, dateTime } = useI18n();
  const byDay = new Map<string, string[]>();
  for (const s of starts) {
    const d = day(s);
    if (!byDay.has(d) && byDay.size >= days) break;
    byDay.set(d, [...(byDay.get(d) ?? []), s]);
  }
  if (byDay.size === 0) return <p>{t('noFreeTimes')}</p>;
  return (
    <dl className="slot-days">
      {[...byDay].map(([d, times]) => (
        <div key={d}>
          <dt>{d}</dt>
          <dd>
            <ul>
              {times.map((s) => (
                <li key={s}>
                  <button type="button" aria-label={dateTime(s)} onClick={() => onPick(s)}>
                    {time(s)}
                  </button>
                </li>
              ))}
            </ul>
          </dd>
        </div>
      ))}
    </dl>
  );
}
