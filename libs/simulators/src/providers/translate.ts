import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Simulator, SimulatorState } from '../simulator';

const LANGUAGES: Record<string, string> = {
  ar: 'Arabic',
  de: 'German',
  en: 'English',
  es: 'Spanish',
  fr: 'French',
  it: 'Italian',
  nl: 'Dutch',
  pl: 'Polish',
  pt: 'Portuguese',
  ru: 'Russian',
  tr: 'Turkish',
  uk: 'Ukrainian',
};

export interface TranslateState extends SimulatorState {
  /** Texts translated since the last reset: lets cache tests prove a second lookup never reached the API. */
  translatedTexts: number;
}

export function createTranslateState(): TranslateState {
  const state: TranslateState = {
    translatedTexts: 0,
    reset() {
      state.translatedTexts = 0;
    },
  };
  return state;
}

/**
 * The deterministic "translation": the text prefixed with the target language, e.g. `[en] Ihr Termin …`, so tests
 * can see which language was asked for. Same source and target returns the text unchanged, as a real engine would.
 */
export function fakeTranslate(text: string, source: string, target: string): string {
  return source === target ? text : `[${target}] ${text}`;
}

/** Tiny, deterministic language guess for `source: 'auto'`: German if it looks German, else English. */
export function detectLanguage(text: string): string {
  const germanHints = /[äöüß]|\b(der|die|das|und|ist|ich|sie|ihr|ihre|termin|bitte|danke|guten|nicht|morgen)\b/i;
  return germanHints.test(text) ? 'de' : 'en';
}

interface TranslateBody {
  q?: string | string[];
  source?: string;
  target?: string;
  format?: 'text' | 'html';
  alternatives?: number | string;
  api_key?: string;
}

/**
 * LibreTranslate-compatible API (the design names no specific translation provider; LibreTranslate is the common
 * self-hostable one): `POST /translate` with JSON or form `{ q, source, target, format? }` → `{ translatedText }`
 * (an array when `q` is one), plus `detectedLanguage` for `source: 'auto'`; `POST /detect`; `GET /languages`.
 * Errors are `{ error }` with 400.
 */
export const translateSimulator: Simulator<TranslateState> = {
  name: 'translate',
  defaultPort: 4070,
  createState: createTranslateState,
  register(app: FastifyInstance, state: TranslateState) {
    app.get('/languages', async () =>
      Object.entries(LANGUAGES).map(([code, name]) => ({
        code,
        name,
        targets: Object.keys(LANGUAGES).filter((t) => t !== code),
      })),
    );

    app.post('/detect', async (request: FastifyRequest<{ Body: { q?: string } }>, reply: FastifyReply) => {
      const q = typeof request.body === 'object' && request.body ? request.body.q : undefined;
      if (typeof q !== 'string') return reply.code(400).send({ error: 'Invalid request: missing q parameter' });
      return [{ confidence: 90, language: detectLanguage(q) }];
    });

    app.post('/translate', async (request: FastifyRequest<{ Body: TranslateBody }>, reply: FastifyReply) => {
      const body: TranslateBody = typeof request.body === 'object' && request.body ? request.body : {};
      for (const field of ['q', 'source', 'target'] as const) {
        if (body[field] === undefined || body[field] === '') {
          return reply.code(400).send({ error: `Invalid request: missing ${field} parameter` });
        }
      }
      const source = String(body.source).toLowerCase();
      const target = String(body.target).toLowerCase();
      if (source !== 'auto' && !LANGUAGES[source]) return reply.code(400).send({ error: `${source} is not supported` });
      if (!LANGUAGES[target]) return reply.code(400).send({ error: `${target} is not supported` });

      const texts = Array.isArray(body.q) ? body.q.map(String) : [String(body.q)];
      const sources = texts.map((t) => (source === 'auto' ? detectLanguage(t) : source));
      const translated = texts.map((t, i) => fakeTranslate(t, sources[i], target));
      state.translatedTexts += texts.length;

      const single = !Array.isArray(body.q);
      const response: Record<string, unknown> = { translatedText: single ? translated[0] : translated };
      if (source === 'auto') {
        const detected = sources.map((language) => ({ confidence: 90, language }));
        response.detectedLanguage = single ? detected[0] : detected;
      }
      if (Number(body.alternatives) > 0) response.alternatives = single ? [] : texts.map(() => []);
      return response;
    });
  },
  error: (statusCode, message) => ({ statusCode, body: { error: message } }),
};
