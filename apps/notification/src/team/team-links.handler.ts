import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Envelope, passwordResetRequestedSchema, teamInvitationCreatedSchema, Topics } from '@receptionist/contracts';
import { Inbox, Outbox, TransientMessageError } from '@receptionist/messaging';
import { LOGGER, OnEvent, SERVICE_CONFIG } from '@receptionist/service-runtime';
import { CompanyFilter } from '../common/company-filter';
import type { NotificationEnv } from '../config';
import { EmailMessenger } from '../email/email.messenger';
import { notificationsFailed, notificationsSent } from '../notification.metrics';
import { TwilioMessenger } from '../twilio/twilio.messenger';
import { composeTeamMessage, TeamMessageKind } from './team-texts';

const CONSUMER = 'notification.team-links';
type LinkEvent = z.output<typeof teamInvitationCreatedSchema> | z.output<typeof passwordResetRequestedSchema>;
type Outcome = { ok: true; providerId: string } | { ok: false; transient: boolean; code: string | null; message: string };

/**
 * Delivers the one-time links of team members: an invitation (`team.invitation.created`, by e-mail or SMS) or a
 * password reset (`team.password-reset.requested`, by e-mail), as the gateway asked. Sent at once (the person is
 * waiting for it, whatever the hour); a transient failure (SMTP 4xx, network, Twilio 5xx) is retried by the
 * consumer until the link expires, after which it is recorded as failed, as is a permanent refusal. Each event is
 * sent once (inbox), recorded in notification_team_message with `notification.sent` / `notification.failed`. The
 * text holds the link's secret: it is neither stored nor logged.
 */
@Injectable()
export class TeamLinksHandler {
  constructor(
    private readonly email: EmailMessenger,
    private readonly twilio: TwilioMessenger,
    private readonly inbox: Inbox,
    private readonly outbox: Outbox,
    private readonly filter: CompanyFilter,
    @Inject(SERVICE_CONFIG) private readonly config: NotificationEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.teamInvitationCreated.name)
  onInvitation(envelope: Envelope<z.output<typeof teamInvitationCreatedSchema>>): Promise<void> {
    return this.deliver(envelope, 'team_invitation', envelope.data.invitationId);
  }

  @OnEvent(Topics.passwordResetRequested.name)
  onPasswordReset(envelope: Envelope<z.output<typeof passwordResetRequestedSchema>>): Promise<void> {
    return this.deliver(envelope, 'password_reset', envelope.data.resetId);
  }

  private async deliver(envelope: Envelope<LinkEvent>, kind: TeamMessageKind, subjectId: string): Promise<void> {
    if (!this.filter.serves(envelope.companyId) || (await this.inbox.seen(CONSUMER, envelope.id))) return;
    const data = envelope.data;
    const expired = Date.parse(data.expiresAt) <= Date.now();
    const outcome: Outcome = expired ? { ok: false, transient: false, code: 'expired', message: 'the link expired before it could be sent' } : await this.send(kind, data);
    if (!outcome.ok && outcome.transient) {
      // Retried by the consumer; the next attempt after the link's expiry records the failure instead.
      throw new TransientMessageError(`${kind} by ${data.channel} not accepted yet: ${outcome.code ?? ''} ${outcome.message}`.trim());
    }
    await this.inbox.handleOnce(CONSUMER, envelope, async (m) => {
      await m.query(
        `INSERT INTO notification_team_message (id, company_id, kind, subject_id, channel, recipient, status, provider_id, error_code, error_message, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [envelope.id, envelope.companyId, kind, subjectId, data.channel, data.to, outcome.ok ? 'sent' : 'failed', outcome.ok ? outcome.providerId.slice(0, 255) : null, outcome.ok ? null : outcome.code, outcome.ok ? null : outcome.message.slice(0, 500), new Date()],
      );
      if (outcome.ok) {
        await this.outbox.add(m, { topic: Topics.notificationSent.name, key: envelope.id, companyId: envelope.companyId, subject: subjectId, data: { messageId: envelope.id, channel: data.channel, kind, providerMessageId: outcome.providerId } });
      } else {
        await this.outbox.add(m, {
          topic: Topics.notificationFailed.name,
          key: envelope.id,
          companyId: envelope.companyId,
          subject: subjectId,
          data: { messageId: envelope.id, channel: data.channel, kind, errorCode: outcome.code, reason: outcome.message, permanent: true },
        });
      }
    });
    if (outcome.ok) notificationsSent().inc({ channel: data.channel, kind });
    else {
      notificationsFailed().inc({ channel: data.channel, kind, reason: 'permanent' });
      this.logger.warn({ event: envelope.id, kind, channel: data.channel, code: outcome.code }, 'team link not delivered');
    }
  }

  private async send(kind: TeamMessageKind, data: LinkEvent): Promise<Outcome> {
    const text = composeTeamMessage(kind, data);
    if (data.channel === 'email') {
      const sent = await this.email.send({ to: data.to, subject: text.subject, text: text.text, headers: { 'Auto-Submitted': 'auto-generated' } });
      return sent.ok ? { ok: true, providerId: sent.messageId } : sent;
    }
    if (!this.config.TWILIO_FROM_NUMBER) return { ok: false, transient: true, code: null, message: 'TWILIO_FROM_NUMBER not set' };
    const sent = await this.twilio.send({ to: data.to, from: this.config.TWILIO_FROM_NUMBER, body: text.sms, statusCallback: null });
    return sent.ok ? { ok: true, providerId: sent.sid } : { ok: false, transient: sent.transient, code: sent.code, message: sent.message };
  }
}
