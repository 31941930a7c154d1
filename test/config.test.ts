import { ConfigError, loadConfig } from '../runtime/config';

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
  ])('when %s=%s, then loading fails naming it', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(message);
  });

  it('when a process needs a database and none is given, then it says so', () => {
    expect(() => loadConfig({}, ['DATABASE_URL'])).toThrow(/DATABASE_URL: is required/);
  });

  it('when a variable is set but empty, then it counts as unset', () => {
    expect(loadConfig({ SMTP_URL: '', PORT: '' })).toMatchObject({ PORT: 3000 });
  });
});
