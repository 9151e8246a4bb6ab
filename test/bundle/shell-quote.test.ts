import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { shellQuote } from '../../src/bundle/shell-quote.js'

describe('shellQuote (istio shellescape, character-class bug included)', () => {
  it('writes an empty value as two single quotes', () => assert.equal(shellQuote(''), "''"))

  it('leaves values made only of backslash, w and @%+=:,./- bare', () => {
    for (const bare of ['www', '-', '..', 'w@w', '%+=:,./-', 'w\\w']) assert.equal(shellQuote(bare), bare)
  })

  it('quotes any other letter, digit, underscore, star or space (upstream meant \\w, wrote a backslash)', () => {
    assert.equal(shellQuote('latest'), "'latest'")
    assert.equal(shellQuote('10.10.10.10'), "'10.10.10.10'")
    assert.equal(shellQuote('*'), "'*'")
    assert.equal(shellQuote('a_b'), "'a_b'")
    assert.equal(shellQuote('two words'), "'two words'")
  })

  it("closes, escapes and reopens around a single quote: it's → 'it'\"'\"'s'", () => {
    assert.equal(shellQuote("it's"), `'it'"'"'s'`)
  })

  it('keeps JSON text intact inside single quotes', () => {
    assert.equal(shellQuote('{"a":"b"}'), `'{"a":"b"}'`)
  })
})
