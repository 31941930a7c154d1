import { ConfigError, loadConfig } from '../runtime/config';
import express from 'express';
import { pollerBehavior } from '../worker/tuning';

describe('configuration', () => {
  it('when nothing is set, then the defaults of npm start apply', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      TEMPORAL_ADDRESS: 'localhost:7233',
      TEMPORAL_UI_PORT: 8233,
      TEMPORAL_TASK_QUEUE: 'deliveries',
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.SMTP_URL).toBeUndefined();
  });

  it.each([
    ['PORT', 'eighty', /PORT/],
    ['PORT', '70000', /PORT/],
    ['DATABASE_URL', 'mysql://x@y/z', /DATABASE_URL: must start with postgres:\/\/ or postgresql:\/\//],
    ['TEMPORAL_ADDRESS', 'http://localhost:7233', /TEMPORAL_ADDRESS: must be host:port/],
    ['SMTP_URL', 'localhost:25', /SMTP_URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['API_KEY', 'short', /API_KEY: must be at least 16 characters/],
    ['RATE_LIMIT_KEY_PER_SECOND', '0', /RATE_LIMIT_KEY_PER_SECOND: must be more than 0/],
    ['RATE_LIMIT_CLIENT_PER_SECOND', 'fast', /RATE_LIMIT_CLIENT_PER_SECOND/],
    ['RATE_LIMIT_KEY_BURST', '1.5', /RATE_LIMIT_KEY_BURST/],
    ['RATE_LIMIT_AUTH_FAILURES_BURST', '0', /RATE_LIMIT_AUTH_FAILURES_BURST/],
    ['RATE_LIMIT_AUTH_FAILURES_PER_MINUTE', '-1', /RATE_LIMIT_AUTH_FAILURES_PER_MINUTE/],
    ['DNS_SERVER', 'dns.example.com:53', /DNS_SERVER: must be an IP address/],
    ['DNS_SERVER', '127.0.0.1:99999', /DNS_SERVER/],
    ['DKIM_ENCRYPTION_KEY', 'short', /DKIM_ENCRYPTION_KEY: must be at least 32 characters/],
    ['WORKER_WORKFLOW_TASK_POLLERS', '1', /WORKER_WORKFLOW_TASK_POLLERS/],
    ['TRUST_PROXY', 'true', /TRUST_PROXY: must be IP addresses or subnets/],
    ['TRUST_PROXY', '10.0.0.0/33', /TRUST_PROXY/],
    ['TRUST_PROXY', '10.0.0.0/0', /TRUST_PROXY/],
    ['TRUST_PROXY', '::/0', /TRUST_PROXY/],
    ['TRUST_PROXY', '0', /TRUST_PROXY/],
    ['TRUST_PROXY', '100', /TRUST_PROXY/],
    ['TRUST_PROXY', 'proxy.example.com', /TRUST_PROXY/],
    ['WORKER_ACTIVITY_TASK_POLLERS', 'many', /WORKER_ACTIVITY_TASK_POLLERS/],
  ])('when %s=%s, then loading fails naming it', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(message);
  });

  it.each(['127.0.0.1', '127.0.0.1:5353', '::1', '[::1]:5353', '[2001:db8::53]:53'])(
    'when DNS_SERVER=%s, then it is taken',
    (server) => {
      expect(loadConfig({ DNS_SERVER: server }).DNS_SERVER).toBe(server);
    },
  );

  it('when the rate limits are not set, then the defaults are generous for clients, hard on failed keys', () => {
    expect(loadConfig({})).toMatchObject({
      RATE_LIMIT_KEY_PER_SECOND: 100,
      RATE_LIMIT_KEY_BURST: 1000,
      RATE_LIMIT_CLIENT_PER_SECOND: 200,
      RATE_LIMIT_CLIENT_BURST: 2000,
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: 30,
      RATE_LIMIT_AUTH_FAILURES_BURST: 30,
    });
    expect(loadConfig({ RATE_LIMIT_KEY_PER_SECOND: '0.5' }).RATE_LIMIT_KEY_PER_SECOND).toBe(0.5);
  });

  it('when the pollers are set, then a number caps them and `auto` lets the SDK scale them', () => {
    const c = loadConfig({ WORKER_WORKFLOW_TASK_POLLERS: '4', WORKER_ACTIVITY_TASK_POLLERS: 'auto' });
    expect(c).toMatchObject({ WORKER_WORKFLOW_TASK_POLLERS: 4, WORKER_ACTIVITY_TASK_POLLERS: 'auto' });
    expect(pollerBehavior(4)).toEqual({ type: 'simple-maximum', maximum: 4 });
    expect(pollerBehavior('auto')).toEqual({ type: 'autoscaling' });
  });

  it.each([
    ['1', 1],
    ['99', 99],
    ['loopback', 'loopback'],
    ['10.0.0.0/8, fd00::/8, 192.0.2.7', '10.0.0.0/8, fd00::/8, 192.0.2.7'],
    ['::1/128,linklocal', '::1/128,linklocal'],
  ])('when TRUST_PROXY=%s, then it is taken, and Express takes it too', (value, expected) => {
    const { TRUST_PROXY } = loadConfig({ TRUST_PROXY: value });
    expect(TRUST_PROXY).toBe(expected);
    expect(() => express().set('trust proxy', TRUST_PROXY)).not.toThrow();
  });

  it('when a process needs a database and none is given, then it says so', () => {
    expect(() => loadConfig({}, ['DATABASE_URL'])).toThrow(/DATABASE_URL: is required/);
  });

  it('when a variable is set but empty, then it counts as unset', () => {
    expect(loadConfig({ SMTP_URL: '', PORT: '' })).toMatchObject({ PORT: 3000 });
  });
});
