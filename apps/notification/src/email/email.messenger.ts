import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import nodemailer, { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { ConfigError } from '@receptionist/config';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { NotificationEnv } from '../config';
import { emailRequestDuration } from '../notification.metrics';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** e.g. an `.ics` invitation (`text/calendar; method=REQUEST`). */
  attachments?: { filename: string; content: string | Buffer; contentType: string }[];
  /** Extra headers (`Auto-Submitted`, `List-Unsubscribe`, …). */
  headers?: Record<string, string>;
}

export type EmailOutcome =
  | { ok: true; messageId: string }
  /** `transient`: worth another attempt later (4xx replies, connection and timeout errors). */
  | { ok: false; transient: boolean; code: string | null; message: string };

/**
 * E-mail through an SMTP relay with nodemailer: the local SMTP simulator by default (SMTP_HOST/SMTP_PORT), the
 * provider's relay in production. One pooled transport per instance. SMTP 4xx replies and network errors are
 * transient, 5xx permanent (bad address, rejected content, failed AUTH): the caller decides whether to retry.
 * Credentials go to the transport only; logs name the host and the outcome, never the password or the body
 * (which may carry a one-time link).
 */
@Injectable()
export class EmailMessenger implements OnModuleDestroy {
  private readonly transport: Transporter;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: NotificationEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // Checked here, at start-up, because the shared schema merge drops cross-field refinements.
    if (Boolean(config.SMTP_USER) !== Boolean(config.SMTP_PASSWORD)) {
      throw new ConfigError([{ variable: config.SMTP_USER ? 'SMTP_PASSWORD' : 'SMTP_USER', message: 'SMTP_USER and SMTP_PASSWORD are set together or not at all' }]);
    }
    this.transport = nodemailer.createTransport({
      host: config.SMTP_HOST,
      port: config.SMTP_PORT,
      secure: config.SMTP_SECURE,
      pool: true,
      maxConnections: 5,
      connectionTimeout: config.SMTP_TIMEOUT_MS,
      greetingTimeout: config.SMTP_TIMEOUT_MS,
      socketTimeout: config.SMTP_TIMEOUT_MS,
      ...(config.SMTP_USER ? { auth: { user: config.SMTP_USER, pass: config.SMTP_PASSWORD! } } : {}),
      logger: false,
    });
    logger.info({ smtp: `${config.SMTP_HOST}:${config.SMTP_PORT}`, auth: Boolean(config.SMTP_USER), secure: config.SMTP_SECURE }, 'e-mail via SMTP');
  }

  get from(): string {
    return this.config.SMTP_FROM;
  }

  async send(email: OutgoingEmail): Promise<EmailOutcome> {
    const started = process.hrtime.bigint();
    let label = 'error';
    try {
      const info = await this.transport.sendMail({
        from: this.config.SMTP_FROM,
        to: email.to,
        subject: email.subject,
        text: email.text,
        ...(email.html ? { html: email.html } : {}),
        ...(email.attachments ? { attachments: email.attachments } : {}),
        ...(email.headers ? { headers: email.headers } : {}),
      });
      label = 'accepted';
      return { ok: true, messageId: info.messageId };
    } catch (error) {
      const e = error as { responseCode?: number; code?: string; message?: string };
      const reply = typeof e.responseCode === 'number' ? e.responseCode : null;
      label = reply ? String(reply) : 'network';
      const transient = reply === null || (reply >= 400 && reply < 500);
      // The message names the SMTP reply or the socket error; nodemailer never puts credentials in it.
      this.logger.warn({ smtp: `${this.config.SMTP_HOST}:${this.config.SMTP_PORT}`, reply, code: e.code, transient }, 'e-mail not accepted');
      return { ok: false, transient, code: reply ? String(reply) : (e.code ?? null), message: (e.message ?? 'SMTP error').slice(0, 300) };
    } finally {
      emailRequestDuration().observe({ status: label }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  onModuleDestroy(): void {
    this.transport.close();
  }
}
