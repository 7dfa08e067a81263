import type { BillingErrorCode } from '@receptionist/contracts';

/** An expected refusal answered to the requester as `{ok:false, code, detail}`; `detail` names the field or rule. */
export class BillingFailure extends Error {
  constructor(
    readonly code: BillingErrorCode,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}
