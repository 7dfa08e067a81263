import { emptyState, Simulator } from '../simulator';

/**
 * Twilio REST API (`/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, Basic auth); endpoints come
 * in later issues. Errors are `{ code, message, more_info, status }` with Twilio's 20xxx codes for plain HTTP
 * failures (20404 not found, 20503 service unavailable, …).
 */
export const twilioSimulator: Simulator = {
  name: 'twilio',
  defaultPort: 4040,
  createState: emptyState,
  register: () => undefined,
  error: (statusCode, message, request) => {
    const code = 20000 + statusCode;
    return {
      statusCode,
      body: {
        code,
        message: statusCode === 404 ? `The requested resource ${request.url.split('?')[0]} was not found` : message,
        more_info: `https://www.twilio.com/docs/errors/${code}`,
        status: statusCode,
      },
    };
  },
};
