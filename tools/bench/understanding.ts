/**
 * Understanding callers (issue 5): how fast the date/time parser reads phrases (single core, pure code), how
 * long choosing alternatives takes, and — when run.ts has just run `voice-chain` — their share of a
 * check_availability voice function's round trip.
 *
 *   node -r @swc-node/register tools/bench/understanding.ts     (BENCH_SECONDS=2 per measurement)
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OpeningHours, pickAlternatives, toInstant, understand, zonedNow } from '@receptionist/dates';
import { envInt, fmt, now, printHeader, runMain, writeResult } from './lib';

export interface UnderstandingBenchResult {
  phrases: number;
  phrasesPerSecond: number;
  microsPerPhrase: number;
  alternativesPerSecond: number;
  microsPerAlternatives: number;
  /** p50 of the check_availability chain from voice-chain.json, when available. */
  voiceFunctionP50Ms: number | null;
  /** (one understanding + one choice of alternatives) / that p50. */
  share: number | null;
}

const TZ = 'Europe/Berlin';
const PHRASES = [
  'nächsten Dienstag gegen halb drei', 'morgen Vormittag', 'übermorgen um 14 Uhr', 'next Friday after lunch', 'nächste Woche Sonntag',
  'morgen um 9', 'heute Nachmittag', 'am 3. März', '03.03.', 'March 3rd', 'zwischen 10 und 12', 'viertel nach zehn', 'Viertel vor drei',
  'in zwei Wochen', 'diesen Freitag', 'Montag, den 3. November um 11', '2025-11-03T14:30:00+01:00', 'tomorrow at 2:30 pm',
  'Mittwoch nächste Woche abends', 'in drei Tagen um vierzehn Uhr dreißig', 'am 25.', 'heute abend', 'Monday between 2 and 4 pm',
  'irgendwann', 'Donnerstag nach der Mittagspause', 'morgen früh', 'the day after tomorrow at 10 a.m.', 'halb zehn', '14.30 Uhr', 'gegen 11',
];
const weekday: [string, string][] = [['09:00', '18:00']];
const HOURS: OpeningHours = { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday, sat: [['09:00', '13:00']] };

function rate(seconds: number, step: (i: number) => void): { perSecond: number; micros: number } {
  const until = now() + seconds * 1000;
  let n = 0;
  const start = now();
  while (now() < until) for (let k = 0; k < 100; k++) step(n++);
  const ms = now() - start;
  return { perSecond: (n / ms) * 1000, micros: (ms * 1000) / n };
}

async function main() {
  printHeader('understanding callers: parser and alternatives');
  const seconds = envInt('BENCH_SECONDS', 2);
  const nowZ = zonedNow(TZ, new Date('2025-10-18T08:00:00Z'));
  for (let i = 0; i < 2000; i++) understand(PHRASES[i % PHRASES.length], nowZ, HOURS); // warm up the JIT and Intl caches
  const parser = rate(seconds, (i) => understand(PHRASES[i % PHRASES.length], nowZ, HOURS));

  // A realistic week of 30-minute slots (09-12, 13-17) minus some bookings, a taken wish in the middle.
  const free: number[] = [];
  for (let d = 20; d <= 27; d++) {
    for (const h of [9, 9.5, 10, 10.5, 11, 11.5, 13, 13.5, 14, 14.5, 15, 15.5, 16, 16.5]) {
      if ((d * 7 + h * 2) % 5 === 0) continue;
      free.push(toInstant({ year: 2025, month: 10, day: d, hour: Math.floor(h), minute: (h % 1) * 60 }, TZ).getTime());
    }
  }
  const wished = toInstant({ year: 2025, month: 10, day: 21, hour: 14, minute: 30 }, TZ).getTime();
  const alternatives = rate(seconds, () => pickAlternatives(free, wished, TZ));

  let voiceP50: number | null = null;
  const resultFile = process.env.BENCH_RESULT_FILE;
  const chainFile = resultFile ? path.join(path.dirname(resultFile), 'voice-chain.json') : null;
  if (chainFile && existsSync(chainFile)) {
    const chain = JSON.parse(readFileSync(chainFile, 'utf8')) as { chain?: { latency: { p50: number } }[] };
    voiceP50 = chain.chain?.[0]?.latency.p50 ?? null;
  } else if (process.env.BENCH_VOICE_P50_MS) {
    voiceP50 = Number(process.env.BENCH_VOICE_P50_MS);
  }
  const perCallMs = (parser.micros + alternatives.micros) / 1000;
  const share = voiceP50 ? perCallMs / voiceP50 : null;

  console.log(`parser: ${fmt(parser.perSecond, 0)} phrases/s (${fmt(parser.micros, 1)} µs each, ${PHRASES.length} distinct phrases, one core)`);
  console.log(`alternatives: ${fmt(alternatives.perSecond, 0)} choices/s (${fmt(alternatives.micros, 1)} µs each, ${free.length} free slots)`);
  console.log(share === null ? 'share of a voice function: run with voice-chain (npm run bench) or BENCH_VOICE_P50_MS' : `share of a check_availability round trip (p50 ${fmt(voiceP50!)} ms): ${fmt(share * 100, 2)} %`);
  const result: UnderstandingBenchResult = {
    phrases: PHRASES.length,
    phrasesPerSecond: parser.perSecond,
    microsPerPhrase: parser.micros,
    alternativesPerSecond: alternatives.perSecond,
    microsPerAlternatives: alternatives.micros,
    voiceFunctionP50Ms: voiceP50,
    share,
  };
  writeResult(result);
}

runMain('understanding', main);
