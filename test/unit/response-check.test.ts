/** The API tests check every answer against its route's schema: an answer that drifts fails the request. */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { errorMiddleware } from '../../api/errors';
import { register, route } from '../../api/route';

async function serve(checkResponses: boolean, answer: unknown) {
  const app = express();
  const router = express.Router();
  const routes = [
    route({
      method: 'get',
      path: '/thing',
      tag: 'test',
      summary: 'a thing',
      auth: false,
      status: 200,
      response: z.strictObject({ id: z.string(), count: z.number().int() }),
      handler: () => Promise.resolve(answer),
    }),
  ];
  register(router, routes, (_req, _res, next) => next(), { checkResponses });
  app.use(router);
  app.use(errorMiddleware);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/thing`);
  server.close();
  return res.status;
}

describe('response schemas', () => {
  let errors: jest.SpyInstance;
  beforeEach(() => (errors = jest.spyOn(console, 'error').mockImplementation(() => undefined)));
  afterEach(() => errors.mockRestore());

  it('when an answer matches its schema, then it is sent', async () => {
    expect(await serve(true, { id: '1', count: 2 })).toBe(200);
  });

  it('when an answer has a wrong type, a missing or an undeclared field, then the request fails', async () => {
    expect(await serve(true, { id: 1, count: 2 })).toBe(500);
    expect(await serve(true, { id: '1' })).toBe(500);
    expect(await serve(true, { id: '1', count: 2, secret: 'x' })).toBe(500);
    expect(String(errors.mock.calls[0]?.[0])).toMatch(/GET \/thing answered outside its schema/);
  });

  it('when the check is off (production), then the answer is sent as it is', async () => {
    expect(await serve(false, { id: 1 })).toBe(200);
  });
});
