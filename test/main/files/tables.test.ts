import { describe, expect, it } from 'vitest'
import { column, formatTable, parseTable } from '../../../src-main/files/tables'

describe('delimited tables', () => {
  it('detects comma, tab and semicolon and honours quotes', () => {
    const csv = parseTable('a.csv', '"Image Data ID","Subject","Description"\n"I1","002_S_0295","Coreg, Avg"\r\n')
    expect(csv.delimiter).toBe(',')
    expect(csv.rows[0]!.values).toEqual({ 'Image Data ID': 'I1', Subject: '002_S_0295', Description: 'Coreg, Avg' })
    expect(parseTable('a.txt', 'participant_id\tlabel\nS1\tAD\n').delimiter).toBe('\t')
    const semi = parseTable('a.csv', 'participant_id;label\nS1;"A""D"\n')
    expect(semi.delimiter).toBe(';')
    expect(semi.rows[0]!.values.label).toBe('A"D')
  })

  it('names the file, line and delimiter on ragged rows and missing columns', () => {
    expect(() => parseTable('x.csv', 'a,b\n1,2\n3\n')).toThrow(/x.csv line 3: 1 fields where the header has 2 \(delimiter: comma\)/)
    const t = parseTable('y.csv', 'participant_id|label\nS1|AD\n')
    // As main changed it: the message says how many columns the first line gave, never the header itself.
    expect(() => column(t, ['participant_id'], 'subject id')).toThrow(
      /y.csv: no subject id column .*among the 1 column\(s\) of its first line, read with delimiter comma.*comma, tab or semicolon/
    )
  })
})

describe('the one table writer', () => {
  it('quotes only fields that need it, and the reader reads back what it wrote', () => {
    const text = formatTable(
      ['participant_id', 'note'],
      [
        ['S1', 'tab\there'],
        ['S2', 'say "hi"'],
        ['S3', 'two\nlines'],
        ['S4', null]
      ]
    )
    expect(text.split('\n')[1]).toBe('S1\t"tab\there"')
    const t = parseTable('w.tsv', text)
    expect(t.rows.map((r) => r.values.note)).toEqual(['tab\there', 'say "hi"', 'two\nlines', ''])
    expect(t.rows.map((r) => r.line)).toEqual([2, 3, 4, 6]) // S3's field spans lines 4 and 5
  })

  it('quotes every field when asked (ADNI collection CSVs)', () => {
    expect(formatTable(['a', 'b'], [['x', '']], { delimiter: ',', quoteAll: true })).toBe('"a","b"\n"x",""\n')
  })

  it('names the file and line of a quoted field that is never closed', () => {
    expect(() => parseTable('q.csv', 'a,b\n1,2\n3,"open\n4,5\n')).toThrow(/q.csv line 3: .*has no closing/)
  })
})
