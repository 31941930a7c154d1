/** The one email syntax check used by every route that takes an address. */
import { checkEmail } from '../domain/address';

test.each([
  ['ann@example.com', 'ann@example.com'],
  ['  Ann.Lee+news@Example.COM ', 'Ann.Lee+news@example.com'],
  ["o'brien@example.ie", "o'brien@example.ie"],
  ['user@bücher.example', 'user@bücher.example'],
  ['user@BÜCHER.example', 'user@bücher.example'],
  ['用户@例子.广告', '用户@例子.广告'],
  ['a@xn--bcher-kva.example', 'a@xn--bcher-kva.example'],
  ['x@sub-domain.example.co.uk', 'x@sub-domain.example.co.uk'],
])('%j is an address, stored as %j', (input, stored) => {
  expect(checkEmail(input)).toEqual({ ok: true, email: stored });
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
  ['"ann"@example.com', 'has characters not allowed before the @'],
  ['ann@exa mple.com', 'has a domain that is not a valid internationalised name'],
  ['ann@-example.com', 'has a domain that is not a valid host name'],
  ['ann@example..com', 'has a domain that is not a valid host name'],
  ['ann@[127.0.0.1]', 'has a domain that is not a valid internationalised name'],
  ['ann@example.123', 'has a numeric top-level domain'],
  ['ann@example.com\nBcc: x@y.example', 'contains control characters'],
  [`${'a'.repeat(65)}@example.com`, 'has a local part longer than 64 bytes'],
  [`a@${'b'.repeat(64)}.com`, 'has a domain that is not a valid host name'],
])('%j is refused: %s', (input, message) => {
  expect(checkEmail(input)).toEqual({ ok: false, message });
});
