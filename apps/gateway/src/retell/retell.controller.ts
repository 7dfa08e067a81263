import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { VoiceFunction } from '@receptionist/contracts';
import { InboundCallService } from './inbound-call.service';
import { INBOUND_CALL } from './call-context';
import { RetellRequest, RetellRoute } from './retell.guard';
import { VoiceFunctionsService, VoiceReply } from './voice-functions.service';

const FUNCTION_ROUTES = {
  'initialize-call': 'initialize_call',
  'check-availability': 'check_availability',
  'collect-appointment': 'collect_appointment',
  'book-appointment': 'book_appointment',
  'get-customer-appointments': 'get_customer_appointments',
  'cancel-appointment': 'cancel_appointment',
  'reschedule-appointment': 'reschedule_appointment',
} as const satisfies Record<string, VoiceFunction>;

/**
 * Retell's custom functions. Each answers 200 with `{success, message, code?, data?}` — `message` is always
 * something the agent can say — so a call never breaks on an HTTP error; only a bad credential (401) and the
 * rate limit (429) are HTTP errors, decided before any work.
 */
@Controller()
export class RetellController {
  constructor(
    private readonly functions: VoiceFunctionsService,
    private readonly inboundCalls: InboundCallService,
  ) {}

  private run(route: string, request: RetellRequest): Promise<VoiceReply> {
    const { invocation, routed } = request.retell!;
    return this.functions.call(route, invocation, routed, request.rawBody);
  }

  @Post('api/retell/initialize-call')
  @HttpCode(200)
  @RetellRoute(FUNCTION_ROUTES['initialize-call'])
  initializeCall(@Req() req: RetellRequest) {
    return this.run('initialize-call', req);
  }

  @Post('api/retell/check-availability')
  @HttpCode(200)
  @RetellRoute(FUNCTION_ROUTES['check-availability'])
  checkAvailability(@Req() req: RetellRequest) {
    return this.run('check-availability', req);
  }

  @Post('api/retell/collect-appointment')
  @HttpCode(200)
  @RetellRoute(FUNCTION_ROUTES['collect-appointment'])
  collectAppointment(@Req() req: RetellRequest) {
    return this.run('collect-appointment', req);
  }

  @Post('api/retell/book-appointment')
  @HttpCode(200)
  @RetellRoute(FUNCTION_ROUTES['book-appointment'])
  bookAppointment(@Req() req: RetellRequest) {
    return this.run('book-appointment', req);
  }

  @Post('api/retell/get-customer-appointments')
  @HttpCode(200)
  @RetellRoute(FUNCTION_ROUTES['get-customer-appointments'])
  getCustomerAppointments(@Req() req: RetellRequest) {
    return this.run('get-customer-appointments', req);
  }

  @Post('api/retell/cancel-appointment')
  @HttpCode(200)
  @RetellRoute(FUNCTION_ROUTES['cancel-appointment'])
  cancelAppointment(@Req() req: RetellRequest) {
    return this.run('cancel-appointment', req);
  }

  @Post('api/retell/reschedule-appointment')
  @HttpCode(200)
  @RetellRoute(FUNCTION_ROUTES['reschedule-appointment'])
  rescheduleAppointment(@Req() req: RetellRequest) {
    return this.run('reschedule-appointment', req);
  }

  /** The dispatcher: the function is the body's `name` (or `function_name`); aliases of the old system too. */
  @Post(['api/webhooks/retell/function', 'api/webhooks/retell/function-call', 'api/retell/function-call'])
  @HttpCode(200)
  @RetellRoute(null)
  dispatch(@Req() req: RetellRequest) {
    return this.run('dispatcher', req);
  }

  /**
   * Retell's inbound call webhook, while the phone rings (10 s budget): the caller's context as
   * `dynamic_variables`. Unknown number → 404, so Retell falls back to the number's default agent.
   */
  @Post('api/webhooks/retell/inbound')
  @HttpCode(200)
  @RetellRoute(INBOUND_CALL)
  inbound(@Req() req: RetellRequest) {
    const { invocation, routed } = req.retell!;
    return this.inboundCalls.answer(invocation, routed, req.rawBody);
  }
}
