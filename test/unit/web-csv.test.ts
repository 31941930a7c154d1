/** The web app's reading of pasted lines and CSV files into rows to import (web/src/csv.ts). */
import { parseContacts } from '../../web/src/csv';

const rows = (text: string) => parseContacts(text).map((r) => [r.line, r.row]);

test('plain lines: email, first name, last name, by comma, semicolon or tab', () => {
  expect(rows('ann@ok.test, Ann, Lee\n\nbob@ok.test')).toEqual([
    [1, { email: 'ann@ok.test', firstName: 'Ann', lastName: 'Lee' }],
    [3, { email: 'bob@ok.test' }],
  ]);
  expect(rows('ann@ok.test;Ann')).toEqual([[1, { email: 'ann@ok.test', firstName: 'Ann' }]]);
});

test('a header names the columns, in any order and spelling', () => {
  expect(rows('Last Name,E-mail,first_name\nLee,ann@ok.test,Ann')).toEqual([
    [2, { email: 'ann@ok.test', firstName: 'Ann', lastName: 'Lee' }],
  ]);
});

test('one column for the whole name is split at its last word', () => {
  expect(rows('Name,Email\nAnn Marie Lee,ann@ok.test\nCher,cher@ok.test\n,nobody@ok.test')).toEqual([
    [2, { email: 'ann@ok.test', firstName: 'Ann Marie', lastName: 'Lee' }],
    [3, { email: 'cher@ok.test', firstName: 'Cher' }],
    [4, { email: 'nobody@ok.test' }],
  ]);
});

test('quoted cells keep the separator and doubled quotes', () => {
  expect(rows('email,name\n"ann@ok.test","Lee, ""Annie"" Ann"')).toEqual([
    [2, { email: 'ann@ok.test', firstName: 'Lee, "Annie"', lastName: 'Ann' }],
  ]);
});

test('a line without the file’s separator but with another is split by that one', () => {
  // A semicolon line pasted among commas: not one cell `dee@busy.test; Dee` sent as an address.
  expect(rows('ann@ok.test, Ann\nbob@ok.test\ndee@busy.test; Dee\neve@ok.test\tEve\tLee')).toEqual([
    [1, { email: 'ann@ok.test', firstName: 'Ann' }],
    [2, { email: 'bob@ok.test' }],
    [3, { email: 'dee@busy.test', firstName: 'Dee' }],
    [4, { email: 'eve@ok.test', firstName: 'Eve', lastName: 'Lee' }],
  ]);
  // Under a header, in the header's columns.
  expect(rows('Name,Email\nAnn Lee,ann@ok.test\nDee Ray;dee@busy.test')).toEqual([
    [2, { email: 'ann@ok.test', firstName: 'Ann', lastName: 'Lee' }],
    [3, { email: 'dee@busy.test', firstName: 'Dee', lastName: 'Ray' }],
  ]);
  // A line holding the file's separator keeps to it, whatever else it holds.
  expect(rows('email,name\n"ann@ok.test","Lee; Ann"')).toEqual([
    [2, { email: 'ann@ok.test', firstName: 'Lee;', lastName: 'Ann' }],
  ]);
});
