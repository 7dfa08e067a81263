import { emptyState, Simulator } from '../simulator';

/**
 * Stripe API (`/v1/...`, form-encoded requests); endpoints come in later issues. Errors are
 * `{ error: { type, message } }`; an unknown URL is a 404 `invalid_request_error` "Unrecognized request URL",
 * server-side trouble an `api_error` (which stripe-node retries).
 */
export const stripeSimulator: Simulator = {
  name: 'stripe',
  defaultPort: 4030,
  createState: emptyState,
  register: () => undefined,
  error: (statusCode, message, request) => {
    if (statusCode === 404) {
      const path = request.url.split('?')[0];
      return {
        statusCode,
        body: {
          error: {
            type: 'invalid_request_error',
            message: `Unrecognized request URL (${request.method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
          },
        },
      };
    }
    return { statusCode, body: { error: { type: statusCode >= 500 ? 'api_error' : 'invalid_request_error', message } } };
  },
};
