import { PermanentMessageError, TransientMessageError, isTransientError } from './errors';
import { CompletedOffsets } from './completed-offsets';

describe('isTransientError (which failures hold a partition instead of going to the DLQ)', () => {
  const withProps = (message: string, props: Record<string, unknown>) => Object.assign(new Error(message), props);

  it.each([
    ['deadlock (TypeORM wraps the driver error)', withProps('query failed', { driverError: { errno: 1213, code: 'ER_LOCK_DEADLOCK' } })],
    ['lock wait timeout', withProps('Lock wait timeout exceeded', { errno: 1205 })],
    ['too many connections', withProps('Too many connections', { errno: 1040 })],
    ['connection refused', withProps('connect ECONNREFUSED 127.0.0.1:3306', { code: 'ECONNREFUSED' })],
    ['connection lost', withProps('Connection lost: The server closed the connection.', { code: 'PROTOCOL_CONNECTION_LOST' })],
    ['Redis gone (ioredis)', new Error('Connection is closed.')],
    ['a provider 503', withProps('Cal.com answered 503', { status: 503 })],
    ['a provider 429', withProps('rate limited', { statusCode: 429 })],
    ['an open circuit', withProps('Execution prevented because the circuit breaker is open', { name: 'BrokenCircuitError' })],
    ['marked transient by the handler', new TransientMessageError('provider down')],
    ['a cause chain', new Error('could not debit', { cause: withProps('x', { code: 'ETIMEDOUT' }) })],
  ])('%s is transient', (_label, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    ['a validation error', new Error('invalid call.completed data at data.seconds')],
    ['PermanentMessageError, whatever it wraps', new PermanentMessageError('no company')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a duplicate key', withProps('Duplicate entry', { errno: 1062 })],
    ['a provider 400', withProps('bad request', { status: 400 })],
    ['not an error at all', 'boom'],
  ])('%s is not transient', (_label, error) => {
    expect(isTransientError(error)).toBe(false);
  });
});

describe('CompletedOffsets (what a concurrent responder may commit)', () => {
  it('commits only below the oldest message still in flight, and everything once all are done', () => {
    const offsets = new CompletedOffsets();
    for (const o of ['10', '11', '12']) offsets.begin('t', 0, o);
    offsets.done('t', 0, '11');
    offsets.done('t', 0, '12');
    expect(offsets.takeCommittable()).toEqual([{ topic: 't', partition: 0, offset: '10' }]);
    offsets.done('t', 0, '10');
    expect(offsets.takeCommittable()).toEqual([{ topic: 't', partition: 0, offset: '13' }]);
    expect(offsets.takeCommittable()).toEqual([]);
  });
});
