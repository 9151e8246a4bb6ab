// go-yaml v2's mapping key order for string keys (sorter.go keyList.Less): a "natural" order in which letters sort
// after everything else and digit runs compare by value, so ISTIO_META_WORKLOAD_NAME precedes ISTIO_METAJSON_LABELS.

const LETTER = /^\p{L}$/u
const DIGIT = /^\p{Nd}$/u

const isLetter = (c: string) => LETTER.test(c)
const isDigit = (c: string) => DIGIT.test(c)
const code = (c: string) => c.codePointAt(0) ?? 0

function yamlKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a)
  const br = Array.from(b)
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue
    const al = isLetter(ar[i])
    const bl = isLetter(br[i])
    if (al && bl) return code(ar[i]) < code(br[i])
    if (al || bl) return bl
    // Neither is a letter: compare the digit runs starting here by value (upstream's leading-zero handling included).
    let an = 0
    let bn = 0
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1
          bn = 1
          break
        }
      }
    }
    let ai = i
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + (code(ar[ai]) - 48)
    let bi = i
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + (code(br[bi]) - 48)
    if (an !== bn) return an < bn
    if (ai !== bi) return ai < bi
    return code(ar[i]) < code(br[i])
  }
  return ar.length < br.length
}

export function compareYamlKeys(a: string, b: string): number {
  if (yamlKeyLess(a, b)) return -1
  return yamlKeyLess(b, a) ? 1 : 0
}
