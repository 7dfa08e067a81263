import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { EntityManager } from 'typeorm';
import type { z } from 'zod';
import { Envelope, Topics, stripeEventReceivedSchema } from '@receptionist/contracts';
import { Inbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, OnEvent } from '@receptionist/service-runtime';
import { stripeEvents } from '../common/billing.metrics';
import { CreditNotesService } from '../invoices/credit-notes.service';
import { InvoicesService } from '../invoices/invoices.service';
import { TopUpsService } from '../topups/topups.service';
import { CustomersService } from './customers.service';
import { PaymentProviderUnavailable } from './stripe.client';
import { SubscriptionsService, subscriptionIdOf } from '../plans/subscriptions.service';

type Received = z.output<typeof stripeEventReceivedSchema>;
type Outcome = 'applied' | 'duplicate' | 'ignored' | 'unmatched';
const CONSUMER = 'billing.stripe-events';

/**
 * Stripe's webhook events, as the gateway put them on Kafka after checking their signature. Each event id is
 * handled once (inbox on the derived envelope id, and `stripe_event` keyed by the event id); events may come in
 * any order, so every effect is a forward-only transition (a paid top-up or invoice stays paid). An event whose
 * customer is not ours is recorded `unmatched`, counted and logged as an error, and acknowledged.
 */
@Injectable()
export class StripeEventsHandler {
  constructor(
    private readonly inbox: Inbox,
    private readonly topUps: TopUpsService,
    private readonly invoices: InvoicesService,
    private readonly creditNotes: CreditNotesService,
    private readonly customers: CustomersService,
    private readonly subscriptions: SubscriptionsService,
    private readonly runtime: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.stripeEventReceived.name)
  async onStripeEvent(envelope: Envelope<Received>): Promise<void> {
    const received = envelope.data;
    // Subscription events come in any order: the subscription as Stripe has it now (read before the transaction) is
    // what is applied, so an older event handled last cannot undo a newer state. Stripe down: the message is retried.
    const fresh = received.type.startsWith('customer.subscription.') && received.objectId ? await this.subscriptions.fetch(received.objectId).catch((error) => {
      if (error instanceof PaymentProviderUnavailable) throw error;
      return null;
    }) : null;
    const handled = await this.inbox.handleOnce(CONSUMER, envelope, async (manager) => {
      const [seen] = await manager.query('SELECT outcome FROM stripe_event WHERE event_id = ? FOR UPDATE', [received.eventId]);
      if (seen) return { outcome: 'duplicate' as Outcome, companyId: null };
      const { outcome, companyId, detail } = await this.apply(manager, received, fresh);
      await manager.query(
        'INSERT INTO stripe_event (event_id, type, company_id, outcome, detail, stripe_created_at, handled_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [received.eventId, received.type, companyId, outcome, detail?.slice(0, 500) ?? null, new Date(received.created * 1000), new Date()],
      );
      return { outcome, companyId };
    });
    this.runtime.relay.wake();
    const outcome = handled.duplicate ? 'duplicate' : handled.result.outcome;
    stripeEvents().inc({ type: received.type, outcome });
    if (outcome === 'unmatched') {
      this.logger.error({ eventId: received.eventId, type: received.type, customerId: received.customerId }, 'Stripe event for an unknown customer; recorded, not applied');
    }
  }

  private async apply(manager: EntityManager, received: Received, fresh: Stripe.Subscription | null): Promise<{ outcome: Outcome; companyId: string | null; detail?: string }> {
    const object = (received.event.data as { object?: Record<string, unknown> } | undefined)?.object ?? {};
    const metadata = (object.metadata ?? {}) as Record<string, string>;
    const type = received.type;

    if (type.startsWith('customer.subscription.')) {
      const sub = fresh ?? (object as unknown as Stripe.Subscription);
      const companyId = await this.subscriptions.companyOfSubscription(manager, sub);
      if (!companyId) return this.unmatchedOrIgnored(manager, received, 'no company for this subscription');
      await this.subscriptions.applySubscription(manager, companyId, sub);
      return { outcome: 'applied', companyId };
    }

    if (type.startsWith('invoice.') && subscriptionIdOf(object as unknown as Stripe.Invoice)) {
      const invoice = object as unknown as Stripe.Invoice;
      const [row] = await manager.query('SELECT company_id FROM subscription WHERE stripe_subscription_id = ?', [subscriptionIdOf(invoice)]);
      // Before the subscription row exists (the webhook beat the API's answer): the company its metadata names, if the customer is that company's.
      const named = invoice.parent?.subscription_details?.metadata?.company_id;
      const byCustomer = received.customerId ? await this.customers.companyForCustomer(received.customerId) : null;
      const companyId = (row?.company_id as string | undefined) ?? (named && named === byCustomer ? named : null);
      if (!companyId) return this.unmatchedOrIgnored(manager, received, 'no subscription for this invoice');
      if (type === 'invoice.upcoming') await this.subscriptions.applyUpcoming(manager, companyId, invoice);
      else if (['invoice.finalized', 'invoice.paid', 'invoice.payment_failed', 'invoice.voided'].includes(type)) await this.subscriptions.applyInvoice(manager, companyId, invoice, type);
      else return { outcome: 'ignored', companyId };
      return { outcome: 'applied', companyId };
    }

    if (type.startsWith('checkout.session.') || type.startsWith('payment_intent.')) {
      const topUpId = metadata.top_up_id ?? (type.startsWith('checkout.session.') ? await this.topUps.findBySession(manager, object.id as string) : null);
      const companyId = topUpId ? await this.topUps.companyOf(manager, topUpId) : null;
      if (!topUpId || !companyId) return this.unmatchedOrIgnored(manager, received, 'no top-up for this object');
      if (metadata.company_id && metadata.company_id !== companyId) return { outcome: 'unmatched', companyId: null, detail: 'metadata company differs from the top-up' };
      switch (type) {
        case 'checkout.session.completed':
        case 'checkout.session.async_payment_succeeded': {
          if (object.payment_status !== 'paid') return { outcome: 'ignored', companyId, detail: `payment_status ${String(object.payment_status)}` };
          await this.topUps.creditPaid(manager, topUpId, { paymentIntentId: (object.payment_intent as string | null) ?? null, objectId: object.id as string });
          return { outcome: 'applied', companyId };
        }
        case 'payment_intent.succeeded': {
          const pi = object as unknown as Stripe.PaymentIntent;
          await this.topUps.creditPaid(manager, topUpId, {
            paymentIntentId: pi.id,
            objectId: pi.id,
            paymentMethodId: typeof pi.payment_method === 'string' ? pi.payment_method : (pi.payment_method?.id ?? null),
            saveCard: pi.setup_future_usage === 'off_session',
          });
          return { outcome: 'applied', companyId };
        }
        case 'checkout.session.async_payment_failed':
        case 'payment_intent.payment_failed': {
          const reason = ((object.last_payment_error as { message?: string } | null)?.message ?? null) as string | null;
          await this.topUps.markFailed(manager, topUpId, object.id as string, reason);
          return { outcome: 'applied', companyId };
        }
        case 'checkout.session.expired':
          await this.topUps.markExpired(manager, topUpId);
          return { outcome: 'applied', companyId };
        default:
          return { outcome: 'ignored', companyId };
      }
    }

    if (type.startsWith('invoice.')) {
      const invoice = object as unknown as Stripe.Invoice;
      // The invoice object carries no decline message of its own; the attempt count says which attempt failed.
      const failure = type === 'invoice.payment_failed' ? `invoice payment failed (attempt ${invoice.attempt_count ?? 1})` : undefined;
      if (!['invoice.finalized', 'invoice.paid', 'invoice.payment_failed', 'invoice.voided', 'invoice.sent'].includes(type)) return { outcome: 'ignored', companyId: null };
      const [row] = await manager.query('SELECT company_id FROM invoice WHERE id = ? OR stripe_invoice_id = ? LIMIT 1', [metadata.invoice_id ?? '', invoice.id]);
      if (!row) return this.unmatchedOrIgnored(manager, received, 'no invoice for this object');
      await this.invoices.applyStripeInvoice(manager, invoice, failure);
      return { outcome: 'applied', companyId: row.company_id };
    }

    if (type === 'credit_note.created') {
      const { companyId, applied } = await this.creditNotes.onStripeCreditNote(manager, object as unknown as Stripe.CreditNote);
      if (!companyId) return this.unmatchedOrIgnored(manager, received, 'no invoice for this credit note');
      return { outcome: applied ? 'applied' : 'ignored', companyId };
    }

    if (type === 'charge.refunded') {
      const { companyId, applied } = await this.creditNotes.onChargeRefunded(manager, object as unknown as Stripe.Charge);
      if (!companyId) return this.unmatchedOrIgnored(manager, received, 'no top-up for this charge');
      return { outcome: applied ? 'applied' : 'ignored', companyId };
    }

    if (type === 'customer.updated') {
      // The customer's default card (set in Stripe: dashboard, customer portal, our checkout) is the one auto top-up
      // and partner invoices charge. Stripe's `created` orders the events: an older one never replaces a newer card.
      const customer = object as unknown as Stripe.Customer;
      const companyId = await this.customers.companyForCustomer(customer.id);
      if (!companyId) return { outcome: 'unmatched', companyId: null, detail: 'no account for this customer' };
      const pm = customer.invoice_settings?.default_payment_method ?? null;
      const pmId = typeof pm === 'string' ? pm : (pm?.id ?? null);
      await manager.query(
        `UPDATE billing_account SET default_payment_method_id = ?, payment_method_set_at = ?, updated_at = ?
         WHERE company_id = ? AND (payment_method_set_at IS NULL OR payment_method_set_at <= ?)`,
        [pmId, received.created, new Date(), companyId, received.created],
      );
      return { outcome: 'applied', companyId };
    }

    return { outcome: 'ignored', companyId: received.customerId ? await this.customers.companyForCustomer(received.customerId) : null };
  }

  /** An object we did not create: ours if the customer is ours (then there is nothing to do), else unmatched. */
  private async unmatchedOrIgnored(manager: EntityManager, received: Received, detail: string) {
    const companyId = received.customerId ? await this.customers.companyForCustomer(received.customerId) : null;
    void manager;
    return companyId ? { outcome: 'ignored' as Outcome, companyId, detail } : { outcome: 'unmatched' as Outcome, companyId: null, detail };
  }
}
