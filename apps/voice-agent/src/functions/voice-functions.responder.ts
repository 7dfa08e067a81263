import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { Envelope, Topics, VoiceFunction, normaliseFunctionName, toE164, voiceFunctionRequestSchema } from '@receptionist/contracts';
import { NO_REPLY } from '@receptionist/messaging';
import { LOGGER, OnRequest, REDIS, SERVICE_CONFIG } from '@receptionist/service-runtime';
import { BOOKS, CallFunctionsLog } from '../calls/call-functions.log';
import { servesCompany } from '../calls/serves-company';
import type { VoiceAgentEnv } from '../config';
import { isTimeZone, spokenLanguage, zonedNow } from '../dates';
import { AppointmentBookingHandler } from '../handlers/appointment-booking.handler';
import { Answer } from '../handlers/booking-desk';
import { CheckAvailabilityHandler } from '../handlers/check-availability.handler';
import { CallContext, VoiceFunctionReply, fail } from '../handlers/context';
import { InitializeCallHandler } from '../handlers/initialize-call.handler';
import { MyAppointmentsHandler } from '../handlers/my-appointments.handler';
import { phrases } from '../handlers/phrases';
import { ServicesAndCallbackHandler } from '../handlers/services-callback.handler';
import { CallerInfoHandler } from '../handlers/caller-info.handler';
import { SlotHoldHandler } from '../handlers/slot-hold.handler';
import { HandoffHandler } from '../handlers/handoff.handler';
import { readArgs } from './function-args';

import { unknownFunctionCalls, voiceFunctionDuration } from './voice-functions.metrics';

/** Functions that change something: a retried tool call (same requestKey) gets the first answer again. */
const REPLAYED: ReadonlySet<VoiceFunction> = new Set(['collect_appointment', 'book_appointment', 'cancel_appointment', 'reschedule_appointment', 'request_callback', 'transfer_to_human']);
const REPLAY_TTL_S = 300;

/**
 * The responder of `voice.function.call`: the gateway has authenticated the Retell request and resolved the
 * company; here the function name and arguments are normalised, the handler runs within the request's
 * deadline, and the answer is always a reply with a speakable message, never an exception or its text.
 */
@Injectable()
export class VoiceFunctionsResponder {
  private readonly serve: (companyId: string) => boolean;

  constructor(
    private readonly initialize: InitializeCallHandler,
    private readonly availability: CheckAvailabilityHandler,
    private readonly appointments: AppointmentBookingHandler,
    private readonly mine: MyAppointmentsHandler,
    private readonly misc: ServicesAndCallbackHandler,
    private readonly info: CallerInfoHandler,
    private readonly holds: SlotHoldHandler,
    private readonly handoff: HandoffHandler,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) config: VoiceAgentEnv,
    private readonly callLog: CallFunctionsLog,
  ) {
    this.serve = servesCompany(config);
  }

  @OnRequest(Topics.voiceFunctionCall.name)
  async onRequest(envelope: Envelope, deadline: number): Promise<VoiceFunctionReply | typeof NO_REPLY> {
    const started = process.hrtime.bigint();
    const parsed = voiceFunctionRequestSchema.safeParse(envelope.data);
    const language = spokenLanguage(parsed.success ? parsed.data.company?.language : undefined);
    if (!parsed.success || !parsed.data.company) {
      this.logger.warn({ issues: parsed.success ? 'no company' : parsed.error.issues.slice(0, 3) }, 'malformed voice function request');
      return fail(parsed.success ? 'unknown_company' : 'invalid_request', phrases.internalError({ lang: language }));
    }
    const request = parsed.data;
    const company = request.company!;
    // Another instance's company (test instances on a shared broker): that instance answers.
    if (!this.serve(company.id)) return NO_REPLY;

    const fn = normaliseFunctionName(request.function);
    if (!fn) {
      unknownFunctionCalls().inc();
      this.logger.warn({ function: request.function.slice(0, 100), companyId: company.id, callId: request.callId }, 'unknown voice function');
      return fail('unknown_function', phrases.unknownFunction({ lang: language }), { function: request.function.slice(0, 100) });
    }

    const timeZone = isTimeZone(company.timeZone) ? company.timeZone : 'UTC';
    const args = readArgs(request.args);
    const ctx: CallContext = {
      fn,
      company: { ...company, timeZone },
      callId: request.callId,
      from: toE164(request.fromNumber ?? null),
      to: toE164(request.toNumber ?? null),
      lang: spokenLanguage(args.language ?? company.language),
      now: zonedNow(timeZone),
      deadline: deadline || Date.now() + 8000,
      requestKey: request.requestKey ?? null,
      args,
    };

    const replayKey = request.requestKey && REPLAYED.has(fn) ? `voice:reply:${company.id}:${request.requestKey}` : null;
    const replayed = replayKey ? await this.redis.get(replayKey).catch(() => null) : null;
    if (replayed) return JSON.parse(replayed) as VoiceFunctionReply;

    const reply = await this.run(ctx);
    if (replayKey && reply.code !== 'calendar_unavailable' && reply.code !== 'internal_error') {
      await this.redis.set(replayKey, JSON.stringify(reply), 'EX', REPLAY_TTL_S).catch(() => undefined);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    voiceFunctionDuration().observe({ function: fn, outcome: reply.code ?? 'ok' }, seconds);
    // A function that booked is recorded on the call before answering, so the booking is known to the call record
    // when Retell hangs up; the others (most calls: checks, lists) are recorded without holding the caller.
    const logged = this.callLog.record({ companyId: company.id, callId: ctx.callId, requestKey: request.requestKey ?? envelope.id, name: fn, reply, durationMs: seconds * 1000 });
    if (BOOKS.has(fn)) await logged;
    return reply;
  }

  private async run(ctx: CallContext): Promise<VoiceFunctionReply> {
    try {
      switch (ctx.fn) {
        case 'initialize_call':
          return await this.initialize.handle(ctx);
        case 'check_availability':
          return await this.availability.handle(ctx);
        case 'collect_appointment':
          return await this.appointments.collect(ctx);
        case 'book_appointment':
          return await this.appointments.book(ctx);
        case 'get_customer_appointments':
          return await this.mine.list(ctx);
        case 'cancel_appointment':
          return await this.mine.cancel(ctx);
        case 'reschedule_appointment':
          return await this.mine.reschedule(ctx);
        case 'list_services':
          return await this.misc.listServices(ctx);
        case 'request_callback':
          return await this.misc.requestCallback(ctx);
        case 'parse_date':
          return await this.info.parseDate(ctx);
        case 'get_opening_hours':
          return await this.info.openingHours(ctx);
        case 'get_service_info':
          return await this.info.serviceInfo(ctx);
        case 'reserve_slot':
          return await this.holds.reserve(ctx);
        case 'release_slot_reservation':
          return await this.holds.release(ctx);
        case 'transfer_to_human':
          return await this.handoff.transfer(ctx);
      }
    } catch (error) {
      if (error instanceof Answer) return error.reply;
      this.logger.error({ err: error, function: ctx.fn, companyId: ctx.company.id, callId: ctx.callId }, 'voice function failed');
      return fail('internal_error', phrases.internalError(ctx));
    }
  }
}
