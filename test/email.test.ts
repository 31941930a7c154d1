/** The one email check used by every route that takes an address, and the key that says "same mailbox". */
import { checkEmail, emailKey } from '../domain/address';

test.each([
  ['ann@example.com', 'ann@example.com'],
  ['  Ann.Lee+news@Example.COM ', 'Ann.Lee+news@example.com'],
  ["o'brien@example.ie", "o'brien@example.ie"],
  // The domain in its ASCII form by IDNA (UTS 46): Unicode, upper case and full-width letters alike.
  ['user@bücher.example', 'user@xn--bcher-kva.example'],
  ['user@BÜCHER.example', 'user@xn--bcher-kva.example'],
  ['a@xn--bcher-kva.example', 'a@xn--bcher-kva.example'],
  ['dup@ｏｋ.test', 'dup@ok.test'],
  ['dup@ＯＫ．ｔｅｓｔ', 'dup@ok.test'],
  ['用户@例子.广告', '用户@xn--fsqu00a.xn--4rr70v'],
  // The local part as written, in NFC: e + combining acute (NFD) is stored as é.
  ['rene\u0301@ok.test', 'ren\u00e9@ok.test'],
  ['Ren\u00e9@ok.test', 'Ren\u00e9@ok.test'],
  ['x@sub-domain.example.co.uk', 'x@sub-domain.example.co.uk'],
])('%j is an address, stored as %j', (input, stored) => {
  const checked = checkEmail(input);
  expect(checked).toEqual({ ok: true, email: stored, key: emailKey(stored) });
});

test.each([
  ['', 'is empty'],
  ['plainaddress', 'has no @'],
  ['@example.com', 'has nothing before the @'],
  ['ann@', 'has nothing after the @'],
  ['ann@localhost', 'has a domain without a dot'],
  ['.ann@example.com', 'has a dot at the start or end of the local part, or two in a row'],
  ['ann..lee@example.com', 'has a dot at the start or end of the local part, or two in a row'],
  ['ann lee@example.com', 'has characters not allowed before the @'],
  ['ann\u00a0lee@example.com', 'has characters not allowed before the @'],
  ['ann\u3000lee@example.com', 'has characters not allowed before the @'],
  ['"ann"@example.com', 'has characters not allowed before the @'],
  ['ann@exa mple.com', 'has a domain that is not a valid internationalised name'],
  ['ann@-example.com', 'has a domain that is not a valid host name'],
  ['ann@example..com', 'has a domain that is not a valid host name'],
  // No root dot in RFC 5321: refused rather than guessed.
  ['ann@example.com.', 'has a dot at the end of the domain'],
  ['ann@[127.0.0.1]', 'has a domain that is not a valid internationalised name'],
  ['ann@example.123', 'has a numeric top-level domain'],
  ['ann@example.com\nBcc: x@y.example', 'contains control characters'],
  [`${'a'.repeat(65)}@example.com`, 'has a local part longer than 64 bytes'],
  [`${'é'.repeat(33)}@example.com`, 'has a local part longer than 64 bytes'],
  [`a@${'b'.repeat(64)}.com`, 'has a domain that is not a valid host name'],
  [
    `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.eeeee.com`,
    'is longer than 254 bytes',
  ],
])('%j is refused: %s', (input, message) => {
  expect(checkEmail(input)).toEqual({ ok: false, message });
});

describe('invisible and bidirectional characters are refused anywhere, saying which', () => {
  const invisible = [
    ['\u200b', 'zero-width space'],
    ['\u200c', 'zero-width non-joiner'],
    ['\u200d', 'zero-width joiner'],
    ['\u2060', 'word joiner'],
    ['\u2061', 'function application'],
    ['\u2064', 'invisible plus'],
    ['\ufeff', 'BOM / zero-width no-break space'],
    ['\u00ad', 'soft hyphen'],
    ['\u180e', 'Mongolian vowel separator (another format character)'],
    ['\u{e0041}', 'tag letter A (another format character)'],
    ['\ufe0f', 'variation selector (default-ignorable)'],
  ];
  const bidi = [
    ['\u200e', 'left-to-right mark'],
    ['\u200f', 'right-to-left mark'],
    ['\u061c', 'Arabic letter mark'],
    ['\u202a', 'left-to-right embedding'],
    ['\u202e', 'right-to-left override'],
    ['\u2066', 'left-to-right isolate'],
    ['\u2069', 'pop directional isolate'],
  ];
  const hex = (c: string) => c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  const places = (c: string) => [`${c}dup@ok.test`, `du${c}p@ok.test`, `dup@o${c}k.test`, `dup@ok.test${c}`];

  test.each(invisible)('%j (%s)', (c) => {
    for (const input of places(c))
      expect(checkEmail(input)).toEqual({
        ok: false,
        message: `contains an invisible character (U+${hex(c)})`,
      });
  });
  test.each(bidi)('%j (%s)', (c) => {
    for (const input of places(c))
      expect(checkEmail(input)).toEqual({
        ok: false,
        message: `contains a bidirectional control character (U+${hex(c)})`,
      });
  });
});

describe('the key: one mailbox, one key', () => {
  it('when the same mailbox is spelled three ways (plain, full-width domain, trailing zero-width space), then the two accepted spellings are stored alike and all three share one key', () => {
    const plain = checkEmail('dup@ok.test');
    const fullWidth = checkEmail('dup@ｏｋ.test');
    expect(plain).toEqual({ ok: true, email: 'dup@ok.test', key: 'dup@ok.test' });
    expect(fullWidth).toEqual(plain);
    expect(checkEmail('dup@ok.test\u200b').ok).toBe(false);
    // A row stored before the check refused it still meets its visible twin.
    expect(emailKey('dup@ok.test\u200b')).toBe('dup@ok.test');
    expect(emailKey('dup@ｏｋ.test')).toBe('dup@ok.test');
  });

  it('when only the letter case of the local part differs, then the stored spelling keeps it and the key does not', () => {
    expect(checkEmail('Ann.Lee@OK.test')).toEqual({
      ok: true,
      email: 'Ann.Lee@ok.test',
      key: 'ann.lee@ok.test',
    });
    expect(checkEmail('ANN.LEE@ok.test')).toMatchObject({ key: 'ann.lee@ok.test' });
    expect(checkEmail('Ren\u00c9@ok.test')).toMatchObject({
      email: 'Ren\u00c9@ok.test',
      key: 'ren\u00e9@ok.test',
    });
  });

  it('when a local part is written in NFC or NFD, then it is one address with one key', () => {
    const nfc = checkEmail('ren\u00e9@ok.test');
    const nfd = checkEmail('rene\u0301@ok.test');
    expect(nfd).toEqual(nfc);
    expect(emailKey('RENE\u0301@ok.test')).toBe('ren\u00e9@ok.test');
  });

  it('when an IDN domain is written in Unicode, in upper case or in punycode, then the key is the punycode', () => {
    for (const d of ['bücher.example', 'BÜCHER.EXAMPLE', 'xn--bcher-kva.example', 'XN--BCHER-KVA.example'])
      expect(emailKey(`a@${d}`)).toBe('a@xn--bcher-kva.example');
  });

  it('when the key is taken of a stored address, then it is the key the check gave', () => {
    for (const input of ['Ann@Example.COM', 'dup@ｏｋ.test', 'RENE\u0301@BÜCHER.example', '用户@例子.广告']) {
      const checked = checkEmail(input);
      if (!checked.ok) throw new Error(checked.message);
      expect(emailKey(checked.email)).toBe(checked.key);
      expect(emailKey(input)).toBe(checked.key);
    }
  });

  it('when a stored string is no address at all, then it still has a key (lower-cased)', () => {
    expect(emailKey('Not An Address')).toBe('not an address');
    expect(emailKey('ann@exa mple.com')).toBe('ann@exa mple.com');
  });
});
