import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Simulator, SimulatorState } from '../simulator';

/**
 * Fixed reference rates per 1 EUR (ECB style). Deterministic on purpose: billing tests compute expected amounts
 * from these numbers. Tests in-process may change `state.rates`; `reset()` restores these.
 */
export const DEFAULT_EUR_RATES: Readonly<Record<string, number>> = {
  CHF: 0.94,
  CZK: 25.2,
  DKK: 7.46,
  GBP: 0.855,
  JPY: 162.5,
  NOK: 11.5,
  PLN: 4.3,
  SEK: 11.2,
  TRY: 35,
  USD: 1.085,
};

const CURRENCY_NAMES: Record<string, string> = {
  CHF: 'Swiss Franc',
  CZK: 'Czech Koruna',
  DKK: 'Danish Krone',
  EUR: 'Euro',
  GBP: 'British Pound',
  JPY: 'Japanese Yen',
  NOK: 'Norwegian Krone',
  PLN: 'Polish Złoty',
  SEK: 'Swedish Krona',
  TRY: 'Turkish Lira',
  USD: 'United States Dollar',
};

export interface RatesState extends SimulatorState {
  /** Units of each currency per 1 EUR. */
  rates: Record<string, number>;
  /** Fixed publication date (YYYY-MM-DD); null means "the latest working day", as the ECB publishes. */
  date: string | null;
}

export function createRatesState(): RatesState {
  const state: RatesState = {
    rates: { ...DEFAULT_EUR_RATES },
    date: null,
    reset() {
      state.rates = { ...DEFAULT_EUR_RATES };
      state.date = null;
    },
  };
  return state;
}

/** The latest weekday on or before `now` (UTC): ECB reference rates are not published at weekends. */
export function latestWorkingDay(now = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

const round5 = (n: number) => Math.round(n * 1e5) / 1e5;

type LatestQuery = { base?: string; from?: string; symbols?: string; to?: string; amount?: string };

/**
 * Frankfurter API (api.frankfurter.dev; ECB rates, no key): `GET /latest?base=EUR&symbols=USD,GBP[&amount=10]` →
 * `{ amount, base, date, rates }`, the target currencies in alphabetical order and without the base; an unknown
 * currency is a 404 `{ message: 'not found' }`. Served both at the root (frankfurter.app style) and under `/v1`
 * (the current `https://api.frankfurter.dev/v1`), so EXCHANGE_RATES_URL may be either kind of base URL.
 */
export const ratesSimulator: Simulator<RatesState> = {
  name: 'rates',
  defaultPort: 4060,
  createState: createRatesState,
  register(app: FastifyInstance, state: RatesState) {
    const perEur = (code: string) => (code === 'EUR' ? 1 : state.rates[code]);
    const known = (code: string) => perEur(code) !== undefined;

    const latest = async (request: FastifyRequest<{ Querystring: LatestQuery }>, reply: FastifyReply) => {
      const q = request.query;
      const base = (q.base ?? q.from ?? 'EUR').toUpperCase();
      const amount = q.amount === undefined ? 1 : Number(q.amount);
      if (!Number.isFinite(amount) || amount <= 0) return reply.code(422).send({ message: 'invalid amount' });
      const requested = (q.symbols ?? q.to)
        ?.split(',')
        .map((s) => s.trim().toUpperCase())
        .filter(Boolean);
      const targets = requested ?? ['EUR', ...Object.keys(state.rates)];
      if (!known(base) || targets.some((c) => !known(c))) return reply.code(404).send({ message: 'not found' });

      const rates: Record<string, number> = {};
      for (const code of [...new Set(targets)].sort()) {
        if (code !== base) rates[code] = round5((amount * perEur(code)) / perEur(base));
      }
      return { amount, base, date: state.date ?? latestWorkingDay(), rates };
    };

    const currencies = async () => {
      const out: Record<string, string> = {};
      for (const code of ['EUR', ...Object.keys(state.rates)].sort()) out[code] = CURRENCY_NAMES[code] ?? code;
      return out;
    };

    for (const prefix of ['', '/v1']) {
      app.get(`${prefix}/latest`, latest);
      app.get(`${prefix}/currencies`, currencies);
    }
  },
  error: (statusCode, message) => ({ statusCode, body: { message: statusCode === 404 ? 'not found' : message } }),
};
