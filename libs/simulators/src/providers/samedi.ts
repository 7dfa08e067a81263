import { emptyState, Simulator } from '../simulator';

/**
 * samedi Booking API (`/api/booking/v3/...json`, OAuth2); endpoints come in later issues. Errors are
 * `{ error: '...' }` (400 "The event is unavailable.", 404 not found) or `{ reason, invalid_fields }` for 422,
 * as parsed by samedi/rails-booking-api `app/operations/book_event.rb`.
 */
export const samediSimulator: Simulator = {
  name: 'samedi',
  defaultPort: 4050,
  createState: emptyState,
  register: () => undefined,
  error: (statusCode, message) => ({ statusCode, body: { error: statusCode === 404 ? 'Not found' : message } }),
};
