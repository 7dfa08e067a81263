import { emptyState, Simulator } from '../simulator';

/**
 * Retell AI API (`https://api.retellai.com`: `/v2/get-call/{id}`, `/create-phone-call`, …); endpoints come in
 * later issues. Error body per Retell's OpenAPI responses: `{ status: 'error', message }` (note Retell answers a
 * missing asset with 422, but an unknown route is a plain 404).
 */
export const retellSimulator: Simulator = {
  name: 'retell',
  defaultPort: 4020,
  createState: emptyState,
  register: () => undefined,
  error: (statusCode, message) => ({ statusCode, body: { status: 'error', message } }),
};
