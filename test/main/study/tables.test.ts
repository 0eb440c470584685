import { describe, expect, it } from 'vitest'
import { column, parseTable } from '../../../src-main/study/tables'

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
    // Changed on purpose: the header is counted, not quoted (a message never carries file contents).
    expect(() => column(t, ['participant_id'], 'subject id')).toThrow(/y.csv: no subject id column \(looked for participant_id among the 1 column\(s\) of its first line, read with delimiter comma\)\. .*comma, tab or semicolon/)
  })
})
