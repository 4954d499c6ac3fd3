import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findColumn, parseCsv } from 'drgrade';

test('quotes, escaped quotes, delimiters and newlines inside quotes', () => {
  const { table, errors } = parseCsv('name,comment\n"a, b","say ""hi"""\n"multi\nline",x\nplain,"tail"\n');
  assert.equal(errors, []);
  assert.equal(table.header, ['name', 'comment']);
  assert.equal(table.rows.map((r) => r.cells), [['a, b', 'say "hi"'], ['multi\nline', 'x'], ['plain', 'tail']]);
  // Line numbers are where each record starts; the quoted newline moves the next one down.
  assert.equal(table.rows.map((r) => r.line), [2, 3, 5]);
});

test('BOM, CRLF, trailing-space headers and extra empty columns (IDRiD export)', () => {
  const text = '\uFEFFImage name,Retinopathy grade,Risk of macular edema ,,\r\nIDRiD_001,3,2,,\r\nIDRiD_002,4,1,,\r\n,,,,\r\n\r\n';
  const { table, errors } = parseCsv(text);
  assert.equal(errors, []);
  assert.equal(table.header, ['Image name', 'Retinopathy grade', 'Risk of macular edema', '', '']);
  assert.is(findColumn(table.header, ['risk of macular edema']), 2);
  assert.is(table.rows.length, 2, 'rows of empty cells are skipped');
  assert.equal(table.rows[1]?.cells.slice(0, 3), ['IDRiD_002', '4', '1']);
  assert.is(table.rows[1]?.line, 3);
});

test('old Mac CR line ends and a missing final newline', () => {
  const { table } = parseCsv('a,b\r1,2\r3,4');
  assert.equal(table.rows.map((r) => [r.line, ...r.cells]), [[2, '1', '2'], [3, '3', '4']]);
});

test('an unterminated quote is reported with the line it starts on', () => {
  const { errors } = parseCsv('a,b\n1,2\n3,"open\n4,5\n');
  assert.is(errors.length, 1);
  assert.is(errors[0]?.line, 3);
  assert.match(errors[0]?.message ?? '', /never closed/);
});

test('semicolon delimiter and short rows', () => {
  const { table } = parseCsv('left;right\nx.png;y.png\nz.png\n', ';');
  assert.equal(table.rows.map((r) => r.cells), [['x.png', 'y.png'], ['z.png']]);
});

test.run();
