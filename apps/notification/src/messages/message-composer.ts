import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { NotificationEnv } from '../config';
import { MessagesRepository } from './messages.repository';
import { BUILT_IN_TEMPLATES, baseLanguage, formatAppointment, isBuiltIn, MessageKind, render, TemplateVariables } from './templates';

const TRANSLATION_TTL_MS = 30 * 24 * 3600_000;
/** Company templates are read again after this long (they change rarely; every message needs them). */
const OVERRIDES_TTL_MS = 30_000;
const TRANSLATE_TIMEOUT_MS = 3_000;

export interface ComposeInput {
  companyId: string;
  kind: MessageKind;
  /** The customer's language (`de`, `en-US`, `fr`); the company's is the fallback. */
  language: string;
  companyLanguage: string | null;
  timeZone: string;
  startsAt: Date | null;
  vars: Omit<TemplateVariables, 'date' | 'time'>;
}

/**
 * Picks the text for a message: the company's own template for the kind and language if it has one, else the
 * built-in German or English one, else the English one translated by the translation service (TRANSLATE_BASE_URL),
 * cached 30 days in `notification_translation`. A translation that loses a placeholder, or a translation service
 * that does not answer, falls back to the company's language.
 */
@Injectable()
export class MessageComposer {
  private readonly memory = new Map<string, { text: string; until: number }>();
  private readonly overrides = new Map<string, { until: number; templates: Map<string, string> }>();

  constructor(
    private readonly repository: MessagesRepository,
    private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: NotificationEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async compose(input: ComposeInput): Promise<{ language: string; body: string }> {
    const wanted = baseLanguage(input.language);
    const fallback = input.companyLanguage && isBuiltIn(baseLanguage(input.companyLanguage)) ? baseLanguage(input.companyLanguage) : 'de';
    let language = wanted;
    const own = await this.companyTemplates(input.companyId);
    let template = own.get(`${input.kind}:${wanted}`) ?? null;
    if (!template && isBuiltIn(wanted)) template = BUILT_IN_TEMPLATES[wanted][input.kind];
    if (!template) template = await this.translated(input.kind, wanted);
    if (!template) {
      language = fallback;
      template = own.get(`${input.kind}:${fallback}`) ?? BUILT_IN_TEMPLATES[fallback as 'de' | 'en'][input.kind];
    }
    const when = input.startsAt ? formatAppointment(input.startsAt, input.timeZone, language === wanted ? input.language : language) : { date: '', time: '' };
    return { language, body: render(template, { ...input.vars, ...when }) };
  }

  private async companyTemplates(companyId: string): Promise<Map<string, string>> {
    const now = Date.now();
    const cached = this.overrides.get(companyId);
    if (cached && cached.until > now) return cached.templates;
    const templates = await this.repository.templateOverrides(companyId);
    this.overrides.set(companyId, { until: now + OVERRIDES_TTL_MS, templates });
    if (this.overrides.size > 10_000) this.overrides.delete(this.overrides.keys().next().value!);
    return templates;
  }

  /** The English built-in template in `language`, or null when it cannot be had. */
  private async translated(kind: MessageKind, language: string): Promise<string | null> {
    const source = BUILT_IN_TEMPLATES.en[kind];
    const hash = createHash('sha256').update(source).digest('hex');
    const key = `${language}:${hash}`;
    const now = Date.now();
    const cached = this.memory.get(key);
    if (cached && cached.until > now) return cached.text;
    const rows: { text: string; expires_at: Date }[] = await this.dataSource.query(
      'SELECT text, expires_at FROM notification_translation WHERE language = ? AND source_hash = ? AND expires_at > ?',
      [language, hash, new Date(now)],
    );
    if (rows[0]) {
      this.memory.set(key, { text: rows[0].text, until: new Date(rows[0].expires_at).getTime() });
      return rows[0].text;
    }
    const text = await this.callTranslate(source, language);
    if (!text) return null;
    const expires = new Date(now + TRANSLATION_TTL_MS);
    await this.dataSource.query(
      `INSERT INTO notification_translation (language, source_hash, text, expires_at) VALUES (?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE text = VALUES(text), expires_at = VALUES(expires_at)`,
      [language, hash, text, expires],
    );
    this.memory.set(key, { text, until: expires.getTime() });
    return text;
  }

  private async callTranslate(text: string, target: string): Promise<string | null> {
    try {
      const res = await fetch(new URL('/translate', this.config.TRANSLATE_BASE_URL), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ q: text, source: 'en', target, format: 'text' }),
        signal: AbortSignal.timeout(TRANSLATE_TIMEOUT_MS),
      });
      if (!res.ok) {
        this.logger.warn({ status: res.status, target }, 'translation refused; using the company language');
        return null;
      }
      const body = (await res.json()) as { translatedText?: unknown };
      const translated = typeof body.translatedText === 'string' ? body.translatedText : null;
      const placeholders = text.match(/\{\{[#/]?\w+\}\}/g) ?? [];
      if (!translated || placeholders.some((p) => !translated.includes(p))) {
        this.logger.warn({ target }, 'translation lost placeholders; using the company language');
        return null;
      }
      return translated;
    } catch (error) {
      this.logger.warn({ err: { message: (error as Error).message }, target }, 'translation service unreachable; using the company language');
      return null;
    }
  }
}
