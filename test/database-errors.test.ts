/**
 * Which database errors mean "cannot reach it now" or "collided with another transaction, send it
 * again" (the API answers 503) and which are ours (500).
 */
import { isDatabaseUnavailable, isTransactionConflict } from '../db/connection';

test.each<[string, boolean, unknown]>([
  [
    'refused',
    true,
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  ],
  ['reset', true, Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
  [
    'server shutting down (57P01)',
    true,
    Object.assign(new Error('terminating connection'), { code: '57P01' }),
  ],
  [
    'server starting up (57P03)',
    true,
    Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
  ],
  ['connection exception (08006)', true, Object.assign(new Error('connection failure'), { code: '08006' })],
  ['dropped mid-query', true, new Error('Connection terminated unexpectedly')],
  ['pool timeout', true, new Error('timeout exceeded when trying to connect')],
  ['unique violation (23505)', false, Object.assign(new Error('duplicate key'), { code: '23505' })],
  ['syntax error (42601)', false, Object.assign(new Error('syntax error'), { code: '42601' })],
  ['query canceled (57014)', false, Object.assign(new Error('canceling statement'), { code: '57014' })],
  ['a bug of ours', false, new TypeError('x is undefined')],
  ['not an error', false, 'boom'],
  ['null', false, null],
])('%s → unavailable: %s', (_what, expected, err) => {
  expect(isDatabaseUnavailable(err)).toBe(expected);
});

test.each<[string, boolean, unknown]>([
  ['deadlock (40P01)', true, Object.assign(new Error('deadlock detected'), { code: '40P01' })],
  ['serialization failure (40001)', true, Object.assign(new Error('could not serialize'), { code: '40001' })],
  ['unique violation (23505)', false, Object.assign(new Error('duplicate key'), { code: '23505' })],
  ['refused', false, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
  ['null', false, null],
])('%s → collided, send again: %s', (_what, expected, err) => {
  expect(isTransactionConflict(err)).toBe(expected);
});
